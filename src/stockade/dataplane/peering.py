"""Peering links: one veth pair between the two router namespaces of an active peering.

Both ends carry the same name (:meth:`World.peering`, each in its own router namespace)
and no address: a route over the link names the other end's link-local next hop, whose
neighbour entry is static (:mod:`stockade.dataplane.router_routes`). The link only
*connects*; what crosses it is what each side's route tables send to the ``pcx-``, and a
packet arriving from the peer finds no subnet rule, so only the router's main table —
this VPC's own interfaces (no transit). The security groups of each end still decide
(nftables treats a peering link as it treats the gateway link).

A link exists while the peering is active and both routers exist (for a peering between
two accounts, the agent follows both scopes).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping

from stockade.dataplane import links, netns
from stockade.dataplane.names import PEER_LINK_PREFIX, World, mac_for
from stockade.dataplane.netns import Rtnl
from stockade.dataplane.router_routes import (
    PEER_ACCEPTER_V4,
    PEER_ACCEPTER_V6,
    PEER_REQUESTER_V4,
    PEER_REQUESTER_V6,
)

log = logging.getLogger(__name__)

#: peering id → (requester VPC id, accepter VPC id)
Wanted = Mapping[str, tuple[str, str]]


class PeeringLinks:
    """Creates and removes a world's peering links (one thread: its rtnetlink handles)."""

    def __init__(self, world: World, ipr: Callable[[str], Rtnl]) -> None:
        self.world = world
        self._ipr = ipr
        self.made: dict[str, tuple[str, str]] | None = None  # None: the kernel is unknown

    def forget(self) -> None:
        self.made = None

    def sync(self, wanted: Wanted, routers: Iterable[str]) -> bool:
        """Make exactly the ``wanted`` links (``routers``: the VPC ids whose routers exist,
        where stale links are looked for after a restart); True when a link came or went."""
        if self.made is not None and self.made == dict(wanted):
            return False
        present = self.made if self.made is not None else self._scan(routers, wanted)
        changed = False
        for peering_id, ends in present.items():
            if wanted.get(peering_id) != ends:
                self._delete(peering_id, ends)
                changed = True
        for peering_id, ends in wanted.items():
            if present.get(peering_id) != ends or not self._intact(peering_id, ends):
                self._create(peering_id, ends)
                changed = True
        self.made = dict(wanted)
        return changed

    def drift(self, vpc_id: str) -> list[str]:
        """The links this VPC's router should hold but does not."""
        found = []
        for peering_id, ends in (self.made or {}).items():
            if vpc_id in ends:
                ipr = self._ipr(self.world.router(vpc_id))
                if links.index(ipr, World.peering(peering_id)) is None:
                    found.append(f"peering link {World.peering(peering_id)} is missing")
        if found:
            self.forget()
        return found

    # -- kernel ----------------------------------------------------------------------------

    def _scan(self, routers: Iterable[str], wanted: Wanted) -> dict[str, tuple[str, str]]:
        """After a restart: the peering links the routers hold (unknown ones by name)."""
        by_name = {World.peering(p): (p, ends) for p, ends in wanted.items()}
        found: dict[str, tuple[str, str]] = {}
        for vpc_id in routers:
            namespace = self.world.router(vpc_id)
            if not netns.exists(namespace):
                continue
            ipr = self._ipr(namespace)
            for link in ipr.get_links():
                name = link.get("IFLA_IFNAME") or ""
                if not name.startswith(PEER_LINK_PREFIX):
                    continue
                if name in by_name and vpc_id in by_name[name][1]:
                    peering_id, ends = by_name[name]
                    found[peering_id] = ends
                else:  # a peering that is gone: its link goes
                    links.ignore((links.ENODEV,), ipr.link, "del", index=link["index"])
        return found

    def _intact(self, peering_id: str, ends: tuple[str, str]) -> bool:
        name = World.peering(peering_id)
        for vpc_id in ends:
            namespace = self.world.router(vpc_id)
            if not netns.exists(namespace) or links.index(self._ipr(namespace), name) is None:
                return False
        return True

    def _delete(self, peering_id: str, ends: tuple[str, str]) -> None:
        name = World.peering(peering_id)
        for vpc_id in ends:  # one end goes, and the other with it
            namespace = self.world.router(vpc_id)
            if netns.exists(namespace):
                ipr = self._ipr(namespace)
                idx = links.index(ipr, name)
                if idx is not None:
                    links.ignore((links.ENODEV,), ipr.link, "del", index=idx)

    def _create(self, peering_id: str, ends: tuple[str, str]) -> None:
        requester, accepter = ends
        self._delete(peering_id, ends)  # a half-made link (one end's router was rebuilt)
        name = World.peering(peering_id)
        a_ns, b_ns = self.world.router(requester), self.world.router(accepter)
        a_mac, b_mac = mac_for(name + requester), mac_for(name + accepter)
        a = self._ipr(a_ns)
        a.link(
            "add",
            ifname=name,
            kind="veth",
            address=a_mac,
            peer={"ifname": name, "address": b_mac, "net_ns_fd": str(netns.RUN_DIR / b_ns)},
        )
        b = self._ipr(b_ns)
        for ipr, peer_mac, peer_v4, peer_v6 in (
            (a, b_mac, PEER_ACCEPTER_V4, PEER_ACCEPTER_V6),
            (b, a_mac, PEER_REQUESTER_V4, PEER_REQUESTER_V6),
        ):
            idx = links.index(ipr, name)
            assert idx is not None, name
            links.set_up(ipr, idx, True)
            links.add_neighbour(ipr, idx, peer_v4, peer_mac)
            links.add_neighbour(ipr, idx, peer_v6, peer_mac)
        for ipr in (a, b):
            idx = links.index(ipr, name)
            assert idx is not None
            links.wait_up(ipr, idx)
        for router in (a_ns, b_ns):  # as on the gateway link: in only what could route back
            netns.sysctl(router, {f"ipv4.conf.{name}.rp_filter": "1"})
        log.debug("peering link %s between %s and %s", name, requester, accepter)
