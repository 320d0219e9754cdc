"""Reciprocal rank fusion: combines rankings by position, so BM25 and cosine scores need no calibration."""
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
