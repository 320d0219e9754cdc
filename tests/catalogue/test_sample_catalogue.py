"""The shipped sample catalogue is valid, marked as sample data, and big and varied enough to guide with."""
import collections
from pathlib import Path

from catalogue_index.importers import load
from catalogue_index.validation import validate_records

SAMPLE = Path(__file__).resolve().parents[2] / "catalogue_index" / "sample"


def test_sample_catalogue_is_valid_varied_and_marked():
    loaded = load(str(SAMPLE))
    assert loaded.issues == []
    assert validate_records(loaded.records) == []
    by_type = collections.defaultdict(list)
    for record in loaded.records:
        by_type[record.data["type"]].append(record.data)
        assert record.data.get("sample") is True, record.data["id"]
    assert len(by_type["offer"]) >= 300 and len(by_type["provider"]) >= 30
    assert len(by_type["pathway"]) >= 20 and len(by_type["recognition"]) >= 30
    countries = {p["country"] for p in by_type["provider"]}
    assert {"RO", "PL", "SI", "LT"} < countries  # and others
    offers = by_type["offer"]
    assert {o["mode"] for o in offers} == {"online", "onsite", "blended"}
    assert {o.get("eqf_level") for o in offers} >= {4, 5, 6, 7, 8}
    assert all(1 <= o["ects"] <= 15 for o in offers if o.get("ects") is not None)
    assert sum(1 for o in offers if len(o["title"]) > 1) > len(offers) / 2  # often also in English
    assert {r["procedure"] for r in by_type["recognition"]} == {"credit_transfer", "rpl", "foreign_credential_recognition"}
