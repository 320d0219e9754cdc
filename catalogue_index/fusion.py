"""How rankings are combined.

Reciprocal rank fusion combines rankings by position, so BM25 and cosine scores need no
calibration; search uses it for single rankings and filter-only lists. The hybrid ranker uses
`cosine_with_lexical_bonus` instead (below, with the measurement that motivated it).
"""
from __future__ import annotations

from typing import Dict, Iterable, List, Optional, Sequence, Tuple

RRF_K = 60  # the constant of Cormack et al. (2009); dampens the weight of the very top ranks


def reciprocal_rank_fusion(
    rankings: Sequence[Iterable[int]], weights: Optional[Sequence[float]] = None, k: int = RRF_K
) -> List[Tuple[int, float]]:
    """(id, fused score) best first; ties keep the order of first appearance."""
    weights = weights or [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: Dict[int, float] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[int(item)] = scores.get(int(item), 0.0) + weight / (k + rank)
    order = {item: n for n, item in enumerate(scores)}
    return sorted(scores.items(), key=lambda kv: (-kv[1], order[kv[0]]))


# Hybrid fusion (used by SearchEngine.search for ranker="hybrid"). Measured on the labelled query set
# (tests/search_bench/queries.yml, `make bench`): plain RRF let BM25 matches on generic words ("curs",
# "kurs", "tečaj", "kursai") outrank the right offer in cross-lingual queries, so that hybrid lost to
# dense alone. Instead, the dense cosine orders the results and BM25 only adds a small bonus, and only
# to the extent that the two rankers agree on what the query is about.
LEXICAL_BONUS = 0.01  # cosine points a best-BM25 match adds when the rankers fully agree (< DENSE_MARGIN)
AGREEMENT_TOP = 10  # how many top hits of each ranker are compared to measure agreement


def lexical_agreement(lexical: Sequence[int], dense: Sequence[int], top: int = AGREEMENT_TOP) -> float:
    """Share (0..1) of the first `top` lexical hits that the dense ranker also kept among its first `top`."""
    n = min(top, len(lexical), len(dense))
    if n == 0:
        return 0.0
    return len({int(i) for i in lexical[:top]} & {int(i) for i in dense[:top]}) / n


def cosine_with_lexical_bonus(
    kept: Sequence[int], cosines: Dict[int, float], lexical: Sequence[Tuple[int, float]],
    bonus: float = LEXICAL_BONUS, top: int = AGREEMENT_TOP,
) -> List[Tuple[int, float]]:
    """(id, score) best first over the dense hits `kept` and every lexical hit.

    score = cosine + bonus * agreement * BM25 / best BM25. `cosines` holds the dense ranker's
    candidates; a lexical hit outside them gets the lowest cosine seen (a bound: it was not among
    the nearest), so a word match the model finds unrelated is kept but ranked after the dense hits.
    Ties keep the order of first appearance (dense hits first).
    """
    kept = [int(i) for i in kept]
    if not lexical:
        return [(i, cosines.get(i, 0.0)) for i in kept]
    lexical_ids = [int(i) for i, _ in lexical]
    weight = bonus * lexical_agreement(lexical_ids, kept, top)
    best_bm25 = max(float(s) for _, s in lexical) or 1.0
    lowest = min(cosines.values()) if cosines else 0.0
    bm25 = {int(i): float(s) for i, s in lexical}
    order = list(dict.fromkeys(kept + lexical_ids))
    scored = {i: cosines.get(i, lowest) + weight * bm25.get(i, 0.0) / best_bm25 for i in order}
    position = {i: n for n, i in enumerate(order)}
    return sorted(scored.items(), key=lambda kv: (-kv[1], position[kv[0]]))
