"""Checks records against the JSON Schemas and the rules schemas cannot express; precise messages.

Every problem is an `Issue` naming the source, the record number, the field
path and the reason in plain words ("unknown language code 'xx'", "missing
mandatory element", "expected a number, got the string 'five'"), so a data
writer can fix the line without reading the schema. Nothing here touches the
store: what is already stored is passed in as `KnownIds`.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Set, Tuple

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import ValidationError as SchemaError

from .errors import InvalidCatalogue, Issue
from .interchange import RECORD_TYPES, SourceRecord, language_codes, load_schema

JSON_TYPE_NAMES = {"string": "a string", "number": "a number", "integer": "a whole number", "boolean": "true or false",
                   "object": "an object", "array": "a list", "null": "null"}


@dataclass
class KnownIds:
    """Ids already in the store (references may point at them), with offer ECTS for pathway checks."""

    providers: Set[str] = field(default_factory=set)
    offers: Dict[str, Optional[float]] = field(default_factory=dict)
    pathways: Set[str] = field(default_factory=set)


def _inline(node: Any, document: str) -> Any:
    """The schema with every $ref replaced by its target, so validation follows no references (3x faster)."""
    if isinstance(node, list):
        return [_inline(item, document) for item in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target_document, _, pointer = node["$ref"].partition("#")
        target_name = target_document.split(".")[0] if target_document else document
        target: Any = load_schema(target_name)
        for part in filter(None, pointer.split("/")):
            target = target[part]
        merged = {**_inline(target, target_name), **{k: v for k, v in node.items() if k != "$ref"}}
        return _inline(merged, target_name)
    return {key: _inline(value, document) for key, value in node.items() if key not in ("$id", "$defs")}


def _fast_enum(validator: Any, enums: Any, instance: Any, schema: Any) -> Iterator[SchemaError]:
    """`enum` by set membership for strings (the language list has 184 codes); JSON equality otherwise."""
    if isinstance(instance, str):
        allowed = instance in _enum_set(tuple(e for e in enums if isinstance(e, str)))
    else:  # same type and value: true is not 1
        allowed = any(type(e) is type(instance) and e == instance for e in enums)
    if not allowed:
        yield SchemaError(f"{instance!r} is not one of {enums!r}")


@lru_cache(maxsize=None)
def _enum_set(enums: Tuple[Any, ...]) -> frozenset:
    return frozenset(enums)


@lru_cache(maxsize=None)
def _validator(record_type: str) -> Any:
    fast = validators.extend(Draft202012Validator, {"enum": _fast_enum})
    return fast(_inline(load_schema(record_type), record_type), format_checker=Draft202012Validator.FORMAT_CHECKER)


@lru_cache(maxsize=None)
def _countries() -> frozenset:
    """ISO 3166-1 alpha-2 codes known to CLDR (via Babel), without the non-country ones."""
    from babel import Locale

    codes = {code for code in Locale("en").territories if len(code) == 2 and code.isalpha()}
    return frozenset(codes - {"EU", "EZ", "UN", "ZZ", "QO"})


def _path(parts: Iterable[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        shown = value if len(value) <= 40 else value[:37] + "..."
        return f"the string {shown!r}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    return JSON_TYPE_NAMES.get({list: "array", dict: "object"}.get(type(value), ""), type(value).__name__)


def _expected(types: Any) -> str:
    names = [types] if isinstance(types, str) else list(types)
    return " or ".join(JSON_TYPE_NAMES.get(name, name) for name in names)


def _is_language_enum(schema: Mapping[str, Any]) -> bool:
    return isinstance(schema.get("enum"), list) and set(schema["enum"]) == language_codes()


def _deepest(error: SchemaError) -> SchemaError:
    """For oneOf/anyOf failures, the error of the alternative the value was most likely meant for.

    Alternatives rejected only for their type (e.g. "is not null") are dropped,
    then the one with the fewest errors wins.
    """
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return error
    branches: Dict[Any, List[SchemaError]] = {}
    for child in error.context:
        branches.setdefault(child.relative_schema_path[0], []).append(child)
    candidates = [errors for errors in branches.values()
                  if not (len(errors) == 1 and errors[0].validator == "type" and not errors[0].relative_path)]
    if not candidates:
        return error
    best = min(candidates, key=len)
    best.sort(key=lambda e: (e.validator in ("required", "additionalProperties"), -len(e.absolute_path)))
    return _deepest(best[0])


def _alternative_types(error: SchemaError) -> List[str]:
    """The JSON types a oneOf/anyOf accepts when every alternative failed on type alone; else []."""
    if error.validator not in ("oneOf", "anyOf") or not error.context:
        return []
    branches: Dict[Any, List[SchemaError]] = {}
    for child in error.context:
        branches.setdefault(child.relative_schema_path[0], []).append(child)
    types: List[str] = []
    for errors in branches.values():
        if len(errors) != 1 or errors[0].validator != "type" or errors[0].relative_path:
            return []
        value = errors[0].validator_value
        types.extend([value] if isinstance(value, str) else value)
    return list(dict.fromkeys(types))


def _schema_issue(error: SchemaError, record: SourceRecord) -> Issue:
    if error.validator == "oneOf" and record.type == "recognition" and not error.absolute_path:
        return Issue(record.source, record.number, None, "give exactly one of 'offer' or 'pathway'", record.record_id)
    types = _alternative_types(error)
    if types:
        where = list(error.absolute_path)
        reason = f"expected {_expected(types)}, got {_describe(error.instance)}"
        if where and where[-1] == "price":
            reason = 'expected null, {"free": true} or {"amount": <number>, "currency": "EUR"}'
        return Issue(record.source, record.number, _path(where) or None, reason, record.record_id)
    error = _deepest(error)
    path = list(error.absolute_path)
    validator, value, instance = error.validator, error.validator_value, error.instance
    if validator == "required":
        missing = re.match(r"^'(.+)' is a required property$", error.message)
        name = missing.group(1) if missing else str(value)
        path.append(name)
        reason = "missing mandatory element"
        if record.type == "offer" and len(path) == 1 and name not in ("type", "id", "provider", "original_language", "title", "languages"):
            reason += " (Annex I; null, or [] for a list, if the source does not state it)"
    elif validator == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))
        path.append(extra[0] if extra else "?")
        reason = "unknown field (not in the interchange format; check the spelling)"
    elif validator == "propertyNames" or _is_language_enum(error.schema):
        shown = instance if isinstance(instance, str) else _describe(instance)
        reason = f"unknown language code {shown!r}: use an ISO 639-1 code such as en, ro, pl, sl, lt"
    elif validator == "type":
        reason = f"expected {_expected(value)}, got {_describe(instance)}"
    elif validator == "enum":
        allowed = ", ".join("null" if v is None else str(v) for v in value)
        reason = f"{_describe(instance)} is not allowed; expected one of: {allowed}"
    elif validator == "const":
        reason = f"expected {json.dumps(value)}, got {_describe(instance)}"
    elif validator == "not" and isinstance(value, dict) and list(value) == ["required"]:
        path.append(value["required"][0])
        reason = f"does not belong to a {instance.get('rule', '?')!r} rule"
    elif validator == "pattern":
        reason = f"{_describe(instance)} does not have the expected form ({value})"
        if path and path[-1] == "id":
            reason = f"{_describe(instance)} is not a valid {record.type} id: expected {value}"
    elif validator in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        words = {"minimum": "at least", "maximum": "at most", "exclusiveMinimum": "more than",
                 "exclusiveMaximum": "less than"}[validator]
        reason = f"{_describe(instance)} is out of range: must be {words} {value}"
    elif validator in ("minItems", "minProperties"):
        reason = "must not be empty"
    elif validator == "uniqueItems":
        reason = "contains the same value twice"
    elif validator == "format":
        reason = f"{_describe(instance)} is not a valid {value}"
    elif validator == "minLength":
        reason = "must not be empty"
    else:
        reason = error.message
    return Issue(record.source, record.number, _path(path) or None, reason, record.record_id)


def _language_maps(value: Any, path: Tuple[Any, ...] = ()) -> Iterator[Tuple[Tuple[Any, ...], Mapping[str, str]]]:
    """Every language map inside a (schema-valid) record, with its path."""
    codes = language_codes()
    if isinstance(value, dict):
        if value and all(key in codes for key in value) and all(isinstance(v, str) for v in value.values()):
            yield path, value
            return
        for key, item in value.items():
            yield from _language_maps(item, path + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _language_maps(item, path + (index,))


def _record_rules(record: SourceRecord) -> Iterator[Tuple[str, str]]:
    """Rules on one schema-valid record: (field, reason) pairs."""
    data = record.data
    original = data["original_language"]
    for path, texts in _language_maps(data):
        if original not in texts:
            yield _path(path), (f"has no text in the original language '{original}' "
                                f"(only {', '.join(sorted(texts))}); every text must exist in it as the fallback")
    if record.type == "provider" and data.get("country") and data["country"] not in _countries():
        yield "country", f"unknown country code {data['country']!r}: use ISO 3166-1 alpha-2 (e.g. RO, PL, SI, LT, GR)"
    for start, end in (("start_date", "end_date"), ("valid_from", "valid_until")):
        if data.get(start) and data.get(end) and date.fromisoformat(data[end]) < date.fromisoformat(data[start]):
            yield end, f"{data[end]} is before {start} {data[start]}"
    if record.type == "offer":
        if data.get("self_paced") and (data.get("start_date") or data.get("end_date")):
            yield "self_paced", "a self-paced offer has no start_date or end_date"
        if data["id"] in data.get("prerequisite_offers", []):
            yield "prerequisite_offers", "an offer cannot be its own prerequisite"
    if record.type == "pathway":
        members: Set[str] = set()
        for index, rule in enumerate(data["rules"]):
            members.update(rule["offers"])
            if rule["rule"] == "any_n_of" and rule["n"] > len(rule["offers"]):
                yield f"rules[{index}].n", f"needs {rule['n']} of only {len(rule['offers'])} offers"
        for index, prerequisite in enumerate(data.get("prerequisites", [])):
            for name in [prerequisite["offer"], *prerequisite["requires"]]:
                if name not in members:
                    yield f"prerequisites[{index}]", f"{name!r} is not a component of this pathway (not in any rule)"
            if prerequisite["offer"] in prerequisite["requires"]:
                yield f"prerequisites[{index}]", "an offer cannot require itself"


def _references(record: SourceRecord) -> Iterator[Tuple[str, str, str]]:
    """(field, record type, id) of every reference a schema-valid record makes."""
    data = record.data
    if record.type == "offer":
        yield "provider", "provider", data["provider"]
        for index, body in enumerate(data.get("awarding_bodies", [])):
            yield f"awarding_bodies[{index}]", "provider", body
        for index, other in enumerate(data.get("prerequisite_offers", [])):
            yield f"prerequisite_offers[{index}]", "offer", other
    elif record.type == "pathway":
        yield "awarding_body", "provider", data["awarding_body"]
        for index, rule in enumerate(data["rules"]):
            for position, offer in enumerate(rule["offers"]):
                yield f"rules[{index}].offers[{position}]", "offer", offer
    elif record.type == "recognition":
        yield "recognised_by", "provider", data["recognised_by"]
        if "offer" in data:
            yield "offer", "offer", data["offer"]
        if "pathway" in data:
            yield "pathway", "pathway", data["pathway"]


def validate_records(records: Sequence[SourceRecord], known: Optional[KnownIds] = None) -> List[Issue]:
    """Every problem in `records` (empty list: they can be imported together)."""
    known = known or KnownIds()
    issues: List[Issue] = []
    valid: List[SourceRecord] = []
    for record in records:
        record_type = record.type
        if record_type not in RECORD_TYPES:
            shown = _describe(record.data.get("type")) if "type" in record.data else "nothing"
            issues.append(Issue(record.source, record.number, "type",
                                f"expected one of {', '.join(RECORD_TYPES)}, got {shown}", record.record_id))
            continue
        errors = sorted(_validator(record_type).iter_errors(record.data), key=lambda e: list(map(str, e.absolute_path)))
        if errors:
            issues.extend(_schema_issue(error, record) for error in errors)
            continue
        rule_issues = [Issue(record.source, record.number, name, reason, record.record_id)
                       for name, reason in _record_rules(record)]
        issues.extend(rule_issues)
        if not rule_issues:
            valid.append(record)

    seen: Dict[Tuple[str, str], SourceRecord] = {}
    for record in valid:
        key = (record.type, record.data["id"])
        if key in seen:
            first = seen[key]
            issues.append(Issue(record.source, record.number, "id",
                                f"duplicate id: also {first.source}, record {first.number}", record.record_id))
        else:
            seen[key] = record

    batch: Dict[str, Set[str]] = {name: set() for name in RECORD_TYPES}
    offer_ects: Dict[str, Optional[float]] = dict(known.offers)
    for record in records:  # references may point at records that are themselves broken: report those once
        if record.type in RECORD_TYPES and isinstance(record.data.get("id"), str):
            batch[record.type].add(record.data["id"])
            if record.type == "offer" and isinstance(record.data.get("ects"), (int, float)):
                offer_ects[record.data["id"]] = record.data["ects"]
    available = {"provider": batch["provider"] | known.providers, "offer": batch["offer"] | set(known.offers),
                 "pathway": batch["pathway"] | known.pathways}
    for record in valid:
        for name, target_type, target in _references(record):
            if target not in available[target_type]:
                issues.append(Issue(record.source, record.number, name,
                                    f"refers to {target_type} {target!r}, which is neither in this import nor in the store",
                                    record.record_id))
        if record.type == "pathway":
            for index, rule in enumerate(record.data["rules"]):
                if rule["rule"] != "min_ects_from_set":
                    continue
                credits = [offer_ects.get(offer) for offer in rule["offers"]]
                if all(credit is not None for credit in credits) and sum(credits) < rule["min_ects"]:
                    issues.append(Issue(record.source, record.number, f"rules[{index}].min_ects",
                                        f"{rule['min_ects']} ECTS cannot be reached: its offers total {sum(credits):g} ECTS",
                                        record.record_id))
    return sorted(issues, key=lambda issue: (issue.source, issue.record or 0))


def _filled(record: SourceRecord) -> int:
    return sum(value not in (None, [], {}) for value in record.data.values())


def drop_identical_duplicates(records: Sequence[SourceRecord]) -> Tuple[List[SourceRecord], List[Issue]]:
    """Collapse records that repeat an earlier one (real catalogues have such rows); warn about each.

    Two `create_only` records with one id (a provider seen in several sources)
    are merged silently, keeping the fuller one. Other records that share an id
    but differ are all kept, so `validate_records` reports them.
    """
    first: Dict[Tuple[Any, Any], int] = {}
    kept: List[SourceRecord] = []
    warnings: List[Issue] = []
    for record in records:
        if record.record_id is None:
            kept.append(record)
            continue
        key = (record.type, record.record_id)
        index = first.get(key)
        earlier = kept[index] if index is not None else None
        if earlier is not None and earlier.create_only and record.create_only:
            if _filled(record) > _filled(earlier):
                kept[index] = record
            continue
        if earlier is not None and earlier.data == record.data:
            warnings.append(Issue(record.source, record.number, None,
                                  f"identical repeat of {earlier.source}, record {earlier.number}: ignored",
                                  record.record_id))
            continue
        if index is None:
            first[key] = len(kept)
        kept.append(record)
    return kept, warnings


def count_by_type(records: Iterable[SourceRecord]) -> Dict[str, int]:
    counts = Counter(record.type for record in records)
    return {name: counts.get(name, 0) for name in RECORD_TYPES}


def check(records: Sequence[SourceRecord], issues: Sequence[Issue] = (),
          known: Optional[KnownIds] = None) -> Tuple[List[SourceRecord], List[Issue]]:
    """The records an import would write and the warnings; InvalidCatalogue listing every problem otherwise."""
    unique, warnings = drop_identical_duplicates(records)
    problems = sorted([*issues, *validate_records(unique, known)], key=lambda i: (i.source, i.record or 0))
    if problems:
        raise InvalidCatalogue(problems)
    return unique, warnings
