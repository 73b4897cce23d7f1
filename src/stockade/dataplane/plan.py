"""What the kernel should look like for a snapshot: one :class:`VpcPlan` per VPC router.

Pure: a function of a :class:`~stockade.domain.state.Snapshot`. The plan says which
instance interfaces exist in the simulated world (a *port*: a veth from the VPC router to
the instance namespace), with which addresses, whether they are up, and whether the VPC
reaches the internet. Security-group content is not here: the compiler takes it from the
policy engine (:mod:`stockade.dataplane.compile`).

- An interface is a port when it is attached to an instance that is not terminated.
  Only a *running* instance's port is up (a stopped instance keeps its namespace and
  addresses, but its link is down, so clients time out).
- The VPC router is the subnet's base+1 address (AWS's VPC router), IPv4 and IPv6.
- A public IPv4 is translated 1:1 only while the VPC has an internet gateway attached.
- Where a packet goes is the VPC's route tables' business: :class:`VpcPlan.routing`
  (:mod:`stockade.dataplane.routing`), one kernel table per route table.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from stockade.dataplane.acl import AclPlan, plan_acls
from stockade.dataplane.names import World
from stockade.dataplane.routing import Hop, KernelTable, RoutingPlan, plan_routing
from stockade.domain.instance import InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.state import Snapshot

_GONE = (InstanceState.TERMINATED, InstanceState.SHUTTING_DOWN)


@dataclass(frozen=True)
class PortPlan:
    """One instance interface as the data plane realises it."""

    eni_id: str
    owner_id: str  # the account (flow-log records carry it)
    instance_id: str
    ifname: str  # router side
    device: str  # instance side: eth0, eth1, …
    device_index: int
    mac: str
    up: bool
    ipv4: str
    prefix4: int
    gateway4: str
    ipv6: tuple[str, ...]
    prefix6: int | None
    gateway6: str | None
    public_ip: str | None  # translated by the router only when the VPC has a gateway
    group_ids: tuple[str, ...]  # sorted, unique
    tracking: ConnectionTracking
    subnet_id: str = ""  # (its route table is the routing plan's business)
    #: secondary private IPv4 addresses: configured and routed like the primary
    secondary4: tuple[str, ...] = ()

    @property
    def ipv4_addresses(self) -> tuple[str, ...]:
        """The primary private IPv4, then the secondary ones."""
        return (self.ipv4, *self.secondary4)

    @property
    def addresses(self) -> tuple[str, ...]:
        """Every address the instance may send from on this interface (anti-spoofing)."""
        return (*self.ipv4_addresses, *self.ipv6)

    def topology_key(self) -> tuple:
        """What the topology depends on (a change here rebuilds the port's link)."""
        return (
            self.instance_id,
            self.ifname,
            self.device,
            self.device_index,
            self.mac,
            self.ipv4,
            self.secondary4,
            self.prefix4,
            self.gateway4,
            self.ipv6,
            self.prefix6,
            self.gateway6,
        )


@dataclass(frozen=True)
class VpcPlan:
    vpc_id: str
    owner_id: str
    cidrs4: tuple[str, ...]  # every IPv4 block, the primary first (``Vpc.ipv4_blocks``)
    cidr6: str | None
    internet: bool  # an internet gateway is attached
    ports: tuple[PortPlan, ...]  # sorted by interface id
    routing: RoutingPlan = RoutingPlan()
    acls: AclPlan = AclPlan()  # the network ACL crossings the router enforces

    @property
    def uplink(self) -> bool:
        """The router has a link to the internet: an internet or egress-only gateway."""
        return self.internet or self.routing.egress_only_gateway

    @cached_property
    def port_by_eni(self) -> Mapping[str, PortPlan]:
        return {p.eni_id: p for p in self.ports}

    @cached_property
    def port_by_ifname(self) -> Mapping[str, PortPlan]:
        return {p.ifname: p for p in self.ports}

    @property
    def nat(self) -> Mapping[str, str]:
        """Private → public IPv4 of the ports the gateway translates: not those whose
        subnet sends the internet (``0.0.0.0/0``) to a NAT gateway — AWS's internet gateway
        would let a request in to such a public IP, but its reply leaves by the NAT
        gateway, which translates it to its own address, so the connection never forms
        (the policy engine's ``NO_RETURN_ROUTE``); and what such an instance sends out
        leaves as the NAT gateway, never as its public IP. A port whose subnet sends only
        *some* prefixes to a NAT gateway keeps its translation for the rest, but none of
        its flows crosses the edge untracked (:attr:`untracked_at_edge`)."""
        if not self.internet:
            return {}
        behind = self.behind_nat_gateway
        return {p.ipv4: p.public_ip for p in self.ports if p.public_ip and p.ipv4 not in behind}

    @property
    def untracked_at_edge(self) -> Mapping[str, str]:
        """The 1:1 translations whose flows may cross the VPC's edge untracked: not those
        of a port whose subnet sends *some* prefixes to a NAT gateway. What such a port
        sends there must leave as the NAT gateway, which needs the connection, and the
        ``notrack`` chain decides before the route is known; so its edge flows are all
        tracked (the price: removing the rule of one that goes by the internet gateway
        does not cut it, where AWS, tracking nothing there, would)."""
        partly = self.nat_routed
        return {private: public for private, public in self.nat.items() if private not in partly}

    @cached_property
    def behind_nat_gateway(self) -> frozenset[str]:
        """The ports' private IPv4 addresses whose subnet routes ``0.0.0.0/0`` to a NAT
        gateway (its kernel table's default route is a NAT hop)."""
        return self._ports_routed_by(
            lambda t: (d := t.by_destination().get("0.0.0.0/0")) is not None and d.hop is Hop.NAT
        )

    @cached_property
    def nat_routed(self) -> frozenset[str]:
        """The ports' private IPv4 addresses whose subnet routes any prefix to a NAT
        gateway."""
        return self._ports_routed_by(lambda t: any(r.hop is Hop.NAT for r in t.routes))

    def _ports_routed_by(self, chosen: Callable[[KernelTable], bool]) -> frozenset[str]:
        tables = {t.number for t in self.routing.tables if chosen(t)}
        blocks = [ipaddress.ip_network(p) for p, n in self.routing.sources if n in tables]
        return frozenset(
            p.ipv4 for p in self.ports if any(ipaddress.ip_address(p.ipv4) in b for b in blocks)
        )

    @property
    def instances(self) -> tuple[str, ...]:
        return tuple(sorted({p.instance_id for p in self.ports}))


def plan_world(snapshot: Snapshot, cache: dict | None = None) -> dict[str, VpcPlan]:
    """Plans of the VPCs that have at least one port, by VPC id.

    ``cache`` (kept by the caller between snapshots) reuses the port of an interface whose
    interface, instance and subnet are the very same objects as last time.
    """
    ports: dict[str, list[PortPlan]] = {}
    subnets = {s.subnet_id: s for s in snapshot.subnets}
    for eni in snapshot.interfaces:
        instance = snapshot.instance_by_id.get(eni.instance_id) if eni.instance_id else None
        subnet = subnets.get(eni.subnet_id)
        hit = cache.get(eni.eni_id) if cache is not None else None
        if hit is not None and hit[0] is eni and hit[1] is instance and hit[2] is subnet:
            port = hit[3]
        else:
            port = _port(snapshot, eni, subnets)
            if cache is not None:
                cache[eni.eni_id] = (eni, instance, subnet, port)
        if port is not None:
            ports.setdefault(eni.vpc_id, []).append(port)
    plans: dict[str, VpcPlan] = {}
    for vpc_id, vpc_ports in ports.items():
        vpc = snapshot.vpc_by_id.get(vpc_id)
        if vpc is None:
            continue
        blocks6 = _blocks6(vpc_ports)
        routing = _routing(snapshot, vpc_id, vpc_ports, blocks6)
        pairs = ((p.ifname, p.subnet_id) for p in vpc_ports)
        plans[vpc_id] = VpcPlan(
            vpc_id,
            vpc.owner_id,
            vpc.ipv4_blocks,
            vpc.ipv6_cidr_block,
            snapshot.internet_gateway_for(vpc_id) is not None,
            tuple(sorted(vpc_ports, key=lambda p: p.eni_id)),
            routing,
            plan_acls(snapshot, vpc_id, pairs, blocks6, routing.nat_gateways),
        )
    return plans


def _blocks6(ports: list[PortPlan]) -> dict[str, str]:
    """A hand-built subnet without an IPv6 block takes its interfaces' /64 (as the ports
    do), for its routing and its ACL crossings alike."""
    blocks6: dict[str, str] = {}
    for port in ports:
        if port.ipv6 and port.prefix6 is not None:
            net = ipaddress.IPv6Network(f"{port.ipv6[0]}/{port.prefix6}", strict=False)
            blocks6.setdefault(port.subnet_id, str(net))
    return blocks6


def _routing(
    snapshot: Snapshot, vpc_id: str, ports: list[PortPlan], blocks6: dict[str, str]
) -> RoutingPlan:
    """The VPC's routing plan; the running ports are what a route to an interface reaches
    (a route made with ``InstanceId`` targets the instance's ``eni-`` too)."""
    running = {p.eni_id: (p.ifname, p.ipv4, p.ipv6[0] if p.ipv6 else "") for p in ports if p.up}
    return plan_routing(snapshot, vpc_id, blocks6, running)


def addresses_left(old: VpcPlan | None, new: VpcPlan | None) -> frozenset[str]:
    """The addresses that left an interface between two plans of one VPC.

    An address *stays* only while the same interface on the same instance holds it: a
    private or IPv6 address of a port that is gone (interface detached or deleted,
    instance terminated) or that moved to another instance has left, and so has a public
    IPv4 the gateway no longer translates for that port (instance stopped, gateway
    detached). Their tracked connections must go before the address serves anyone else
    (:mod:`stockade.dataplane.conntrack`). A port that only goes down keeps its addresses.
    """
    return frozenset(address for address, _eni, _instance in _held(old) - _held(new))


def addresses_rehomed(old: VpcPlan | None, new: VpcPlan) -> frozenset[str]:
    """The addresses whose holder changed: those that left an interface, and those that
    arrived at one — a flow tracked for an arriving address predates its holder (it hit
    the address while it was free, and would keep steering its packets as it did then).
    Nothing can be said without the old plan (after a restart)."""
    if old is None:
        return frozenset()
    return addresses_left(old, new) | addresses_left(new, old)


def _held(plan: VpcPlan | None) -> set[tuple[str, str, str]]:
    """(address, interface, instance) for every address the plan's ports hold."""
    if plan is None:
        return set()
    return {
        (address, port.eni_id, port.instance_id)
        for port in plan.ports
        for address in (
            *port.addresses,
            *([port.public_ip] if plan.internet and port.public_ip else []),
        )
    }


def _port(snapshot: Snapshot, eni: NetworkInterface, subnets: Mapping) -> PortPlan | None:
    if not eni.instance_id:
        return None
    instance = snapshot.instance_by_id.get(eni.instance_id)
    subnet = subnets.get(eni.subnet_id)
    if instance is None or instance.state in _GONE or subnet is None:
        return None
    net4 = ipaddress.IPv4Network(subnet.cidr_block)
    ipv6 = tuple(a for a in eni.ipv6_addresses if a)
    net6 = None
    if subnet.ipv6_cidr_block:
        net6 = ipaddress.IPv6Network(subnet.ipv6_cidr_block)
    elif ipv6:  # not made by the service layer, but hand-built state may hold it
        net6 = ipaddress.IPv6Network(f"{ipv6[0]}/64", strict=False)
    return PortPlan(
        eni_id=eni.eni_id,
        owner_id=eni.owner_id,
        instance_id=eni.instance_id,
        ifname=World.port(eni.eni_id),
        device=World.device(eni.device_index),
        device_index=eni.device_index or 0,
        mac=eni.mac_address,
        up=instance.state is InstanceState.RUNNING,
        ipv4=eni.private_ip,
        secondary4=eni.secondary_private_ips,
        prefix4=net4.prefixlen,
        gateway4=str(net4.network_address + 1),
        ipv6=ipv6,
        prefix6=net6.prefixlen if net6 is not None else None,
        gateway6=str(net6.network_address + 1) if net6 is not None else None,
        public_ip=eni.public_ip,
        group_ids=tuple(sorted(set(eni.group_ids))),
        tracking=eni.connection_tracking,
        subnet_id=eni.subnet_id,
    )
