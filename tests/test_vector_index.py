"""The vector index with random unit vectors: no model needed (txtai's ANN test style)."""
import numpy as np
import pytest

from catalogue_index import vector_index
from catalogue_index.vector_index import StaleIndexError, VectorIndex, index_kind

DIM = 32


def random_vectors(n, seed=0):
    return np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)


@pytest.fixture(params=["flat", "hnsw"])
def kind(request, monkeypatch):
    if request.param == "hnsw":
        monkeypatch.setattr(vector_index, "FLAT_LIMIT", 10)
    return request.param


def test_index_kind_by_size():
    assert index_kind(1_000) == "flat"
    assert index_kind(50_000) == "flat"
    assert index_kind(148_000) == "hnsw"  # 100,000 offers
    assert index_kind(1_000_000) == "hnsw"


def test_nearest_vector_is_itself(kind):
    vectors = random_vectors(300)
    ids = np.arange(1000, 1300)
    index = VectorIndex.build(vectors, ids, "m", "fp")
    assert index.metadata.kind == kind
    found, scores = index.search(vectors[17], 5)
    assert found[0] == 1017
    assert scores[0] == pytest.approx(1.0, abs=1e-4)
    assert list(scores) == sorted(scores, reverse=True)


def test_search_only_among_allowed_ids(kind):
    vectors = random_vectors(300, seed=1)
    index = VectorIndex.build(vectors, np.arange(300), "m", "fp")
    allowed = [3, 99, 250]
    found, _ = index.search(vectors[17], 10, allowed_ids=allowed)
    assert sorted(found) == allowed
    assert len(index.search(vectors[17], 10, allowed_ids=[])[0]) == 0


def test_hnsw_filters_during_the_walk_when_many_ids_are_allowed(monkeypatch):
    monkeypatch.setattr(vector_index, "FLAT_LIMIT", 10)
    monkeypatch.setattr(vector_index, "EXACT_LIMIT", 5)
    vectors = random_vectors(300, seed=6)
    index = VectorIndex.build(vectors, np.arange(300), "m", "fp")
    allowed = np.arange(0, 300, 2)  # 150 allowed: more than EXACT_LIMIT, so the graph walk filters
    found, scores = index.search(vectors[40], 10, allowed_ids=allowed)
    assert found[0] == 40 and scores[0] == pytest.approx(1.0, abs=1e-4)
    assert all(i % 2 == 0 for i in found) and len(found) == 10
    assert index.search(vectors[41], 10, allowed_ids=allowed)[0][0] != 41


def test_exact_scan_of_few_allowed_ids_equals_brute_force(monkeypatch):
    monkeypatch.setattr(vector_index, "FLAT_LIMIT", 10)
    vectors = random_vectors(300, seed=7)
    ids = np.arange(300)[::-1] + 500  # external ids in another order than the rows
    index = VectorIndex.build(vectors, ids, "m", "fp")
    allowed = np.array([510, 620, 777, 799, 123456])  # one unknown id
    found, scores = index.search(vectors[0], 3, allowed_ids=allowed)
    unit = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    rows = 799 - allowed[:4]  # external id 500 + (299 - row)
    expected = allowed[:4][np.argsort(-(unit[rows] @ unit[0]))][:3]
    assert list(found) == list(expected)
    assert list(scores) == sorted(scores, reverse=True)


def test_allowed_ids_far_beyond_the_collection_still_filter(kind):
    vectors = random_vectors(50, seed=4)
    ids = np.arange(50) * 1_000_000  # sparse ids: no bitmap for these
    index = VectorIndex.build(vectors, ids, "m", "fp")
    found, _ = index.search(vectors[7], 10, allowed_ids=[7_000_000, 9_000_000])
    assert sorted(found) == [7_000_000, 9_000_000]


def test_built_batch_by_batch_equals_built_at_once(kind):
    vectors = random_vectors(120, seed=5)
    whole = VectorIndex.build(vectors, np.arange(120), "m", "fp")
    batched = VectorIndex.create(DIM, 120, "m", "fp")
    for start in range(0, 120, 50):
        batched.add(vectors[start:start + 50], np.arange(start, min(start + 50, 120)))
    assert batched.metadata.count == whole.metadata.count == 120
    assert batched.metadata.kind == whole.metadata.kind == kind
    for row in (0, 64, 119):
        assert list(batched.search(vectors[row], 5)[0]) == list(whole.search(vectors[row], 5)[0])


def test_empty_index_returns_nothing():
    index = VectorIndex.build(np.zeros((0, DIM), dtype=np.float32), [], "m", "fp")
    assert len(index.search(random_vectors(1)[0], 5)[0]) == 0


def test_ids_and_vectors_must_agree():
    with pytest.raises(ValueError):
        VectorIndex.build(random_vectors(3), [1, 2], "m", "fp")


def test_save_load_round_trip_and_atomic_swap(tmp_path):
    first = VectorIndex.build(random_vectors(50), np.arange(50), "model-a", "fp1")
    v1 = first.save(tmp_path)
    second = VectorIndex.build(random_vectors(60, seed=2), np.arange(60), "model-a", "fp2")
    v2 = second.save(tmp_path)
    assert (tmp_path / "current").resolve() == v2.resolve()
    assert not v1.exists(), "the previous version is removed after the swap"
    loaded = VectorIndex.load(tmp_path, "model-a", DIM, "fp2")
    assert len(loaded) == 60
    assert loaded.metadata.count == 60


@pytest.mark.parametrize(
    "model, dimension, fingerprint, reason",
    [("model-b", DIM, "fp1", "model"), ("model-a", 64, "fp1", "dimension"), ("model-a", DIM, "other", "fingerprint")],
)
def test_stale_index_is_refused(tmp_path, model, dimension, fingerprint, reason):
    VectorIndex.build(random_vectors(10), np.arange(10), "model-a", "fp1").save(tmp_path)
    with pytest.raises(StaleIndexError, match=reason):
        VectorIndex.load(tmp_path, model, dimension, fingerprint)


def test_missing_index_is_stale(tmp_path):
    with pytest.raises(StaleIndexError):
        VectorIndex.load(tmp_path, "m", DIM, "fp")
