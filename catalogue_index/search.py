"""Hybrid offer search: dense (multilingual E5 + faiss) and lexical (BM25), fused (see fusion.py).

Each language version of an offer (title, description, outcomes, skills) gets
its own vector, so a Lithuanian query meets a Slovenian offer through the
shared multilingual space and an English query meets the English version; an
offer's dense score is its best version's. BM25 sees every language at once
and catches exact terms (course codes, "Excel", "AutoCAD"). Filters are
applied to both rankers before ranking, and relaxed (least important first)
rather than returning nothing.

The vector index is saved under the index folder with the model name and a
fingerprint of the texts it was built from; `SearchEngine.open` rebuilds it
when either changed, builds aside and swaps atomically (see vector_index.py).
"""
from __future__ import annotations

import hashlib
import logging
import threading
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from orienta.settings import Settings

from .embedder import Embedder
from .filters import FacetTable, OfferFacets, SearchFilters, eur_rates, to_eur
from .fusion import cosine_with_lexical_bonus, reciprocal_rank_fusion
from .lexical import LexicalCorpus, LexicalIndex
from .models import ImportRun, Offer
from .store import CatalogueStore
from .vector_index import StaleIndexError, VectorIndex

logger = logging.getLogger(__name__)
CANDIDATES = 100  # per ranker, before fusion
# A hit found by the dense ranker alone must be about as close as the best one: E5's cosines
# sit in a narrow band (unrelated offers still score ~0.78), so a relative margin, not an
# absolute floor, separates "a weaker match" from "nothing to do with it".
DENSE_MARGIN = 0.06
EMBED_BATCH = 256
OPEN_ATTEMPTS = 3  # scans of a catalogue that an import keeps changing under a build


@dataclass(frozen=True)
class OfferDocument:
    """The searchable view of one offer: a text per language, the lexical text, the facets."""

    offer_id: str
    texts: Dict[str, str]  # language -> "title. description. outcomes. skills"
    lexical: str
    facets: OfferFacets


@dataclass(frozen=True)
class SearchHit:
    offer_id: str
    score: float
    dense_rank: Optional[int] = None
    lexical_rank: Optional[int] = None


@dataclass
class SearchResult:
    hits: List[SearchHit]
    total: int  # offers that met the applied filters
    filters: SearchFilters  # the filters finally applied
    relaxed: List[str] = field(default_factory=list)  # filters dropped so that something matched
    took_ms: float = 0.0


def _join(*parts: Optional[str]) -> str:
    return ". ".join(p.strip().rstrip(".") for p in parts if p and p.strip())


def offer_document(offer: Offer, rates: Dict[str, float]) -> OfferDocument:
    """The texts and facets search needs from one stored offer (with its children loaded)."""
    languages = sorted({offer.original_language, *(offer.title or {}), *(offer.description or {})})
    texts = {}
    for language in languages:
        texts[language] = _join(
            offer.text("title", language), offer.text("description", language),
            " ".join(f"{o}." for o in offer.learning_outcomes(language)), ", ".join(offer.skill_labels(language)))
    lexical = " ".join([offer.id.replace("-", " "), *texts.values(),
                        *(offer.provider.name or {}).values(), offer.provider.short_name or ""])
    facets = OfferFacets(
        offer_id=offer.id, languages=tuple(offer.languages), mode=offer.mode, work_based=bool(offer.work_based),
        ects=offer.ects, hours=offer.workload_hours, eqf_level=offer.eqf_level, country=offer.provider.country,
        provider=offer.provider_id, free=offer.price_free,
        price_eur=to_eur(offer.price_amount, offer.price_currency, rates),
        start_date=offer.start_date, self_paced=bool(offer.self_paced))
    return OfferDocument(offer.id, texts, lexical, facets)


def iter_documents(store: CatalogueStore, chunk: int = 2000,
                   offer_ids: Optional[Sequence[str]] = None) -> Iterator[OfferDocument]:
    """Stored offers as OfferDocuments, ordered by id (a stable order for the fingerprint), a chunk in memory."""
    rates = eur_rates()
    with store.session() as session:
        ids = list(offer_ids) if offer_ids is not None else list(
            session.scalars(select(Offer.id).order_by(Offer.id)))
        for start in range(0, len(ids), chunk):
            rows = session.scalars(select(Offer).where(Offer.id.in_(ids[start:start + chunk])).options(
                selectinload(Offer.provider), selectinload(Offer.language_rows), selectinload(Offer.outcome_rows),
                selectinload(Offer.skill_rows)))
            by_id = {row.id: row for row in rows}
            documents = [offer_document(by_id[i], rates) for i in ids[start:start + chunk] if i in by_id]
            session.expunge_all()
            yield from documents


def load_documents(store: CatalogueStore) -> List[OfferDocument]:
    return list(iter_documents(store))


def catalogue_version(store: CatalogueStore) -> Tuple[int, int]:
    """Cheap marker that changes with every import: (offers, last import run)."""
    with store.session() as session:
        return (session.scalar(select(func.count()).select_from(Offer)) or 0,
                session.scalar(select(func.max(ImportRun.id))) or 0)


class Fingerprint:
    """SHA-256 of the offers' ids and texts, fed one document at a time (in id order)."""

    def __init__(self) -> None:
        self._digest = hashlib.sha256()

    def add(self, document: OfferDocument) -> None:
        self._digest.update(document.offer_id.encode())
        for language in sorted(document.texts):
            self._digest.update(b"\x1f" + language.encode() + b"\x1e" + document.texts[language].encode())

    def hexdigest(self) -> str:
        return self._digest.hexdigest()


def fingerprint(documents: Iterable[OfferDocument]) -> str:
    digest = Fingerprint()
    for document in documents:
        digest.add(document)
    return digest.hexdigest()


def vector_texts(document: OfferDocument) -> List[str]:
    """The texts of one offer that get a vector each: one per language, in language order."""
    return [document.texts[language] for language in sorted(document.texts)]


@dataclass
class CatalogueScan:
    """One streamed pass over the catalogue: what serving keeps, without the offers' texts.

    At 100,000 offers the texts themselves take about a gigabyte as Python objects, so
    the engine keeps facets, BM25 token ids and which vector belongs to which offer, and
    reads an offer's text from the store when it needs one.
    """

    facets: List[OfferFacets] = field(default_factory=list)
    lexical: LexicalCorpus = field(default_factory=LexicalCorpus)
    vector_offer: List[int] = field(default_factory=list)  # vector id -> offer position
    digest: Fingerprint = field(default_factory=Fingerprint)

    @classmethod
    def of(cls, documents: Iterable[OfferDocument]) -> "CatalogueScan":
        scan = cls()
        for document in documents:
            scan.add(document)
        return scan

    def add(self, document: OfferDocument) -> None:
        position = len(self.facets)
        self.facets.append(document.facets)
        self.lexical.add(document.lexical)
        self.vector_offer.extend([position] * len(document.texts))
        self.digest.add(document)


class SearchEngine:
    """Search over a snapshot of the catalogue (SearchService swaps in a new one after imports)."""

    def __init__(self, scan: CatalogueScan, vectors: VectorIndex, embedder: Embedder,
                 store: Optional[CatalogueStore] = None) -> None:
        self.facets = FacetTable(scan.facets)
        self.vectors = vectors
        self.vector_offer = np.asarray(scan.vector_offer, dtype=np.int64)
        self.lexical = LexicalIndex.from_corpus(range(len(scan.facets)), scan.lexical)
        self.embedder = embedder
        self.store = store  # where the offers came from; their texts are read from it on demand
        self.version: Optional[Tuple[int, int]] = None

    def __len__(self) -> int:
        return len(self.facets)

    # -- building ---------------------------------------------------------------------------------------------------

    @staticmethod
    def _build_vectors(store: CatalogueStore, embedder: Embedder, index_dir: Path, expected: int,
                       progress=None) -> VectorIndex:
        """Embed every offer version, batch by batch into the index, and save it atomically.

        The texts are streamed from the store again, and the fingerprint saved is that of the
        texts embedded here (the caller compares it with its own scan to see an import in between).
        The old index serves until the swap.
        """
        index = VectorIndex.create(embedder.dimension, expected, embedder.name, "")
        digest = Fingerprint()
        batch: List[str] = []

        def flush() -> None:
            if batch:
                index.add(embedder.passages(batch), np.arange(len(index), len(index) + len(batch)))
                if progress:
                    progress(len(batch))
                batch.clear()

        for document in iter_documents(store):
            digest.add(document)
            for text in vector_texts(document):
                batch.append(text)
                if len(batch) == EMBED_BATCH:
                    flush()
        flush()
        index.metadata = replace(index.metadata, fingerprint=digest.hexdigest())
        index.save(Path(index_dir))
        return index

    @classmethod
    def open(cls, store: CatalogueStore, embedder: Embedder, index_dir: Path, *, rebuild: bool = True,
             progress=None) -> "SearchEngine":
        """The engine for the stored catalogue; the saved index is used only if it matches model and texts."""
        for _ in range(OPEN_ATTEMPTS):
            version = catalogue_version(store)
            scan = CatalogueScan.of(iter_documents(store))
            catalogue_fingerprint = scan.digest.hexdigest()
            try:
                vectors = VectorIndex.load(Path(index_dir), embedder.name, embedder.dimension, catalogue_fingerprint)
            except StaleIndexError as why:
                if not rebuild:
                    raise
                logger.info("building the search index (%s)", why)
                vectors = cls._build_vectors(store, embedder, index_dir, len(scan.vector_offer), progress)
                if vectors.metadata.fingerprint != catalogue_fingerprint:
                    logger.info("the catalogue changed while the index was built; scanning it again")
                    continue
            engine = cls(scan, vectors, embedder, store)
            engine.version = version
            return engine
        raise StaleIndexError(f"the catalogue kept changing while its index was built ({OPEN_ATTEMPTS} tries)")

    # -- searching --------------------------------------------------------------------------------------------------

    def document(self, offer_id: str) -> Optional[OfferDocument]:
        """One offer's searchable view, read from the store (None if it is not in this snapshot)."""
        if offer_id not in self.facets.position or self.store is None:
            return None
        return next(iter_documents(self.store, offer_ids=[offer_id]), None)

    def _dense(self, query_vector: np.ndarray, allowed: Optional[np.ndarray], k: int) -> List[Tuple[int, float]]:
        """(offer position, best cosine of its versions), best first."""
        allowed_vectors = None
        if allowed is not None:
            allowed_vectors = np.flatnonzero(allowed[self.vector_offer])
        ids, scores = self.vectors.search(query_vector, k * 3, allowed_vectors)
        ranking: List[Tuple[int, float]] = []
        seen = set()
        for vector_id, score in zip(ids, scores):
            position = int(self.vector_offer[vector_id])
            if position not in seen:
                seen.add(position)
                ranking.append((position, float(score)))
        return ranking[:k]

    def search(self, query: str, filters: Optional[SearchFilters] = None, top_k: int = 5, offset: int = 0,
               exclude: Iterable[str] = (), ranker: str = "hybrid") -> SearchResult:
        """Best offers for `query` under `filters` (relaxed if nothing meets them); ranker hybrid|dense|lexical."""
        started = time.perf_counter()
        filters = filters or SearchFilters()
        mask, applied, relaxed = self.facets.relaxed_mask(filters)
        for offer_id in exclude:
            position = self.facets.position.get(offer_id)
            if position is not None:
                mask[position] = False
        allowed = None if mask.all() else mask
        total = int(mask.sum())
        wanted = min(max(CANDIDATES, (offset + top_k) * 2), max(total, 1))
        rankings, names = [], []
        lexical: List[int] = []
        lexical_scores: List[Tuple[int, float]] = []
        dense: List[Tuple[int, float]] = []
        kept: List[int] = []
        if ranker in ("hybrid", "lexical") and query.strip():
            ids, scores = self.lexical.search(query, wanted, None if allowed is None else np.flatnonzero(allowed))
            lexical = [int(i) for i in ids]
            lexical_scores = list(zip(lexical, (float(s) for s in scores)))
        if ranker in ("hybrid", "dense") and query.strip():
            dense = self._dense(self.embedder.queries([query]), allowed, wanted)
            floor = dense[0][1] - DENSE_MARGIN if dense else 0.0
            kept = [p for p, cosine in dense if cosine >= floor]
            found_by_words = set(lexical)
            rankings.append([p for p, cosine in dense if cosine >= floor or p in found_by_words])
            names.append("dense")
        if lexical or ranker == "lexical":
            rankings.append(lexical)
            names.append("lexical")
        if not rankings:  # no subject: filters alone, in catalogue order
            rankings.append([int(i) for i in np.flatnonzero(mask)[: offset + top_k]])
            names.append("filters")
        if ranker == "hybrid" and dense:
            # cosine order with a BM25 bonus weighted by agreement (fusion.py says why not plain RRF)
            fused = cosine_with_lexical_bonus(kept, dict(dense), lexical_scores)
        else:
            fused = reciprocal_rank_fusion(rankings)
        ranks = [{position: r for r, position in enumerate(ranking, 1)} for ranking in rankings]
        hits = []
        for position, score in fused[offset: offset + top_k]:
            by_name = dict(zip(names, (rank.get(position) for rank in ranks)))
            hits.append(SearchHit(self.facets.offer_ids[position], float(score), by_name.get("dense"),
                                  by_name.get("lexical")))
        return SearchResult(hits, total, applied, relaxed, (time.perf_counter() - started) * 1000)


class SearchService:
    """One engine per process, opened on first use and swapped when the catalogue changes."""

    def __init__(self, store: Optional[CatalogueStore] = None, embedder: Optional[Embedder] = None,
                 index_dir: Optional[Path] = None, check_every: float = 30.0) -> None:
        settings = Settings.from_env()
        self._store = store
        self._embedder = embedder
        self.index_dir = Path(index_dir or settings.var_dir / "index")
        self.check_every = check_every
        self._engine: Optional[SearchEngine] = None
        self._checked = 0.0
        self._lock = threading.Lock()

    @property
    def store(self) -> CatalogueStore:
        if self._store is None:
            self._store = CatalogueStore()
        return self._store

    @property
    def embedder(self) -> Embedder:
        if self._embedder is None:
            self._embedder = Embedder()
        return self._embedder

    def engine(self) -> SearchEngine:
        """The current engine; after an import (seen at most every `check_every` s) a fresh one."""
        now = time.monotonic()
        with self._lock:
            if self._engine is None:
                self._engine = SearchEngine.open(self.store, self.embedder, self.index_dir)
                self._checked = now
            elif now - self._checked >= self.check_every:
                self._checked = now
                if catalogue_version(self.store) != self._engine.version:
                    self._engine = SearchEngine.open(self.store, self.embedder, self.index_dir)
            return self._engine
