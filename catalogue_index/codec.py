"""Between interchange records (dicts) and ORM rows, both ways, so export -> import is lossless.

`to_record` gives the canonical record of a stored row (what export writes);
`apply_record` writes a validated record into a row, replacing its child rows.
"""
from __future__ import annotations

from datetime import date
from typing import Any, Callable, Dict, Mapping, Optional, Type

from sqlalchemy.orm import Session

from .interchange import Record, canonical
from .models import (Base, LearningOutcome, Offer, OfferAwardingBody, OfferField, OfferLanguage, OfferPrerequisite,
                     OfferSkill, Pathway, PathwayPrerequisite, PathwayRule, PathwayRuleOffer, Provider,
                     RecognitionStatement)

PROVIDER_FIELDS = ("name", "short_name", "description", "country", "region", "provider_type", "qa_status",
                   "accrediting_body", "deqar_id", "url")
OFFER_FIELDS = ("title", "description", "ects", "workload_hours", "eqf_level", "nqf_level", "cycle", "learning_setting",
                "assessment_type", "assessment_description", "mode", "work_based", "qa_type", "qa_description",
                "prerequisites", "supervision_verification", "stackability", "stackable_towards",
                "further_information", "self_paced", "duration_weeks", "url")
PATHWAY_FIELDS = ("title", "description", "eqf_level", "ects", "entry_requirements", "url")
RECOGNITION_FIELDS = ("recognised_as", "ects_recognised", "procedure", "conditions", "url")
DATE_FIELDS = ("start_date", "end_date", "valid_from", "valid_until")
NUMBER_FIELDS = ("ects", "workload_hours", "duration_weeks", "ects_recognised")


def _number(value: Optional[float]) -> Optional[float]:
    """5.0 -> 5, so exported numbers read like the hand-written ones."""
    if value is None:
        return None
    value = float(value)
    return int(value) if value.is_integer() else value


def _date(value: Optional[str]) -> Optional[date]:
    return date.fromisoformat(value) if value else None


def _iso(value: Optional[date]) -> Optional[str]:
    return value.isoformat() if value else None


def _scalars(row: Base, names, data: Mapping[str, Any]) -> None:
    for name in names:
        setattr(row, name, data.get(name))


def _common(row: Base, data: Mapping[str, Any]) -> None:
    row.original_language = data["original_language"]
    row.sample = bool(data.get("sample", False))


# -- record -> row ---------------------------------------------------------------------------------------------------

def _apply_provider(row: Provider, data: Mapping[str, Any]) -> None:
    _common(row, data)
    _scalars(row, PROVIDER_FIELDS, data)


def _apply_offer(row: Offer, data: Mapping[str, Any]) -> None:
    _common(row, data)
    _scalars(row, OFFER_FIELDS, data)
    row.provider_id = data["provider"]
    row.start_date, row.end_date = _date(data.get("start_date")), _date(data.get("end_date"))
    price = data.get("price")
    row.price_free = None if price is None else bool(price.get("free", False))
    row.price_amount = None if price is None else price.get("amount")
    row.price_currency = None if price is None else price.get("currency")
    row.price_note = None if price is None else price.get("note")
    row.language_rows = [OfferLanguage(position=i, language=code) for i, code in enumerate(data["languages"])]
    row.awarding_body_rows = [OfferAwardingBody(position=i, provider_id=body)
                              for i, body in enumerate(data["awarding_bodies"])]
    row.outcome_rows = [LearningOutcome(position=i, text=text) for i, text in enumerate(data["learning_outcomes"])]
    row.skill_rows = [OfferSkill(position=i, label=skill["label"], esco_uri=skill.get("esco_uri"))
                      for i, skill in enumerate(data.get("skills", []))]
    row.field_rows = [OfferField(position=i, code=code) for i, code in enumerate(data.get("isced_f", []))]
    row.prerequisite_rows = [OfferPrerequisite(position=i, required_offer_id=other)
                             for i, other in enumerate(data.get("prerequisite_offers", []))]


def _apply_pathway(row: Pathway, data: Mapping[str, Any]) -> None:
    _common(row, data)
    _scalars(row, PATHWAY_FIELDS, data)
    row.awarding_body_id = data["awarding_body"]
    row.rules = [PathwayRule(position=i, rule=rule["rule"], n=rule.get("n"), min_ects=rule.get("min_ects"),
                             label=rule.get("label"),
                             offer_rows=[PathwayRuleOffer(position=j, offer_id=offer)
                                         for j, offer in enumerate(rule["offers"])])
                 for i, rule in enumerate(data["rules"])]
    pairs = [(item["offer"], required) for item in data.get("prerequisites", []) for required in item["requires"]]
    row.prerequisite_rows = [PathwayPrerequisite(position=i, offer_id=offer, required_offer_id=required)
                             for i, (offer, required) in enumerate(pairs)]


def _apply_recognition(row: RecognitionStatement, data: Mapping[str, Any]) -> None:
    _common(row, data)
    _scalars(row, RECOGNITION_FIELDS, data)
    row.recognised_by_id = data["recognised_by"]
    row.offer_id, row.pathway_id = data.get("offer"), data.get("pathway")
    row.valid_from, row.valid_until = _date(data.get("valid_from")), _date(data.get("valid_until"))


# -- row -> record ---------------------------------------------------------------------------------------------------

def _provider_record(row: Provider) -> Record:
    return {"type": "provider", "id": row.id, "sample": row.sample, "original_language": row.original_language,
            **{name: getattr(row, name) for name in PROVIDER_FIELDS}}


def _offer_record(row: Offer) -> Record:
    price: Optional[Dict[str, Any]] = None
    if row.price_free:
        price = {"free": True}
    elif row.price_free is not None:
        price = {"amount": _number(row.price_amount), "currency": row.price_currency}
    if price is not None and row.price_note:
        price["note"] = row.price_note
    record = {"type": "offer", "id": row.id, "sample": row.sample, "provider": row.provider_id,
              "awarding_bodies": row.awarding_body_ids, "original_language": row.original_language,
              **{name: getattr(row, name) for name in OFFER_FIELDS},
              "learning_outcomes": [outcome.text for outcome in row.outcome_rows],
              "languages": row.languages,
              "prerequisite_offers": row.prerequisite_offer_ids,
              "start_date": _iso(row.start_date), "end_date": _iso(row.end_date), "price": price,
              "isced_f": row.isced_f,
              "skills": [{"label": s.label, **({"esco_uri": s.esco_uri} if s.esco_uri else {})} for s in row.skill_rows]}
    return record


def _pathway_record(row: Pathway) -> Record:
    rules = []
    for rule in row.rules:
        item: Dict[str, Any] = {"rule": rule.rule}
        if rule.label:
            item["label"] = rule.label
        item["offers"] = rule.offer_ids
        if rule.n is not None:
            item["n"] = rule.n
        if rule.min_ects is not None:
            item["min_ects"] = _number(rule.min_ects)
        rules.append(item)
    grouped: Dict[str, list] = {}
    for pair in row.prerequisite_rows:
        grouped.setdefault(pair.offer_id, []).append(pair.required_offer_id)
    return {"type": "pathway", "id": row.id, "sample": row.sample, "original_language": row.original_language,
            **{name: getattr(row, name) for name in PATHWAY_FIELDS}, "awarding_body": row.awarding_body_id,
            "rules": rules, "prerequisites": [{"offer": offer, "requires": req} for offer, req in grouped.items()]}


def _recognition_record(row: RecognitionStatement) -> Record:
    record = {"type": "recognition", "id": row.id, "sample": row.sample, "original_language": row.original_language,
              "recognised_by": row.recognised_by_id, **{name: getattr(row, name) for name in RECOGNITION_FIELDS},
              "valid_from": _iso(row.valid_from), "valid_until": _iso(row.valid_until)}
    if row.offer_id:
        record["offer"] = row.offer_id
    else:
        record["pathway"] = row.pathway_id
    return record


APPLY: Dict[str, Callable[[Any, Mapping[str, Any]], None]] = {
    "provider": _apply_provider, "offer": _apply_offer, "pathway": _apply_pathway, "recognition": _apply_recognition}
TO_RECORD: Dict[Type[Base], Callable[[Any], Record]] = {
    Provider: _provider_record, Offer: _offer_record, Pathway: _pathway_record, RecognitionStatement: _recognition_record}


def to_record(row: Base) -> Record:
    """The canonical interchange record of a stored row."""
    record = TO_RECORD[type(row)](row)
    for name in NUMBER_FIELDS:
        if name in record:
            record[name] = _number(record[name])
    return canonical(record)


def apply_record(session: Session, model: Type[Base], data: Mapping[str, Any], row: Optional[Base],
                 create_only: bool = False) -> str:
    """Insert the record, or update `row` (the stored one with its id); 'created', 'updated' or 'unchanged'.

    With `create_only`, an existing row is left as it is.
    """
    wanted = canonical(data)
    if row is None:
        row = model(id=wanted["id"])
        APPLY[wanted["type"]](row, wanted)
        session.add(row)
        return "created"
    if create_only or to_record(row) == _comparable(wanted):
        return "unchanged"
    APPLY[wanted["type"]](row, wanted)
    return "updated"


def _comparable(record: Record) -> Record:
    """Numbers as export writes them, so 5 and 5.0 compare equal and unchanged rows stay untouched."""
    return {key: (_number(value) if key in NUMBER_FIELDS else value) for key, value in record.items()}
