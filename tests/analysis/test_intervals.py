"""The interval algebra the audit and reachability rest on, against brute force."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.analysis.intervals import (
    Rect,
    covered_segments,
    covers,
    intersect,
    merge,
    rect_covered,
    service_pieces,
    subtract,
)

SPACE = 24
intervals = st.lists(
    st.tuples(st.integers(0, SPACE - 1), st.integers(0, SPACE - 1)).map(lambda t: (min(t), max(t))),
    max_size=6,
)


def points(ivs) -> set[int]:
    return {p for lo, hi in ivs for p in range(lo, hi + 1)}


@given(intervals, intervals)
def test_set_operations(a, b):
    assert points(merge(a)) == points(a)
    assert points(intersect(a, b)) == points(a) & points(b)
    assert points(subtract(a, b)) == points(a) - points(b)
    assert covers(a, b) == (points(b) <= points(a))


def rects(n):
    corner = st.tuples(
        st.integers(0, 11), st.integers(0, 11), st.integers(0, 11), st.integers(0, 11)
    )
    return st.lists(
        corner.map(
            lambda c: Rect(
                min(c[0], c[1]), max(c[0], c[1]), min(c[2], c[3]), max(c[2], c[3]), 4, None
            )
        ),
        min_size=n,
        max_size=6,
    )


def cells(r: Rect) -> set[tuple[int, int]]:
    return {(s, a) for s in range(r.s_lo, r.s_hi + 1) for a in range(r.a_lo, r.a_hi + 1)}


@settings(max_examples=200)
@given(rects(1), rects(0))
def test_rect_covered_is_exact(targets, others):
    target = targets[0]
    union = set().union(*(cells(o) for o in others)) if others else set()
    assert rect_covered(target, others) == (cells(target) <= union)


@settings(max_examples=100)
@given(rects(0))
def test_covered_segments(rs):
    space = [(2, 9)]
    got = points(iv for iv, _ in covered_segments(rs, space))
    want = {
        s
        for s in range(12)
        if all(
            any(r.s_lo <= s <= r.s_hi and r.a_lo <= a <= r.a_hi for r in rs) for a in range(2, 10)
        )
    }
    assert got == want


def test_service_pieces_split_per_protocol():
    tcp = (6 << 16) | 22
    pieces = service_pieces([(tcp, (17 << 16) | 53)])
    # consecutive portless protocols are one piece (not ten lines)
    assert [p.text() for _, p in pieces][:2] == ["tcp/22-65535", "protocols 7-16"]
    assert pieces[1][0] == (7 << 16, (16 << 16) | 0xFFFF)
    assert pieces[-1][1].text() == "udp/0-53"
    assert service_pieces([(0, (1 << 24) - 1)])[0][1].text() == "all traffic"
    icmp = service_pieces([((1 << 16) | (8 << 8), (1 << 16) | (8 << 8) | 255)])
    assert icmp[0][1].text() == "icmp type 8"
