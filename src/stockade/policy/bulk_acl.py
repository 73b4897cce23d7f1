"""Network ACL crossings over arrays of flows: ``decide_many``'s twin of ``acl_path``.

Each ACL direction and family is compiled into the same painted interval tables the
security groups use (:mod:`stockade.policy.tables`): an entry is a rectangle service ×
address labelled with its position in rule-number order, so "lowest label wins" is
first match. A request (or an ICMP reply, or a portless protocol's reply) is one point
lookup.

A TCP/UDP reply is judged against a whole port range (the client's ephemeral ports, or a
NAT gateway's), which is not a point. Its verdict depends only on the remote address's
segment (cut by the direction's CIDR bounds) and the protocol, so it is precomputed per
(ACL direction, family, range): :func:`~stockade.domain.network_acl.decide_ports` — the
scalar engine's evaluation — is run once per segment, and the deciding entry painted as
a one-row table. A reply lookup is then a point lookup too.

Which crossings a flow makes comes from :mod:`stockade.policy.acl_plan` (the scalar
engine's table), evaluated per (case, NAT, same-subnet) group of flows.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from functools import partial
from itertools import product

import numpy as np

from stockade.domain.network_acl import (
    ALL_PROTOCOLS,
    ICMP_REPLY,
    NetworkAcl,
    NetworkAclEntry,
    decide_ports,
)
from stockade.domain.state import Snapshot
from stockade.policy.acl_plan import Addr, Crossing, Ports, Where, crossings_of
from stockade.policy.addressing import SPACE, block_bounds
from stockade.policy.decision import PacketLeg
from stockade.policy.flow import EPHEMERAL_PORTS, NAT_GATEWAY_PORTS
from stockade.policy.paint import Rect, segment_starts
from stockade.policy.reasons import Reason
from stockade.policy.tables import SERVICE_SPACE, FamilyTables, TableBuilder
from stockade.policy.topology import Case

_U64 = np.uint64
RANGES = {Ports.CLIENT: EPHEMERAL_PORTS, Ports.NAT: NAT_GATEWAY_PORTS}
_RANGE_INDEX = {Ports.CLIENT: 0, Ports.NAT: 1}


@dataclass(frozen=True)
class CompiledAcls:
    """Every ACL of a snapshot as tables, and which ACL each interface / NAT gateway is in."""

    acl_of_eni: np.ndarray  # int64 per interface (compiled order): ACL index, -1 none
    subnet_of_eni: np.ndarray  # int64 per interface: a subnet number (for "same subnet")
    acl_of_nat: np.ndarray  # int64 per NAT gateway (snapshot order)
    subnet_of_nat: np.ndarray
    point: np.ndarray  # int64 [acl, egress, family]: table id in ``points``
    ranged: np.ndarray  # int64 [acl, egress, family, range]: table id in ``ranges``
    base: np.ndarray  # int64 [acl, egress, family]: offset of its entries in ``allows``
    allows: np.ndarray  # bool per compiled entry
    points: tuple[FamilyTables, FamilyTables]
    ranges: tuple[FamilyTables, FamilyTables]
    #: the reply's ICMP type per (ICMP 0 / ICMPv6 1, request type); -1: no reply
    icmp_reply: np.ndarray


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

    enis = [where(snapshot.interface_by_id[e].subnet_id) for e in eni_ids]
    nats = [where(n.subnet_id) for n in snapshot.nat_gateways]
    points = (TableBuilder(4, split_wide=False), TableBuilder(6, split_wide=False))
    ranges = (TableBuilder(4, split_wide=False), TableBuilder(6, split_wide=False))
    count = max(len(acls), 1)
    point = np.zeros((count, 2, 2), np.int64)
    ranged = np.zeros((count, 2, 2, 2), np.int64)
    base = np.zeros((count, 2, 2), np.int64)
    allows: list[bool] = []
    for a, acl in enumerate(acls):
        for egress, (f, family) in product((0, 1), enumerate((4, 6))):
            entries = acl.ordered.get((bool(egress), family), ())
            base[a, egress, f] = len(allows)
            allows.extend(e.allows for e in entries)
            point[a, egress, f] = points[f].add_rects(entries, partial(_entry_rects, entries))
            for kind, r in _RANGE_INDEX.items():
                key = (entries, kind)
                ranged[a, egress, f, r] = ranges[f].add_rects(
                    key, partial(_range_rects, acl, bool(egress), family, entries, RANGES[kind])
                )
    icmp_reply = np.full((2, 256), -1, np.int64)
    for (protocol, request), answer in ICMP_REPLY.items():
        icmp_reply[0 if protocol == 1 else 1, request] = answer
    return CompiledAcls(
        np.array([a for a, _ in enis], np.int64),
        np.array([s for _, s in enis], np.int64),
        np.array([a for a, _ in nats], np.int64),
        np.array([s for _, s in nats], np.int64),
        point,
        ranged,
        base,
        np.array(allows + [False], bool),
        (points[0].build(), points[1].build()),
        (ranges[0].build(), ranges[1].build()),
        icmp_reply,
    )


def _entry_rects(entries: tuple[NetworkAclEntry, ...]) -> list[Rect]:
    """Each entry as a rectangle service × address, labelled with its evaluation order."""
    rects = []
    for label, e in enumerate(entries):
        _, lo, hi = block_bounds(e.cidr)
        s_lo, s_hi = _service_range(e)
        rects.append(Rect(s_lo, s_hi, lo, hi, label))
    return rects


def _service_range(e: NetworkAclEntry) -> tuple[int, int]:
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
    protocol: np.ndarray  # uint8
    service: np.ndarray  # uint64 (the request's)
    icmp_type: np.ndarray


def acl_reasons(acls: CompiledAcls, flows: AclFlows) -> np.ndarray:
    """``ACL_REQUEST_DENIED`` / ``ACL_REPLY_DENIED`` flags per flow."""
    n = len(flows.protocol)
    out = np.zeros(n, _U64)
    e1, e2, nat = np.maximum(flows.e1, 0), np.maximum(flows.e2, 0), np.maximum(flows.nat, 0)
    subnet = {
        Where.SOURCE: acls.subnet_of_eni[e1],
        Where.DESTINATION: acls.subnet_of_eni[e2],
        Where.NAT: acls.subnet_of_nat[nat] if len(acls.subnet_of_nat) else np.full(n, -1),
    }
    acl = {
        Where.SOURCE: np.where(flows.e1 >= 0, acls.acl_of_eni[e1], -1),
        Where.DESTINATION: np.where(flows.e2 >= 0, acls.acl_of_eni[e2], -1),
        Where.NAT: np.where(flows.nat >= 0, acls.acl_of_nat[nat], -1)
        if len(acls.acl_of_nat)
        else np.full(n, -1),
    }
    via_nat = flows.nat >= 0
    same_nat = via_nat & (subnet[Where.SOURCE] == subnet[Where.NAT])
    same_dst = (
        (flows.e1 >= 0) & (flows.e2 >= 0) & (subnet[Where.SOURCE] == subnet[Where.DESTINATION])
    )
    # one group per (case, NAT used, same NAT subnet, same destination subnet): a code
    cases = list(flows.cases)
    code = via_nat * 4 + same_nat * 2 + same_dst.astype(np.int64)
    for c, case in enumerate(cases):
        code += flows.cases[case] * (8 * c)
    # every crossing once, over the rows of all groups that make it
    rows_of: dict[Crossing, list[np.ndarray]] = {}
    for value in np.flatnonzero(np.bincount(code, minlength=8 * len(cases))):
        case, bits = cases[value // 8], value % 8
        same = {
            (Where.SOURCE, Where.NAT): bool(bits & 2),
            (Where.SOURCE, Where.DESTINATION): bool(bits & 1),
        }
        plan = crossings_of(case, bool(bits & 4), same)
        if plan:
            rows = np.flatnonzero(code == value)
            for crossing in plan:
                rows_of.setdefault(crossing, []).append(rows)
    reply = _reply_service(acls, flows)
    for crossing, parts in rows_of.items():
        rows = parts[0] if len(parts) == 1 else np.concatenate(parts)
        at = acl[crossing.subnet][rows]
        denied = _denied(acls, flows, crossing, rows, at, reply)
        flag = (
            Reason.ACL_REQUEST_DENIED
            if crossing.leg is PacketLeg.REQUEST
            else Reason.ACL_REPLY_DENIED
        )
        out[rows[denied]] |= _U64(flag.value)
    return out


def _reply_service(acls: CompiledAcls, flows: AclFlows) -> np.ndarray:
    """The reply's service per flow (ICMP: the answering type, code 0; TCP/UDP: the
    protocol alone, for the range tables); ``-1`` as uint64 max where no reply."""
    protocol = flows.protocol.astype(np.int64)
    icmp = (protocol == 1) | (protocol == 58)
    kind = np.where(protocol == 58, 1, 0)
    answer = acls.icmp_reply[kind, flows.icmp_type.astype(np.int64)]
    reply_icmp = (protocol.astype(_U64) << _U64(16)) | (
        np.maximum(answer, 0).astype(_U64) << _U64(8)
    )
    ported = (protocol == 6) | (protocol == 17)
    out = np.where(icmp, reply_icmp, flows.service)
    out = np.where(ported, protocol.astype(_U64) << _U64(16), out)
    none = np.iinfo(np.uint64).max
    return np.where(icmp & (answer < 0), _U64(none), out)


def _denied(
    acls: CompiledAcls,
    flows: AclFlows,
    crossing: Crossing,
    rows: np.ndarray,
    at: np.ndarray,
    reply_service: np.ndarray,
) -> np.ndarray:
    """Which of ``rows`` the crossing denies (``at``: the ACL index, -1 none)."""
    f = 0 if flows.family == 4 else 1
    egress = 1 if crossing.egress else 0
    request = crossing.leg is PacketLeg.REQUEST
    service = flows.service[rows] if request else reply_service[rows]
    applies = at >= 0
    if not request:
        applies &= service != np.iinfo(np.uint64).max  # an ICMP type that gets no reply
    denied = np.zeros(len(rows), bool)
    if not applies.any():
        return denied
    keep = np.flatnonzero(applies)
    acl = at[keep]
    service = service[keep]
    hi, lo = {
        Addr.SOURCE: flows.s,
        Addr.DESTINATION: flows.d,
        Addr.SEEN: flows.seen,
    }[crossing.remote]
    hi, lo = hi[rows[keep]], lo[rows[keep]]
    protocol = flows.protocol[rows[keep]]
    ported = (protocol == 6) | (protocol == 17)
    if request or crossing.ports is None:
        ported[:] = False
    r = _RANGE_INDEX.get(crossing.ports, 0) if crossing.ports is not None else 0
    label = np.full(len(keep), -1, np.int64)
    for use_range in (False, True):
        part = ported if use_range else ~ported
        if not part.any():
            continue
        if use_range:
            tables, table = acls.ranges[f], acls.ranged[acl[part], egress, f, r]
        else:
            tables, table = acls.points[f], acls.point[acl[part], egress, f]
        coord = lo[part] if f == 0 else tables.rank(hi[part], lo[part])
        label[part] = tables.lookup(table, service[part], coord)
    found = np.where(label >= 0, acls.base[acl, egress, f] + label, len(acls.allows) - 1)
    denied[keep] = ~acls.allows[found]
    return denied
