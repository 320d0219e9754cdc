"""The synthetic generator (benchmarks only) writes valid, clearly marked, reproducible catalogues."""
from __future__ import annotations

import io

from catalogue_index.interchange import parse_jsonl
from catalogue_index.synthetic import write
from catalogue_index.validation import validate_records


def test_synthetic_catalogue_is_valid_marked_and_reproducible(store):
    first, second = io.StringIO(), io.StringIO()
    count = write(300, first, seed=7)
    write(300, second, seed=7)
    assert first.getvalue() == second.getvalue()
    records, problems = parse_jsonl(first.getvalue(), "synthetic.jsonl")
    assert problems == [] and validate_records(records) == [] and len(records) == count
    assert all(r.data["sample"] and "-syn-" in r.data["id"] for r in records)
    report = store.import_records(records, source="synthetic", format="json")
    assert report.created["offer"] == 300 and report.created["pathway"] > 0 and report.created["recognition"] == 10
    modes = store.stats()["offers"]["by_mode"]
    assert set(modes) == {"online", "onsite", "blended"}
