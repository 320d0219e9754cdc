"""The interchange format: JSON Lines, one record per line, described by `schema/*.schema.json`.

Every importer (JSONL, CSV with a mapping, ELM JSON-LD) produces these records
and every export writes them, so validation and storage exist once. Field
names are snake_case forms of the European Learning Model's where ELM has one
(see `sample/README.md` for the table).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Mapping, Optional, TextIO, Tuple

from .errors import Issue

SCHEMA_DIR = Path(__file__).resolve().parent / "schema"
RECORD_TYPES: Tuple[str, ...] = ("provider", "offer", "pathway", "recognition")  # dependency order
SCHEMA_FILES = {name: SCHEMA_DIR / f"{name}.schema.json" for name in ("defs", *RECORD_TYPES)}

Record = Dict[str, Any]


@dataclass(frozen=True)
class SourceRecord:
    """A record and where it came from, so every error can point at it."""

    source: str
    number: int
    data: Record
    create_only: bool = False  # a provider derived from offer data: never overwrites a stored, richer record

    @property
    def record_id(self) -> Optional[str]:
        value = self.data.get("id") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None

    @property
    def type(self) -> Optional[str]:
        value = self.data.get("type") if isinstance(self.data, dict) else None
        return value if isinstance(value, str) else None


@lru_cache(maxsize=None)
def load_schema(name: str) -> Mapping[str, Any]:
    """One of the committed JSON Schemas: defs, provider, offer, pathway, recognition."""
    return json.loads(SCHEMA_FILES[name].read_text(encoding="utf-8"))


@lru_cache(maxsize=None)
def language_codes() -> frozenset:
    """The ISO 639-1 codes the format accepts (from defs.schema.json)."""
    return frozenset(load_schema("defs")["$defs"]["languageCode"]["enum"])


def field_order(record_type: str) -> List[str]:
    return list(load_schema(record_type)["properties"])


def required_fields(record_type: str) -> List[str]:
    return list(load_schema(record_type)["required"])


def parse_jsonl(text: str, source: str) -> Tuple[List[SourceRecord], List[Issue]]:
    """Records of a JSON Lines text; blank lines are skipped, each bad line becomes an Issue."""
    records: List[SourceRecord] = []
    issues: List[Issue] = []
    if text.startswith("\ufeff"):
        text = text[1:]
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as error:
            issues.append(Issue(source, number, None, f"invalid JSON: {error.msg} (column {error.colno})"))
            continue
        if not isinstance(data, dict):
            issues.append(Issue(source, number, None, f"a record must be a JSON object, got {type(data).__name__}"))
            continue
        records.append(SourceRecord(source, number, data))
    return records, issues


def _nested_order(record_type: str, key: str) -> Optional[List[str]]:
    """Key order of the objects inside a field (pathway rules, price, skills), from the schema."""
    schema = load_schema(record_type)["properties"].get(key, {})
    items = schema.get("items", {})
    if "properties" in items:
        return list(items["properties"])
    if key == "price":
        order: List[str] = []
        for option in schema.get("oneOf", []):
            order.extend(name for name in option.get("properties", {}) if name not in order)
        return order
    return None


def _reorder(value: Any, order: List[str]) -> Any:
    if isinstance(value, dict):
        return {name: value[name] for name in order if name in value} | {k: v for k, v in value.items() if k not in order}
    if isinstance(value, list):
        return [_reorder(item, order) for item in value]
    return value


def canonical(record: Mapping[str, Any]) -> Record:
    """The stored form of a valid record: schema key order, defaults filled, empty optionals dropped.

    Export writes exactly this, and an import that would not change it counts
    as "unchanged", so export -> import -> export is byte for byte the same.
    """
    record_type = record["type"]
    data = dict(record)
    if record_type == "offer":
        data.setdefault("awarding_bodies", [data["provider"]])
        data.setdefault("work_based", False)
        data.setdefault("self_paced", False)
    data["sample"] = bool(data.get("sample", False))
    required = set(required_fields(record_type))
    out: Record = {}
    for key in field_order(record_type):
        if key not in data:
            continue
        value = data[key]
        if key not in required and (value is None or value == []):
            continue
        order = _nested_order(record_type, key)
        out[key] = _reorder(value, order) if order else value
    return out


def dumps(record: Mapping[str, Any]) -> str:
    """One JSON line, UTF-8 text kept readable (no \\u escapes)."""
    return json.dumps(record, ensure_ascii=False, separators=(", ", ": "))


def write_jsonl(records: Iterable[Mapping[str, Any]], stream: TextIO) -> int:
    """Write records (already canonical) one per line; returns how many."""
    count = 0
    for record in records:
        stream.write(dumps(record))
        stream.write("\n")
        count += 1
    return count
