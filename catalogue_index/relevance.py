"""Ranking-quality metrics over graded relevance judgements (used by scripts/bench_search.py).

Why a module of its own: the benchmark's numbers are only as good as these
formulas, so they are pure functions with hand-computed unit tests
(tests/search/test_query_set.py) rather than lines buried in a script.

Judgements map an offer id to a grade: 3 exactly what was asked, 2 clearly
relevant, 1 related; an offer not listed is grade 0. Conventions:

- nDCG@k uses exponential gain (2**grade - 1) and a log2(rank + 1) discount;
  the ideal ranking is every judged offer sorted by grade. A query with no
  judged offer scores 0.
- recall@k counts the *relevant* offers, those of grade >= RELEVANT (2):
  the share of them found in the first k results. "Related" (grade 1) offers
  lift nDCG but are not required for recall.
- reciprocal rank is 1 / rank of the first result of grade >= RELEVANT within
  the first k (0 if there is none); its mean over queries is MRR.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Sequence

RELEVANT = 2  # lowest grade that counts as relevant for recall and MRR


def _gain(grade: float) -> float:
    return 2.0 ** grade - 1.0


def dcg(grades: Iterable[float]) -> float:
    """Discounted cumulative gain of grades listed in rank order (rank 1 first)."""
    return sum(_gain(g) / math.log2(rank + 1) for rank, g in enumerate(grades, start=1))


def ndcg_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10) -> float:
    """nDCG of the first `k` ranked ids against graded judgements (0 when nothing is judged)."""
    ideal = dcg(sorted(judgements.values(), reverse=True)[:k])
    if ideal <= 0:
        return 0.0
    return dcg(judgements.get(offer_id, 0) for offer_id in ranked[:k]) / ideal


def recall_at_k(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10,
                minimum: int = RELEVANT) -> float:
    """Share of the offers graded >= `minimum` that appear in the first `k` (0 when there are none)."""
    wanted = {offer_id for offer_id, grade in judgements.items() if grade >= minimum}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def reciprocal_rank(ranked: Sequence[str], judgements: Mapping[str, int], k: int = 10,
                    minimum: int = RELEVANT) -> float:
    """1 / rank of the first id graded >= `minimum` within the first `k`, else 0."""
    for rank, offer_id in enumerate(ranked[:k], start=1):
        if judgements.get(offer_id, 0) >= minimum:
            return 1.0 / rank
    return 0.0


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0
