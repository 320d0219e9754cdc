"""A faiss index of normalised vectors, saved with metadata that is checked on load.

One small interface (build, search, save, load), faiss behind it. Vectors are
L2-normalised so inner product equals cosine. The index type follows the
collection size: exact `Flat` search up to `FLAT_LIMIT` vectors, HNSW above.
An exact scan reads every vector for every query: at 50,000 vectors of 384
dimensions that is 77 MB and a few milliseconds, at 148,000 (100,000 offers)
it was 15-45 ms here, most of the 50 ms budget (reports/search.md). HNSW needs
no training step, answers in about a millisecond with high recall, and takes
filters during the walk. A filter that leaves few vectors (at most
`EXACT_LIMIT`) is answered by an exact scan of just those, which is cheap and
exact, where a graph walk would have to pass many excluded neighbours.
Saving is atomic: a new version is written beside the old one and a `current`
symlink is swapped with one rename, so readers never see a half-written index,
and a build killed midway leaves the previous index serving (its leftovers are
removed by a later build).
"""
from __future__ import annotations

import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Optional, Sequence, Tuple

import faiss
import numpy as np

from .arrays import IdLookup, best_first

FLAT_LIMIT = 50_000
EXACT_LIMIT = 20_000  # allowed vectors at or below this are scanned exactly (HNSW indexes)
HNSW_NEIGHBOURS = 32
METADATA_FILE = "metadata.json"
INDEX_FILE = "vectors.faiss"
CURRENT = "current"
# One OpenMP thread per query: a server answers many learners at once, and on a small machine two
# threads fighting over one query were slower than one (measured in reports/search.md).
SEARCH_THREADS = 1
LEFTOVER_AGE = 3600.0  # seconds: an unfinished build older than this was killed, not still running


class StaleIndexError(RuntimeError):
    """The saved index does not match the model or catalogue it is asked to serve."""


@dataclass(frozen=True)
class IndexMetadata:
    model: str
    dimension: int
    fingerprint: str  # of the catalogue content the vectors were computed from
    count: int = 0
    kind: str = "flat"
    built_at: float = field(default_factory=time.time)

    def matches(self, model: str, dimension: int, fingerprint: str) -> Optional[str]:
        """None when this index fits; otherwise the reason it does not."""
        for name, have, want in (
            ("model", self.model, model),
            ("dimension", self.dimension, dimension),
            ("catalogue fingerprint", self.fingerprint, fingerprint),
        ):
            if have != want:
                return f"{name} is {have!r}, expected {want!r}"
        return None


def _selector(allowed: np.ndarray, count: int):
    """A faiss selector for `allowed` ids, and the array it reads (which must outlive the search).

    Ids here are small and dense (0..n-1), so a bitmap (one bit per id, O(1) per test,
    built by numpy) is the cheap choice; ids far beyond the collection size fall back to
    faiss's hashed batch selector.
    """
    top = int(allowed.max())
    if allowed.min() >= 0 and top < 64 * max(count, 1):
        bits = np.zeros(top + 1, dtype=bool)
        bits[allowed] = True
        packed = np.packbits(bits, bitorder="little")
        return faiss.IDSelectorBitmap(len(packed), faiss.swig_ptr(packed)), packed  # n counts bytes
    return faiss.IDSelectorBatch(allowed), allowed


def index_kind(count: int) -> str:
    """'flat' for small and medium collections, 'hnsw' for large ones (see module docstring)."""
    return "flat" if count <= FLAT_LIMIT else "hnsw"


def normalise(vectors: np.ndarray) -> np.ndarray:
    vectors = np.ascontiguousarray(np.atleast_2d(vectors), dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return vectors / norms


def remove_leftovers(root: Path, keep: Path, min_age: float = LEFTOVER_AGE) -> None:
    """Remove what builds killed midway left behind (staging folders, unswapped versions and links).

    Only entries older than `min_age` seconds go, so a build running in another process keeps its own.
    """
    current = (root / CURRENT).resolve() if (root / CURRENT).exists() else None
    now = time.time()
    for entry in root.iterdir():
        if entry.name == CURRENT or entry.resolve() in (keep.resolve(), current):
            continue
        leftover = entry.name.startswith(f".{CURRENT}.v") or (entry.name.startswith(".v") and entry.name.endswith(
            ".tmp")) or (entry.name.startswith("v") and entry.name[1:].isdigit())
        try:
            old = now - entry.lstat().st_mtime >= min_age
        except FileNotFoundError:
            continue
        if leftover and old:
            if entry.is_symlink() or not entry.is_dir():
                entry.unlink(missing_ok=True)
            else:
                shutil.rmtree(entry, ignore_errors=True)


class VectorIndex:
    """Cosine search over vectors identified by int64 ids."""

    def __init__(self, index: faiss.Index, metadata: IndexMetadata) -> None:
        self._index = index
        self.metadata = metadata
        self._stored: Optional[Tuple[np.ndarray, IdLookup]] = None  # see _stored_vectors

    @classmethod
    def create(cls, dimension: int, expected_count: int, model: str, fingerprint: str) -> "VectorIndex":
        """An empty index of the kind that suits `expected_count` vectors; fill it with `add`."""
        kind = index_kind(expected_count)
        if kind == "flat":
            inner = faiss.IndexFlatIP(max(dimension, 1))
        else:
            inner = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = 128
        return cls(faiss.IndexIDMap2(inner), IndexMetadata(model, dimension, fingerprint, 0, kind))

    @classmethod
    def build(cls, vectors: np.ndarray, ids: Sequence[int], model: str, fingerprint: str) -> "VectorIndex":
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(ids)} ids")
        dimension = np.atleast_2d(vectors).shape[1] if len(vectors) else 0
        index = cls.create(dimension, len(ids), model, fingerprint)
        index.add(vectors, ids)
        return index

    def add(self, vectors: np.ndarray, ids: Sequence[int]) -> None:
        """Add a batch (a build adds batch by batch, so it never holds a second copy of all vectors)."""
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(ids)} ids")
        if len(ids):
            self._index.add_with_ids(normalise(vectors), ids)
            self.metadata = replace(self.metadata, count=self._index.ntotal)
            self._stored = None

    def __len__(self) -> int:
        return self._index.ntotal

    def search(
        self, query: np.ndarray, k: int, allowed_ids: Optional[Sequence[int]] = None
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Ids and cosine scores of the `k` nearest vectors, optionally only among `allowed_ids`."""
        if len(self) == 0 or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params = None
        if allowed_ids is not None:
            allowed = np.asarray(allowed_ids, dtype=np.int64)
            if len(allowed) == 0:
                return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
            if self.metadata.kind == "hnsw" and len(allowed) <= EXACT_LIMIT:
                return self._exact_among(normalise(query)[0], k, allowed)
            selector, keep_alive = _selector(allowed, len(self))
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=256)
                if self.metadata.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)
            )
            k = min(k, len(allowed))
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(SEARCH_THREADS)
        try:
            scores, ids = self._index.search(normalise(query), min(k, len(self)), params=params)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

    def _stored_vectors(self) -> Tuple[np.ndarray, IdLookup]:
        """An HNSW index's stored vectors (a view into faiss, no copy) and where each external id's row is."""
        if self._stored is None:
            storage = faiss.downcast_index(faiss.downcast_index(self._index.index).storage)
            count, dimension = storage.ntotal, storage.d
            vectors = faiss.rev_swig_ptr(storage.get_xb(), count * dimension).reshape(count, dimension)
            self._stored = (vectors, IdLookup(faiss.vector_to_array(self._index.id_map)))
        return self._stored

    def _exact_among(self, query: np.ndarray, k: int, allowed: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        """Exact cosine search among the `allowed` ids only."""
        vectors, rows_of = self._stored_vectors()
        ids, rows = rows_of.positions(allowed)
        if len(ids) == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        scores = vectors[rows] @ query
        k = min(k, len(ids))
        best = best_first(scores, k)
        return ids[best], scores[best].astype(np.float32)

    # -- persistence -----------------------------------------------------------
    def save(self, root: Path) -> Path:
        """Write a new version under `root` and point `root/current` at it atomically."""
        root.mkdir(parents=True, exist_ok=True)
        version = root / f"v{time.time_ns()}"
        staging = root / f".{version.name}.tmp"
        staging.mkdir()
        faiss.write_index(self._index, str(staging / INDEX_FILE))
        (staging / METADATA_FILE).write_text(json.dumps(asdict(self.metadata), indent=2))
        staging.rename(version)
        link = root / f".{CURRENT}.{version.name}"
        os.symlink(version.name, link)
        previous = (root / CURRENT).resolve() if (root / CURRENT).exists() else None
        os.replace(link, root / CURRENT)
        if previous is not None and previous != version.resolve():
            shutil.rmtree(previous, ignore_errors=True)
        remove_leftovers(root, keep=version)
        return version

    @classmethod
    def load(cls, root: Path, model: str, dimension: int, fingerprint: str) -> "VectorIndex":
        """The current index under `root`; StaleIndexError if it is missing or does not match.

        `current` is resolved once, so metadata and vectors always come from the same version even when a
        build swaps in a new one meanwhile; if that build already removed the version being read, the new
        current one is read instead.
        """
        for attempt in range(2):
            version = (root / CURRENT).resolve()
            try:
                metadata = IndexMetadata(**json.loads((version / METADATA_FILE).read_text()))
            except (FileNotFoundError, TypeError, ValueError) as error:
                if attempt == 0 and version != (root / CURRENT).resolve():
                    continue
                raise StaleIndexError(f"no usable index in {root}: {error}") from error
            reason = metadata.matches(model, dimension, fingerprint)
            if reason:
                raise StaleIndexError(f"index in {root} is stale: {reason}")
            try:
                return cls(faiss.read_index(str(version / INDEX_FILE)), metadata)
            except RuntimeError as error:  # faiss: the file is gone (swapped and removed) or unreadable
                if attempt == 0 and version != (root / CURRENT).resolve():
                    continue
                raise StaleIndexError(f"no usable index in {root}: {error}") from error
        raise StaleIndexError(f"no usable index in {root}: it changed twice while loading")
