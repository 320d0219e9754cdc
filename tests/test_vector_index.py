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
    assert index_kind(100_000) == "flat"
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
