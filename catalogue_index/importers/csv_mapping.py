"""Imports a CSV catalogue through a declared column mapping (YAML or JSON), e.g. `mappings/edx.yml`.

A mapping says, for each interchange field of each record type built from a
row, where its value comes from. It is data, so a new CSV source needs a new
mapping file, not new code:

    format: orienta-csv-mapping
    version: 1
    csv: {delimiter: ",", encoding: utf-8}
    records:
      provider:                      # optional; one record per distinct id
        id: {template: "prv-edx-{institution|slug:50}"}
        name: {column: institution, text: true}
        ...
      offer:
        id: {template: "ofr-edx-{institution|slug:50}-{course_url|last_segment|slug:60}"}
        languages: {column: language, map: {English: en, Español: es}, list: true}
        ...
    create_only: [provider]          # optional: never overwrite stored records of these types

A field spec has one source and optional steps, applied in this order:

- source: `column: NAME` (stripped text, empty -> null), `columns: [A, B]` (first
  non-empty), `value: ANY` (a constant), `template: "text {column|filter}"`
  (filters: `slug[:max length]`, `last_segment`, `lower`), or
  `product: [spec, spec]` (numbers multiplied; null if any is null);
- `map: {from: to}` (a value not in the map is an error unless `default` is given),
- `convert:` `number` (first number in the text), `integer`, `range_mean`
  ("2–4 hours" -> 3), `boolean`, `price` ("FREE…" -> {"free": true, note}, "$49 USD",
  "€ 450" -> amount and currency);
- `split: ";"` (text -> list), `list: true` (one value -> a one-item list),
- `text: true` (a language map in the record's original_language),
- `default: ANY` (when the value is null).

Offer fields that are required by the format (Annex I elements) and not in the
mapping are filled with null (or []): the source does not state them.
"""
from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import yaml

from ..errors import CatalogueError, Issue
from ..interchange import RECORD_TYPES, SourceRecord, required_fields

SOURCE_KEYS = {"column", "columns", "value", "template", "product"}
STEP_KEYS = {"map", "convert", "split", "list", "text", "default"}
CONVERTERS = ("number", "integer", "range_mean", "boolean", "price")
NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
CURRENCY_SIGNS = {"$": "USD", "€": "EUR", "£": "GBP", "zł": "PLN", "lei": "RON"}
TEMPLATE_FIELD = re.compile(r"\{([^{}|]+)((?:\|[^{}|]+)*)\}")
NULLABLE_ANNEX_I = {"learning_outcomes": [], "ects": None, "workload_hours": None, "eqf_level": None,
                    "assessment_type": None, "qa_type": None, "mode": None}


class RowError(Exception):
    """A value in a row cannot be mapped; becomes an Issue with the row number and the field."""


@dataclass(frozen=True)
class ColumnMapping:
    """A parsed, checked mapping file."""

    name: str
    delimiter: str
    encoding: str
    records: Dict[str, Dict[str, Dict[str, Any]]]
    create_only: Tuple[str, ...] = ()

    def columns(self) -> List[str]:
        """Every CSV column the mapping reads (checked against the header)."""
        found: List[str] = []

        def visit(spec: Mapping[str, Any]) -> None:
            if "column" in spec:
                found.append(spec["column"])
            found.extend(spec.get("columns", []))
            if "template" in spec:
                found.extend(match.group(1).strip() for match in TEMPLATE_FIELD.finditer(spec["template"]))
            for part in spec.get("product", []):
                visit(part)

        for fields in self.records.values():
            for spec in fields.values():
                visit(spec)
        return list(dict.fromkeys(found))


NOT_DECOMPOSED = str.maketrans({"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ø": "o", "Ø": "O", "ß": "ss",
                                "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE", "þ": "th", "ı": "i"})


def slug(text: str, max_length: Optional[int] = None) -> str:
    """ASCII lower-case words joined by hyphens ('Universitat Politècnica' -> 'universitat-politecnica')."""
    decomposed = unicodedata.normalize("NFKD", text.translate(NOT_DECOMPOSED))
    ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    value = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")
    if max_length and len(value) > max_length:
        value = value[:max_length].rstrip("-")
    return value


def _check_spec(name: str, field: str, spec: Any) -> None:
    where = f"mapping {name}: records.{field}"
    if not isinstance(spec, dict):
        raise CatalogueError(f"{where}: expected a mapping such as {{column: NAME}}, got {spec!r}")
    sources = SOURCE_KEYS & set(spec)
    if len(sources) != 1:
        raise CatalogueError(f"{where}: give exactly one of {', '.join(sorted(SOURCE_KEYS))}")
    unknown = set(spec) - SOURCE_KEYS - STEP_KEYS
    if unknown:
        raise CatalogueError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    if "convert" in spec and spec["convert"] not in CONVERTERS:
        raise CatalogueError(f"{where}: convert must be one of {', '.join(CONVERTERS)}")
    if "map" in spec and not isinstance(spec["map"], dict):
        raise CatalogueError(f"{where}: map must be a mapping of values")
    for index, part in enumerate(spec.get("product", [])):
        _check_spec(name, f"{field}.product[{index}]", part)


def parse_mapping(text: str, name: str) -> ColumnMapping:
    """Check a mapping document; CatalogueError naming the mapping and the key when it is wrong."""
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise CatalogueError(f"mapping {name}: not valid YAML/JSON: {error}") from error
    if not isinstance(document, dict) or document.get("format") != "orienta-csv-mapping":
        raise CatalogueError(f"mapping {name}: expected 'format: orienta-csv-mapping' at the top")
    if document.get("version") != 1:
        raise CatalogueError(f"mapping {name}: unsupported version {document.get('version')!r} (expected 1)")
    records = document.get("records")
    if not isinstance(records, dict) or not records:
        raise CatalogueError(f"mapping {name}: 'records' must map record types to their fields")
    for record_type, fields in records.items():
        if record_type not in RECORD_TYPES:
            raise CatalogueError(f"mapping {name}: unknown record type {record_type!r}")
        if not isinstance(fields, dict) or "id" not in fields:
            raise CatalogueError(f"mapping {name}: records.{record_type} needs at least an 'id' field")
        for field, spec in fields.items():
            _check_spec(name, f"{record_type}.{field}", spec)
    create_only = document.get("create_only") or []
    if not isinstance(create_only, list) or not set(create_only) <= set(records):
        raise CatalogueError(f"mapping {name}: create_only must list record types of 'records'")
    options = document.get("csv") or {}
    return ColumnMapping(name=name, delimiter=str(options.get("delimiter", ",")),
                         encoding=str(options.get("encoding", "utf-8-sig")), records=records,
                         create_only=tuple(create_only))


def load_mapping(location: str) -> ColumnMapping:
    path = Path(location)
    if not path.is_file():
        raise CatalogueError(f"mapping {location}: no such file")
    return parse_mapping(path.read_text(encoding="utf-8"), location)


# -- turning a row into values ---------------------------------------------------------------------------------------

def _cell(row: Mapping[str, str], column: str) -> Optional[str]:
    value = (row.get(column) or "").strip()
    return value or None


def _render(template: str, row: Mapping[str, str]) -> Optional[str]:
    def replace(match: "re.Match[str]") -> str:
        value = _cell(row, match.group(1).strip()) or ""
        for step in filter(None, match.group(2).split("|")):
            name, _, argument = step.strip().partition(":")
            if name == "slug":
                value = slug(value, int(argument) if argument else None)
            elif name == "last_segment":
                value = value.rstrip("/").rsplit("/", 1)[-1]
            elif name == "lower":
                value = value.lower()
            else:
                raise RowError(f"unknown template filter {name!r}")
        return value

    text = TEMPLATE_FIELD.sub(replace, template).strip()
    return text or None


def _number(text: str) -> float:
    match = NUMBER.search(text)
    if not match:
        raise RowError(f"no number in {text!r}")
    value = float(match.group().replace(",", "."))
    return int(value) if value.is_integer() else value


def _convert(kind: str, value: Any, language: str) -> Any:
    if value is None or not isinstance(value, str):
        return value
    if kind == "number":
        return _number(value)
    if kind == "integer":
        number = _number(value)
        if not float(number).is_integer():
            raise RowError(f"{value!r} is not a whole number")
        return int(number)
    if kind == "range_mean":
        numbers = [float(n.replace(",", ".")) for n in NUMBER.findall(value)[:2]]
        if not numbers:
            raise RowError(f"no number in {value!r}")
        mean = sum(numbers) / len(numbers)
        return int(mean) if mean.is_integer() else mean
    if kind == "boolean":
        lowered = value.lower()
        if lowered in ("true", "yes", "1", "y"):
            return True
        if lowered in ("false", "no", "0", "n"):
            return False
        raise RowError(f"{value!r} is not yes/no")
    if kind == "price":
        if value.lower().startswith(("free", "gratuit", "bezpłat", "brezplač", "nemokam")):
            return {"free": True, "note": {language: value}}
        currency = next((code for sign, code in CURRENCY_SIGNS.items() if sign in value), None)
        codes = re.findall(r"\b[A-Z]{3}\b", value)
        currency = codes[0] if codes else currency
        if currency is None:
            raise RowError(f"no currency in price {value!r}")
        return {"amount": _number(value), "currency": currency}
    raise RowError(f"unknown converter {kind!r}")


def _value(spec: Mapping[str, Any], row: Mapping[str, str], language: str) -> Any:
    if "value" in spec:
        value = spec["value"]
    elif "column" in spec:
        value = _cell(row, spec["column"])
    elif "columns" in spec:
        value = next((v for v in (_cell(row, c) for c in spec["columns"]) if v), None)
    elif "template" in spec:
        value = _render(spec["template"], row)
    else:
        parts = [_value(part, row, language) for part in spec["product"]]
        value = None
        if all(isinstance(part, (int, float)) for part in parts):
            value = 1
            for part in parts:
                value *= part
            value = round(value, 2)
            value = int(value) if float(value).is_integer() else value
    if "map" in spec and value is not None:
        if value in spec["map"]:
            value = spec["map"][value]
        elif "default" in spec:
            value = spec["default"]
        else:
            raise RowError(f"value {value!r} is not in the mapping's map")
    if "convert" in spec:
        value = _convert(spec["convert"], value, language)
    if "split" in spec and isinstance(value, str):
        value = [part.strip() for part in value.split(spec["split"]) if part.strip()]
    if spec.get("list") and value is not None and not isinstance(value, list):
        value = [value]
    if value is None and "default" in spec:
        value = spec["default"]
    if spec.get("text") and value is not None:
        value = {language: value} if isinstance(value, str) else [{language: v} for v in value]
    return value


def _build(record_type: str, fields: Mapping[str, Mapping[str, Any]], row: Mapping[str, str]
           ) -> Tuple[Dict[str, Any], List[Tuple[str, str]]]:
    """One record from one row, and the (field, reason) problems met."""
    record: Dict[str, Any] = {"type": record_type}
    problems: List[Tuple[str, str]] = []
    language = "en"
    if "original_language" in fields:
        try:
            language = _value(fields["original_language"], row, "en") or "en"
        except RowError as error:
            problems.append(("original_language", str(error)))
    for field, spec in fields.items():
        try:
            value = _value(spec, row, language)
        except RowError as error:
            problems.append((field, str(error)))
            continue
        if value is not None or field in required_fields(record_type):
            record[field] = value
    if record_type == "offer":
        for field, empty in NULLABLE_ANNEX_I.items():
            record.setdefault(field, list(empty) if isinstance(empty, list) else empty)
    return record, problems


def read_csv(data: bytes, source: str, mapping: ColumnMapping) -> Tuple[List[SourceRecord], List[Issue]]:
    """Records from every row (row 1 is the header, so data rows start at 2) and the problems found."""
    try:
        text = data.decode(mapping.encoding)
    except (UnicodeDecodeError, LookupError) as error:
        raise CatalogueError(f"{source}: cannot decode as {mapping.encoding}: {error}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=mapping.delimiter)
    header = reader.fieldnames or []
    missing = [column for column in mapping.columns() if column not in header]
    if missing:
        return [], [Issue(source, 1, None, f"column(s) {', '.join(map(repr, missing))} named by mapping "
                                           f"{mapping.name} are not in the CSV header")]
    records: List[SourceRecord] = []
    issues: List[Issue] = []
    emitted: set = set()
    for number, row in enumerate(reader, start=2):
        if None in row:
            issues.append(Issue(source, number, None, f"{len(row[None])} more cell(s) than the header has columns"))
            continue
        for record_type in RECORD_TYPES:
            fields = mapping.records.get(record_type)
            if not fields:
                continue
            record, problems = _build(record_type, fields, row)
            record_id = record.get("id") if isinstance(record.get("id"), str) else None
            issues.extend(Issue(source, number, field, reason, record_id) for field, reason in problems)
            if problems:
                continue
            if record_type == "provider":
                if (record_type, record_id) in emitted:
                    continue  # every row names its provider; the first row describes it
                emitted.add((record_type, record_id))
            records.append(SourceRecord(source, number, record, create_only=record_type in mapping.create_only))
    return records, issues
