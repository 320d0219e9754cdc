"""The array steps both indexes share: id -> position lookup and best-first selection."""
import numpy as np

from catalogue_index.arrays import IdLookup, best_first


def test_positions_of_known_ids_in_any_order():
    lookup = IdLookup([50, 10, 40, 20])
    ids, positions = lookup.positions([40, 99, 10, -5, 50])
    assert list(ids) == [40, 10, 50]
    assert list(positions) == [2, 1, 0]
    assert len(lookup.positions([])[0]) == 0


def test_best_first_orders_ties_by_position():
    scores = np.array([0.2, 0.9, 0.5, 0.9, 0.1])
    assert list(best_first(scores, 3)) == [1, 3, 2]
    assert list(best_first(scores, 5)) == [1, 3, 2, 0, 4]
