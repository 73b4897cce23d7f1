"""The one rule-rectangle painter: every point's label and covering set against brute force.

Random rectangles in a small plane (so every point can be checked); inclusive bounds on
both axes; the lowest label wins where rectangles overlap.
"""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.policy.paint import Rect, covering, paint, paint_runs, segment_starts

S_SPACE, A_SPACE = 9, 17


def _rect(label: int, s: int, t: int, a: int, b: int) -> Rect:
    return Rect(min(s, t), max(s, t), min(a, b), max(a, b), label)


rects = st.lists(
    st.builds(
        _rect,
        st.integers(0, 5),
        st.integers(0, S_SPACE - 1),
        st.integers(0, S_SPACE - 1),
        st.integers(0, A_SPACE - 1),
        st.integers(0, A_SPACE - 1),
    ),
    max_size=8,
)


def _brute(items: list[Rect], s: int, a: int) -> set[int]:
    return {r.label for r in items if r.s_lo <= s <= r.s_hi and r.a_lo <= a <= r.a_hi}


@settings(max_examples=400, deadline=None)
@given(rects)
def test_every_point_gets_the_lowest_covering_label_and_pieces_are_disjoint(items):
    owner: dict[tuple[int, int], int] = {}
    for row in paint(items):
        for first, last, label in row.runs:
            for point in itertools.product(range(row.s_lo, row.s_hi + 1), range(first, last + 1)):
                assert point not in owner, "pieces overlap"
                owner[point] = label
    for s, a in itertools.product(range(S_SPACE), range(A_SPACE)):
        labels = _brute(items, s, a)
        assert owner.get((s, a)) == (min(labels) if labels else None), (s, a)


@settings(max_examples=400, deadline=None)
@given(rects)
def test_rows_are_ascending_maximal_and_their_runs_merged(items):
    rows = paint(items)
    for row in rows:
        assert row.s_lo <= row.s_hi and row.runs
        for (_, last, label), (first, _, next_label) in itertools.pairwise(row.runs):
            assert last < first
            assert not (last + 1 == first and label == next_label), "touching runs not merged"
    for before, after in itertools.pairwise(rows):
        assert before.s_hi < after.s_lo
        assert not (before.s_hi + 1 == after.s_lo and before.runs == after.runs), "not merged"


@settings(max_examples=400, deadline=None)
@given(rects)
def test_covering_sets_are_brute_force_and_constant_on_each_cell(items):
    """What the flow-log cells rely on: cut both axes at ``segment_starts`` and all points
    of a cell are covered by exactly the same rectangles."""
    s_cuts = segment_starts([(r.s_lo, r.s_hi) for r in items], S_SPACE)
    a_cuts = segment_starts([(r.a_lo, r.a_hi) for r in items], A_SPACE)
    s_ends = [*s_cuts[1:], S_SPACE]
    a_ends = [*a_cuts[1:], A_SPACE]
    for (s0, s1), (a0, a1) in itertools.product(
        zip(s_cuts, s_ends, strict=True), zip(a_cuts, a_ends, strict=True)
    ):
        cell = covering(items, s0, a0)
        for s, a in itertools.product(range(s0, s1), range(a0, a1)):
            assert covering(items, s, a) == tuple(sorted(_brute(items, s, a))) == cell


def test_segment_starts_cut_at_each_low_bound_and_after_each_high_bound():
    assert segment_starts([], 10) == [0]
    assert segment_starts([(2, 4), (4, 9)], 10) == [0, 2, 4, 5]  # 9 + 1 is the space's end
    assert segment_starts([(0, 0)], 1) == [0]


def test_paint_runs_merges_touching_runs_of_one_label():
    assert paint_runs([(0, 4, 1), (5, 9, 1), (3, 6, 0)]) == [(0, 2, 1), (3, 6, 0), (7, 9, 1)]
    assert paint_runs([(0, 4, 2), (5, 9, 2)]) == [(0, 9, 2)]
    assert paint_runs([]) == []


def test_bounds_are_inclusive_and_ipv6_sized_bounds_need_no_ranking():
    top = (1 << 128) - 1
    rows = paint([Rect(80, 80, 0, top, 1), Rect(0, 65535, 1 << 127, top, 0)])
    assert [(r.s_lo, r.s_hi, r.runs) for r in rows] == [
        (0, 79, ((1 << 127, top, 0),)),
        (80, 80, ((0, (1 << 127) - 1, 1), (1 << 127, top, 0))),
        (81, 65535, ((1 << 127, top, 0),)),
    ]
