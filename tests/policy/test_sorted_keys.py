"""``SortedKeys.floor`` (bucketed, branch-free search) answers as ``np.searchsorted``.

Every bulk lookup goes through it (table rows, interface addresses, route intervals), so
it is checked on its own against NumPy: clustered and spread keys, duplicates, queries
below, between, on and above the keys, empty key sets.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.policy.tables import SortedKeys

KEY = st.integers(0, (1 << 63) - 1)


def _check(keys: list[int], queries: list[int]) -> None:
    ordered = np.array(sorted(keys), np.uint64)
    q = np.array(queries, np.uint64)
    want = np.searchsorted(ordered, q, "right") - 1
    assert np.array_equal(SortedKeys.of(ordered).floor(q), want)


@settings(max_examples=300, deadline=None)
@given(st.lists(KEY, max_size=300), st.lists(KEY, max_size=200))
def test_floor_is_searchsorted_right_minus_one(keys, queries):
    _check(keys, queries + keys + [k + 1 for k in keys] + [max(k - 1, 0) for k in keys])


@settings(max_examples=200, deadline=None)
@given(
    st.integers(0, 40),
    st.lists(st.integers(0, 5000), min_size=1, max_size=400),
    st.lists(st.integers(0, 1 << 20), max_size=100),
)
def test_floor_with_clustered_and_repeated_keys(shift, keys, queries):
    """Keys crowded into few buckets (one table's rows, a /16's addresses) and repeated."""
    keys = [(k // 7) << shift for k in keys]
    _check(keys, [q << shift for q in queries] + keys + [k + 1 for k in keys])


@pytest.mark.parametrize("keys", [[], [0], [5], [(1 << 64) - 2]])
def test_floor_at_the_edges(keys):
    _check(keys, [0, 1, 4, 5, 6, (1 << 64) - 2])
