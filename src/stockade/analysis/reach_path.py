"""The path half of ``stockade reach``: which way a source's connections go to an interface,
and what blocks that way before any group or ACL is consulted.

The answers come from the policy engine (:func:`stockade.policy.path.route`), which follows
the route tables; this module only chooses *which flow* to ask it about, since ``reach``'s
sources are not always one address:

- from an instance or interface: to the destination's private address, unless nothing
  private joins the two VPCs (no peering routed) and the destination has a public IPv4 —
  then to that, through the gateways, as a client would address it (the engine's remedy
  for ``DIFFERENT_VPC``); a private subnet's connection leaves by its NAT gateway;
- from a CIDR inside the destination's VPC: the local route, only the instance state can
  block it; inside a VPC peered with the destination's: over the peering (the destination
  subnet must route it back over an active ``pcx-``);
- from a CIDR inside another VPC that nothing private joins to the destination's: its
  hosts reach the destination only at its public IPv4, over the internet — each host's
  own path (:func:`cidr_faces`), so the destination's groups and subnet see what AWS sees
  there (the host's public IP, or its NAT gateway's), and the host's subnet sends to the
  public address, not the private one behind the gateway's 1:1 translation;
- from the internet (or any other CIDR): from a stand-in internet host the destination's
  subnet routes back to its gateway (:func:`internet_host`).

:mod:`stockade.analysis.reach` builds the report (rules, ranges, ACL narrowing) on it.
"""

from __future__ import annotations

import ipaddress

from stockade.analysis.intervals import Interval, block, intersect
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.address_book import address_book
from stockade.policy.addressing import address_text, is_public_address
from stockade.policy.decision import Blocker, PathKind
from stockade.policy.flow import Flow
from stockade.policy.path import Route, route
from stockade.policy.reasons import CODE, Reason
from stockade.policy.route_advice import route_text
from stockade.policy.routes import (
    Hop,
    RouteLookup,
    in_vpc_block,
    internet_route,
    lookup,
    prefix_list_cidrs,
)

#: stand-in internet hosts for the path question (documentation ranges: never a VPC's);
#: also what the console's "Can A reach B?" sends from when the source is "the internet"
INTERNET_HOSTS = {4: "198.51.100.1", 6: "2001:db8:ffff:ffff::1"}
_STATE_REASONS = Reason.DESTINATION_NOT_ATTACHED | Reason.DESTINATION_NOT_RUNNING


def interface_path(snapshot: Snapshot, source: str, eni: NetworkInterface, family: int) -> Route:
    """The path from an instance or interface to ``eni``: to its private address, unless
    nothing private joins the two VPCs (no peering routed) and it has a public IPv4 — then
    to that, through the gateways, as a client would address it (the engine's remedy for
    ``DIFFERENT_VPC``); a private subnet's connection leaves by its NAT gateway."""
    path = route(snapshot, Flow(source, eni.eni_id, "tcp", 0, address_family=family))
    if (
        family == 4
        and eni.public_ip
        and any(b.reason is Reason.DIFFERENT_VPC for b in path.blockers)
    ):
        return route(snapshot, Flow(source, eni.public_ip, "tcp", 0))
    return path


def external_path(
    snapshot: Snapshot,
    kind: str,
    cidrs: dict[int, list[Interval]],
    eni: NetworkInterface,
    family: int,
) -> tuple[tuple[Blocker, ...], str]:
    """Path blockers for external sources (``kind`` ``internet`` or ``cidr``, the address
    set per family): from the internet, or a CIDR (inside the destination's VPC: the local
    route, only the instance state can block it)."""
    if kind == "internet":
        host = internet_host(snapshot, eni, family)
        return route(snapshot, Flow(host, eni.eni_id, "tcp", 0)).blockers, str(PathKind.INTERNET)
    path = route(snapshot, Flow(first_address(cidrs, family), eni.eni_id, "tcp", 0))
    state = tuple(b for b in path.blockers if b.reason & _STATE_REASONS)
    vpc = snapshot.vpc_by_id.get(eni.vpc_id)
    vpc_ranges = [block(b) for b in vpc.blocks(family)] if vpc else []
    if vpc_ranges and intersect(vpc_ranges, cidrs[family]):
        return state, str(PathKind.VPC_LOCAL)
    back = lookup(snapshot, eni.subnet_id, family, cidrs[family][0][0])
    peer = back.facts.peer_vpc_id
    if back.hop is Hop.PCX and in_vpc_block(snapshot, peer, family, cidrs[family][0][0]):
        return state + (() if back.active else (_blackhole(back),)), str(PathKind.PEERING)
    return path.blockers, str(PathKind.INTERNET)


def cidr_faces(
    snapshot: Snapshot, cidrs: dict[int, list[Interval]], eni: NetworkInterface, family: int
) -> list[Route]:
    """The internet paths of a CIDR's hosts in another VPC to ``eni``'s public IPv4.

    Called where :func:`external_path` found no private way (the CIDR is neither in the
    destination's VPC nor in a peered one routed both ways), so a host of the CIDR gets
    there only as a client of another VPC would: by addressing the public IP, through
    its own subnet's gateway. What the destination then sees depends on the host — its
    public IP, its NAT gateway's, or nothing (no public IP and no NAT gateway) — so each
    address of the CIDR an interface of another VPC holds is one path, the engine's own
    (``decide`` on a flow from that address judges the same one). An address nobody
    holds sends nothing: no path (``[]`` when none is held, or over IPv6, which is never
    translated, or when the destination has no public IPv4)."""
    if family != 4 or not eni.public_ip:
        return []
    spans = cidrs.get(4, [])
    held = sorted(
        address
        for (fam, address), owner in address_book(snapshot).items()
        if fam == 4
        and owner.kind == "private"
        and any(lo <= address <= hi for lo, hi in spans)
        and snapshot.interface_by_id[owner.eni_id].vpc_id != eni.vpc_id
    )
    return [route(snapshot, Flow(address_text(4, a), eni.public_ip, "tcp", 0)) for a in held]


def _blackhole(back: RouteLookup) -> Blocker:
    """The destination subnet routes the peer's block to a peering that carries nothing."""
    assert back.route is not None
    return Blocker(
        CODE[Reason.RETURN_ROUTE_BLACKHOLE],
        Reason.RETURN_ROUTE_BLACKHOLE,
        back.table_id or back.vpc_id,
        "route-table",
        f"{back.table_text()}: the route {route_text(back.route)} is a blackhole "
        f"({back.route.target} is not active)",
    )


def internet_host(snapshot: Snapshot, eni: NetworkInterface, family: int) -> str:
    """A stand-in internet host the destination's subnet routes back to its gateway, when
    it routes only part of the internet there (``203.0.113.0/24 → igw-…``): "the internet
    reaches it" means *some* internet address does, as ``exposure`` counts it."""
    default = INTERNET_HOSTS[family]
    found = internet_route(snapshot, eni.subnet_id, family)
    if found is None or found.route is None:
        return default
    cidrs = prefix_list_cidrs(snapshot).get(found.route.destination, ())
    for cidr in cidrs if found.route.is_prefix_list else (found.route.destination,):
        network = ipaddress.ip_network(cidr)
        if network.version != family:
            continue
        if ipaddress.ip_address(default) in network:
            return default
        candidate = network[1] if network.num_addresses > 2 else network[0]
        if is_public_address(family, int(candidate)):
            return str(candidate)
    return default


def first_address(cidrs: dict[int, list[Interval]], family: int) -> str:
    """The address standing for a CIDR: its first host (the network's own for a /31, /32)."""
    lo, hi = cidrs[family][0]
    return address_text(family, lo + 1 if hi > lo + 1 else lo)
