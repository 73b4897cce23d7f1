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
  block it; wholly inside a VPC peered with the destination's and routed back whole: over
  the peering (the destination subnet must route it back over an active ``pcx-``);
- from any other CIDR of another VPC — one nothing private joins to the destination's, or
  a peer's block routed back only in part — each address of it an interface holds is one
  host, judged on its own path (:func:`cidr_faces`), IPv4 or IPv6 alike: over the peering
  where both subnets route it, else over the internet — at the destination's public IPv4,
  so its groups and subnet see what AWS sees there (the host's public IP, or its NAT
  gateway's) and the host's subnet sends to the public address, not the private one
  behind the gateway's 1:1 translation; over IPv6, never translated, at its own address;
- from the internet (or any other CIDR): from a stand-in internet host the destination's
  subnet routes back to its gateway (:func:`internet_host`).

:mod:`stockade.analysis.reach` builds the report (rules, ranges, ACL narrowing) on it.
"""

from __future__ import annotations

import ipaddress
from bisect import bisect_right

from stockade.analysis.intervals import Interval, block, intersect
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.address_book import address_book
from stockade.policy.addressing import address_text, block_bounds, is_public_address
from stockade.policy.decision import Blocker, PathKind
from stockade.policy.flow import Flow
from stockade.policy.path import Route, route
from stockade.policy.path_leg import blocker
from stockade.policy.reasons import Reason
from stockade.policy.route_advice import route_text
from stockade.policy.routes import (
    Hop,
    RouteLookup,
    internet_route,
    lookup,
    painted,
    prefix_list_cidrs,
    table_of,
    vpc_block_holding,
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
    if back.hop is Hop.PCX and _routed_back_whole(snapshot, back, family, cidrs[family]):
        return state + (() if back.active else (_blackhole(back),)), str(PathKind.PEERING)
    return path.blockers, str(PathKind.INTERNET)


def _routed_back_whole(
    snapshot: Snapshot, back: RouteLookup, family: int, spans: list[Interval]
) -> bool:
    """Whether every address of ``spans`` lies in the peer VPC of ``back`` (the destination
    subnet's route for the first one) and takes that same route home.

    Only then is the whole CIDR judged over the peering at once; a block the destination
    routes back only in part (a route for one of the peer's subnets), or one reaching past
    the peer's block, is judged host by host instead (:func:`cidr_faces`), as AWS would
    carry each host's replies by its own route.
    """
    table = table_of(snapshot, back.subnet_id)
    if table is None or back.route is None:
        return False
    starts, chosen = painted(snapshot, table, family)
    index = next(i for i, r in enumerate(table.routes) if r is back.route)
    for lo, hi in spans:
        held = vpc_block_holding(snapshot, back.facts.peer_vpc_id, family, lo)
        if held is None or block_bounds(held)[2] < hi:
            return False
        first, last = bisect_right(starts, lo) - 1, bisect_right(starts, hi) - 1
        if any(c != index for c in chosen[first : last + 1]):
            return False
    return True


def cidr_faces(
    snapshot: Snapshot, cidrs: dict[int, list[Interval]], eni: NetworkInterface, family: int
) -> list[Route]:
    """The paths of a CIDR's hosts in other VPCs to ``eni``, one per host.

    Called where :func:`external_path` found no one way for the whole CIDR (it is neither
    in the destination's VPC nor wholly in a peered one routed back whole), so each host
    of it gets there by its own route, as an instance source does
    (:func:`interface_path`): over the peering where both subnets route it, else over the
    internet — over IPv4 by addressing the public IP through its own subnet's gateway, the
    destination then seeing its public IP, its NAT gateway's, or nothing; over IPv6 at the
    destination's own address, never translated. So each address of the CIDR (of
    ``family``) an interface of another VPC holds is one path, the engine's own
    (``decide`` on a flow from that address judges the same one). An address nobody holds
    sends nothing, and a host with no way to address the destination at all (nothing
    private joins them and the destination has no public IPv4, or no internet IPv6
    address: ``DIFFERENT_VPC``) is no face: ``[]`` when no host has one."""
    spans = cidrs.get(family, [])
    held = sorted(
        address
        for (fam, address), owner in address_book(snapshot).items()
        if fam == family
        and owner.kind == "private"
        and any(lo <= address <= hi for lo, hi in spans)
        and snapshot.interface_by_id[owner.eni_id].vpc_id != eni.vpc_id
    )
    paths = (interface_path(snapshot, address_text(family, a), eni, family) for a in held)
    return [p for p in paths if all(b.reason is not Reason.DIFFERENT_VPC for b in p.blockers)]


def _blackhole(back: RouteLookup) -> Blocker:
    """The destination subnet routes the peer's block to a peering that carries nothing."""
    assert back.route is not None
    return blocker(
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
