"""ELM v3 JSON-LD: every official and MyNextID sample yields its learning opportunity with the
Annex I elements the credential states (ECTS, EQF, language, mode, workload, outcomes, provider)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import List

import pytest

from catalogue_index.errors import CatalogueError, InvalidCatalogue
from catalogue_index.importers import load
from catalogue_index.importers.elm import credential_files, hours, weeks
from catalogue_index.validation import check

from .conftest import SHARED_DATA, export_text, import_path, shared

ELM_FOLDERS = ("elm-official", "elm-mynextid")


def jsonld_files() -> List[Path]:
    """Every JSON-LD document in the two sample folders: @context, or a signed / uploadable wrapper of one."""
    found = []
    for folder in ELM_FOLDERS:
        for path in sorted((SHARED_DATA / folder).rglob("*")):
            if path.suffix not in (".json", ".jsonld"):
                continue
            document = json.loads(path.read_text(encoding="utf-8"))
            if any(key in document for key in ("@context", "payload", "credential")):
                found.append(path)
    return found


ANNEX1_MC = dict(provider=("University of Zed", "IE"), ects=2, eqf_level=6, nqf_level="RQF Level 6", languages=["en"],
                 mode="blended", workload_hours=60, outcomes=2, esco=4, assessment_type="artefact_assessment",
                 supervision_verification="unsupervised_no_id_verification", isced_f=["003", "0688"],
                 learning_setting="non_formal", start_date="2023-05-05", duration_weeks=4.3)
CERT_OF_PART = dict(provider=("European Digital Credentials for Learning Support Team", "BE"), ects=None,
                    eqf_level=None, languages=["en"], mode="online", workload_hours=2, outcomes=0,
                    assessment_type="attendance_only", title="EDC Updates Webinar")
MYNEXTID_MC = dict(provider=("NETIS d.o.o.", "SI"), ects=5, eqf_level=6, nqf_level="MECU Level 7", languages=["en"],
                   mode="online", workload_hours=45, outcomes=2, esco=0, assessment_type="assignment",
                   supervision_verification="supervised_with_id_verification")
EXPECTED = {
    "Sample-MC-Annex1-unsigned.jsonld": ANNEX1_MC, "Sample-MC-Annex1-signed.jsonld": ANNEX1_MC,
    "Sample-MC-Annex1-unsigned-uploadable.json": ANNEX1_MC,
    "Sample-CertOfPart-unsigned.jsonld": CERT_OF_PART, "Sample-CertOfPart-signed.jsonld": CERT_OF_PART,
    "Sample-CertOfPart-unsigned-uploadable.json": CERT_OF_PART,
    "edc-mc-example.json": MYNEXTID_MC, "edc-mc-signed.jsonld": MYNEXTID_MC,
    "edc-cas-example.json": dict(provider=("NETIS d.o.o.", "SI"), workload_hours=60, languages=["en"],
                                 assessment_type="attendance_only", start_date="2025-03-19"),
    "edc-coa-example.json": dict(provider=("NETIS d.o.o.", "SI"), workload_hours=60, languages=["en"],
                                 assessment_type="attendance_only", title="Title of your Conference"),
    "edc-cps-example.json": dict(provider=("NETIS d.o.o.", "SI"), workload_hours=100, languages=["en"],
                                 assessment_type="attendance_only", title="Title of Activity"),
    "credential-sample.jsonld": dict(provider=("some legal name of the organistion", "FR"), ects=None, eqf_level=None,
                                     languages=["en"], title="some kind of learning achievement"),
    "open-badge-mc-example.json": dict(provider=("NETIS d.o.o.", None), ects=None, languages=["en"], esco=2,
                                       title="Data Science Fundamentals", assessment_type="project"),
}


def test_every_sample_is_found_and_known():
    shared("elm-official")
    shared("elm-mynextid")
    names = sorted(path.name for path in jsonld_files())
    assert names == sorted(EXPECTED)


@pytest.mark.parametrize("path", jsonld_files() if SHARED_DATA.exists() else [], ids=lambda p: p.name)
def test_each_sample_yields_its_offer(path):
    expected = EXPECTED[path.name]
    loaded = load(str(path))
    assert loaded.format == "elm" and loaded.issues == []
    records, _ = check(loaded.records, loaded.issues)
    offers = [r.data for r in records if r.type == "offer"]
    providers = {r.data["id"]: r.data for r in records if r.type == "provider"}
    assert len(offers) == 1
    offer = offers[0]
    provider = providers[offer["provider"]]
    assert (provider["name"]["en"], provider["country"]) == expected["provider"]
    assert offer["languages"] == expected["languages"]
    for field in ("ects", "eqf_level", "nqf_level", "mode", "workload_hours", "assessment_type",
                  "supervision_verification", "isced_f", "learning_setting", "start_date", "duration_weeks"):
        if field in expected:
            assert offer.get(field) == expected[field], field
    if "outcomes" in expected:
        assert len(offer["learning_outcomes"]) == expected["outcomes"]
    if "esco" in expected:
        assert sum("esco_uri" in skill for skill in offer.get("skills", [])) == expected["esco"]
    if "title" in expected:
        assert offer["title"]["en"] == expected["title"]


def test_annex1_sample_keeps_outcome_texts_and_entry_requirements():
    path = shared("elm-official/jsonld-v3/Sample-MC-Annex1-unsigned.jsonld")
    offer = next(r.data for r in load(str(path)).records if r.type == "offer")
    assert offer["title"] == {"en": "Digital micro-credential creation"}
    assert offer["learning_outcomes"][1] == {"en": "Developing digital content", "es": "Contento digital"}
    assert "EU Login" in offer["prerequisites"]["en"]
    assert {"label": {"en": "develop digital content"},
            "esco_uri": "http://data.europa.eu/esco/skill/5fd5c985-eaaa-47aa-8314-62359c54505a"} in offer["skills"]


def test_open_badge_credits_are_noted_not_guessed_as_ects():
    path = shared("elm-mynextid/microcredential/v1/open-badge/examples/open-badge-mc-example.json")
    offer = next(r.data for r in load(str(path)).records if r.type == "offer")
    assert offer["ects"] is None
    assert "Credits available: 5" in offer["further_information"]["en"]


def test_both_folders_import_into_one_store_and_round_trip(store, store_factory, tmp_path):
    created = [import_path(store, shared(folder), format="elm").created for folder in ELM_FOLDERS]
    assert [c["offer"] for c in created] == [3, 4]  # signed/unsigned/uploadable copies are one offer
    counts = store.stats()["counts"]
    assert counts["offer"] == 7 and counts["provider"] == 4
    netis = next(r for r in store.iter_records() if r["id"] == "prv-netis-d-o-o")
    assert netis["country"] == "SI"  # the fuller record won over the Open Badge's bare profile
    again = import_path(store, shared("elm-mynextid"), format="elm")
    assert sum(again.created.values()) == sum(again.updated.values()) == 0
    text = export_text(store)
    (tmp_path / "elm.jsonl").write_text(text, encoding="utf-8")
    other = store_factory("other")
    import_path(other, tmp_path / "elm.jsonl")
    assert export_text(other) == text


def test_a_provider_derived_from_a_credential_never_overwrites_the_stored_one(store, tmp_path):
    own = {"type": "provider", "id": "prv-netis-d-o-o", "original_language": "sl", "name": {"sl": "NETIS d.o.o."},
           "country": "SI", "provider_type": "employer", "qa_status": "certified"}
    (tmp_path / "p.jsonl").write_text(json.dumps(own) + "\n", encoding="utf-8")
    import_path(store, tmp_path / "p.jsonl")
    import_path(store, shared("elm-mynextid/microcredential/v1/edc/examples/edc-mc-example.json"))
    stored = next(r for r in store.iter_records() if r["id"] == "prv-netis-d-o-o")
    assert stored["provider_type"] == "employer" and stored["original_language"] == "sl"


def test_non_credentials_are_rejected_clearly(store, tmp_path):
    path = shared("elm-mynextid/microcredential/v1/input-fields/example.json")
    with pytest.raises(InvalidCatalogue, match="not an ELM credential"):
        import_path(store, path, format="elm")
    _, skipped = credential_files(shared("elm-mynextid"))
    assert path in skipped
    (tmp_path / "x.jsonld").write_text("{not json", encoding="utf-8")
    with pytest.raises(InvalidCatalogue, match="not valid JSON"):
        import_path(store, tmp_path / "x.jsonld")
    with pytest.raises(CatalogueError, match="no ELM credentials"):
        import_path(store, tmp_path, format="elm")


@pytest.mark.parametrize("text, expected", [("PT60H", 60), ("PT1H30M", 1.5), ("P60M", None), ("", None), ("PT0H", None)])
def test_workload_durations_are_read_only_when_unambiguous(text, expected):
    assert hours(text) == expected


@pytest.mark.parametrize("text, expected", [("P1M", 4.3), ("P6W", 6), ("P14D", 2), ("P1Y", 52.2), ("PT3H", None)])
def test_durations_in_weeks(text, expected):
    assert weeks(text) == expected
