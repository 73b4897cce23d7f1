"""Rule rectangles painted into disjoint pieces: which rule covers each point.

A security-group rule (an effective entry) is a rectangle in the plane *service* ×
*address*: a service interval (see :func:`stockade.policy.tables.service_range`; the data
plane uses the same interval without the protocol prefix) times the integer range of its
address block. Rules overlap all the time (``10.0.0.0/8`` inside ``0.0.0.0/0``, tcp/80
inside tcp/0-65535), and three places need the overlaps cut away:

- the policy engine's interval tables (:mod:`stockade.policy.tables`): per service row,
  address runs labelled with the lowest matching entry;
- the data plane's set elements (:mod:`stockade.dataplane.decompose`): nftables refuses
  overlapping interval elements, and each element must name the one rule it credits;
- the flow-log cell index (:mod:`stockade.analysis.flowlog_cells`): the most specific
  entry of each cell (specificity rank as the label).

They all paint here. **One bounds convention: every interval is inclusive** — ``lo`` and
``hi`` are both inside, as in an AWS port range (``from_port``..``to_port``) and a CIDR's
first and last address. Where rectangles overlap, the **lowest label wins** (callers
choose what a label is: an entry's position, or its specificity rank). Bounds are Python
integers, so IPv6 addresses need no ranking here (callers that pack into NumPy rank them).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from typing import NamedTuple, Protocol

Run = tuple[int, int, int]  # (first, last, label): inclusive bounds


class Rect(NamedTuple):
    """A rule rectangle: service ``s_lo..s_hi`` × address ``a_lo..a_hi`` (inclusive)."""

    s_lo: int
    s_hi: int
    a_lo: int
    a_hi: int
    label: int


class Rectangular(Protocol):
    """Anything with a rectangle's bounds and label (a :class:`Rect`, the data plane's
    ``Box``): painted as it is, without a copy."""

    @property
    def s_lo(self) -> int: ...
    @property
    def s_hi(self) -> int: ...
    @property
    def a_lo(self) -> int: ...
    @property
    def a_hi(self) -> int: ...
    @property
    def label(self) -> int: ...


class Row(NamedTuple):
    """Services ``s_lo..s_hi`` all painted alike: disjoint address runs, ascending."""

    s_lo: int
    s_hi: int
    runs: tuple[Run, ...]


def segment_starts(intervals: Iterable[tuple[int, int]], space: int) -> list[int]:
    """Where the elementary segments of ``[0, space)`` start, cut at every interval's
    bounds: ``0``, each ``lo``, each ``hi + 1`` still inside the space. Between two
    consecutive starts every interval covers all points or none."""
    points = {0}
    for lo, hi in intervals:
        points.add(lo)
        if hi + 1 < space:
            points.add(hi + 1)
    return sorted(points)


def paint_runs(intervals: Iterable[Run]) -> list[Run]:
    """Disjoint runs covering the union of ``intervals`` (``(lo, hi, label)``), each
    labelled with the lowest label covering it; touching runs with one label are merged."""
    events: dict[int, list[tuple[int, bool]]] = {}
    for lo, hi, label in intervals:
        events.setdefault(lo, []).append((label, True))
        events.setdefault(hi + 1, []).append((label, False))
    if not events:
        return []
    points = sorted(events)
    heap: list[int] = []
    active: dict[int, int] = {}  # label -> how many live intervals carry it
    out: list[Run] = []
    for i, point in enumerate(points):
        for label, opening in events[point]:
            if opening:
                active[label] = active.get(label, 0) + 1
                heapq.heappush(heap, label)
            else:
                active[label] -= 1
        while heap and not active.get(heap[0]):
            heapq.heappop(heap)
        if not heap or i + 1 == len(points):
            continue
        label, end = heap[0], points[i + 1] - 1
        if out and out[-1][2] == label and out[-1][1] + 1 == point:
            out[-1] = (out[-1][0], end, label)
        else:
            out.append((point, end, label))
    return out


def paint(rects: Iterable[Rectangular]) -> list[Row]:
    """The rectangles' union as rows of disjoint pieces, the lowest label on each point.

    Sweeps the service axis: between two consecutive service bounds the set of live
    rectangles is constant, so the address axis is painted once per such segment;
    consecutive segments painted alike are merged into one row. Rows cover exactly the
    services some rectangle covers, in ascending order.
    """
    starts: dict[int, list[Rectangular]] = {}
    ends: dict[int, list[Rectangular]] = {}
    for r in rects:
        starts.setdefault(r.s_lo, []).append(r)
        ends.setdefault(r.s_hi + 1, []).append(r)
    live: dict[int, Rectangular] = {}  # by id: equal rectangles may repeat
    rows: list[Row] = []
    open_runs: tuple[Run, ...] = ()  # tuples, not lists: fewer objects for the GC to track
    open_from = 0
    for point in sorted(starts.keys() | ends.keys()):
        for r in ends.get(point, ()):
            live.pop(id(r), None)
        for r in starts.get(point, ()):
            live[id(r)] = r
        if len(live) == 1:  # the common case (a rule alone on its ports): nothing to cut
            (only,) = live.values()
            runs: tuple[Run, ...] = ((only.a_lo, only.a_hi, only.label),)
        else:
            runs = tuple(paint_runs([(r.a_lo, r.a_hi, r.label) for r in live.values()]))
        if runs == open_runs:
            continue  # painted like the segment before: extend it
        if open_runs:
            rows.append(Row(open_from, point - 1, open_runs))
        open_runs, open_from = runs, point
    return rows  # the last point ends every rectangle, so nothing is left open


def covering(rects: Sequence[Rectangular], service: int, address: int) -> tuple[int, ...]:
    """Every label whose rectangle contains the point, ascending (a direct scan: for the
    few points that are asked about, e.g. the cells flows actually hit)."""
    return tuple(
        sorted(
            {r.label for r in rects if r.s_lo <= service <= r.s_hi and r.a_lo <= address <= r.a_hi}
        )
    )
