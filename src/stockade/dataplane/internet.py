"""The stand-in internet: one namespace routing documentation-range addresses.

"Public" addresses are only ever 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24 and
2001:db8::/32 (DESIGN.md safety rules), so the world's routers send only those to the
internet namespace, and it knows only routes to the VPCs' public addresses and to its
transient hosts. Anything else is dropped (blackhole routes): nothing can leave the world.

A VPC with an internet gateway (or an egress-only one) gets a link from its router
(``stkigw``) to the internet namespace; the internet routes each translated public IPv4,
each NAT gateway's public IPv4 and the VPC's IPv6 block over it, and the router's
nftables translate (AWS's internet gateway: 1:1; a NAT gateway: many to one). Which
packets take the link is the route tables' business (:mod:`stockade.dataplane.routing`):
the router's main table holds no route to it. Without a gateway there is no link, so the
VPC is unreachable from the internet and cannot reach it.
Both ends of each link use link-local addresses and static neighbours.
"""

from __future__ import annotations

import contextlib
import ipaddress
import threading
from collections.abc import Iterator

from stockade.dataplane import links, netns
from stockade.dataplane.names import IGW_LINK, World, mac_for
from stockade.dataplane.netns import Rtnl
from stockade.dataplane.plan import VpcPlan

DOCUMENTATION = ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
INTERNET_V4, ROUTER_V4 = "169.254.0.1", "169.254.0.2"
INTERNET_V6, ROUTER_V6 = "fe80::1", "fe80::2"


def is_documentation(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip in ipaddress.ip_network(net) for net in DOCUMENTATION)


class Internet:
    """The internet namespace, its links to VPC routers, and transient hosts."""

    def __init__(self, world: World) -> None:
        self.world = world
        self._local = threading.local()  # rtnetlink handles are per thread (netns.Rtnl)

    @property
    def name(self) -> str:
        return self.world.internet

    def ensure(self) -> Rtnl:
        """The internet namespace (created on first use) and this thread's handle on it."""
        if not netns.exists(self.name):
            netns.create(self.name, self.world.marker)
            netns.sysctl(self.name, links.ROUTER)
        ipr = getattr(self._local, "ipr", None)
        if ipr is None:
            ipr = self._local.ipr = netns.iproute(self.name)
            links.loopback_up(ipr)
            for dst in ("0.0.0.0/0", "::/0"):
                links.add_route(ipr, dst, kind="blackhole")
        return ipr

    def close(self) -> None:
        """Close this thread's handle."""
        ipr = getattr(self._local, "ipr", None)
        if ipr is not None:
            ipr.close()
            self._local.ipr = None

    # -- VPC links -------------------------------------------------------------------------

    def sync_vpc(self, router: Rtnl, plan: VpcPlan) -> None:
        """Create, update or remove one VPC's gateway link and the internet's routes over
        it."""
        if not plan.uplink:
            idx = links.index(router, IGW_LINK)
            if idx is not None:
                router.link("del", index=idx)
            return
        ipr = self.ensure()
        uplink = World.uplink(plan.vpc_id)
        if links.index(router, IGW_LINK) is None:
            stale = links.index(ipr, uplink)
            if stale is not None:
                ipr.link("del", index=stale)
            ipr.link(
                "add",
                ifname=uplink,
                kind="veth",
                address=mac_for(uplink),
                peer={
                    "ifname": IGW_LINK,
                    "address": mac_for(IGW_LINK + plan.vpc_id),
                    "net_ns_fd": str(netns.RUN_DIR / self.world.router(plan.vpc_id)),
                },
            )
        outer = links.index(ipr, uplink)
        inner = links.index(router, IGW_LINK)
        assert outer is not None and inner is not None
        self._point_to_point(
            ipr, outer, router, inner, mac_for(uplink), mac_for(IGW_LINK + plan.vpc_id)
        )
        links.wait_up(ipr, outer)
        links.wait_up(router, inner)
        # What arrives from the internet passes only if the destination's subnet routes the
        # source back out of this link (strict reverse path over the route tables' policy
        # rules): a public IP in a subnet without an internet route receives nothing, as
        # the policy engine says (AWS: neither direction works).
        netns.sysctl(self.world.router(plan.vpc_id), {f"ipv4.conf.{IGW_LINK}.rp_filter": "1"})
        for net in DOCUMENTATION:  # routed by the route tables now (a router made before)
            links.ignore(
                (links.ENOENT, links.ESRCH), router.route, "del", dst=net, family=links.family(net)
            )
        wanted = {links.host(pub) for pub in plan.nat.values()}
        wanted |= {links.host(pub) for _realm, pub in plan.routing.nat_gateways}
        if plan.cidr6:
            wanted.add(plan.cidr6)
        self._routes_over(ipr, outer, wanted)

    @staticmethod
    def _point_to_point(a: Rtnl, a_idx: int, b: Rtnl, b_idx: int, a_mac: str, b_mac: str) -> None:
        for ipr, idx, (v4, v6), (peer_v4, peer_v6), peer_mac in (
            (a, a_idx, (INTERNET_V4, INTERNET_V6), (ROUTER_V4, ROUTER_V6), b_mac),
            (b, b_idx, (ROUTER_V4, ROUTER_V6), (INTERNET_V4, INTERNET_V6), a_mac),
        ):
            links.add_address(ipr, idx, v4, 32, on_link=True)
            links.add_address(ipr, idx, v6, 64, on_link=True)
            links.add_neighbour(ipr, idx, peer_v4, peer_mac)
            links.add_neighbour(ipr, idx, peer_v6, peer_mac)
            links.set_up(ipr, idx, True)

    @staticmethod
    def _routes_over(ipr: Rtnl, idx: int, wanted: set[str]) -> None:
        """Exactly ``wanted`` routed over the link (public /32s and the VPC's IPv6 block)."""
        for fam in (links.family("0.0.0.0"), links.family("::")):
            for route in ipr.get_routes(family=fam, oif=idx):
                dst = route.get("RTA_DST")
                if dst is None or dst.startswith("fe80") or route.get("RTA_TABLE") != 254:
                    continue
                text = f"{dst}/{route['dst_len']}"
                if text not in wanted:
                    links.ignore(
                        (links.ENOENT, links.ESRCH), ipr.route, "del", dst=text, oif=idx, family=fam
                    )
        for dst in wanted:
            gateway = ROUTER_V6 if ":" in dst else ROUTER_V4
            links.add_route(ipr, dst, idx, gateway=gateway, onlink=True)

    def drop_vpc(self, vpc_id: str) -> None:
        if not netns.exists(self.name):
            return
        ipr = self.ensure()
        idx = links.index(ipr, World.uplink(vpc_id))
        if idx is not None:
            links.ignore((links.ENODEV,), ipr.link, "del", index=idx)

    # -- transient hosts -------------------------------------------------------------------

    @contextlib.contextmanager
    def host(self, address: str) -> Iterator[str]:
        """A namespace holding ``address`` on the internet, for the body; yields its name."""
        if not is_documentation(address):
            raise ValueError(
                f"{address} is not a documentation address (192.0.2.0/24, "
                "198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32)"
            )
        name = self.add_host(address)
        try:
            yield name
        finally:
            self.remove_host(address)

    def add_host(self, address: str) -> str:
        """Create a host namespace holding ``address``, linked to the internet namespace.

        Callable from any thread (it uses its own short-lived rtnetlink handles).
        """
        if not netns.exists(self.name):
            raise LookupError(
                "the simulated internet does not exist: is the data plane "
                "running (stockade serve / stockade dataplane run)?"
            )
        name = self.world.host(address)
        link = World.host_link(address)
        with netns.iproute(self.name) as ipr:
            if links.index(ipr, link) is not None:
                raise ValueError(f"an internet host already holds {address}")
            fam = links.family(address)
            if any(r.get("RTA_DST") == address for r in ipr.get_routes(family=fam)):
                raise ValueError(f"{address} is routed to a VPC (an instance's public address)")
            held = self.vpc_block_holding(address)
            if held is not None:
                vpc_id, block = held
                raise ValueError(
                    f"{address} is in {vpc_id}'s block {block}: a VPC's addresses are not "
                    "on the internet"
                )
            netns.create(name, self.world.marker)
            netns.sysctl(name, links.QUIET_IPV6)
            host_mac, link_mac = mac_for(name), mac_for(link)
            ipr.link(
                "add",
                ifname=link,
                kind="veth",
                address=link_mac,
                peer={
                    "ifname": "eth0",
                    "address": host_mac,
                    "net_ns_fd": str(netns.RUN_DIR / name),
                },
            )
            outer = links.index(ipr, link)
            assert outer is not None
            links.add_address(ipr, outer, INTERNET_V4, 32, on_link=True)
            links.add_address(ipr, outer, INTERNET_V6, 64, on_link=True)
            links.add_neighbour(ipr, outer, address, host_mac)
            links.set_up(ipr, outer, True)
            links.add_route(ipr, links.host(address), outer)
        with netns.iproute(name) as inner_ipr:
            inner = links.index(inner_ipr, "eth0")
            assert inner is not None
            links.loopback_up(inner_ipr)
            links.add_address(
                inner_ipr, inner, address, 128 if ":" in address else 32, on_link=True
            )
            links.set_up(inner_ipr, inner, True)
            gateway = INTERNET_V6 if ":" in address else INTERNET_V4
            links.add_neighbour(inner_ipr, inner, gateway, link_mac)
            for net in DOCUMENTATION:
                if (":" in net) == (":" in address):
                    links.add_route(inner_ipr, net, inner, gateway=gateway, onlink=True)
            links.wait_up(inner_ipr, inner)
        with netns.iproute(self.name) as ipr:
            links.wait_up(ipr, outer)
        return name

    def vpc_block_holding(self, address: str) -> tuple[str, str] | None:
        """(VPC id, block) of a VPC block of this world holding ``address``, any account's.

        Read from the kernel, as the caller may be another process than the agent (the
        console, ``stockade exec``): every router's main table holds its VPC's blocks as
        blackholes (:meth:`~stockade.dataplane.topology.Topology.ensure_router`). A VPC
        with no running router has no instance either, so no address of it to take over.
        """
        ip = ipaddress.ip_address(address)
        routers = self.world.router("vpc-")
        for name in netns.listed(routers):
            try:
                with netns.iproute(name) as ipr:
                    routes = ipr.get_routes(family=links.family(address), table=links.MAIN_TABLE)
            except LookupError:  # the router went meanwhile
                continue
            for route in routes:
                if route["type"] != links.RTN_BLACKHOLE or not route["dst_len"]:
                    continue
                block = ipaddress.ip_network(f"{route.get('RTA_DST')}/{route['dst_len']}")
                if ip in block:
                    return name[len(self.world.prefix) :], str(block)
        return None

    def remove_host(self, address: str) -> None:
        """Remove a host. Its link goes first, synchronously: a namespace is torn down by
        the kernel in the background, and the address must be free again at once."""
        if netns.exists(self.name):
            with netns.iproute(self.name) as ipr:
                idx = links.index(ipr, World.host_link(address))
                if idx is not None:
                    links.ignore((links.ENODEV,), ipr.link, "del", index=idx)
        netns.remove(self.world.host(address))
