"""A hop end's two ACL crossings as one table: what ``decide_many`` looks up per flow.

A request crossing a subnet boundary meets one direction of the subnet's ACL; its reply
crosses the same boundary the other way, matched on the same remote address, against the
other direction (:mod:`stockade.policy.acl_plan`). Both verdicts are functions of the
request's service and the remote address alone — a TCP/UDP reply's of the protocol and
address (its ports are a fixed range), an ICMP reply's of the request's type, any other
protocol's of the protocol — so they can be painted together: one table per (ACL, the
request's direction, the reply's port range) over *request service × remote address*,
labelled ``1`` (request denied), ``2`` (reply denied) or ``3`` (both); allowed cells are
left unpainted (``-1``). A flow then pays one lookup per hop end instead of two, and no
reply service is computed at run time.

The cells are evaluated with the per-direction tables (first match, a reply's port range
precomputed per address segment by the scalar engine) over a grid cut where either
verdict may change: every bound of the request direction's entries, every protocol the
reply direction names (and TCP, UDP, ICMP, ICMPv6), each ICMP request type that gets a
reply; addresses at every CIDR bound of both directions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from stockade.domain.network_acl import ALL_PROTOCOLS, ICMP_REPLY, NetworkAclEntry
from stockade.policy.addressing import SPACE, block_bounds
from stockade.policy.paint import Rect, segment_starts
from stockade.policy.tables import SERVICE_SPACE, FamilyTables

REQUEST_DENIED, REPLY_DENIED = 1, 2
_U64 = np.uint64
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Verdicts:
    """One family's per-direction tables (labels: positions in rule-number order)."""

    family: int
    points: FamilyTables  # first match of a packet
    ranges: FamilyTables  # TCP/UDP: first match over a reply's whole port range
    allows: np.ndarray  # bool per entry (all directions), then False: no match denies
    #: the reply's ICMP type per (ICMP 0 / ICMPv6 1, request type); -1: no reply
    icmp_reply: np.ndarray

    def denied(
        self,
        table: FamilyTables,
        table_id: int,
        base: int,
        service: np.ndarray,
        addresses: list[int],
    ) -> np.ndarray:
        """Whether the entries of ``table_id`` (at ``base`` in ``allows``) deny each point."""
        coord = _coordinates(table, self.family, addresses)
        label = table.lookup(np.full(len(service), table_id, np.int64), service, coord)
        return self._denied(label, base)

    def denied_at(
        self,
        table_ids: np.ndarray,
        bases: np.ndarray,
        service: np.ndarray,
        hi: np.ndarray | None,
        lo: np.ndarray,
    ) -> np.ndarray:
        """Whether each packet is denied by its direction's first match in ``points`` (the
        direction's table id and entry offset per packet; ``hi`` only for IPv6)."""
        coord = lo if hi is None else self.points.rank(hi, lo)
        return self._denied(self.points.lookup(table_ids, service, coord), bases)

    def _denied(self, label: np.ndarray, base: int | np.ndarray) -> np.ndarray:
        found = np.where(label >= 0, base + label, len(self.allows) - 1)
        denied: np.ndarray = ~self.allows[found]
        return denied


@dataclass(frozen=True)
class Direction:
    """One direction of one ACL in the family's :class:`Verdicts` tables."""

    entries: tuple[NetworkAclEntry, ...]
    point: int  # table id in ``Verdicts.points``
    ranged: int  # table id in ``Verdicts.ranges`` (for the end's reply port range)
    base: int  # offset of its entries in ``Verdicts.allows``


def end_rects(verdicts: Verdicts, request: Direction, reply: Direction) -> list[Rect]:
    """The hop end as rectangles labelled with what it denies (allowed cells omitted)."""
    services = service_starts(request.entries, reply.entries)
    space = SPACE[verdicts.family]
    bounds = [block_bounds(e.cidr)[1:] for e in request.entries + reply.entries]
    addresses = segment_starts(bounds, space)
    s = np.repeat(np.array(services, _U64), len(addresses))
    a = list(addresses) * len(services)
    request_denied = verdicts.denied(verdicts.points, request.point, request.base, s, a)
    protocol = s >> _U64(16)
    ported = (protocol == 6) | (protocol == 17)
    icmp = (protocol == 1) | (protocol == 58)
    answer = verdicts.icmp_reply[
        (protocol == 58).astype(np.int64), ((s >> _U64(8)) & _U64(0xFF)).astype(np.int64)
    ]
    reply_service = (protocol << _U64(16)) | np.where(
        icmp, np.maximum(answer, 0).astype(_U64) << _U64(8), _U64(0)
    )
    by_point = verdicts.denied(verdicts.points, reply.point, reply.base, reply_service, a)
    by_range = verdicts.denied(verdicts.ranges, reply.ranged, reply.base, reply_service, a)
    reply_denied = np.where(ported, by_range, by_point) & ~(icmp & (answer < 0))
    labels = (request_denied * REQUEST_DENIED + reply_denied * REPLY_DENIED).reshape(
        len(services), len(addresses)
    )
    ends = [*addresses[1:], space]
    rects = []
    for i, row in enumerate(labels):
        s_lo = services[i]
        s_hi = (services[i + 1] if i + 1 < len(services) else SERVICE_SPACE) - 1
        starts = np.concatenate(([0], np.flatnonzero(np.diff(row)) + 1))
        for j, start in enumerate(starts.tolist()):
            label = int(row[start])
            if label:
                stop = int(starts[j + 1]) if j + 1 < len(starts) else len(addresses)
                rects.append(Rect(s_lo, s_hi, addresses[start], ends[stop - 1] - 1, label))
    return rects


def service_starts(
    request: Sequence[NetworkAclEntry], reply: Sequence[NetworkAclEntry]
) -> list[int]:
    """Where either verdict of a hop end may change along the request's service axis."""
    cuts = {0}
    for e in request:
        lo, hi = entry_service_range(e)
        cuts.update((lo, hi + 1))
    named = {int(e.protocol) for e in reply if e.protocol != ALL_PROTOCOLS}
    for p in named | {1, 6, 17, 58}:
        cuts.update((p << 16, (p + 1) << 16))
    for p, t in ICMP_REPLY:
        cuts.update((p << 16 | t << 8, p << 16 | (t + 1) << 8))
    return sorted(c for c in cuts if c < SERVICE_SPACE)


def entry_service_range(e: NetworkAclEntry) -> tuple[int, int]:
    """The inclusive service interval an ACL entry covers (see :mod:`tables`)."""
    if e.protocol == ALL_PROTOCOLS:
        return 0, SERVICE_SPACE - 1
    base = int(e.protocol) << 16
    if e.port_range is not None:
        return base | e.port_range[0], base | e.port_range[1]
    if e.icmp_type is not None and e.icmp_type != -1:
        if e.icmp_code is None or e.icmp_code == -1:
            return base | e.icmp_type << 8, base | e.icmp_type << 8 | 0xFF
        return (base | e.icmp_type << 8 | e.icmp_code,) * 2
    return base, base | 0xFFFF


def _coordinates(table: FamilyTables, family: int, addresses: list[int]) -> np.ndarray:
    if family == 4:
        return np.array(addresses, _U64)
    hi = np.array([a >> 64 for a in addresses], _U64)
    lo = np.array([a & _MASK64 for a in addresses], _U64)
    return table.rank(hi, lo)
