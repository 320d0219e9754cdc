"""CSV with a declared column mapping, proven on the real edX catalogue (../shared/data/edx-courses)."""
from __future__ import annotations

import pytest

from catalogue_index.errors import CatalogueError, InvalidCatalogue
from catalogue_index.importers import load
from catalogue_index.importers.csv_mapping import load_mapping, parse_mapping, read_csv, slug
from catalogue_index.models import Offer, Provider

from .conftest import EDX_MAPPING, FIXTURES, export_text, import_path, shared


def edx_csv():
    return shared("edx-courses/edx_courses.csv")


def test_the_whole_edx_catalogue_imports_with_its_mapping(store):
    report = import_path(store, edx_csv(), mapping=str(EDX_MAPPING))
    assert report.created["offer"] == 974  # 975 rows, one of them an exact repeat
    assert report.created["provider"] == 111
    assert [w.record for w in report.warnings] == [97]
    assert "identical repeat" in report.warnings[0].reason
    stats = store.stats()
    assert stats["offers"]["by_language"]["en"] == 776 and stats["offers"]["by_language"]["es"] == 176
    assert stats["offers"]["by_mode"] == {"online": 974}


def test_edx_fields_are_mapped_and_unstated_annex_i_elements_stay_null(store):
    import_path(store, edx_csv(), mapping=str(EDX_MAPPING))
    offer = store.get(Offer, "ofr-edx-edx-how-to-learn-online")
    assert offer["title"] == {"en": "How to Learn Online"}
    assert offer["self_paced"] is True and offer["duration_weeks"] == 2
    assert offer["workload_hours"] == 5  # 2–3 hours per week for 2 weeks
    assert offer["price"] == {"free": True, "note": {"en": "FREE-Add a Verified Certificate for $49 USD"}}
    assert offer["isced_f"] == ["011"]
    assert offer["url"] == "https://www.edx.org/course/how-to-learn-online"
    for field in ("ects", "eqf_level", "assessment_type", "qa_type"):
        assert offer[field] is None
    assert offer["learning_outcomes"] == []
    assert store.get(Provider, "prv-edx-edx")["country"] is None
    spanish = [r for r in store.iter_records() if r["type"] == "offer" and r["original_language"] == "es"]
    assert len(spanish) == 176 and all(set(r["title"]) == {"es"} for r in spanish)


def test_edx_reimport_is_idempotent(store):
    import_path(store, edx_csv(), mapping=str(EDX_MAPPING))
    before = export_text(store)
    report = import_path(store, edx_csv(), mapping=str(EDX_MAPPING))
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert export_text(store) == before


def test_tiny_csv_uses_maps_converters_and_templates(store):
    report = import_path(store, FIXTURES / "tiny.csv", mapping=str(FIXTURES / "tiny_mapping.yml"))
    assert report.created == {"provider": 1, "offer": 2, "pathway": 0, "recognition": 0}
    offer = store.get(Offer, "ofr-csv-test-academy-102")
    assert offer["original_language"] == "pl" and offer["title"] == {"pl": "Analiza danych"}
    assert (offer["eqf_level"], offer["mode"], offer["ects"], offer["workload_hours"]) == (6, "blended", 3, 75)
    assert offer["price"] == {"amount": 120, "currency": "EUR"}
    assert store.get(Offer, "ofr-csv-test-academy-101")["price"]["free"] is True


def test_bad_rows_are_named_by_row_and_field_and_nothing_is_written(store):
    with pytest.raises(InvalidCatalogue) as caught:
        import_path(store, FIXTURES / "bad_rows.csv", mapping=str(FIXTURES / "tiny_mapping.yml"))
    found = [(i.record, i.field, i.reason) for i in caught.value.issues]
    assert (3, "original_language", "value 'Klingon' is not in the mapping's map") in found
    assert (4, "workload_hours", "no number in 'lots'") in found
    assert store.stats()["counts"]["offer"] == 0


def test_a_column_missing_from_the_header_is_reported(tmp_path):
    mapping = load_mapping(str(FIXTURES / "tiny_mapping.yml"))
    records, issues = read_csv(b"code,name\n1,x\n", "x.csv", mapping)
    assert records == [] and "are not in the CSV header" in issues[0].reason and issues[0].record == 1


@pytest.mark.parametrize("text, message", [
    ("records: {}", "format: orienta-csv-mapping"),
    ("format: orienta-csv-mapping\nversion: 2\nrecords: {offer: {id: {value: x}}}", "unsupported version"),
    ("format: orienta-csv-mapping\nversion: 1\nrecords: {course: {id: {value: x}}}", "unknown record type"),
    ("format: orienta-csv-mapping\nversion: 1\nrecords: {offer: {title: {column: t}}}", "needs at least an 'id'"),
    ("format: orienta-csv-mapping\nversion: 1\nrecords: {offer: {id: {column: a, value: b}}}", "exactly one of"),
    ("format: orienta-csv-mapping\nversion: 1\nrecords: {offer: {id: {column: a, convert: magic}}}", "convert must be"),
    ("format: [", "not valid YAML"),
])
def test_mapping_files_are_checked(text, message):
    with pytest.raises(CatalogueError, match=message):
        parse_mapping(text, "m.yml")


def test_csv_needs_a_mapping(tmp_path):
    with pytest.raises(CatalogueError, match="needs --mapping"):
        load(str(FIXTURES / "tiny.csv"))


def test_slug():
    assert slug("Universitat Politècnica de València") == "universitat-politecnica-de-valencia"
    assert slug("Łódź — Żółć", 9) == "lodz-zolc"
    assert len(slug("x" * 100, 60)) == 60
