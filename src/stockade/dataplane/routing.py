"""What a VPC router does with a packet, per route table: the pure half of forwarding.

Each route table of a VPC becomes one kernel routing table in the router namespace, and
each subnet's source prefixes select its table (policy routing: ``from <subnet> lookup
<table>``). A route change is then one rtnetlink message — no nftables run — which is what
makes it converge in milliseconds (:mod:`stockade.dataplane.router_routes` applies it).

Every route is resolved here to one :class:`Hop`: *what the router does*, decided by the
domain's own rules — the route AWS selects is the longest prefix
(:func:`~stockade.domain.routing.select_route` semantics, which the kernel's own
longest-prefix match reproduces table by table), and a route whose target is gone or down
is a blackhole (:func:`~stockade.domain.routing.route_state`). Packets that match no
route, or come from no subnet (the internet, a peer VPC), fall to the router's main table,
which only knows the VPC's own interfaces: nothing transits the VPC.

- ``local`` → :attr:`Hop.LOCAL` (a *throw*: on to the main table's host routes);
- an attached internet gateway → :attr:`Hop.INTERNET` (the gateway link; IPv4 1:1 NAT);
- an available NAT gateway with a public IP → :attr:`Hop.NAT` for the parts of the
  destination its own subnet routes to the attached internet gateway (the gateway link,
  with the NAT gateway's *realm*: nftables source-NATs what a realm's route carries to that
  gateway's public IP), :attr:`Hop.DROP` for the rest;
- an egress-only gateway of this VPC (IPv6) → :attr:`Hop.EGRESS_ONLY` (the gateway link;
  nftables admits from it only replies);
- an active peering → :attr:`Hop.PEERING` over the peering link, and only for the part of
  the destination inside the peer VPC's blocks (AWS forwards nothing else over a peering);
- an interface of a running instance in this VPC → :attr:`Hop.INTERFACE` (its port);
- anything else (a detached gateway, a deleted NAT gateway, a pending peering, a
  virtual private or transit gateway stockade does not simulate) → :attr:`Hop.DROP`.
"""

from __future__ import annotations

import ipaddress
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from stockade.dataplane.names import World
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.route_targets import target_usable
from stockade.domain.routing import (
    Route,
    RouteState,
    RouteTable,
    TargetKind,
    route_state,
)
from stockade.domain.state import Snapshot

#: Kernel routing tables of route tables are numbered from here (far from 253–255 and
#: from the instances' per-interface tables).
TABLE_BASE = 1_000_000
_TABLE_SPAN = 1 << 20
#: Priority of the ``from <subnet> lookup <table>`` rules (before main's 32766).
RULE_PRIORITY = 10_000
_DEFAULTS = ("0.0.0.0/0", "::/0")
#: Target kinds the router forwards to (virtual private and transit gateways and endpoints
#: are not simulated: what routes to them is dropped).
_SIMULATED = frozenset(
    {
        TargetKind.INTERNET_GATEWAY,
        TargetKind.EGRESS_ONLY_INTERNET_GATEWAY,
        TargetKind.NAT_GATEWAY,
        TargetKind.PEERING,
    }
)


class Hop(StrEnum):
    LOCAL = "local"
    INTERNET = "internet"
    NAT = "nat"
    EGRESS_ONLY = "egress-only"
    PEERING = "peering"
    INTERFACE = "interface"
    DROP = "drop"


@dataclass(frozen=True, order=True)
class KernelRoute:
    """One route of a kernel table: a destination and what the router does with it.

    ``link`` is the router's link it leaves by (a peering link or an instance port; the
    gateway link is implied by the hop); ``gateway`` the next hop on a port; ``realm``
    the NAT gateway's realm (:attr:`Hop.NAT`).
    """

    destination: str
    hop: Hop
    link: str = ""
    gateway: str = ""
    realm: int = 0


@dataclass(frozen=True)
class KernelTable:
    number: int
    route_table_id: str  # "" for the main table implied by state without tables
    routes: tuple[KernelRoute, ...]  # sorted; both default routes always present

    def by_destination(self) -> dict[str, KernelRoute]:
        return {r.destination: r for r in self.routes}


@dataclass(frozen=True)
class PeerLink:
    """An active peering of this VPC: the router's link to the peer VPC's router."""

    peering_id: str
    peer_vpc_id: str
    ifname: str
    requester: bool  # this VPC is the requester (its side holds the link's first address)


@dataclass(frozen=True)
class RoutingPlan:
    tables: tuple[KernelTable, ...] = ()
    #: (source prefix, table number): each subnet block's table, sorted
    sources: tuple[tuple[str, int], ...] = ()
    #: (realm, public IPv4) of the NAT gateways some route of this VPC uses
    nat_gateways: tuple[tuple[int, str], ...] = ()
    peer_links: tuple[PeerLink, ...] = ()
    #: an egress-only gateway is attached: the router needs its gateway link
    egress_only_gateway: bool = False


def table_numbers(vpc_id: str, route_table_ids: Iterable[str]) -> dict[str, int]:
    """A stable kernel table number per route table: a hash of the ids, probed on a
    collision (so a table keeps its number while the others come and go, almost always)."""
    out: dict[str, int] = {}
    taken: set[int] = set()
    for rtb in sorted(set(route_table_ids)):
        slot = zlib.crc32(f"{vpc_id}/{rtb}".encode()) % _TABLE_SPAN
        while TABLE_BASE + slot in taken:
            slot = (slot + 1) % _TABLE_SPAN
        taken.add(TABLE_BASE + slot)
        out[rtb] = TABLE_BASE + slot
    return out


def plan_routing(
    snapshot: Snapshot,
    vpc_id: str,
    port_ipv6_blocks: Mapping[str, str] | None = None,
    port_links: Mapping[str, tuple[str, str, str]] | None = None,
) -> RoutingPlan:
    """The routing plan of one VPC router.

    ``port_ipv6_blocks`` (subnet id → IPv6 block) supplies the IPv6 block of subnets that
    have none but whose hand-built interfaces hold IPv6 addresses; ``port_links`` (interface
    id → (port link, IPv4, first IPv6 or "")) the running ports a route may target.
    """
    subnets = [s for s in snapshot.subnets if s.vpc_id == vpc_id]
    by_subnet = snapshot.route_table_by_subnet
    used: dict[str, RouteTable] = {}
    for subnet in subnets:
        table = by_subnet.get(subnet.subnet_id)
        if table is not None:
            used.setdefault(table.route_table_id, table)
    numbers = table_numbers(vpc_id, used)
    resolver = _Resolver(snapshot, vpc_id, port_links or {})
    tables = tuple(
        KernelTable(numbers[rtb], rtb, resolver.table(table)) for rtb, table in sorted(used.items())
    )
    sources: set[tuple[str, int]] = set()
    for subnet in subnets:
        table = by_subnet.get(subnet.subnet_id)
        if table is None:
            continue
        number = numbers[table.route_table_id]
        block6 = subnet.ipv6_cidr_block or (port_ipv6_blocks or {}).get(subnet.subnet_id)
        for block in (subnet.cidr_block, block6):
            if block:
                sources.add((str(ipaddress.ip_network(block, strict=False)), number))
    return RoutingPlan(
        tables=tables,
        sources=tuple(sorted(sources)),
        nat_gateways=tuple(sorted((realm, ip) for ip, realm in resolver.realms.items())),
        peer_links=resolver.peer_links(),
        egress_only_gateway=any(g.vpc_id == vpc_id for g in snapshot.egress_only_internet_gateways),
    )


class _Resolver:
    """Resolves one VPC's routes to hops (and remembers the NAT realms and peerings used)."""

    def __init__(
        self, snapshot: Snapshot, vpc_id: str, ports: Mapping[str, tuple[str, str, str]]
    ) -> None:
        self.snapshot = snapshot
        self.vpc_id = vpc_id
        self.ports = ports
        gateway = snapshot.internet_gateway_for(vpc_id)
        self.igw = gateway.igw_id if gateway is not None else None
        self.realms: dict[str, int] = {}  # NAT public IP → realm
        self._peerings: dict[str, PeerLink] = {}
        nats = sorted(n.nat_gateway_id for n in snapshot.nat_gateways if n.vpc_id == vpc_id)
        self._realm_of = {nat_id: k + 1 for k, nat_id in enumerate(nats)}

    def table(self, table: RouteTable) -> tuple[KernelRoute, ...]:
        routes = list(table.routes)
        out: dict[str, KernelRoute] = {}
        # CIDR routes first, so a prefix-list entry never displaces a CIDR route of the
        # same destination (AWS: a static CIDR route beats an overlapping prefix list).
        for route in sorted(routes, key=lambda r: r.is_prefix_list):
            for destination in self._destinations(route):
                if destination in out:
                    continue
                for kernel_route in self._resolve(route, destination, routes):
                    out.setdefault(kernel_route.destination, kernel_route)
        for default in _DEFAULTS:  # what no route claims is dropped, never looked up further
            out.setdefault(default, KernelRoute(default, Hop.DROP))
        return tuple(sorted(out.values()))

    def peer_links(self) -> tuple[PeerLink, ...]:
        """Every active peering of the VPC, routed to or not: the link is there, as AWS's
        peering is (a side without a route back still receives what the other sends)."""
        for peering in self.snapshot.peerings:
            peer = peering.peer_of(self.vpc_id)
            if peering.is_active and peer is not None:
                self._link(peering)
        return tuple(sorted(self._peerings.values(), key=lambda link: link.peering_id))

    def _link(self, peering: VpcPeeringConnection) -> str:
        pcx = peering.vpc_peering_connection_id
        link = self._peerings.get(pcx)
        if link is None:
            peer = peering.peer_of(self.vpc_id)
            assert peer is not None
            link = self._peerings[pcx] = PeerLink(
                pcx, peer.vpc_id, World.peering(pcx), peering.requester.vpc_id == self.vpc_id
            )
        return link.ifname

    # -- one route -------------------------------------------------------------------------

    def _destinations(self, route: Route) -> list[str]:
        if not route.is_prefix_list:
            return [route.destination]
        plist = self.snapshot.prefix_list_by_id.get(route.destination)
        return [e.cidr for e in plist.entries] if plist is not None else []

    def _resolve(self, route: Route, destination: str, routes: list[Route]) -> list[KernelRoute]:
        drop = [KernelRoute(destination, Hop.DROP)]
        if route_state(route, self.vpc_id, self._usable) is RouteState.BLACKHOLE:
            return drop
        family = ipaddress.ip_network(destination).version
        kind = route.kind
        if kind is TargetKind.LOCAL:
            return [KernelRoute(destination, Hop.LOCAL)]
        if kind is TargetKind.INTERNET_GATEWAY:
            return [KernelRoute(destination, Hop.INTERNET)]
        if kind is TargetKind.EGRESS_ONLY_INTERNET_GATEWAY:
            return [KernelRoute(destination, Hop.EGRESS_ONLY)] if family == 6 else drop
        if kind is TargetKind.NAT_GATEWAY:
            return self._nat(route.target, destination, routes) if family == 4 else drop
        if kind is TargetKind.PEERING:
            return self._peering(route, destination, routes)
        if kind in (TargetKind.NETWORK_INTERFACE, TargetKind.INSTANCE):
            port = self.ports.get(route.target)
            gateway = port and (port[1] if family == 4 else port[2])
            if port is None or not gateway:
                return drop
            return [KernelRoute(destination, Hop.INTERFACE, port[0], gateway)]
        return drop

    def _usable(self, route: Route, vpc_id: str) -> bool:
        """AWS's rule (``domain/route_targets``), except that an interface forwards only
        while its port is realised (running), and kinds not simulated never do."""
        kind = route.kind
        if kind in (TargetKind.NETWORK_INTERFACE, TargetKind.INSTANCE):
            return route.target in self.ports
        if kind not in _SIMULATED:
            return False
        return target_usable(self.snapshot, route, vpc_id)

    def _nat(self, nat_id: str, destination: str, routes: list[Route]) -> list[KernelRoute]:
        """Through the NAT gateway — for the parts of ``destination`` its own subnet routes
        to the attached internet gateway; the other parts are dropped (AWS's NAT path fails
        there too), and so is everything when the gateway has no public IP."""
        nat = self.snapshot.nat_gateway_by_id[nat_id]
        table = self.snapshot.route_table_by_subnet.get(nat.subnet_id)
        net = ipaddress.ip_network(destination)
        if not nat.public_ip or table is None:
            return [KernelRoute(destination, Hop.DROP)]
        realm = self.realms.setdefault(nat.public_ip, self._realm_of[nat_id])
        onward = [r for r in table.routes if not r.is_prefix_list]

        def through(piece, covering: Route | None) -> KernelRoute:
            out = covering is not None and covering.target == self.igw
            hop = Hop.NAT if out else Hop.DROP
            return KernelRoute(str(piece), hop, realm=realm if out else 0)

        covering = [r for r in onward if _contains(ipaddress.ip_network(r.destination), net)]
        best = max(
            covering, key=lambda r: ipaddress.ip_network(r.destination).prefixlen, default=None
        )
        out = [through(net, best)]
        for route in onward:  # the NAT subnet's routes inside the destination: their own say
            piece = ipaddress.ip_network(route.destination)
            if piece.version != net.version or piece.prefixlen <= net.prefixlen:
                continue
            if piece.subnet_of(net) and not _claimed_between(routes, net, piece):  # type: ignore[arg-type]
                out.append(through(piece, route))
        return out

    def _peering(self, route: Route, destination: str, routes: list[Route]) -> list[KernelRoute]:
        """Over the peering link, the part of ``destination`` inside the peer's blocks; the
        rest of it is dropped (a peering carries only the two VPCs' addresses)."""
        peering = self.snapshot.peering_by_id[route.target]
        peer = peering.peer_of(self.vpc_id)
        assert peer is not None  # _usable checked the side
        peer_vpc = self.snapshot.vpc_by_id.get(peer.vpc_id)
        blocks = list(peer.cidr_blocks) + list(peer.ipv6_cidr_blocks)
        if peer_vpc is not None:  # the peer's current blocks, when this snapshot holds them
            blocks = [*peer_vpc.ipv4_blocks, *peer_vpc.blocks(6)]
        link = self._link(peering)
        net = ipaddress.ip_network(destination)
        out: list[KernelRoute] = []
        for block in filter(None, blocks):
            other = ipaddress.ip_network(block)
            if other.version != net.version or not net.overlaps(other):
                continue
            piece = net if net.prefixlen >= other.prefixlen else other
            if piece != net and _claimed_between(routes, net, piece):
                continue  # a route more specific than this one covers the piece
            out.append(KernelRoute(str(piece), Hop.PEERING, link))
        if not any(r.destination == destination for r in out):
            out.append(KernelRoute(destination, Hop.DROP))
        return out


def _contains(outer, inner) -> bool:
    return outer.version == inner.version and inner.subnet_of(outer)


def _claimed_between(routes: list[Route], outer, piece) -> bool:
    """Does a CIDR route longer than ``outer`` contain ``piece`` (so it, not ``outer``'s
    route, is what AWS selects for the piece)?"""
    for route in routes:
        if route.is_prefix_list:
            continue
        net = ipaddress.ip_network(route.destination)
        if (
            net.version == piece.version
            and net.prefixlen > outer.prefixlen
            and piece.subnet_of(net)
        ):
            return True
    return False
