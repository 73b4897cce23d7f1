"""Route lookups over a snapshot: which route a packet from a subnet takes, and what it means.

The path of a flow meets a route table where it leaves its subnet (the source's table, for
the destination address) and where the reply leaves the destination's subnet (that table,
for the source address): routes are per direction. This module answers both questions
once, for every evaluator — ``path`` (one flow), ``bulk_path`` (arrays of flows, through
:func:`painted`), the exposure findings and ``analysis.reach``:

- :func:`lookup`: the subnet's table (``Snapshot.route_table_by_subnet``: explicit, else
  main, else the implied main table), the chosen route (``domain.routing.select_route``,
  prefix lists expanded from the snapshot) and its :class:`RouteFacts`;
- :class:`Hop`: what the route leads to, as the path rules know it — the VPC (``local``),
  an internet gateway, a NAT gateway, an egress-only gateway, a peering, or a target the
  engine does not model (an interface or instance acting as an appliance, a virtual
  private gateway, a transit gateway, an endpoint): stockade cannot know what an appliance
  does with a packet, so such a path is reported as not modelled rather than guessed;
- whether the route is ``active`` — derived from its target through
  ``domain.routing.route_state``, never stored: a detached gateway, a NAT gateway not
  ``available``, a peering not ``active`` or absent from the snapshot, a deleted interface.

Pure: no I/O; the snapshot is the whole world (over several accounts, a
``Snapshot.merged``; ids are assumed unique).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import IntEnum

from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.route_targets import usable_in
from stockade.domain.routing import (
    NatGateway,
    Route,
    RouteState,
    RouteTable,
    TargetKind,
    route_state,
    select_route,
)
from stockade.domain.state import Snapshot
from stockade.policy.addressing import SPACE, address_text, block_bounds
from stockade.policy.cache import cached


class Hop(IntEnum):
    """Where a route sends a packet, as the path rules distinguish it (bulk array values)."""

    NONE = 0  # no route matches: NO_ROUTE_TO_DESTINATION
    LOCAL = 1  # the VPC's own blocks
    IGW = 2  # an internet gateway
    NAT = 3  # a NAT gateway (IPv4)
    EIGW = 4  # an egress-only internet gateway (IPv6)
    PCX = 5  # a VPC peering connection
    OTHER = 6  # an appliance (interface, instance), a VGW, TGW or endpoint: not modelled


_HOP_OF_KIND: dict[TargetKind, Hop] = {
    TargetKind.LOCAL: Hop.LOCAL,
    TargetKind.INTERNET_GATEWAY: Hop.IGW,
    TargetKind.NAT_GATEWAY: Hop.NAT,
    TargetKind.EGRESS_ONLY_INTERNET_GATEWAY: Hop.EIGW,
    TargetKind.PEERING: Hop.PCX,
}


def hop_of(route: Route | None, family: int) -> Hop:
    """The hop of a route for a packet of ``family`` (NAT64 and IPv4-over-EIGW: not modelled)."""
    if route is None:
        return Hop.NONE
    try:
        hop = _HOP_OF_KIND.get(route.kind, Hop.OTHER)
    except ValueError:  # a target id of a kind the domain does not know
        return Hop.OTHER
    if (hop is Hop.NAT and family == 6) or (hop is Hop.EIGW and family == 4):
        return Hop.OTHER
    return hop


@dataclass(frozen=True)
class RouteFacts:
    """What one route means in its VPC: the hop, whether it forwards, and where it leads."""

    hop: Hop
    active: bool
    peer_vpc_id: str | None = None  # a peering's other side (even when not active)
    nat: NatGateway | None = None  # the NAT gateway, when the snapshot holds it


NO_ROUTE = RouteFacts(Hop.NONE, False)


@dataclass(frozen=True)
class RouteLookup:
    """One lookup: the table consulted, the route chosen (``None``: no match), its facts."""

    table_id: str  # "" for a VPC's implied main table (the snapshot holds no table)
    vpc_id: str
    subnet_id: str
    route: Route | None
    facts: RouteFacts

    @property
    def hop(self) -> Hop:
        return self.facts.hop

    @property
    def active(self) -> bool:
        return self.facts.active

    @property
    def target(self) -> str | None:
        return None if self.route is None else self.route.target

    def table_text(self) -> str:
        """``rtb-…``, or ``the main route table of vpc-…`` for an implied table."""
        return self.table_id or f"the main route table of {self.vpc_id}"


def prefix_list_cidrs(snapshot: Snapshot) -> Mapping[str, tuple[str, ...]]:
    """Each prefix list's CIDRs (what a ``pl-`` route destination covers)."""

    def build() -> dict[str, tuple[str, ...]]:
        return {p.prefix_list_id: tuple(e.cidr for e in p.entries) for p in snapshot.prefix_lists}

    return cached(snapshot, "routes.prefix_lists", build)


def route_facts(snapshot: Snapshot, route: Route | None, vpc_id: str, family: int) -> RouteFacts:
    if route is None:
        return NO_ROUTE
    state = route_state(route, vpc_id, usable_in(snapshot))
    hop = hop_of(route, family)
    peering: VpcPeeringConnection | None = snapshot.peering_by_id.get(route.target)
    peer = peering.peer_of(vpc_id) if peering is not None else None
    return RouteFacts(
        hop,
        state is RouteState.ACTIVE,
        peer.vpc_id if peer is not None else None,
        snapshot.nat_gateway_by_id.get(route.target),
    )


def table_of(snapshot: Snapshot, subnet_id: str) -> RouteTable | None:
    """The subnet's table (``None`` only when the subnet is not in the snapshot)."""
    return snapshot.route_table_by_subnet.get(subnet_id)


def lookup(snapshot: Snapshot, subnet_id: str, family: int, value: int) -> RouteLookup:
    """The route a packet from ``subnet_id`` to the address ``value`` takes."""
    table = table_of(snapshot, subnet_id)
    if table is None:
        return RouteLookup("", "", subnet_id, None, NO_ROUTE)
    return lookup_in(snapshot, table, subnet_id, family, value)


def lookup_in(
    snapshot: Snapshot, table: RouteTable, subnet_id: str, family: int, value: int
) -> RouteLookup:
    """The route ``table`` would choose for ``value`` (were ``subnet_id`` on it)."""
    route = select_route(table.routes, address_text(family, value), prefix_list_cidrs(snapshot))
    facts = route_facts(snapshot, route, table.vpc_id, family)
    return RouteLookup(table.route_table_id, table.vpc_id, subnet_id, route, facts)


def internet_route(snapshot: Snapshot, subnet_id: str, family: int) -> RouteLookup | None:
    """The subnet's widest active route of ``family`` to an internet gateway, if any.

    What makes a subnet *public* (AWS: its table routes to an attached internet gateway):
    the internet reaches an interface there — and the replies get out — only then. The
    widest route is shown (usually ``0.0.0.0/0`` / ``::/0``); a narrower one (say
    ``203.0.113.0/24 → igw-…``) still makes the subnet reachable from those addresses,
    which is what an exposure question must count.
    """
    table = table_of(snapshot, subnet_id)
    if table is None:
        return None
    lists = prefix_list_cidrs(snapshot)
    best: tuple[int, Route, RouteFacts] | None = None
    for route in table.routes:
        facts = route_facts(snapshot, route, table.vpc_id, family)
        if facts.hop is not Hop.IGW or not facts.active:
            continue
        cidrs = lists.get(route.destination, ()) if route.is_prefix_list else (route.destination,)
        widths = [block_bounds(c) for c in cidrs]
        widest = max((hi - lo for f, lo, hi in widths if f == family), default=None)
        if widest is not None and (best is None or widest > best[0]):
            best = (widest, route, facts)
    if best is None:
        return None
    return RouteLookup(table.route_table_id, table.vpc_id, subnet_id, best[1], best[2])


def vpc_blocks(snapshot: Snapshot, vpc_id: str, family: int) -> tuple[str, ...]:
    """A VPC's blocks of a family (every IPv4 block, the primary first): its own, else as
    a peering side last saw them.

    A peer VPC of another account is known only through the peering (``PeeringSide``)
    unless the caller merged that account's snapshot in.
    """
    vpc = snapshot.vpc_by_id.get(vpc_id)
    if vpc is not None:
        return vpc.blocks(family)
    for peering in snapshot.peerings:
        side = peering.side_of(vpc_id)
        if side is not None:
            return side.cidr_blocks if family == 4 else side.ipv6_cidr_blocks
    return ()


def vpc_block_holding(
    snapshot: Snapshot, vpc_id: str | None, family: int, value: int
) -> str | None:
    """The block of the VPC that holds the address ``value``, if one does."""
    if vpc_id is None:
        return None
    for block in vpc_blocks(snapshot, vpc_id, family):
        _, lo, hi = block_bounds(block)
        if lo <= value <= hi:
            return block
    return None


def in_vpc_block(snapshot: Snapshot, vpc_id: str | None, family: int, value: int) -> bool:
    return vpc_block_holding(snapshot, vpc_id, family, value) is not None


def painted(snapshot: Snapshot, table: RouteTable, family: int) -> tuple[list[int], list[int]]:
    """The table as intervals of one family: sorted interval starts and, per interval, the
    index in ``table.routes`` of the route chosen there (-1: none).

    Every route boundary starts an interval; within one the chosen route cannot change, so
    each is decided by ``select_route`` at its first address — the one selection rule.
    """
    lists = prefix_list_cidrs(snapshot)
    points = {0}
    for route in table.routes:
        cidrs = lists.get(route.destination, ()) if route.is_prefix_list else (route.destination,)
        for cidr in cidrs:
            f, lo, hi = block_bounds(cidr)
            if f == family:
                points.add(lo)
                if hi + 1 < SPACE[family]:
                    points.add(hi + 1)
    starts = sorted(points)
    position = {id(r): i for i, r in enumerate(table.routes)}
    chosen = []
    for start in starts:
        picked = select_route(table.routes, address_text(family, start), lists)
        chosen.append(-1 if picked is None else position[id(picked)])
    return starts, chosen
