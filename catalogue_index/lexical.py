"""Lexical (BM25) ranking, so exact terms count: course codes, tools like "Excel" or "AutoCAD".

bm25s does the scoring. Tokens are folded (lowercase, no diacritics, so
"mikroposwiadczenie" finds "mikropoświadczenie") and, to cope with the rich
inflection of Polish, Slovenian and Lithuanian without a stemmer per
language, every long token is also indexed by its first PREFIX_LENGTH
characters ("programavimo" and "programavimas" meet at "progra").
"""
from __future__ import annotations

import re
import unicodedata
from array import array
from typing import Dict, Iterable, Iterator, List, Optional, Sequence, Tuple

import bm25s
import numpy as np

from .arrays import IdLookup, best_first

PREFIX_LENGTH = 6
_TOKEN = re.compile(r"\w+", re.UNICODE)


def fold(text: str) -> str:
    """Lowercase without diacritics (ł and đ have no decomposition, so they are mapped)."""
    text = unicodedata.normalize("NFKD", text.lower().replace("ł", "l").replace("đ", "d"))
    return "".join(ch for ch in text if not unicodedata.combining(ch))


def tokenize(text: str) -> List[str]:
    """Folded word tokens plus prefixes of long ones; single letters are dropped, digits kept."""
    tokens: List[str] = []
    for token in _TOKEN.findall(fold(text or "")):
        if len(token) < 2 and not token.isdigit():
            continue
        tokens.append(token)
        if len(token) > PREFIX_LENGTH and not token.isdigit():
            tokens.append(token[:PREFIX_LENGTH] + "~")
    return tokens


class LexicalCorpus:
    """Documents as token ids, added one at a time (bm25s reads `ids` and `vocab`).

    A large catalogue is streamed through this: the ids of all documents sit in one
    int32 array (about 36 MB for 100,000 offers, where lists of Python ints took
    twice that and were never given back to the system), each distinct token once
    in the vocabulary.
    """

    def __init__(self) -> None:
        self.vocab: Dict[str, int] = {}
        self._tokens = array("i")
        self._ends = array("q")

    def add(self, text: str) -> None:
        vocab = self.vocab
        self._tokens.extend(vocab.setdefault(token, len(vocab)) for token in tokenize(text) or [""])
        self._ends.append(len(self._tokens))

    def __len__(self) -> int:
        return len(self._ends)

    @property
    def ids(self) -> "_DocumentTokenIds":
        return _DocumentTokenIds(self._tokens, self._ends)


class _DocumentTokenIds:
    """Each document's token ids as a list, made when bm25s reads it (it reads them twice, in order)."""

    def __init__(self, tokens: array, ends: array) -> None:
        self._tokens, self._ends = tokens, ends

    def __len__(self) -> int:
        return len(self._ends)

    def __iter__(self) -> Iterator[List[int]]:
        start = 0
        for end in self._ends:
            yield self._tokens[start:end].tolist()
            start = end


class LexicalIndex:
    """BM25 over documents identified by int64 ids."""

    def __init__(self, ids: Sequence[int], texts: Iterable[str]) -> None:
        corpus = LexicalCorpus()
        for text in texts:
            corpus.add(text)
        self._init(ids, corpus)

    @classmethod
    def from_corpus(cls, ids: Sequence[int], corpus: LexicalCorpus) -> "LexicalIndex":
        index = cls.__new__(cls)
        index._init(ids, corpus)
        return index

    def _init(self, ids: Sequence[int], corpus: LexicalCorpus) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        if len(self.ids) != len(corpus):
            raise ValueError(f"{len(corpus)} documents but {len(self.ids)} ids")
        self._lookup = IdLookup(self.ids)
        self._bm25 = bm25s.BM25()
        if len(corpus):
            self._bm25.index(corpus, show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def _mask(self, allowed_ids: Sequence[int]) -> np.ndarray:
        """1.0 at the position of every allowed id that is indexed, else 0.0."""
        _, positions = self._lookup.positions(allowed_ids)
        mask = np.zeros(len(self), dtype=np.float32)
        mask[positions] = 1.0
        return mask

    def search(
        self, query: str, k: int, allowed_ids: Optional[Sequence[int]] = None
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores of the best `k` documents with a positive score."""
        tokens = tokenize(query)
        if not len(self) or not tokens or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        mask = None if allowed_ids is None else self._mask(allowed_ids)
        scores = self._bm25.get_scores(tokens, weight_mask=mask)
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        best = best_first(scores, k)
        return self.ids[best], scores[best].astype(np.float32)
