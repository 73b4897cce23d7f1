"""The network ACL crossings of ``stockade reach``'s answers: which boundaries a source's
connections to an interface cross, and what those ACLs take away from the ranges.

A connection crosses ACLs only between subnets (AWS never filters within one):

- from an instance or interface: the boundaries ``decide`` crosses for the path the policy
  engine found (:mod:`stockade.policy.acl_plan`, one table for both) — in another subnet,
  its subnet's egress (matched on the destination address it sends to) and the destination
  subnet's ingress (matched on the source address seen there: its public IP, or its NAT
  gateway's, across the internet); through a NAT gateway, the gateway's subnet too, both
  ways (the private address in, the destination out), its replies addressed to the
  gateway's ports; every reply the other way round;
- from the internet or a CIDR: the destination subnet's ingress and, for the reply, its
  egress — for *some* address of the source set, the same both ways; a CIDR inside one
  other subnet (of any VPC in the snapshot) crosses that subnet's ACL too;
- within the destination's own subnet, or on one host: none.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from stockade.analysis.intervals import (
    Interval,
    block,
    intersect,
    service_pieces,
    subtract,
)
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.acl_passage import AclCrossing, passage
from stockade.policy.acl_path import AclRoute
from stockade.policy.acl_plan import PORT_RANGES, ends_of
from stockade.policy.decision import Blocker, PacketLeg
from stockade.policy.reasons import CODE, Reason


def interface_crossings(snapshot: Snapshot, at: AclRoute | None) -> list[AclCrossing]:
    """The crossings of a connection from an interface, as ``decide`` plans them for the
    path (``Route.acl``; ``None``: no path formed, nothing crossed): each boundary with the
    address its entries are matched on and the ports its reply goes back to."""
    if at is None:
        return []
    subnets, addresses = at.subnets(), at.addresses()
    acls = snapshot.network_acl_by_subnet
    out = []
    for end in ends_of(at.crossings()):
        subnet_id = subnets[end.subnet]
        acl = acls.get(subnet_id) if subnet_id is not None else None
        if acl is None or subnet_id is None or not acl.network_acl_id:
            continue  # the implied default of hand-built state allows all, as in decide
        point = (addresses[end.remote], addresses[end.remote])
        out.append(AclCrossing(acl, subnet_id, end.egress, (point,), PORT_RANGES[end.ports]))
    return out


def external_crossings(
    snapshot: Snapshot,
    sources: Sequence[Interval],
    destination: NetworkInterface,
    family: int,
    private: bool,
    over_internet: bool = False,
) -> list[AclCrossing]:
    """The crossings of connections from an address set: the internet, or a CIDR
    (``private``: it may lie in a subnet, whose ACL it then crosses too — sending to the
    destination's public IPv4 when the way is ``over_internet``, as a host there would
    address it, else to its private address)."""
    acls = snapshot.network_acl_by_subnet
    home = _subnet_holding(snapshot, sources, destination, family) if private else None
    if home == destination.subnet_id:
        return []
    out = []
    if home is not None and home in acls:
        address = _address(destination, family, over_internet)
        if address is not None:
            out.append(AclCrossing(acls[home], home, True, ((address, address),)))
    if destination.subnet_id in acls:
        acl = acls[destination.subnet_id]
        out.append(AclCrossing(acl, destination.subnet_id, False, tuple(sources)))
    return out


def narrow(
    crossings: Sequence[AclCrossing], family: int, allowed: list[Interval]
) -> tuple[list[Interval], tuple[Blocker, ...]]:
    """``allowed`` (packed services) less what the crossings refuse, and a blocker per
    refusal naming the ACL entry, the packet (request or reply) and the services."""
    if not crossings or not allowed:
        return allowed, ()
    through = passage(crossings, family)
    kept = intersect(allowed, list(through.admitted))
    removed = subtract(allowed, kept)
    blockers: dict[str, Blocker] = {}
    for denial in through.denials_of(removed):
        services = ", ".join(
            piece.text() for _, piece in service_pieces(intersect([denial.services], removed))
        )
        if not services:
            continue
        reason = (
            Reason.ACL_REPLY_DENIED if denial.leg is PacketLeg.REPLY else Reason.ACL_REQUEST_DENIED
        )
        acl_id = denial.entries[0].network_acl_id if denial.entries else None
        message = f"{services} {denial.text()} (subnet {denial.subnet_id})"
        blockers.setdefault(message, Blocker(CODE[reason], reason, acl_id, "network-acl", message))
    return kept, tuple(blockers.values())


def _subnet_holding(
    snapshot: Snapshot, sources: Sequence[Interval], destination: NetworkInterface, family: int
) -> str | None:
    """The subnet whose block holds every source address, if any — the destination's VPC's
    first (unpeered VPCs may reuse the same blocks)."""
    ordered = sorted(snapshot.subnets, key=lambda s: s.vpc_id != destination.vpc_id)
    for subnet in ordered:
        cidr = subnet.cidr_block if family == 4 else subnet.ipv6_cidr_block
        if cidr and all(intersect([s], [block(cidr)]) == [s] for s in sources):
            return subnet.subnet_id
    return None


def _address(eni: NetworkInterface, family: int, public: bool = False) -> int | None:
    text: str | None
    if family == 4:
        text = eni.public_ip if public and eni.public_ip else eni.private_ip
    else:
        text = next(iter(eni.ipv6_addresses), None)
    return int(ipaddress.ip_address(text)) if text else None
