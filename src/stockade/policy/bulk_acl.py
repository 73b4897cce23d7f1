"""Network ACL crossings over arrays of flows: ``decide_many``'s twin of ``acl_path``.

Each ACL direction and family is compiled into the same painted interval tables the
security groups use (:mod:`stockade.policy.tables`): an entry is a rectangle service ×
address labelled with its position in rule-number order, so "lowest label wins" is
first match. A TCP/UDP reply is judged against a whole port range (the client's
ephemeral ports, or a NAT gateway's), which is not a point; its verdict depends only on
the remote address's segment (cut by the direction's CIDR bounds) and the protocol, so
it is precomputed per (ACL direction, family, range) with
:func:`~stockade.domain.network_acl.decide_ports` — the scalar engine's evaluation — and
the deciding entry painted as a one-row table.

Those per-direction tables are then folded, at compile time, into one table per hop end
(:mod:`stockade.policy.bulk_acl_ends`): the request's crossing and its reply's crossing
back, both verdicts from one lookup on the request's service and the remote address.
Which hop ends a flow crosses comes from :mod:`stockade.policy.acl_plan` (the scalar
engine's table), per (case, NAT, same-subnet) group of flows; every hop end of a chunk
is then decided by a single lookup over all of them (measured in bench/decide_nacl.py).

A flow that names its client port (``FlowBatch.source_port``) has, on the hops whose reply
goes to the client's ports, a reply of one port rather than a range: those lookups keep
the hop end's request verdict and take the reply's from one more lookup of that packet in
the reply direction's first-match table (``Verdicts.points``) — still vectorised; past a
NAT gateway the reply goes to the gateway's range whatever the client's port.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import cache, partial
from itertools import product

import numpy as np

from stockade.domain.network_acl import ICMP_REPLY, NetworkAcl, NetworkAclEntry, decide_ports
from stockade.domain.state import Snapshot
from stockade.policy.acl_plan import (
    PORT_RANGES,
    Addr,
    End,
    Ports,
    Where,
    crossings_of,
    ends_of,
)
from stockade.policy.addressing import SPACE, block_bounds
from stockade.policy.bulk_acl_ends import (
    REPLY_DENIED,
    REQUEST_DENIED,
    Direction,
    Verdicts,
    end_rects,
    entry_service_range,
)
from stockade.policy.paint import Rect, segment_starts
from stockade.policy.reasons import Reason
from stockade.policy.tables import FamilyTables, TableBuilder
from stockade.policy.topology import Case

_U64 = np.uint64
RANGE_INDEX = {Ports.CLIENT: 0, Ports.NAT: 1}


@dataclass(frozen=True)
class CompiledAcls:
    """Every ACL of a snapshot as hop-end tables, and which ACL each interface / NAT
    gateway is in. The per-interface / per-NAT arrays end with a sentinel, so index -1
    (external, no NAT gateway) reads "no ACL" and a subnet number no real one equals."""

    acl_of_eni: np.ndarray  # int64 per interface (compiled order), then -1: ACL index
    subnet_of_eni: np.ndarray  # int64 per interface, then -1: a subnet number
    acl_of_nat: np.ndarray  # int64 per NAT gateway (snapshot order), then -1
    subnet_of_nat: np.ndarray  # then -2
    #: int64 [acl, request egress, family, reply range]: table id in ``ends``
    end: np.ndarray
    ends: tuple[FamilyTables, FamilyTables]
    empty: bool  # no interface or NAT gateway is in an ACL: nothing to cross
    #: per family, each direction's first-match tables: a reply to the client's one port
    #: (a flow that names its source port) is a point, looked up there
    verdicts: tuple[Verdicts, Verdicts]
    #: int64 [acl, egress, family]: that direction's table id in ``verdicts[f].points``
    #: and its entries' offset in ``verdicts[f].allows``
    point: np.ndarray
    base: np.ndarray


def compile_acls(snapshot: Snapshot, eni_ids: tuple[str, ...]) -> CompiledAcls:
    by_subnet = snapshot.network_acl_by_subnet
    acls = sorted(
        {a.network_acl_id: a for a in by_subnet.values() if a.network_acl_id}.values(),
        key=lambda a: a.network_acl_id,
    )
    acl_index = {a.network_acl_id: i for i, a in enumerate(acls)}
    subnet_number: dict[str, int] = {}

    def where(subnet_id: str) -> tuple[int, int]:
        number = subnet_number.setdefault(subnet_id, len(subnet_number))
        acl = by_subnet.get(subnet_id)
        return (acl_index[acl.network_acl_id] if acl and acl.network_acl_id else -1), number

    enis = [where(snapshot.interface_by_id[e].subnet_id) for e in eni_ids] + [(-1, -1)]
    nats = [where(n.subnet_id) for n in snapshot.nat_gateways] + [(-1, -2)]
    directions, verdicts = direction_tables(acls)
    ends = (TableBuilder(4, split_wide=False), TableBuilder(6, split_wide=False))
    end = np.zeros((max(len(acls), 1), 2, 2, 2), np.int64)
    point = np.zeros((max(len(acls), 1), 2, 2), np.int64)
    base = np.zeros_like(point)
    for a, egress, f, (kind, r) in product(range(len(acls)), (0, 1), (0, 1), RANGE_INDEX.items()):
        request, reply = directions[a, egress, f, r], directions[a, 1 - egress, f, r]
        key = (request.entries, reply.entries, kind)
        end[a, egress, f, r] = ends[f].add_rects(
            key, partial(end_rects, verdicts[f], request, reply)
        )
        point[a, egress, f], base[a, egress, f] = request.point, request.base
    return CompiledAcls(
        np.array([a for a, _ in enis], np.int64),
        np.array([s for _, s in enis], np.int64),
        np.array([a for a, _ in nats], np.int64),
        np.array([s for _, s in nats], np.int64),
        end,
        (ends[0].build(), ends[1].build()),
        all(a < 0 for a, _ in enis + nats),
        verdicts,
        point,
        base,
    )


def direction_tables(
    acls: list[NetworkAcl],
) -> tuple[dict[tuple[int, int, int, int], Direction], tuple[Verdicts, Verdicts]]:
    """Each ACL direction's first-match and port-range tables, per family."""
    points = (TableBuilder(4, split_wide=False), TableBuilder(6, split_wide=False))
    ranges = (TableBuilder(4, split_wide=False), TableBuilder(6, split_wide=False))
    directions = {}
    allows: list[bool] = []
    for a, acl in enumerate(acls):
        for egress, (f, family) in product((0, 1), enumerate((4, 6))):
            entries = acl.ordered.get((bool(egress), family), ())
            base = len(allows)
            allows.extend(e.allows for e in entries)
            point = points[f].add_rects(entries, partial(_entry_rects, entries))
            for kind, r in RANGE_INDEX.items():
                ranged = ranges[f].add_rects(
                    (entries, kind),
                    partial(_range_rects, acl, bool(egress), family, entries, PORT_RANGES[kind]),
                )
                directions[a, egress, f, r] = Direction(entries, point, ranged, base)
    icmp_reply = np.full((2, 256), -1, np.int64)
    for (protocol, request), answer in ICMP_REPLY.items():
        icmp_reply[0 if protocol == 1 else 1, request] = answer
    table = np.array(allows + [False], bool)
    verdicts = tuple(
        Verdicts(family, points[f].build(), ranges[f].build(), table, icmp_reply)
        for f, family in enumerate((4, 6))
    )
    return directions, (verdicts[0], verdicts[1])


def _entry_rects(entries: tuple[NetworkAclEntry, ...]) -> list[Rect]:
    """Each entry as a rectangle service × address, labelled with its evaluation order."""
    rects = []
    for label, e in enumerate(entries):
        _, lo, hi = block_bounds(e.cidr)
        s_lo, s_hi = entry_service_range(e)
        rects.append(Rect(s_lo, s_hi, lo, hi, label))
    return rects


def _range_rects(
    acl: NetworkAcl,
    egress: bool,
    family: int,
    entries: tuple[NetworkAclEntry, ...],
    ports: tuple[int, int],
) -> list[Rect]:
    """The deciding entry for a whole port range, per address segment, TCP and UDP."""
    label = {id(e): i for i, e in enumerate(entries)}
    bounds = [block_bounds(e.cidr)[1:] for e in entries]
    starts = segment_starts(bounds, SPACE[family])
    make = ipaddress.IPv4Address if family == 4 else ipaddress.IPv6Address
    rects = []
    for i, start in enumerate(starts):
        end = starts[i + 1] - 1 if i + 1 < len(starts) else SPACE[family] - 1
        for protocol in (6, 17):
            entry, _ = decide_ports(acl, egress, family, make(start), protocol, ports)
            if entry is not None:
                service = protocol << 16
                rects.append(Rect(service, service | 0xFFFF, start, end, label[id(entry)]))
    return rects


@cache
def _plan(case: Case, via_nat: bool, same_nat: bool, same_dst: bool) -> tuple[End, ...]:
    same = {(Where.SOURCE, Where.NAT): same_nat, (Where.SOURCE, Where.DESTINATION): same_dst}
    return ends_of(crossings_of(case, via_nat, same))


@dataclass(frozen=True)
class AclFlows:
    """One chunk of flows of one family, as the ACL crossings need them."""

    family: int
    cases: dict[Case, np.ndarray]
    e1: np.ndarray  # interface index (-1 external)
    e2: np.ndarray
    nat: np.ndarray  # NAT gateway index where the source leaves through one, else -1
    s: tuple[np.ndarray, np.ndarray]  # the source as sent (hi, lo)
    d: tuple[np.ndarray, np.ndarray]
    seen: tuple[np.ndarray, np.ndarray]
    service: np.ndarray  # uint64: the request's (the hop-end tables derive the reply's)
    #: int32 per flow, the TCP/UDP client port it names (-1: the whole ephemeral range);
    #: ``None``: no flow names one
    client_port: np.ndarray | None = None


def acl_reasons(acls: CompiledAcls, flows: AclFlows) -> np.ndarray:
    """``ACL_REQUEST_DENIED`` / ``ACL_REPLY_DENIED`` flags per flow."""
    n = len(flows.service)
    out = np.zeros(n, _U64)
    if acls.empty or n == 0:
        return out
    rows_of = _rows_per_end(acls, flows)
    if not rows_of:
        return out
    acl_of = {
        Where.SOURCE: (acls.acl_of_eni, flows.e1),
        Where.DESTINATION: (acls.acl_of_eni, flows.e2),
        Where.NAT: (acls.acl_of_nat, flows.nat),
    }
    remote_of = {Addr.SOURCE: flows.s, Addr.DESTINATION: flows.d, Addr.SEEN: flows.seen}
    f = 0 if flows.family == 4 else 1
    rows_all, tables, los, his = [], [], [], []
    exact: list[tuple[np.ndarray, np.ndarray, int]] = []  # client-port ends: named, ACL, way
    for end, parts in rows_of.items():
        rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
        of, index = acl_of[end.subnet]
        at = of[index[rows]]
        crossing = at >= 0
        if not crossing.all():
            rows, at = rows[crossing], at[crossing]
        hi, lo = remote_of[end.remote]
        rows_all.append(rows)
        tables.append(acls.end[at, int(end.egress), f, RANGE_INDEX[end.ports]])
        los.append(lo[rows])
        if f:
            his.append(hi[rows])
        if flows.client_port is not None:  # the reply to a client port the flow names
            client = end.ports is Ports.CLIENT
            named = flows.client_port[rows] >= 0 if client else np.zeros(len(rows), bool)
            exact.append((named, at, int(not end.egress)))
    rows = np.concatenate(rows_all)
    lo = np.concatenate(los)
    high = np.concatenate(his) if f else None
    tables_f = acls.ends[f]
    coord = lo if high is None else tables_f.rank(high, lo)
    label = tables_f.lookup(np.concatenate(tables), flows.service[rows], coord)
    if exact:
        assert flows.client_port is not None
        named = np.flatnonzero(np.concatenate([n for n, _, _ in exact]))
        if len(named):
            acl = np.concatenate([a for _, a, _ in exact])[named]
            way = np.concatenate([np.full(len(n), w, np.int64) for n, _, w in exact])[named]
            at = rows[named]
            port = flows.client_port[at].astype(_U64)
            service = (flows.service[at] & ~_U64(0xFFFF)) | port
            remote = (None if high is None else high[named], lo[named])
            label[named] = _replies_to_client_ports(
                acls, f, (acl, way, service), remote, label[named]
            )
    denied = label > 0
    rows, label = rows[denied], label[denied]
    out[rows[(label & REQUEST_DENIED) > 0]] |= _U64(Reason.ACL_REQUEST_DENIED.value)
    out[rows[(label & REPLY_DENIED) > 0]] |= _U64(Reason.ACL_REPLY_DENIED.value)
    return out


def _replies_to_client_ports(
    acls: CompiledAcls,
    f: int,
    lookup: tuple[np.ndarray, np.ndarray, np.ndarray],
    remote: tuple[np.ndarray | None, np.ndarray],
    label: np.ndarray,
) -> np.ndarray:
    """``label`` (hop-end lookups) with the reply re-judged as one packet to the client's
    port, in the reply direction's first-match table, instead of as the whole ephemeral
    range. ``lookup``: each one's ACL, the reply's direction (1: egress) and service."""
    acl, egress, service = lookup
    hi, lo = remote
    reply_denied = acls.verdicts[f].denied_at(
        acls.point[acl, egress, f], acls.base[acl, egress, f], service, hi, lo
    )
    request: np.ndarray = np.where(label > 0, label & REQUEST_DENIED, 0)  # -1: both allowed
    return request | np.where(reply_denied, REPLY_DENIED, 0)


def _rows_per_end(acls: CompiledAcls, flows: AclFlows) -> dict[End, list[np.ndarray]]:
    """Per hop end, the rows (in groups) that cross it: flows are grouped by (case, NAT
    used, same NAT subnet, same destination subnet), which fixes their hop ends."""
    s1 = acls.subnet_of_eni[flows.e1]
    via_nat = flows.nat >= 0
    same_nat = s1 == acls.subnet_of_nat[flows.nat]  # -1 / -2 sentinels never meet
    same_dst = (s1 == acls.subnet_of_eni[flows.e2]) & (s1 >= 0)
    cases = list(flows.cases)
    code = (via_nat * 4 + same_nat * 2 + same_dst).astype(np.uint8)
    for c, case in enumerate(cases):
        code += flows.cases[case].astype(np.uint8) * np.uint8(8 * c)
    order = np.argsort(code, kind="stable")  # a radix sort of small codes
    counts = np.bincount(code, minlength=8 * len(cases))
    starts = np.cumsum(counts) - counts
    rows_of: dict[End, list[np.ndarray]] = {}
    for value in np.flatnonzero(counts).tolist():
        plan = _plan(cases[value // 8], bool(value & 4), bool(value & 2), bool(value & 1))
        if plan:
            rows = order[starts[value] : starts[value] + counts[value]]
            for end in plan:
                rows_of.setdefault(end, []).append(rows)
    return rows_of
