"""Overlapping rules → disjoint set elements, each labelled with the rule that wins.

nftables looks a packet up in an interval set (or a concatenation of intervals) in time
that does not depend on the number of elements — but the kernel refuses elements that
overlap in some ways ("File exists": a new element's start or end inside an existing one).
Security-group rules overlap all the time (``10.0.0.0/8`` next to ``0.0.0.0/0``; tcp/80
next to tcp/0-65535), so the compiler cuts them into disjoint boxes first.

A rule is a box: an address interval × a service interval (a port range, or an ICMP
``type << 8 | code`` range). Where boxes overlap, the lowest label (the first rule in the
canonical order) wins, so every element names exactly one rule — the one its hit counter
and flow-log line are credited to. The verdict is the same whichever rule wins: all
security-group rules allow.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Run = tuple[int, int, int]  # (first, last, label), inclusive bounds


@dataclass(frozen=True, order=True)
class Box:
    label: int
    a_lo: int
    a_hi: int
    s_lo: int = 0
    s_hi: int = 0


@dataclass(frozen=True, order=True)
class Piece:
    """A disjoint element: address interval × service interval → label."""

    a_lo: int
    a_hi: int
    s_lo: int
    s_hi: int
    label: int


def paint(intervals: Iterable[Run]) -> list[Run]:
    """Disjoint runs covering the union of ``intervals``, each labelled with the lowest
    label covering it; touching runs with the same label are merged."""
    events: dict[int, list[tuple[int, bool]]] = {}
    for lo, hi, label in intervals:
        events.setdefault(lo, []).append((label, True))
        events.setdefault(hi + 1, []).append((label, False))
    if not events:
        return []
    points = sorted(events)
    heap: list[int] = []
    active: dict[int, int] = {}  # label -> count (several boxes may share a label)
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


def decompose(boxes: Sequence[Box]) -> list[Piece]:
    """Disjoint pieces covering the union of ``boxes`` (see the module docstring).

    Sweeps the service axis: between two consecutive service boundaries the set of live
    boxes is constant, so the address axis is painted once per segment; consecutive
    segments painted alike are merged into one service range.
    """
    if not boxes:
        return []
    starts: dict[int, list[Box]] = {}
    ends: dict[int, list[Box]] = {}
    for box in boxes:
        starts.setdefault(box.s_lo, []).append(box)
        ends.setdefault(box.s_hi + 1, []).append(box)
    points = sorted(starts.keys() | ends.keys())
    live: dict[int, Box] = {}
    pieces: list[Piece] = []
    open_runs: list[Run] = []
    open_from = 0
    for point in points:
        for box in ends.get(point, ()):
            live.pop(id(box), None)
        for box in starts.get(point, ()):
            live[id(box)] = box
        runs = paint((b.a_lo, b.a_hi, b.label) for b in live.values()) if live else []
        if runs == open_runs:
            continue  # painted like the segment before: extend it
        _close(pieces, open_runs, open_from, point - 1)
        open_runs, open_from = runs, point
    return pieces  # the last point ends every box, so nothing is left open


def _close(pieces: list[Piece], runs: list[Run], s_lo: int, s_hi: int) -> None:
    if runs and s_hi >= s_lo:
        pieces.extend(Piece(lo, hi, s_lo, s_hi, label) for lo, hi, label in runs)
