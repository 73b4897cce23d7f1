"""The simulated world's plumbing: VPC routers, instance namespaces and their links.

One namespace per VPC router and per instance. Each instance interface is a veth pair
created *inside the router namespace* with its peer placed directly into the instance
namespace (nothing ever touches the root namespace). On the router side the port holds the
subnet's router address (base+1, as AWS's VPC router) and a host route to the instance;
inside the instance, ``eth<device index>`` holds its private addresses and a default route
to the router. The router forwards between ports and, when the VPC has an internet
gateway, to the internet namespace (:mod:`stockade.dataplane.internet`); nftables in the
router namespace decides what may pass.

:meth:`Topology.sync` takes the kernel from the previous plan (``None`` after a restart:
then it checks what is there and keeps what is right) to the new one.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable

from stockade.dataplane import conntrack, links, netns
from stockade.dataplane.internet import Internet
from stockade.dataplane.names import IGW_LINK, PEER_LINK_PREFIX, ROOT_PREFIX, World, mac_for
from stockade.dataplane.netns import Rtnl
from stockade.dataplane.peering import PeeringLinks, Wanted
from stockade.dataplane.plan import PortPlan, VpcPlan
from stockade.dataplane.router_routes import RouterRoutes

log = logging.getLogger(__name__)

#: Routing table of a secondary interface (device index N uses table 100 + N).
SECONDARY_TABLE = 100


class Topology:
    """Creates and removes the namespaces and links of one world."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.internet = Internet(world)
        self.routes = RouterRoutes()
        self.peerings = PeeringLinks(world, self.ipr)
        self._local = threading.local()  # rtnetlink handles are per thread (netns.Rtnl)

    # -- handles ---------------------------------------------------------------------------

    @property
    def _handles(self) -> dict[str, Rtnl]:
        if not hasattr(self._local, "handles"):
            self._local.handles = {}
        return self._local.handles

    def ipr(self, namespace: str) -> Rtnl:
        handle = self._handles.get(namespace)
        if handle is None:
            handle = self._handles[namespace] = netns.iproute(namespace)
        return handle

    def _forget(self, namespace: str) -> None:
        handle = self._handles.pop(namespace, None)
        if handle is not None:
            handle.close()

    def _remove_ns(self, namespace: str) -> None:
        self._forget(namespace)
        netns.remove(namespace)

    def close(self) -> None:
        for name in list(self._handles):
            self._forget(name)
        self.internet.close()

    # -- VPC routers -----------------------------------------------------------------------

    def ensure_router(self, plan: VpcPlan) -> str:
        name = self.world.router(plan.vpc_id)
        fresh = not netns.exists(name)
        netns.create(name, self.world.marker)
        if fresh:
            netns.sysctl(name, links.ROUTER)
        ipr = self.ipr(name)
        links.loopback_up(ipr)
        # Nothing leaves the world: what no route claims is dropped without an answer
        # (AWS's router does not send "unreachable"), including unknown VPC addresses.
        for dst in ("0.0.0.0/0", "::/0", *_blocks(plan)):
            links.add_route(ipr, dst, kind="blackhole")
        return name

    def _sync_blocks(self, old: VpcPlan, new: VpcPlan) -> None:
        """A block associated with (or taken from) a running VPC gets (or loses) the
        router's blackhole for addresses no port holds, as ``ensure_router`` gives a new
        router's blocks."""
        ipr = self.ipr(self.world.router(new.vpc_id))
        before, after = set(_blocks(old)), set(_blocks(new))
        for dst in after - before:
            links.add_route(ipr, dst, kind="blackhole")
        for dst in before - after:
            links.ignore(
                (links.ENOENT, links.ESRCH),
                ipr.route,
                "del",
                dst=dst,
                type="blackhole",
                family=links.family(dst),
            )

    def sync(
        self,
        old: VpcPlan | None,
        new: VpcPlan,
        rehomed: Iterable[str] = (),
        rules: Callable[[], object] = lambda: None,
    ) -> None:
        """Make one VPC's router, ports and gateway link match ``new``; call ``rules`` (which
        puts the VPC's new ruleset in force; what it returns is ignored) once, at the one safe
        moment in between.

        In order: the links that go or change are deleted; the tracked flows of the
        ``rehomed`` addresses (those that left or arrived at an interface,
        ``plan.addresses_rehomed``) and of the new interfaces' addresses are forgotten;
        ``rules`` runs; only then are new links made. So a packet of an old flow finds no
        link, or no port the rules know, or — as a new flow — the new holder's rules; never
        an established entry leading to a new holder, nor an interface's old rules on its
        new instance. (Forgetting the flows of every new interface also covers a restart,
        where the old plan is unknown.)
        """
        if old is not None and _blocks(old) != _blocks(new):
            self._sync_blocks(old, new)
        if old is not None and old.ports == new.ports and _outside(old) == _outside(new):
            rules()
            return  # nothing the topology depends on changed (rules are nftables' business)
        router = self.ensure_router(new) if old is None else self.world.router(new.vpc_id)
        ipr = self.ipr(router)
        before = old.port_by_eni if old else {}
        wanted = {p.ifname for p in new.ports}
        fresh: list[PortPlan] = []  # links to (re)create, once the old ones are gone
        for ifname in self._router_ports(ipr):
            if ifname not in wanted:
                self._delete_link(ipr, ifname)
        for port in new.ports:
            previous = before.get(port.eni_id)
            if previous is not None and previous.topology_key() == port.topology_key():
                if previous.up != port.up:  # routes go with a link that goes down
                    self._configure_port(router, port)
                continue
            if previous is None and self._port_intact(ipr, port):
                self._configure_port(router, port)  # after a restart: keep it, check it
                continue
            self._delete_link(ipr, port.ifname)
            fresh.append(port)
        arriving = {
            a for p in fresh if p.eni_id not in before for a in (*p.addresses, p.public_ip) if a
        }
        self._forget_flows(router, {*rehomed, *arriving})
        rules()
        for port in fresh:
            self._create_port(router, port)
        if old is None or _outside(old) != _outside(new):
            self.internet.sync_vpc(ipr, new)
        gone = {p.instance_id for p in before.values()} - {p.instance_id for p in new.ports}
        for instance_id in gone:
            self._remove_ns(self.world.instance(instance_id))

    def forget_routing(self) -> None:
        """Assume nothing about routes and peering links: the next syncs read the kernel."""
        self.routes = RouterRoutes()
        self.peerings.forget()

    def sync_routes(self, plan: VpcPlan) -> int:
        """Make the router's policy routing match the plan's route tables (after its links
        — ports, gateway and peering links — are in place); the messages sent."""
        router = self.world.router(plan.vpc_id)
        return self.routes.sync(self.ipr(router), router, plan.routing)

    def sync_peerings(self, plans: Iterable[VpcPlan]) -> bool:
        """The peering links the routers' plans agree on: an active peering both of whose
        VPCs have a router here; True when a link came or went."""
        plans = list(plans)
        listed = {(p.vpc_id, link.peering_id) for p in plans for link in p.routing.peer_links}
        wanted: Wanted = {
            link.peering_id: (plan.vpc_id, link.peer_vpc_id)
            for plan in plans
            for link in plan.routing.peer_links
            if link.requester and (link.peer_vpc_id, link.peering_id) in listed
        }
        return self.peerings.sync(wanted, [p.vpc_id for p in plans])

    def remove_vpc(
        self, vpc_id: str, instance_ids: Iterable[str] = (), released: Iterable[str] = ()
    ) -> None:
        """Remove a VPC's router (its ports, gateway and peering links and tracked flows go
        with it) and instances; the internet forgets the flows of its ``released``
        addresses."""
        self.routes.forget(self.world.router(vpc_id))
        self.internet.drop_vpc(vpc_id)
        self._forget_flows(None, set(released))
        for instance_id in instance_ids:
            self._remove_ns(self.world.instance(instance_id))
        self._remove_ns(self.world.router(vpc_id))

    def prune(self, plans: Iterable[VpcPlan]) -> list[str]:
        """Remove the world's namespaces no plan wants (after a restart); returns them.

        Only namespaces carrying this world's marker *for this store* go: a name with the
        prefix proves nothing (another store's agent, a probe, someone's experiment).
        """
        keep = {self.world.internet}
        for plan in plans:
            keep.add(self.world.router(plan.vpc_id))
            keep.update(self.world.instance(i) for i in plan.instances)
        removed = []
        for name in netns.listed(self.world.prefix):
            if name in keep or name.startswith(self.world.host("")):
                continue
            marker = netns.marker_of(name)
            if marker != self.world.marker:
                log.info(
                    "not pruning %s: it is not marked as this store's (%s)",
                    name,
                    marker or "no marker",
                )
                continue
            self._remove_ns(name)
            removed.append(name)
        return removed

    def drift(self, plan: VpcPlan) -> list[str]:
        """What of ``plan`` the kernel no longer holds: the router namespace, its ports
        (present, up as planned, with their host routes), the instances' sides (namespace,
        device, addresses) and the gateway link. One line per finding; empty when intact."""
        router = self.world.router(plan.vpc_id)
        if not netns.exists(router):
            return [f"router namespace {router} is missing"]
        ipr = self.ipr(router)
        present = {link.get("IFLA_IFNAME"): link for link in ipr.get_links()}
        routes = {
            f"{r.get('RTA_DST')}/{r['dst_len']}"
            for fam in (socket.AF_INET, socket.AF_INET6)
            for r in ipr.get_routes(family=fam)
            if r.get("RTA_DST")
        }
        found = []
        for port in plan.ports:
            link = present.get(port.ifname)
            if link is None:
                found.append(f"link {port.ifname} of {port.eni_id} is missing")
                continue
            if port.up and not link["flags"] & 1:
                found.append(f"link {port.ifname} of {port.eni_id} is down")
            for address in port.ipv4_addresses if port.up else ():
                if links.host(address) not in routes:
                    found.append(f"route to {address} ({port.eni_id}) is missing")
            if not self._port_intact(ipr, port):
                found.append(f"instance side of {port.eni_id} is missing or changed")
        if plan.uplink and IGW_LINK not in present:
            found.append(f"gateway link {IGW_LINK} is missing")
        found += self.peerings.drift(plan.vpc_id)
        found += self.routes.drift(ipr, router, plan.routing)
        return found

    def forget_namespace(self, namespace: str) -> None:
        """Drop this thread's handle of a namespace that was removed behind our back."""
        self._forget(namespace)

    def _forget_flows(self, router: str | None, addresses: set[str]) -> None:
        """Forget the tracked flows of ``addresses`` in the router and the internet."""
        if not addresses:
            return
        for namespace in (router, self.world.internet):
            if namespace is not None:
                forgotten = conntrack.forget(namespace, addresses)
                if forgotten:
                    log.debug(
                        "%s: forgot %d tracked flows of %s",
                        namespace,
                        forgotten,
                        ", ".join(sorted(addresses)),
                    )

    # -- ports -----------------------------------------------------------------------------

    @staticmethod
    def _router_ports(ipr: Rtnl) -> list[str]:
        names = [link.get("IFLA_IFNAME") for link in ipr.get_links()]
        return [
            n
            for n in names
            if n
            and n.startswith(ROOT_PREFIX)
            and n != IGW_LINK
            and not n.startswith(PEER_LINK_PREFIX)
        ]

    @staticmethod
    def _delete_link(ipr: Rtnl, ifname: str) -> None:
        idx = links.index(ipr, ifname)
        if idx is not None:
            links.ignore((links.ENODEV,), ipr.link, "del", index=idx)

    def _port_intact(self, ipr: Rtnl, port: PortPlan) -> bool:
        """After a restart: is the port's link there, with the instance's addresses?"""
        if links.index(ipr, port.ifname) is None:
            return False
        instance = self.world.instance(port.instance_id)
        if not netns.exists(instance):
            return False
        inner = self.ipr(instance)
        idx = links.index(inner, port.device)
        if idx is None:
            return False
        want = {f"{a}/{port.prefix4}" for a in port.ipv4_addresses}
        want |= {f"{a}/{port.prefix6}" for a in port.ipv6}
        return links.addresses(inner, idx) == want

    def _create_port(self, router: str, port: PortPlan) -> None:
        instance = self.world.instance(port.instance_id)
        if not netns.exists(instance):
            netns.create(instance, self.world.marker)
            netns.sysctl(instance, links.QUIET_IPV6)
        inner = self.ipr(instance)
        stale = links.index(inner, port.device)
        if stale is not None:  # a leftover from a crash: its router side is gone
            inner.link("del", index=stale)
        self.ipr(router).link(
            "add",
            ifname=port.ifname,
            kind="veth",
            address=mac_for(port.ifname),
            peer={
                "ifname": port.device,
                "address": port.mac,
                "net_ns_fd": str(netns.RUN_DIR / instance),
            },
        )
        self._configure_port(router, port)

    def _configure_port(self, router: str, port: PortPlan) -> None:
        """Addresses, routes and neighbours on both sides (idempotent)."""
        outer = self.ipr(router)
        idx = links.index(outer, port.ifname)
        assert idx is not None, port.ifname
        links.set_up(outer, idx, True)
        links.add_address(outer, idx, port.gateway4, 32, on_link=True)
        for address in port.ipv4_addresses:
            links.add_route(outer, links.host(address), idx)
            links.add_neighbour(outer, idx, address, port.mac)
        if port.gateway6:
            links.add_address(outer, idx, port.gateway6, 128, on_link=True)
        for address in port.ipv6:
            links.add_route(outer, links.host(address), idx)
            links.add_neighbour(outer, idx, address, port.mac)

        inner = self.ipr(self.world.instance(port.instance_id))
        links.loopback_up(inner)
        dev = links.index(inner, port.device)
        assert dev is not None, port.device
        router_mac = mac_for(port.ifname)
        links.set_up(inner, dev, True)  # routes can only be added over a link that is up
        for address in port.ipv4_addresses:  # the primary first: the source by default
            links.add_address(inner, dev, address, port.prefix4, on_link=False)
        for address in port.ipv6:
            links.add_address(inner, dev, address, port.prefix6 or 64, on_link=False)
        table = None if port.device_index == 0 else SECONDARY_TABLE + port.device_index
        families = ((port.gateway4, port.ipv4_addresses), (port.gateway6, port.ipv6))
        for gateway, own in families:
            if not gateway or not own:
                continue
            links.add_neighbour(inner, dev, gateway, router_mac)
            links.add_route(inner, links.host(gateway), dev)
            default = "0.0.0.0/0" if ":" not in gateway else "::/0"
            links.add_route(inner, default, dev, gateway=gateway, table=table)
            if table is not None:  # replies from a secondary address leave by its own link
                for address in own:
                    links.ignore(
                        (links.EEXIST,),
                        inner.rule,
                        "add",
                        table=table,
                        src=address,
                        src_len=128 if ":" in address else 32,
                        family=links.family(address),
                        priority=1000 + table,
                    )
        if not port.up:  # a stopped instance: its clients time out
            links.set_up(inner, dev, False)
        else:
            links.wait_up(inner, dev)
            links.wait_up(outer, idx)


def _outside(plan: VpcPlan) -> tuple:
    """What the gateway link depends on."""
    return (
        plan.internet,
        plan.uplink,
        tuple(sorted(plan.nat.items())),
        plan.routing.nat_gateways,
        plan.cidr6,
    )


def _blocks(plan: VpcPlan) -> tuple[str, ...]:
    """The VPC's blocks, IPv4 and IPv6: its router's blackholes (what no port holds)."""
    return (*plan.cidrs4, *([plan.cidr6] if plan.cidr6 else []))
