"""Reads the interchange format from a .jsonl file, a folder of them, or downloaded bytes."""
from __future__ import annotations

from pathlib import Path
from typing import List, Tuple

from ..errors import CatalogueError, Issue
from ..interchange import SourceRecord, parse_jsonl

EXCLUDED = {"EXAMPLES.jsonl"}  # the shape examples beside the sample catalogue are not part of it


def catalogue_files(folder: Path) -> List[Path]:
    """The .jsonl files of a catalogue folder, in a stable order (sample/README.md)."""
    files = sorted(p for p in folder.glob("*.jsonl") if p.is_file() and p.name not in EXCLUDED)
    if not files:
        raise CatalogueError(f"{folder}: no .jsonl files to import")
    return files


def decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CatalogueError(f"{source}: not UTF-8 text (byte {error.start})") from error


def read_bytes(data: bytes, source: str) -> Tuple[List[SourceRecord], List[Issue]]:
    return parse_jsonl(decode(data, source), source)


def read_path(path: Path) -> Tuple[List[SourceRecord], List[Issue]]:
    """Records of one file or of every catalogue file in a folder."""
    files = catalogue_files(path) if path.is_dir() else [path]
    records: List[SourceRecord] = []
    issues: List[Issue] = []
    for file in files:
        found, problems = read_bytes(file.read_bytes(), str(file))
        records.extend(found)
        issues.extend(problems)
    return records, issues
