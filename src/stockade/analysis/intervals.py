"""Interval algebra for set questions about rules: unions, coverage, rectangles.

A rule is a rectangle in (service × address): the service axis is the policy engine's
packed coordinate (``protocol << 16 | port``, ICMP ``type << 8 | code``; see
:func:`stockade.policy.tables.service_range`), the address axis the integer range of its
resolved block. Every audit and reachability question here is an exact computation on
these rectangles — "is the SSH port inside the union of what the internet may reach?",
"is this rule inside the union of the others?" — so a 0–1024 range covering 22, a prefix
list holding ``0.0.0.0/0`` or two half-internet CIDRs are all seen for what they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from stockade.domain import protocols
from stockade.domain.interval_sets import (  # noqa: F401 (the analyzer's names for them)
    Interval,
    covers,
    internet_space,
    intersect,
    merge,
    subtract,
)
from stockade.policy.addressing import block_bounds
from stockade.policy.effective import EffectiveEntry
from stockade.policy.tables import SERVICE_SPACE, service_range

ALL_SERVICES: Interval = (0, SERVICE_SPACE - 1)


def block(cidr: str) -> Interval:
    _, lo, hi = block_bounds(cidr)
    return lo, hi


@dataclass(frozen=True)
class Rect:
    """One effective entry as a rectangle: service × address (one family)."""

    s_lo: int
    s_hi: int
    a_lo: int
    a_hi: int
    family: int
    entry: EffectiveEntry

    @classmethod
    def of(cls, entry: EffectiveEntry) -> Rect:
        family, lo, hi = entry.bounds
        s_lo, s_hi = service_range(entry.protocol, entry.from_port, entry.to_port)
        return cls(s_lo, s_hi, lo, hi, family, entry)

    def volume(self) -> int:
        return (self.s_hi - self.s_lo + 1) * (self.a_hi - self.a_lo + 1)

    def meets(self, other: Rect) -> bool:
        return (
            self.family == other.family
            and self.s_lo <= other.s_hi
            and other.s_lo <= self.s_hi
            and self.a_lo <= other.a_hi
            and other.a_lo <= self.a_hi
        )


def rect_covered(target: Rect, others: Sequence[Rect]) -> bool:
    """Exact: is ``target`` inside the union of ``others`` (same family)?

    Cut the target's service span at every boundary of the others; on each piece the
    others that span it must cover the target's address span.
    """
    near = [o for o in others if o.meets(target)]
    if not near:
        return False
    cuts = {target.s_lo, target.s_hi + 1}
    for o in near:
        if target.s_lo < o.s_lo <= target.s_hi:
            cuts.add(o.s_lo)
        if target.s_lo <= o.s_hi < target.s_hi:
            cuts.add(o.s_hi + 1)
    points = sorted(cuts)
    for start in points[:-1]:
        spans = [(o.a_lo, o.a_hi) for o in near if o.s_lo <= start <= o.s_hi]
        if not covers(spans, [(target.a_lo, target.a_hi)]):
            return False
    return True


def covered_segments(
    rects: Sequence[Rect], space: Sequence[Interval]
) -> list[tuple[Interval, list[Rect]]]:
    """Service intervals where the rectangles' addresses cover all of ``space``, merged,
    each with the rectangles that take part."""
    if not rects:
        return []
    cuts = sorted({r.s_lo for r in rects} | {r.s_hi + 1 for r in rects})
    out: list[tuple[Interval, list[Rect]]] = []
    for start, nxt in zip(cuts, cuts[1:], strict=False):
        active = [r for r in rects if r.s_lo <= start <= r.s_hi]
        if active and covers([(r.a_lo, r.a_hi) for r in active], space):
            if out and out[-1][0][1] + 1 == start:
                (lo, _), members = out[-1]
                out[-1] = ((lo, nxt - 1), members + [r for r in active if r not in members])
            else:
                out.append(((start, nxt - 1), active))
    return out


# -- service coordinates, back to what people read -------------------------------------------


@dataclass(frozen=True)
class ServiceRange:
    """A piece of the service axis in human terms: one protocol and a port/type range."""

    protocol: str  # tcp | udp | icmp | icmpv6 | -1 | "47"… | "0-5" (a run of protocols)
    from_port: int | None  # ICMP: the type. None: no ports (or all traffic)
    to_port: int | None

    def text(self) -> str:
        if self.protocol == protocols.ALL:
            return "all traffic"
        if self.from_port is None:
            return f"protocol{'s' if '-' in self.protocol else ''} {self.protocol}"
        if self.protocol in ("icmp", "icmpv6"):  # ports are ICMP types here
            if (self.from_port, self.to_port) == (0, 255):
                return f"{self.protocol} (all types)"
            if self.from_port == self.to_port:
                return f"{self.protocol} type {self.from_port}"
            return f"{self.protocol} types {self.from_port}-{self.to_port}"
        if self.from_port == self.to_port:
            return f"{self.protocol}/{self.from_port}"
        return f"{self.protocol}/{self.from_port}-{self.to_port}"

    def to_dict(self) -> dict:
        return {
            "protocol": self.protocol,
            "from_port": self.from_port,
            "to_port": self.to_port,
            "text": self.text(),
        }


def service_pieces(intervals: Iterable[Interval]) -> list[tuple[Interval, ServiceRange]]:
    """Service intervals split per protocol (the whole axis is "all traffic"), each piece
    with its interval."""
    out: list[tuple[Interval, ServiceRange]] = []
    for lo, hi in merge(intervals):
        if (lo, hi) == ALL_SERVICES:
            out.append(((lo, hi), ServiceRange(protocols.ALL, None, None)))
            continue
        for number in range(lo >> 16, (hi >> 16) + 1):
            first, last = max(lo, number << 16), min(hi, (number << 16) | 0xFFFF)
            name = protocols.canonical_protocol(number)
            if name in ("tcp", "udp"):
                piece = ServiceRange(name, first & 0xFFFF, last & 0xFFFF)
            elif name in ("icmp", "icmpv6"):  # type << 8 | code: report the types
                piece = ServiceRange(name, (first & 0xFFFF) >> 8, (last & 0xFFFF) >> 8)
            else:
                piece = ServiceRange(name, None, None)
            out.append(((first, last), piece))
    return _protocol_runs(out)


def _protocol_runs(
    pieces: list[tuple[Interval, ServiceRange]],
) -> list[tuple[Interval, ServiceRange]]:
    """Consecutive whole portless protocols as one piece (``protocols 0-5``): what is left
    of all traffic once a network ACL takes a port would otherwise be ~250 lines."""
    out: list[tuple[Interval, ServiceRange]] = []
    for (lo, hi), piece in pieces:
        if out and piece.from_port is None and piece.protocol.isdigit():
            (p_lo, p_hi), last = out[-1]
            first = last.protocol.partition("-")[0]
            if last.from_port is None and first.isdigit() and p_hi + 1 == lo:
                out[-1] = ((p_lo, hi), ServiceRange(f"{first}-{piece.protocol}", None, None))
                continue
        out.append(((lo, hi), piece))
    return out


def service_ranges(intervals: Iterable[Interval]) -> list[ServiceRange]:
    return [piece for _, piece in service_pieces(intervals)]


def service_interval(protocol: str, from_port: int, to_port: int) -> Interval:
    """A port range of a protocol as a service interval (``-1``: everything)."""
    return service_range(protocol, from_port, to_port)
