"""The labelled search query set is well-formed, and the ranking metrics compute what they claim.

Fast (no model, no store): reads tests/search_bench/queries.yml and the sample offer files directly,
so a renamed or removed offer, a typo in an id or a filter, or a wrong cross-lingual flag fails here
rather than silently lowering the benchmark's numbers.
"""
import json
import math
from collections import Counter
from pathlib import Path

import pytest
import yaml

from catalogue_index.filters import parse_filter_args
from catalogue_index.relevance import dcg, mean, ndcg_at_k, recall_at_k, reciprocal_rank

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "catalogue_index" / "sample"
QUERIES = ROOT / "tests" / "search_bench" / "queries.yml"
LANGUAGES = ("en", "ro", "pl", "sl", "lt")


def _records(pattern):
    for path in sorted(SAMPLE.glob(pattern)):
        if path.name == "EXAMPLES.jsonl":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                yield json.loads(line)


@pytest.fixture(scope="module")
def offers():
    return {r["id"]: r for r in _records("offers-*.jsonl")}


@pytest.fixture(scope="module")
def countries():
    return {r["id"]: r.get("country") for r in _records("providers-*.jsonl")}


@pytest.fixture(scope="module")
def queries():
    return yaml.safe_load(QUERIES.read_text(encoding="utf-8"))["queries"]


def _text_languages(offer):
    return {offer["original_language"], *(offer.get("title") or {}), *(offer.get("description") or {})}


def test_sample_catalogue_is_the_one_labelled(offers):
    assert len(offers) == 371


def test_counts(queries):
    assert len(queries) >= 110
    per_language = Counter(q["language"] for q in queries)
    assert set(per_language) == set(LANGUAGES)
    assert all(per_language[language] >= 22 for language in LANGUAGES), per_language
    assert sum(bool(q["cross_lingual"]) for q in queries) * 3 >= len(queries)
    assert sum(bool(q.get("filters")) for q in queries) >= 15
    texts = " ".join(q["query"].lower() for q in queries)
    assert all(term in texts for term in ("excel", "autocad", "python", "power bi", "ksef"))


def test_each_query_is_well_formed(queries, offers):
    assert len({q["id"] for q in queries}) == len(queries)
    for query in queries:
        assert set(query) <= {"id", "language", "query", "filters", "cross_lingual", "relevant"}, query["id"]
        assert query["query"].strip() and isinstance(query["cross_lingual"], bool), query["id"]
        parse_filter_args(query.get("filters") or [])  # raises ValueError on a bad filter
        relevant = query["relevant"]
        assert relevant, query["id"]
        for offer_id, grade in relevant.items():
            assert offer_id in offers, f"{query['id']}: no offer {offer_id}"
            assert grade in (1, 2, 3), f"{query['id']}: grade {grade} for {offer_id}"
        assert any(grade >= 2 for grade in relevant.values()), query["id"]


def test_graded_offers_meet_the_query_filters(queries, offers, countries):
    for query in queries:
        filters = parse_filter_args(query.get("filters") or [])
        for offer_id in query["relevant"]:
            offer = offers[offer_id]
            where = f"{query['id']}: {offer_id}"
            if filters.languages:
                assert set(filters.languages) & set(offer["languages"]), where
            if filters.mode:
                assert offer.get("mode") == filters.mode, where
            if filters.country:
                assert countries[offer["provider"]] == filters.country, where
            if filters.free:
                assert (offer.get("price") or {}).get("free") is True, where


def test_cross_lingual_flag_matches_the_offer_texts(queries, offers):
    """cross_lingual: no offer graded >= 2 has a text in the query's language (and the converse)."""
    for query in queries:
        strong = [offers[o] for o, grade in query["relevant"].items() if grade >= 2]
        computed = all(query["language"] not in _text_languages(offer) for offer in strong)
        assert query["cross_lingual"] is computed, query["id"]


# -- metrics, on hand-computed examples --------------------------------------------------------------------------------

JUDGED = {"a": 3, "b": 2, "c": 1}


def test_dcg():
    assert dcg([3, 0, 2]) == pytest.approx(7 + 0 + 3 / 2)  # gains 2^g - 1 over log2(rank + 1)


def test_ndcg():
    # ranked b, x, a: DCG = 3/1 + 0 + 7/2 = 6.5; ideal a, b, c: 7 + 3/log2(3) + 1/2
    assert ndcg_at_k(["b", "x", "a"], JUDGED) == pytest.approx(6.5 / (7 + 3 / math.log2(3) + 0.5))
    assert ndcg_at_k(["a", "b", "c"], JUDGED) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], JUDGED) == 0.0
    assert ndcg_at_k(["a"], {}) == 0.0
    assert ndcg_at_k(["x", "a"], JUDGED, k=1) == 0.0  # a is beyond the cut-off
    # with k=1 the ideal is the single best grade
    assert ndcg_at_k(["b"], JUDGED, k=1) == pytest.approx(3 / 7)


def test_recall_counts_grades_two_and_up():
    assert recall_at_k(["b", "x", "a"], JUDGED) == 1.0
    assert recall_at_k(["b", "x", "a"], JUDGED, k=2) == 0.5
    assert recall_at_k(["c"], JUDGED) == 0.0  # grade 1 is "related", not required
    assert recall_at_k(["c"], {"c": 1}) == 0.0  # nothing relevant to find


def test_reciprocal_rank_of_first_relevant():
    assert reciprocal_rank(["b", "a"], JUDGED) == 1.0
    assert reciprocal_rank(["x", "c", "a"], JUDGED) == pytest.approx(1 / 3)
    assert reciprocal_rank(["x", "c"], JUDGED) == 0.0
    assert reciprocal_rank(["x", "a"], JUDGED, k=1) == 0.0
    assert mean([1.0, 0.5, 0.0]) == pytest.approx(0.5) and mean([]) == 0.0
