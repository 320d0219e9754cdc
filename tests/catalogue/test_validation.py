"""A broken file is rejected with a precise message (file, record, field, reason) and changes nothing."""
from __future__ import annotations

import json

import pytest

from catalogue_index.errors import InvalidCatalogue
from catalogue_index.interchange import parse_jsonl
from catalogue_index.validation import KnownIds, validate_records

from .conftest import EXAMPLES, FIXTURES, export_text, import_path

BROKEN = {
    "broken_json.jsonl": (2, None, "invalid JSON"),
    "missing_title.jsonl": (2, "title", "missing mandatory element"),
    "missing_eqf.jsonl": (2, "eqf_level", "missing mandatory element (Annex I"),
    "wrong_type.jsonl": (2, "ects", "expected a number or null, got the string 'five'"),
    "unknown_language.jsonl": (2, "languages[1]", "unknown language code 'xx'"),
    "dangling_reference.jsonl": (2, "provider", "refers to provider 'prv-nowhere'"),
    "duplicate_id.jsonl": (2, "id", "duplicate id: also"),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_file_is_rejected_precisely_and_the_store_is_unchanged(filled_store, name):
    before = export_text(filled_store)
    stats_before = filled_store.stats()["counts"]
    with pytest.raises(InvalidCatalogue) as caught:
        import_path(filled_store, FIXTURES / name)
    record, field, reason = BROKEN[name]
    issues = caught.value.issues
    assert len(issues) == 1, issues
    issue = issues[0]
    assert issue.source.endswith(name)
    assert (issue.record, issue.field) == (record, field)
    assert reason in issue.reason
    assert f"{name}, record {record}" in str(caught.value)
    # the valid first line of the file was not written either
    assert export_text(filled_store) == before
    assert filled_store.stats()["counts"] == stats_before


def _offer(**changes):
    record = json.loads(EXAMPLES.read_text(encoding="utf-8").splitlines()[2])
    record.update(changes)
    return record


def _issues(*records, known=None):
    text = "\n".join(json.dumps(record, ensure_ascii=False) for record in records)
    parsed, problems = parse_jsonl(text, "t.jsonl")
    return problems + validate_records(parsed, known or KnownIds(providers={"prv-uts"}))


@pytest.mark.parametrize("changes, field, reason", [
    ({"eqf_level": 9}, "eqf_level", "out of range: must be at most 8"),
    ({"eqf_level": "6"}, "eqf_level", "expected a whole number or null"),
    ({"mode": "hybrid"}, "mode", "expected one of: online, onsite, blended"),
    ({"original_language": "zz"}, "original_language", "unknown language code 'zz'"),
    ({"title": {"ro": "T", "xx": "T"}}, "title", "unknown language code 'xx'"),
    ({"title": {"en": "Only English"}}, "title", "no text in the original language 'ro'"),
    ({"colour": "blue"}, "colour", "unknown field"),
    ({"id": "Ofr Bad"}, "id", "not a valid offer id"),
    ({"start_date": "2025-02-30"}, "start_date", "not a valid date"),
    ({"end_date": "2024-01-01"}, "end_date", "is before start_date"),
    ({"price": {"amount": 10}}, "price.currency", "missing mandatory element"),
    ({"price": "cheap"}, "price", 'expected null, {"free": true}'),
    ({"self_paced": True}, "self_paced", "has no start_date or end_date"),
    ({"skills": [{"label": {"ro": "x"}, "esco_uri": "https://example.com/skill"}]}, "skills[0].esco_uri",
     "does not have the expected form"),
])
def test_offer_problems_are_named_precisely(changes, field, reason):
    problems = _issues(_offer(prerequisite_offers=[], **changes))
    assert [(p.field, p.record) for p in problems] == [(field, 1)], problems
    assert reason in problems[0].reason


def test_recognition_needs_exactly_one_subject():
    base = json.loads(EXAMPLES.read_text(encoding="utf-8").splitlines()[6])
    both = dict(base, pathway="pth-x")
    neither = {k: v for k, v in base.items() if k != "offer"}
    for record in (both, neither):
        problems = _issues(record, known=KnownIds(providers={"prv-uts"}, offers={base["offer"]: 3}))
        assert [p.reason for p in problems] == ["give exactly one of 'offer' or 'pathway'"]


def test_pathway_rules_are_checked():
    lines = EXAMPLES.read_text(encoding="utf-8").splitlines()
    pathway = json.loads(lines[4])
    pathway["rules"][1]["min_ects"] = 30
    pathway["rules"].append({"rule": "any_n_of", "n": 5, "offers": ["ofr-uts-python-data-analysis"]})
    pathway["rules"].append({"rule": "all_of", "n": 1, "offers": ["ofr-uts-python-data-analysis"]})
    known = KnownIds(providers={"prv-uts"}, offers={"ofr-uts-python-data-analysis": 5,
                                                    "ofr-saules-tinklai-akademija-pv-monitoring": 3})
    problems = _issues(pathway, known=known)
    assert [(p.field, p.reason) for p in problems] == [("rules[3].n", "does not belong to a 'all_of' rule")]
    del pathway["rules"][3]
    problems = _issues(pathway, known=known)
    assert [(p.field, p.reason) for p in problems] == [("rules[2].n", "needs 5 of only 1 offers")]
    del pathway["rules"][2]
    problems = _issues(pathway, known=known)
    assert [(p.field, p.reason) for p in problems] == [
        ("rules[1].min_ects", "30 ECTS cannot be reached: its offers total 3 ECTS")]


def test_not_an_object_and_unknown_type():
    parsed, problems = parse_jsonl('[1, 2]\n{"type": "course", "id": "x"}\n', "t.jsonl")
    problems += validate_records(parsed)
    assert [(p.record, p.field) for p in problems] == [(1, None), (2, "type")]
    assert "must be a JSON object" in problems[0].reason


def test_examples_are_valid_and_self_contained():
    parsed, problems = parse_jsonl(EXAMPLES.read_text(encoding="utf-8"), "EXAMPLES.jsonl")
    assert problems == [] and validate_records(parsed) == []
    assert sorted(record.type for record in parsed) == sorted(["provider", "offer", "pathway", "recognition"] * 2)
