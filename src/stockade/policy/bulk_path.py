"""The topology rules of :mod:`stockade.policy.topology`, evaluated over arrays of flows.

:class:`Topology` holds the snapshot's address book and per-interface / per-VPC facts as
NumPy arrays; :func:`route_many` computes, for every flow at once, its end interfaces,
its :class:`~stockade.policy.topology.Case` (one boolean mask per case), every path-level
blocking reason (the same :class:`~stockade.policy.reasons.Reason` flags ``decide``
reports) and which security-group checks apply, with which remote address. Which checks
apply to which case comes from the shared table (``PATH_RULES``); this module only says
how each :class:`~stockade.policy.topology.Check` fails, vectorised. The property tests
compare it with ``path.route`` flow by flow.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from stockade.domain.state import Snapshot
from stockade.policy.address_book import address_book
from stockade.policy.addressing import (
    RFC1918,
    RFC6598,
    block_bounds,
    is_public_address,
    parse_address,
)
from stockade.policy.bulk_routes import FamilyRoutes, RouteArrays, build_routes, lookup_many
from stockade.policy.interface_reach import end_state
from stockade.policy.reasons import Reason
from stockade.policy.routes import Hop, vpc_blocks
from stockade.policy.tables import SortedKeys, to_bytes16
from stockade.policy.topology import (
    END_REASON,
    EXIT_RULES,
    PATH_RULES,
    REASON,
    STATE_PROBLEM,
    Case,
    Check,
    Role,
    SeenAs,
)

_U64 = np.uint64
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Topology:
    v4_keys: SortedKeys  # every interface address (IPv4)
    v4_owner: np.ndarray  # int64: interface index
    v4_public: np.ndarray  # bool: the address is that interface's public IP
    v6_keys: np.ndarray  # S16, sorted
    v6_owner: np.ndarray
    v6_public: np.ndarray  # bool: a public (internet) IPv6 address
    vpc: np.ndarray  # int64 per interface
    subnet: np.ndarray  # int64 per interface: its subnet (an index)
    instance: np.ndarray  # int64 per interface (-1: not attached)
    state: np.ndarray  # uint8 per interface: an EndState
    private4: np.ndarray  # uint64 per interface
    public4: np.ndarray  # uint64 per interface
    has_public4: np.ndarray  # bool per interface
    igw: np.ndarray  # bool per VPC
    #: uint64 [VPC, block, 2]: first, last of each IPv4 block (a VPC has up to five; a
    #: missing one is 0, 0 with has_cidr4 [VPC, block] False)
    cidr4: np.ndarray
    has_cidr4: np.ndarray
    cidr6: np.ndarray  # uint64 [VPC, 4]: first hi, first lo, last hi, last lo
    has_cidr6: np.ndarray
    routes: RouteArrays  # each interface's subnet table, painted; NAT gateways


def build_topology(snapshot: Snapshot, eni_ids: tuple[str, ...]) -> Topology:
    index = {eni_id: i for i, eni_id in enumerate(eni_ids)}
    book = address_book(snapshot)
    v4 = sorted((v, index[o.eni_id], o.kind == "public") for (f, v), o in book.items() if f == 4)
    v6 = sorted(
        (v, index[o.eni_id], is_public_address(6, v)) for (f, v), o in book.items() if f == 6
    )
    enis = [snapshot.interface_by_id[e] for e in eni_ids]
    peer_vpcs = {s.vpc_id for p in snapshot.peerings for s in (p.requester, p.accepter)}
    vpc_ids = sorted({v.vpc_id for v in snapshot.vpcs} | {e.vpc_id for e in enis} | peer_vpcs)
    vpc_index = {v: i for i, v in enumerate(vpc_ids)}
    instance_ids = sorted({e.instance_id for e in enis if e.instance_id})
    subnet_index = {s: i for i, s in enumerate(sorted({e.subnet_id for e in enis}))}
    instance_index = {v: i for i, v in enumerate(instance_ids)}

    blocks4 = {v: vpc_blocks(snapshot, v, 4) for v in vpc_ids}
    width = max((len(b) for b in blocks4.values()), default=1) or 1
    cidr4 = np.zeros((len(vpc_ids), width, 2), _U64)
    cidr6 = np.zeros((len(vpc_ids), 4), _U64)
    has4 = np.zeros((len(vpc_ids), width), bool)
    has6 = np.zeros(len(vpc_ids), bool)
    for vpc_id, i in vpc_index.items():
        for k, block4 in enumerate(blocks4[vpc_id]):
            _, lo, hi = block_bounds(block4)
            cidr4[i, k], has4[i, k] = (lo, hi), True
        block6 = next(iter(vpc_blocks(snapshot, vpc_id, 6)), None)
        if block6:
            _, lo, hi = block_bounds(block6)
            cidr6[i] = (lo >> 64, lo & _MASK64, hi >> 64, hi & _MASK64)
            has6[i] = True
    return Topology(
        v4_keys=SortedKeys.of(np.array([a for a, _, _ in v4], _U64)),
        v4_owner=np.array([o for _, o, _ in v4], np.int64),
        v4_public=np.array([p for _, _, p in v4], bool),
        v6_keys=np.array([a.to_bytes(16, "big") for a, _, _ in v6], "S16"),
        v6_owner=np.array([o for _, o, _ in v6], np.int64),
        v6_public=np.array([p for _, _, p in v6], bool),
        vpc=np.array([vpc_index[e.vpc_id] for e in enis], np.int64),
        subnet=np.array([subnet_index[e.subnet_id] for e in enis], np.int64),
        instance=np.array(
            [instance_index.get(e.instance_id, -1) if e.instance_id else -1 for e in enis],
            np.int64,
        ),
        state=np.array([end_state(snapshot, e) for e in enis], np.uint8),
        private4=np.array([_v4(e.private_ip) for e in enis], _U64),
        public4=np.array([_v4(e.public_ip) if e.public_ip else 0 for e in enis], _U64),
        has_public4=np.array([bool(e.public_ip) for e in enis], bool),
        igw=np.array([snapshot.internet_gateway_for(v) is not None for v in vpc_ids], bool),
        cidr4=cidr4,
        has_cidr4=has4,
        cidr6=cidr6,
        has_cidr6=has6,
        routes=build_routes(snapshot, [e.subnet_id for e in enis], vpc_index),
    )


def _v4(text: str) -> int:
    family, value = parse_address(text)
    return value if family == 4 else 0


@dataclass
class PathArrays:
    """Per flow: end interfaces (-1 external), blocking reasons, which checks apply."""

    src: np.ndarray
    dst: np.ndarray
    reasons: np.ndarray  # uint64 Reason flags
    check_egress: np.ndarray  # bool
    check_ingress: np.ndarray  # bool
    ingress_hi: np.ndarray  # remote address for the ingress check (uint64 halves)
    ingress_lo: np.ndarray
    #: one mask per case (``None``: no interfaces, no case) — what the ACL crossings need
    cases: dict[Case, np.ndarray] | None = None
    #: the NAT gateway (index) the source leaves through, else -1
    nat: np.ndarray | None = None


def owners(
    topo: Topology, family: int, hi: np.ndarray, lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Interface index holding each address (-1: external) and its "public" flag."""
    if family == 4:
        if topo.v4_keys.size == 0:
            return np.full(len(lo), -1, np.int64), np.zeros(len(lo), bool)
        at = topo.v4_keys.floor(lo)
        hit = topo.v4_keys.keys[at] == lo  # at -1 reads a sentinel, never an address
        return np.where(hit, topo.v4_owner[at], -1), hit & topo.v4_public[at]
    keys, owner, public = topo.v6_keys, topo.v6_owner, topo.v6_public
    query = to_bytes16(hi, lo)
    if len(keys) == 0:
        return np.full(len(lo), -1, np.int64), np.zeros(len(lo), bool)
    i = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    hit = keys[i] == query
    return np.where(hit, owner[i], -1), hit & public[i]


def route_many(
    topo: Topology,
    family: int,
    s_hi: np.ndarray,
    s_lo: np.ndarray,
    d_hi: np.ndarray,
    d_lo: np.ndarray,
) -> PathArrays:
    """Vectorised ``path.route`` for address-given flows of one family."""
    e1, pub1 = owners(topo, family, s_hi, s_lo)
    e2, pub2 = owners(topo, family, d_hi, d_lo)
    has1, has2 = e1 >= 0, e2 >= 0
    i1, i2 = np.where(has1, e1, 0), np.where(has2, e2, 0)
    reasons = np.zeros(len(e1), _U64)
    if len(topo.vpc) == 0:  # no interfaces at all
        reasons[:] = _U64(Reason.NO_INTERFACE.value)
        none = np.zeros(len(e1), bool)
        return PathArrays(e1, e2, reasons, none, none, s_hi, s_lo)
    for role, present, index in ((Role.SOURCE, has1, i1), (Role.DESTINATION, has2, i2)):
        for state, problem in STATE_PROBLEM.items():
            mask = present & (topo.state[index] == state)
            reasons[mask] |= _U64(END_REASON[role, problem].value)
    flows = _Flows(topo, family, s_hi, s_lo, d_hi, d_lo, i1, i2, pub1, pub2, has1, has2)
    cases = _cases(flows, has1, has2)
    hops = {hop: flows.out_hop == hop for hop in EXIT_RULES}
    flows.seen_lo = _seen_as(flows, cases, hops, has1)
    for check in Check:
        applies = np.zeros(len(e1), bool)
        for case, rule in PATH_RULES.items():
            if check in rule.checks:
                applies |= cases[case]
            if rule.exits:
                for hop, exit_rule in EXIT_RULES.items():
                    if check in exit_rule.checks:
                        applies |= cases[case] & hops[hop]
        if applies.any():
            reasons[applies & _FAILS[check](flows)] |= _U64(REASON[check].value)
    groups = np.zeros(len(e1), bool)
    for case, rule in PATH_RULES.items():
        if rule.groups_apply:
            groups |= cases[case]
    via_nat = has1 & (flows.out_hop == Hop.NAT) & (flows.out_nat >= 0)
    return PathArrays(
        e1,
        e2,
        reasons,
        has1 & groups,
        has2 & groups,
        s_hi,
        flows.seen_lo,
        cases,
        np.where(via_nat, flows.out_nat, -1),
    )


@dataclass
class _Flows:
    """Arrays of address-given flows with their end interfaces (index 0 where external),
    and — computed when a check first needs them — the routes they take."""

    topo: Topology
    family: int
    s_hi: np.ndarray
    s_lo: np.ndarray
    d_hi: np.ndarray
    d_lo: np.ndarray
    i1: np.ndarray
    i2: np.ndarray
    pub1: np.ndarray  # the source address is public (IPv4: an interface's public IP)
    pub2: np.ndarray
    has1: np.ndarray
    has2: np.ndarray
    seen_lo: np.ndarray | None = None  # the source past the path (set once cases are known)

    @property
    def vpc1(self) -> np.ndarray:
        return self.topo.vpc.take(self.i1)

    @property
    def vpc2(self) -> np.ndarray:
        return self.topo.vpc.take(self.i2)

    @cached_property
    def table_routes(self) -> FamilyRoutes:
        """The route tables of the flows' family (painted), and their routes' facts."""
        return self.topo.routes.family(self.family)

    @cached_property
    def out(self) -> np.ndarray:
        """The route entry each flow takes out of the source subnet (0: none)."""
        table = np.where(self.has1, self.topo.routes.table[self.i1], -1)
        return lookup_many(self.table_routes, self.family, table, self.d_hi, self.d_lo)

    @cached_property
    def out_hop(self) -> np.ndarray:
        found: np.ndarray = self.table_routes.hop[self.out]
        return found

    @cached_property
    def out_nat(self) -> np.ndarray:
        found: np.ndarray = self.table_routes.nat[self.out]
        return found

    @cached_property
    def out_peer(self) -> np.ndarray:
        found: np.ndarray = self.table_routes.peer[self.out]
        return found

    @cached_property
    def back(self) -> np.ndarray:
        """The reply's route entry out of the destination subnet, to the source as seen."""
        assert self.seen_lo is not None
        table = np.where(self.has2, self.topo.routes.table[self.i2], -1)
        return lookup_many(self.table_routes, self.family, table, self.s_hi, self.seen_lo)

    @cached_property
    def nat_onward(self) -> np.ndarray:
        """The route entry out of the NAT gateway's subnet (0 where no NAT gateway)."""
        routes = self.topo.routes
        has_nat = (self.out_nat >= 0) & (self.out_hop == Hop.NAT)
        nat = np.maximum(self.out_nat, 0)
        table = np.where(has_nat, routes.nat_table[nat] if len(routes.nat_table) else -1, -1)
        return lookup_many(self.table_routes, self.family, table, self.d_hi, self.d_lo)


def _cases(f: _Flows, has1: np.ndarray, has2: np.ndarray) -> dict[Case, np.ndarray]:
    """One mask per case (the vectorised twin of ``path._case``); they partition the flows."""
    topo = f.topo
    inst1 = topo.instance[f.i1]
    private_dst = ~f.pub2 if f.family == 4 else np.ones(len(has1), bool)
    host = has1 & has2 & (inst1 >= 0) & (inst1 == topo.instance[f.i2]) & private_dst
    outbound = has1 & ~has2
    to_vpc = outbound & _in_vpc(topo, f.family, f.vpc1, f.d_hi, f.d_lo)
    both = has1 & has2 & ~host
    peering = both & (f.vpc1 != f.vpc2) & private_dst & (f.out_hop == Hop.PCX)
    via = both & ~peering & (f.pub2 if f.family == 4 else (f.vpc1 != f.vpc2) & f.pub2)
    other_subnet = topo.subnet[f.i1] != topo.subnet[f.i2]
    rerouted = both & ~peering & ~via & (f.vpc1 == f.vpc2) & other_subnet & (f.out_hop != Hop.LOCAL)
    return {
        Case.NO_INTERFACE: ~has1 & ~has2,
        Case.HOST_LOCAL: host,
        Case.FROM_INTERNET: ~has1 & has2,
        Case.TO_VPC_ADDRESS: to_vpc,
        Case.TO_INTERNET: outbound & ~to_vpc,
        Case.LOCAL: both & ~via & ~peering & ~rerouted,
        Case.REROUTED: rerouted,
        Case.PEERING: peering,
        Case.VIA_INTERNET: via,
    }


def _seen_as(
    f: _Flows, cases: dict[Case, np.ndarray], hops: dict[Hop, np.ndarray], has1: np.ndarray
) -> np.ndarray:
    """The low half of the source address past the path (IPv6 is never translated)."""
    if f.family == 6:
        return f.s_lo
    topo = f.topo
    seen = {how: np.zeros(len(has1), bool) for how in SeenAs}
    for case, rule in PATH_RULES.items():
        if rule.exits:
            for hop, exit_rule in EXIT_RULES.items():
                seen[exit_rule.seen_as] |= cases[case] & hops[hop]
        else:
            seen[rule.seen_as] |= cases[case]
    public = seen[SeenAs.PUBLIC] & topo.has_public4[f.i1]
    out = np.where(public, topo.public4[f.i1], topo.private4[f.i1])
    routes = topo.routes
    nat = seen[SeenAs.NAT] & (f.out_nat >= 0)
    if nat.any():
        out = np.where(nat, routes.nat_address[np.maximum(f.out_nat, 0)], out)
    return np.where(has1 & ~seen[SeenAs.SENT], out, f.s_lo)


def _source_public(f: _Flows) -> np.ndarray:
    return f.topo.has_public4[f.i1] if f.family == 4 else f.pub1


def _special(f: _Flows, values: np.ndarray, ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    if f.family != 4:
        return np.zeros(len(values), bool)
    return _in_any(values, ranges)


def _nat_route(f: _Flows) -> np.ndarray:
    has_nat = (f.out_nat >= 0) & (f.out_hop == Hop.NAT)
    onward = f.nat_onward
    ok = (f.table_routes.hop[onward] == Hop.IGW) & f.table_routes.active[onward]
    fails: np.ndarray = has_nat & ~ok
    return fails


def _in_peer(f: _Flows) -> np.ndarray:
    return _in_vpc(f.topo, f.family, np.maximum(f.out_peer, 0), f.d_hi, f.d_lo)


#: Per check, the flows that fail it (evaluated only where the check applies).
_FAILS: dict[Check, Callable[[_Flows], np.ndarray]] = {
    Check.ANY_INTERFACE: lambda f: np.ones(len(f.i1), bool),
    Check.KNOWN_IN_VPC: lambda f: np.ones(len(f.i1), bool),
    Check.SAME_VPC: lambda f: f.vpc1 != f.vpc2,
    Check.ROUTE_EXISTS: lambda f: f.out_hop == Hop.NONE,
    Check.ROUTE_ACTIVE: lambda f: (f.out_hop != Hop.NONE) & ~f.table_routes.active[f.out],
    Check.ROUTE_MODELLED: lambda f: np.ones(len(f.i1), bool),
    Check.NAT_PUBLIC: lambda f: (
        (f.out_nat >= 0) & ~f.topo.routes.nat_public[np.maximum(f.out_nat, 0)]
    ),
    Check.NAT_ROUTE: _nat_route,
    Check.PCX_DESTINATION: lambda f: (f.out_peer >= 0) & ~_in_peer(f),
    Check.KNOWN_IN_PEER: lambda f: (
        (f.out_peer >= 0) & _in_peer(f) & (~f.has2 | (f.vpc2 != f.out_peer))
    ),
    Check.RETURN_TO_GATEWAY: lambda f: f.topo.igw[f.vpc2] & (f.table_routes.hop[f.back] != Hop.IGW),
    Check.RETURN_ROUTE_ACTIVE: lambda f: (
        f.topo.igw[f.vpc2]
        & (f.table_routes.hop[f.back] == Hop.IGW)
        & ~f.table_routes.active[f.back]
    ),
    Check.RETURN_VIA_PEERING: lambda f: (
        f.table_routes.target[f.back] != f.table_routes.target[f.out]
    ),
    Check.SOURCE_PUBLIC: lambda f: ~_source_public(f),
    Check.DESTINATION_NOT_RFC1918: lambda f: _special(f, f.d_lo, RFC1918),
    Check.DESTINATION_NOT_RFC6598: lambda f: _special(f, f.d_lo, RFC6598),
    Check.DESTINATION_PUBLIC: lambda f: ~f.pub2,
    Check.DESTINATION_GATEWAY: lambda f: ~f.topo.igw[f.vpc2],
    Check.SOURCE_NOT_RFC1918: lambda f: _special(f, f.s_lo, RFC1918),
    Check.SOURCE_NOT_RFC6598: lambda f: _special(f, f.s_lo, RFC6598),
    Check.SOURCE_OUTSIDE_VPC: lambda f: _in_vpc(f.topo, f.family, f.vpc2, f.s_hi, f.s_lo),
}


def _in_any(values: np.ndarray, ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    out = np.zeros(len(values), bool)
    for lo, hi in ranges:
        out |= (values >= _U64(lo)) & (values <= _U64(hi))
    return out


def _in_vpc(
    topo: Topology, family: int, vpc: np.ndarray, hi: np.ndarray, lo: np.ndarray
) -> np.ndarray:
    """Whether each address lies inside one of the given VPC's CIDRs of its family."""
    inside: np.ndarray
    if family == 4:  # 1-D gathers per block: fancy-indexing the [VPC, block, 2] array costs more
        inside = np.zeros(len(vpc), bool)
        for k in range(topo.cidr4.shape[1]):
            first, last = topo.cidr4[:, k, 0].take(vpc), topo.cidr4[:, k, 1].take(vpc)
            inside |= topo.has_cidr4[:, k].take(vpc) & (lo >= first) & (lo <= last)
        return inside
    b = topo.cidr6[vpc]
    above = (hi > b[:, 0]) | ((hi == b[:, 0]) & (lo >= b[:, 1]))
    below = (hi < b[:, 2]) | ((hi == b[:, 2]) & (lo <= b[:, 3]))
    inside = topo.has_cidr6[vpc] & above & below
    return inside
