"""The topology rules of :mod:`stockade.policy.path`, vectorised over arrays of flows.

:class:`Topology` holds the snapshot's address book and per-interface / per-VPC facts as
NumPy arrays; :func:`route_many` computes, for every flow at once, its end interfaces,
every path-level blocking reason (the same :class:`~stockade.policy.reasons.Reason` flags
``decide`` reports) and which security-group checks apply, with which remote address.
Keep it in step with ``path.route``: the property tests compare the two flow by flow.
"""

from __future__ import annotations

from dataclasses import dataclass

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
from stockade.policy.reasons import Reason
from stockade.policy.tables import to_bytes16

_OK, _NOT_ATTACHED, _NOT_RUNNING = 0, 1, 2
_U64 = np.uint64
_MASK64 = (1 << 64) - 1


@dataclass(frozen=True)
class Topology:
    v4_keys: np.ndarray  # uint64, sorted: every interface address (IPv4)
    v4_owner: np.ndarray  # int64: interface index
    v4_public: np.ndarray  # bool: the address is that interface's public IP
    v6_keys: np.ndarray  # S16, sorted
    v6_owner: np.ndarray
    v6_public: np.ndarray  # bool: a public (internet) IPv6 address
    vpc: np.ndarray  # int64 per interface
    instance: np.ndarray  # int64 per interface (-1: not attached)
    state: np.ndarray  # uint8 per interface: 0 ok, 1 not attached, 2 instance not running
    private4: np.ndarray  # uint64 per interface
    public4: np.ndarray  # uint64 per interface
    has_public4: np.ndarray  # bool per interface
    igw: np.ndarray  # bool per VPC
    cidr4: np.ndarray  # uint64 [VPC, 2]: first, last (0, 0 with has_cidr4 False if none)
    has_cidr4: np.ndarray
    cidr6: np.ndarray  # uint64 [VPC, 4]: first hi, first lo, last hi, last lo
    has_cidr6: np.ndarray


def build_topology(snapshot: Snapshot, eni_ids: tuple[str, ...]) -> Topology:
    index = {eni_id: i for i, eni_id in enumerate(eni_ids)}
    book = address_book(snapshot)
    v4 = sorted((v, index[o.eni_id], o.kind == "public") for (f, v), o in book.items() if f == 4)
    v6 = sorted((v, index[o.eni_id], is_public_address(6, v))
                for (f, v), o in book.items() if f == 6)
    enis = [snapshot.interface_by_id[e] for e in eni_ids]
    vpc_ids = sorted({v.vpc_id for v in snapshot.vpcs} | {e.vpc_id for e in enis})
    vpc_index = {v: i for i, v in enumerate(vpc_ids)}
    instance_ids = sorted({e.instance_id for e in enis if e.instance_id})
    instance_index = {v: i for i, v in enumerate(instance_ids)}

    def state(eni) -> int:
        if eni.instance_id is None:
            return _NOT_ATTACHED
        instance = snapshot.instance_by_id.get(eni.instance_id)
        return _OK if instance is not None and instance.is_running else _NOT_RUNNING

    cidr4 = np.zeros((len(vpc_ids), 2), _U64)
    cidr6 = np.zeros((len(vpc_ids), 4), _U64)
    has4 = np.zeros(len(vpc_ids), bool)
    has6 = np.zeros(len(vpc_ids), bool)
    for vpc_id, i in vpc_index.items():
        vpc = snapshot.vpc_by_id.get(vpc_id)
        if vpc is not None and vpc.cidr_block:
            _, lo, hi = block_bounds(vpc.cidr_block)
            cidr4[i], has4[i] = (lo, hi), True
        if vpc is not None and vpc.ipv6_cidr_block:
            _, lo, hi = block_bounds(vpc.ipv6_cidr_block)
            cidr6[i] = (lo >> 64, lo & _MASK64, hi >> 64, hi & _MASK64)
            has6[i] = True
    return Topology(
        v4_keys=np.array([a for a, _, _ in v4], _U64),
        v4_owner=np.array([o for _, o, _ in v4], np.int64),
        v4_public=np.array([p for _, _, p in v4], bool),
        v6_keys=np.array([a.to_bytes(16, "big") for a, _, _ in v6], "S16"),
        v6_owner=np.array([o for _, o, _ in v6], np.int64),
        v6_public=np.array([p for _, _, p in v6], bool),
        vpc=np.array([vpc_index[e.vpc_id] for e in enis], np.int64),
        instance=np.array([instance_index.get(e.instance_id, -1) for e in enis], np.int64),
        state=np.array([state(e) for e in enis], np.uint8),
        private4=np.array([_v4(e.private_ip) for e in enis], _U64),
        public4=np.array([_v4(e.public_ip) if e.public_ip else 0 for e in enis], _U64),
        has_public4=np.array([bool(e.public_ip) for e in enis], bool),
        igw=np.array([snapshot.internet_gateway_for(v) is not None for v in vpc_ids], bool),
        cidr4=cidr4, has_cidr4=has4, cidr6=cidr6, has_cidr6=has6,
    )


def _v4(text: str) -> int:
    family, value = parse_address(text)
    return value if family == 4 else 0


@dataclass
class RouteArrays:
    """Per flow: end interfaces (-1 external), blocking reasons, which checks apply."""

    src: np.ndarray
    dst: np.ndarray
    reasons: np.ndarray  # uint64 Reason flags
    check_egress: np.ndarray  # bool
    check_ingress: np.ndarray  # bool
    ingress_hi: np.ndarray  # remote address for the ingress check (uint64 halves)
    ingress_lo: np.ndarray


def owners(topo: Topology, family: int, hi: np.ndarray, lo: np.ndarray):
    """Interface index holding each address (-1: external) and its "public" flag."""
    if family == 4:
        keys, owner, public, query = topo.v4_keys, topo.v4_owner, topo.v4_public, lo
    else:
        keys, owner, public = topo.v6_keys, topo.v6_owner, topo.v6_public
        query = to_bytes16(hi, lo)
    if len(keys) == 0:
        return np.full(len(lo), -1, np.int64), np.zeros(len(lo), bool)
    i = np.minimum(np.searchsorted(keys, query), len(keys) - 1)
    hit = keys[i] == query
    return np.where(hit, owner[i], -1), hit & public[i]


def route_many(topo: Topology, family: int, s_hi, s_lo, d_hi, d_lo) -> RouteArrays:
    """Vectorised ``path.route`` for address-given flows of one family."""
    e1, pub1 = owners(topo, family, s_hi, s_lo)
    e2, pub2 = owners(topo, family, d_hi, d_lo)
    has1, has2 = e1 >= 0, e2 >= 0
    i1, i2 = np.where(has1, e1, 0), np.where(has2, e2, 0)
    reasons = np.zeros(len(e1), _U64)

    def flag(mask, reason: Reason) -> None:
        reasons[mask] |= _U64(reason.value)

    if len(topo.vpc) == 0:  # no interfaces at all
        flag(np.ones(len(e1), bool), Reason.NO_INTERFACE)
        none = np.zeros(len(e1), bool)
        return RouteArrays(e1, e2, reasons, none, none, s_hi, s_lo)
    st1, st2 = topo.state[i1], topo.state[i2]
    flag(has1 & (st1 == _NOT_ATTACHED), Reason.SOURCE_NOT_ATTACHED)
    flag(has1 & (st1 == _NOT_RUNNING), Reason.SOURCE_NOT_RUNNING)
    flag(has2 & (st2 == _NOT_ATTACHED), Reason.DESTINATION_NOT_ATTACHED)
    flag(has2 & (st2 == _NOT_RUNNING), Reason.DESTINATION_NOT_RUNNING)
    flag(~has1 & ~has2, Reason.NO_INTERFACE)
    vpc1, vpc2 = topo.vpc[i1], topo.vpc[i2]
    inst1 = topo.instance[i1]
    private_dst = ~pub2 if family == 4 else np.ones(len(e1), bool)
    host = has1 & has2 & (inst1 >= 0) & (inst1 == topo.instance[i2]) & private_dst
    inbound, outbound = ~has1 & has2, has1 & ~has2
    both = has1 & has2 & ~host
    igw1, igw2 = topo.igw[vpc1], topo.igw[vpc2]
    src_public = topo.has_public4[i1] if family == 4 else pub1

    flag(inbound & ~pub2, Reason.DESTINATION_NOT_PUBLIC)
    flag(inbound & ~igw2, Reason.DESTINATION_VPC_NO_IGW)
    if family == 4:
        flag(inbound & _in_any(s_lo, RFC1918), Reason.SOURCE_RFC1918)
        flag(inbound & _in_any(s_lo, RFC6598), Reason.SOURCE_RFC6598)
    flag(inbound & _in_vpc(topo, family, vpc2, s_hi, s_lo), Reason.SPOOFED_SOURCE)

    in_vpc1 = outbound & _in_vpc(topo, family, vpc1, d_hi, d_lo)
    flag(in_vpc1, Reason.UNKNOWN_IN_VPC)
    to_internet = outbound & ~in_vpc1
    flag(to_internet & ~igw1, Reason.SOURCE_VPC_NO_IGW)
    if family == 4:
        flag(to_internet & _in_any(d_lo, RFC1918), Reason.DESTINATION_RFC1918)
        flag(to_internet & _in_any(d_lo, RFC6598), Reason.DESTINATION_RFC6598)
    flag(to_internet & ~src_public, Reason.SOURCE_NOT_PUBLIC)

    via_internet = both & (pub2 if family == 4 else (vpc1 != vpc2) & pub2)
    local = both & ~via_internet
    flag(local & (vpc1 != vpc2), Reason.DIFFERENT_VPC)
    flag(via_internet & ~igw1, Reason.SOURCE_VPC_NO_IGW)
    flag(via_internet & ~src_public, Reason.SOURCE_NOT_PUBLIC)
    flag(via_internet & ~igw2, Reason.DESTINATION_VPC_NO_IGW)

    if family == 4:
        sent = np.where(via_internet & topo.has_public4[i1], topo.public4[i1], topo.private4[i1])
        ingress_lo, ingress_hi = np.where(has1, sent, s_lo), s_hi
    else:
        ingress_lo, ingress_hi = s_lo, s_hi
    return RouteArrays(e1, e2, reasons, has1 & ~host, has2 & ~host, ingress_hi, ingress_lo)


def _in_any(values: np.ndarray, ranges: tuple[tuple[int, int], ...]) -> np.ndarray:
    out = np.zeros(len(values), bool)
    for lo, hi in ranges:
        out |= (values >= _U64(lo)) & (values <= _U64(hi))
    return out


def _in_vpc(topo: Topology, family: int, vpc: np.ndarray, hi: np.ndarray, lo: np.ndarray):
    """Whether each address lies inside the given VPC's CIDR of its family."""
    if family == 4:
        bounds = topo.cidr4[vpc]
        return topo.has_cidr4[vpc] & (lo >= bounds[:, 0]) & (lo <= bounds[:, 1])
    b = topo.cidr6[vpc]
    above = (hi > b[:, 0]) | ((hi == b[:, 0]) & (lo >= b[:, 1]))
    below = (hi < b[:, 2]) | ((hi == b[:, 2]) & (lo <= b[:, 3]))
    return topo.has_cidr6[vpc] & above & below
