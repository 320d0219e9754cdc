"""A faiss index of normalised vectors, saved with metadata that is checked on load.

One small interface (build, search, save, load), faiss behind it. Vectors are
L2-normalised so inner product equals cosine. The index type follows the
collection size: exact `Flat` search up to `FLAT_LIMIT` vectors (at 384
dimensions, 100k vectors are ~150 MB and an exact scan takes milliseconds, so
there is nothing to gain from approximation and no recall to lose), HNSW above
(no training step, good recall, supports filtered search).
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
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Optional, Sequence, Tuple

import faiss
import numpy as np

FLAT_LIMIT = 200_000
HNSW_NEIGHBOURS = 32
METADATA_FILE = "metadata.json"
INDEX_FILE = "vectors.faiss"
CURRENT = "current"
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

    @classmethod
    def build(cls, vectors: np.ndarray, ids: Sequence[int], model: str, fingerprint: str) -> "VectorIndex":
        vectors = normalise(vectors) if len(vectors) else np.zeros((0, 0), dtype=np.float32)
        ids = np.asarray(ids, dtype=np.int64)
        if len(ids) != len(vectors):
            raise ValueError(f"{len(vectors)} vectors but {len(ids)} ids")
        dimension = vectors.shape[1] if len(vectors) else 0
        kind = index_kind(len(ids))
        if kind == "flat":
            inner = faiss.IndexFlatIP(max(dimension, 1))
        else:
            inner = faiss.IndexHNSWFlat(dimension, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            inner.hnsw.efSearch = 128
        index = faiss.IndexIDMap2(inner)
        if len(ids):
            index.add_with_ids(vectors, ids)
        return cls(index, IndexMetadata(model, dimension, fingerprint, len(ids), kind))

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
            selector = faiss.IDSelectorBatch(allowed)
            params = (
                faiss.SearchParametersHNSW(sel=selector, efSearch=256)
                if self.metadata.kind == "hnsw"
                else faiss.SearchParameters(sel=selector)
            )
            k = min(k, len(allowed))
        scores, ids = self._index.search(normalise(query), min(k, len(self)), params=params)
        keep = ids[0] >= 0
        return ids[0][keep], scores[0][keep]

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
