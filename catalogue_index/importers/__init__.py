"""Importers: each turns a source (interchange JSONL, CSV with a column mapping, ELM JSON-LD) into
interchange records with their locations, so validation and storage are shared."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import List, Optional
from urllib.parse import urlparse

from ..errors import CatalogueError, Issue
from ..interchange import SourceRecord

FORMATS = ("json", "csv", "elm")


@dataclass
class Loaded:
    """Records read from one source, and the problems found while reading."""

    source: str
    format: str
    records: List[SourceRecord] = field(default_factory=list)
    issues: List[Issue] = field(default_factory=list)


def is_url(location: str) -> bool:
    return "://" in location


def guess_format(name: str, data: Optional[bytes] = None) -> str:
    """json for .jsonl, csv for .csv, elm for .jsonld; a .json file is ELM when it is one credential object."""
    suffix = Path(urlparse(name).path if is_url(name) else name).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix == ".jsonld":
        return "elm"
    if suffix == ".json" and data is not None:
        try:
            document = json.loads(data.decode("utf-8-sig"))
        except (ValueError, UnicodeDecodeError):
            return "json"
        if isinstance(document, dict) and document.get("type") not in ("provider", "offer", "pathway", "recognition"):
            return "elm"
    return "json"


def load(location: str, format: Optional[str] = None, mapping: Optional[str] = None,
         transport=None) -> Loaded:
    """Read a file, folder or https:// URL in the given (or guessed) format."""
    if format is not None and format not in FORMATS:
        raise CatalogueError(f"unknown format {format!r}: use one of {', '.join(FORMATS)}")
    if is_url(location):
        from ..fetch import fetch

        data = fetch(location, transport=transport)
        return load_bytes(data, location, format or guess_format(location, data), mapping)
    path = Path(location)
    if not path.exists():
        raise CatalogueError(f"{location}: no such file or folder")
    if path.is_dir():
        chosen = format or "json"
        if chosen == "csv":
            raise CatalogueError(f"{location}: a CSV import reads one file, not a folder")
        if chosen == "elm":
            from .elm import read_folder

            records, issues = read_folder(path)
            return Loaded(location, chosen, records, issues)
        from .jsonl import read_path

        records, issues = read_path(path)
        return Loaded(location, chosen, records, issues)
    return load_bytes(path.read_bytes(), location, format or guess_format(location, path.read_bytes()), mapping)


def load_bytes(data: bytes, source: str, format: str, mapping: Optional[str] = None) -> Loaded:
    if format == "csv":
        from .csv_mapping import load_mapping, read_csv

        if not mapping:
            raise CatalogueError(f"{source}: a CSV import needs --mapping FILE (see catalogue_index/mappings/)")
        records, issues = read_csv(data, source, load_mapping(mapping))
    elif format == "elm":
        from .elm import read_bytes as read_elm

        records, issues = read_elm(data, source)
    else:
        from .jsonl import read_bytes as read_jsonl

        records, issues = read_jsonl(data, source)
    return Loaded(source, format, records, issues)
