"""JSON Lines import: idempotent upserts, all-or-nothing writes, and a lossless export round trip."""
from __future__ import annotations

import json
import shutil

import pytest

from catalogue_index import codec
from catalogue_index.errors import CatalogueError, InvalidCatalogue
from catalogue_index.importers import load
from catalogue_index.interchange import canonical
from catalogue_index.models import Offer

from .conftest import EXAMPLES, FIXTURES, export_text, import_path


def test_reimporting_the_same_file_changes_nothing(filled_store):
    before = export_text(filled_store)
    report = import_path(filled_store, FIXTURES / "valid.jsonl")
    assert sum(report.created.values()) == sum(report.updated.values()) == 0
    assert report.unchanged == {"provider": 3, "offer": 4, "pathway": 1, "recognition": 2}
    assert export_text(filled_store) == before


def test_a_changed_record_is_updated_in_place(filled_store, tmp_path):
    lines = (FIXTURES / "valid.jsonl").read_text(encoding="utf-8").splitlines()
    offer = json.loads(lines[3])
    offer["title"]["en"] = "Cybersecurity fundamentals"
    offer["languages"] = ["pl"]
    offer["skills"] = []
    (tmp_path / "one.jsonl").write_text(json.dumps(offer, ensure_ascii=False) + "\n", encoding="utf-8")
    report = import_path(filled_store, tmp_path / "one.jsonl")
    assert report.updated["offer"] == 1
    stored = filled_store.get(Offer, offer["id"])
    assert stored["title"]["en"] == "Cybersecurity fundamentals"
    assert stored["languages"] == ["pl"] and "skills" not in stored
    assert filled_store.stats()["counts"]["offer"] == 4


def test_export_then_import_gives_the_same_catalogue(filled_store, tmp_path, store_factory):
    first = export_text(filled_store)
    (tmp_path / "export.jsonl").write_text(first, encoding="utf-8")
    other = store_factory("other")
    import_path(other, tmp_path / "export.jsonl")
    assert export_text(other) == first
    # and the export is the canonical form of what was imported
    source = [canonical(json.loads(line)) for line in (FIXTURES / "valid.jsonl").read_text("utf-8").splitlines()]
    exported = [json.loads(line) for line in first.splitlines()]
    assert sorted(map(json.dumps, source)) == sorted(map(json.dumps, exported))


def test_examples_round_trip_byte_for_byte(store, tmp_path, store_factory):
    import_path(store, EXAMPLES)
    first = export_text(store)
    assert [json.loads(line) for line in first.splitlines()] == sorted(
        (canonical(json.loads(line)) for line in EXAMPLES.read_text("utf-8").splitlines()),
        key=lambda r: (["provider", "offer", "pathway", "recognition"].index(r["type"]), r["id"]))
    (tmp_path / "x.jsonl").write_text(first, encoding="utf-8")
    again = store_factory("again")
    import_path(again, tmp_path / "x.jsonl")
    assert export_text(again) == first


def test_a_database_failure_half_way_writes_nothing(filled_store, monkeypatch):
    before = export_text(filled_store)
    original = codec.apply_record
    calls = {"n": 0}

    def failing(session, model, data, row, create_only=False):
        calls["n"] += 1
        if data["type"] == "pathway":
            raise CatalogueError("simulated failure after offers were flushed")
        return original(session, model, data, row, create_only)

    monkeypatch.setattr("catalogue_index.store.apply_record", failing)
    loaded = load(str(EXAMPLES))
    with pytest.raises(CatalogueError):
        filled_store.import_records(loaded.records, source="x", format="json")
    assert calls["n"] > 4  # providers and offers had been written to the transaction
    assert export_text(filled_store) == before


def test_a_record_the_database_refuses_rolls_everything_back(filled_store, monkeypatch):
    """Even past validation (switched off here), the database's own checks keep the import atomic."""
    before = export_text(filled_store)
    monkeypatch.setattr("catalogue_index.store.check", lambda records, issues, known: (list(records), []))
    loaded = load(str(EXAMPLES))
    offer = next(r for r in loaded.records if r.type == "offer")
    offer.data["provider"] = "prv-not-in-the-store"
    with pytest.raises(CatalogueError, match="the store rejected the import, nothing was written"):
        filled_store.import_records(loaded.records, source="x", format="json")
    assert export_text(filled_store) == before


def test_a_folder_is_one_import_and_examples_are_left_out(store, tmp_path):
    folder = tmp_path / "sample"
    folder.mkdir()
    lines = (FIXTURES / "valid.jsonl").read_text("utf-8").splitlines()
    (folder / "recognition.jsonl").write_text("\n".join(lines[-2:]) + "\n", encoding="utf-8")
    (folder / "providers.jsonl").write_text("\n".join(lines[:3]) + "\n", encoding="utf-8")
    (folder / "offers-pl.jsonl").write_text("\n".join(lines[3:-3]) + "\n", encoding="utf-8")
    (folder / "pathways.jsonl").write_text(lines[-3] + "\n", encoding="utf-8")
    shutil.copy(EXAMPLES, folder / "EXAMPLES.jsonl")
    report = import_path(store, folder)
    assert report.created == {"provider": 3, "offer": 4, "pathway": 1, "recognition": 2}


def test_a_bad_file_in_a_folder_rejects_the_whole_folder(store, tmp_path):
    folder = tmp_path / "sample"
    folder.mkdir()
    shutil.copy(FIXTURES / "valid.jsonl", folder / "a.jsonl")
    (folder / "b.jsonl").write_text('{"type": "offer",\n', encoding="utf-8")
    with pytest.raises(InvalidCatalogue) as caught:
        import_path(store, folder)
    assert [(i.source.endswith("b.jsonl"), i.record) for i in caught.value.issues] == [(True, 1)]
    assert store.stats()["counts"]["offer"] == 0


def test_dry_run_reports_without_writing(store):
    loaded = load(str(FIXTURES / "valid.jsonl"))
    report = store.import_records(loaded.records, source="x", format="json", dry_run=True)
    assert report.created["offer"] == 4 and report.dry_run
    assert store.stats()["counts"]["offer"] == 0


def test_references_may_point_into_the_store(filled_store, tmp_path):
    record = json.loads((FIXTURES / "valid.jsonl").read_text("utf-8").splitlines()[3])
    record.update(id="ofr-pw-test-new", prerequisite_offers=["ofr-acme-test-excel"])
    (tmp_path / "new.jsonl").write_text(json.dumps(record, ensure_ascii=False) + "\n", encoding="utf-8")
    assert import_path(filled_store, tmp_path / "new.jsonl").created["offer"] == 1


def test_not_utf8_and_missing_file_are_clear_errors(store, tmp_path):
    (tmp_path / "latin1.jsonl").write_bytes('{"title": "Café"}'.encode("latin-1"))
    with pytest.raises(CatalogueError, match="not UTF-8"):
        import_path(store, tmp_path / "latin1.jsonl")
    with pytest.raises(CatalogueError, match="no such file"):
        import_path(store, tmp_path / "missing.jsonl")
