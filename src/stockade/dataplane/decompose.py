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

The painting itself is the policy engine's (:mod:`stockade.policy.paint`: inclusive bounds,
lowest label wins), shared with the interval tables and the flow-log cells; this module
only turns its rows into elements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stockade.policy.paint import paint


@dataclass(frozen=True, order=True)
class Box:
    """A rule as the compiler sees it: an address interval × a service interval
    (inclusive bounds), labelled with the rule's position."""

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


def decompose(boxes: Sequence[Box]) -> list[Piece]:
    """Disjoint pieces covering the union of ``boxes`` (see the module docstring): one
    piece per painted address run of each service row, in service then address order."""
    rows = paint(boxes)  # a Box has a rectangle's bounds and label
    return [
        Piece(a_lo, a_hi, row.s_lo, row.s_hi, label)
        for row in rows
        for a_lo, a_hi, label in row.runs
    ]
