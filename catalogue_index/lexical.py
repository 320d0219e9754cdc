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
from typing import List, Optional, Sequence, Tuple

import bm25s
import numpy as np

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


class LexicalIndex:
    """BM25 over documents identified by int64 ids."""

    def __init__(self, ids: Sequence[int], texts: Sequence[str]) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        self._position = {int(i): n for n, i in enumerate(self.ids)}
        self._bm25 = bm25s.BM25()
        if len(texts):
            self._bm25.index([tokenize(t) or [""] for t in texts], show_progress=False)

    def __len__(self) -> int:
        return len(self.ids)

    def search(
        self, query: str, k: int, allowed_ids: Optional[Sequence[int]] = None
    ) -> Tuple[np.ndarray, np.ndarray]:
        """Ids and BM25 scores of the best `k` documents with a positive score."""
        tokens = tokenize(query)
        if not len(self) or not tokens or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        mask = None
        if allowed_ids is not None:
            mask = np.zeros(len(self), dtype=np.float32)
            positions = [self._position[int(i)] for i in allowed_ids if int(i) in self._position]
            mask[positions] = 1.0
        scores = self._bm25.get_scores(tokens, weight_mask=mask)
        k = min(k, int((scores > 0).sum()))
        if k == 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        best = np.argpartition(-scores, k - 1)[:k]
        best = best[np.argsort(-scores[best], kind="stable")]
        return self.ids[best], scores[best].astype(np.float32)
