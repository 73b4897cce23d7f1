"""Unions of inclusive integer intervals: the one-dimensional algebra every set question uses.

Addresses (an IPv4 or IPv6 block as its integer range), ports and the policy engine's
packed service coordinate are all integers, so "is SSH inside what the internet may
reach?" or "which addresses does this ACL entry still decide?" are unions, intersections
and differences of intervals. Pure and dependency-free so that the domain (network ACLs),
the policy engine and the analyzer share one copy.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence

from stockade.domain.addresses import INTERNET_V6, NOT_INTERNET_V4

Interval = tuple[int, int]  # inclusive bounds


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, disjoint, non-adjacent intervals with the same union."""
    out: list[list[int]] = []
    for lo, hi in sorted(intervals):
        if out and lo <= out[-1][1] + 1:
            out[-1][1] = max(out[-1][1], hi)
        else:
            out.append([lo, hi])
    return [(lo, hi) for lo, hi in out]


def covers(intervals: Iterable[Interval], targets: Iterable[Interval]) -> bool:
    """Whether the union of ``intervals`` contains every target interval."""
    union = merge(intervals)
    return all(any(a <= lo and hi <= b for a, b in union) for lo, hi in targets)


def intersect(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """The intersection of two unions (inputs need not be merged)."""
    out = []
    for lo1, hi1 in merge(a):
        for lo2, hi2 in merge(b):
            lo, hi = max(lo1, lo2), min(hi1, hi2)
            if lo <= hi:
                out.append((lo, hi))
    return merge(out)


def subtract(a: Sequence[Interval], b: Sequence[Interval]) -> list[Interval]:
    """``a`` minus ``b``."""
    out = []
    cuts = merge(b)
    for lo, hi in merge(a):
        start = lo
        for c_lo, c_hi in cuts:
            if c_hi < start or c_lo > hi:
                continue
            if c_lo > start:
                out.append((start, c_lo - 1))
            start = max(start, c_hi + 1)
            if start > hi:
                break
        if start <= hi:
            out.append((start, hi))
    return out


def cidr_interval(cidr: str) -> Interval:
    """``"10.0.0.0/8"`` → its first and last address as integers."""
    network = ipaddress.ip_network(cidr, strict=False)
    return int(network.network_address), int(network.broadcast_address)


def family_space(family: int) -> Interval:
    """Every address of a family."""
    return 0, (1 << (32 if family == 4 else 128)) - 1


def internet_space(family: int) -> list[Interval]:
    """Every internet address of a family, as the domain defines the internet once
    (:mod:`stockade.domain.addresses`: IPv4 minus the non-internet ranges; IPv6 global
    unicast 2000::/3)."""
    if family == 6:
        return [cidr_interval(str(INTERNET_V6))]
    return subtract([family_space(4)], [cidr_interval(str(n)) for n in NOT_INTERNET_V4])
