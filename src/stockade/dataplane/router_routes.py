"""A VPC router's policy routing, kept equal to its plan (:mod:`~stockade.dataplane.routing`).

Each route table is one kernel routing table, and each subnet block one rule ``from
<block> lookup <table>`` (priority :data:`~stockade.dataplane.routing.RULE_PRIORITY`), after
one ``from <block> to <block> lookup main``: traffic between two interfaces of one subnet
never consults a route table (AWS: it is layer 2), even one routing the subnet's own block
to a middlebox. A packet from no subnet (the internet, a peer VPC) finds no rule and so
only the main table, which knows the VPC's own interfaces and drops the rest
(``Topology.ensure_router``).

What was installed is remembered per router, so a change sends only the routes and rules
that differ — a route change is one rtnetlink message, no nftables run. After a restart, a
repair or a drift finding the memory is dropped and the kernel is read back instead (one
dump per family), so whatever is there is corrected, stale tables included.
"""

from __future__ import annotations

import socket
from dataclasses import dataclass

from stockade.dataplane import links
from stockade.dataplane.internet import INTERNET_V4, INTERNET_V6
from stockade.dataplane.links import MAIN_TABLE, RTN_BLACKHOLE, RTN_THROW, RTN_UNICAST
from stockade.dataplane.names import IGW_LINK
from stockade.dataplane.netns import Rtnl
from stockade.dataplane.routing import RULE_PRIORITY, TABLE_BASE, Hop, KernelRoute, RoutingPlan

#: Next hops across a peering link: the requester's end and the accepter's end.
PEER_REQUESTER_V4, PEER_ACCEPTER_V4 = "169.254.1.1", "169.254.1.2"
PEER_REQUESTER_V6, PEER_ACCEPTER_V6 = "fe80::1:1", "fe80::1:2"

RTNH_F_ONLINK = 4

#: (table, destination) → (type, output link index, gateway, realm)
Key = tuple[int, str]
Spec = tuple[int, int, str, int]
#: (source block, destination block or "", table)
RuleKey = tuple[str, str, int]


@dataclass
class _Installed:
    routes: dict[Key, Spec]
    rules: set[RuleKey]


def planned_rules(plan: RoutingPlan) -> set[RuleKey]:
    """Each subnet block to its table, and within itself to the main table."""
    return {(s, "", t) for s, t in plan.sources} | {(s, s, MAIN_TABLE) for s, _ in plan.sources}


def peer_gateway(requester: bool, family: int) -> str:
    """The next hop across a peering link, seen from one end: the other end's address."""
    if family == 6:
        return PEER_ACCEPTER_V6 if requester else PEER_REQUESTER_V6
    return PEER_ACCEPTER_V4 if requester else PEER_REQUESTER_V4


class RouterRoutes:
    """Installs routing plans in router namespaces (one thread: its rtnetlink handles)."""

    def __init__(self) -> None:
        self._installed: dict[str, _Installed] = {}  # by router namespace

    def forget(self, namespace: str) -> None:
        """Assume nothing about this router's routing: the next sync reads the kernel."""
        self._installed.pop(namespace, None)

    def sync(self, ipr: Rtnl, namespace: str, plan: RoutingPlan) -> int:
        """Make the router's rules and tables match ``plan``; the messages sent."""
        wanted = desired(ipr, plan)
        rules = planned_rules(plan)
        installed = self._installed.get(namespace)
        if installed is None:
            installed = _Installed(*read(ipr))
        sent = 0
        for key, spec in wanted.items():
            if installed.routes.get(key) != spec:
                _replace(ipr, key, spec)
                sent += 1
        for key in installed.routes.keys() - wanted.keys():
            _delete(ipr, key, installed.routes[key])
            sent += 1
        for rule in sorted(rules - installed.rules):
            _rule(ipr, "add", rule)
            sent += 1
        for rule in sorted(installed.rules - rules):
            _rule(ipr, "del", rule)
            sent += 1
        self._installed[namespace] = _Installed(wanted, rules)
        return sent

    def drift(self, ipr: Rtnl, namespace: str, plan: RoutingPlan) -> list[str]:
        """What of the router's routing differs from ``plan`` in the kernel (one line each);
        a finding makes the next sync read the kernel back."""
        routes, rules = read(ipr)
        wanted = desired(ipr, plan)
        found = []
        for (table, dst), spec in sorted(wanted.items()):
            if routes.get((table, dst)) != spec:
                found.append(f"route {dst} of routing table {table} is missing or changed")
        for table, dst in sorted(routes.keys() - wanted.keys()):
            found.append(f"route {dst} in routing table {table} is not planned")
        planned = planned_rules(plan)
        for source, destination, table in sorted(planned ^ rules):
            what = "missing" if (source, destination, table) in planned else "not planned"
            to = f" to {destination}" if destination else ""
            found.append(f"rule from {source}{to} lookup {table} is {what}")
        if found:
            self.forget(namespace)
        return found


def desired(ipr: Rtnl, plan: RoutingPlan) -> dict[Key, Spec]:
    """The kernel routes of the plan, with the link indexes of this moment (a route over a
    link that is not there — a peering link not made yet — is a blackhole)."""
    names = {IGW_LINK} | {r.link for t in plan.tables for r in t.routes if r.link}
    index = {name: links.index(ipr, name) for name in names}
    requester = {p.ifname: p.requester for p in plan.peer_links}
    out: dict[Key, Spec] = {}
    for table in plan.tables:
        for route in table.routes:
            out[(table.number, route.destination)] = _spec(route, index, requester)
    return out


def _spec(route: KernelRoute, index: dict, requester: dict[str, bool]) -> Spec:
    family = 6 if ":" in route.destination else 4
    blackhole: Spec = (RTN_BLACKHOLE, 0, "", 0)
    if route.hop is Hop.LOCAL:
        return (RTN_THROW, 0, "", 0)
    if route.hop is Hop.DROP:
        return blackhole
    if route.hop in (Hop.INTERNET, Hop.EGRESS_ONLY, Hop.NAT):
        idx = index.get(IGW_LINK)
        gateway = INTERNET_V6 if family == 6 else INTERNET_V4
        return (RTN_UNICAST, idx, gateway, route.realm) if idx else blackhole
    idx = index.get(route.link)
    if not idx:
        return blackhole
    if route.hop is Hop.PEERING:
        return (RTN_UNICAST, idx, peer_gateway(requester.get(route.link, True), family), 0)
    return (RTN_UNICAST, idx, route.gateway, 0)  # Hop.INTERFACE


def _family(destination: str) -> int:
    return socket.AF_INET6 if ":" in destination else socket.AF_INET


def _replace(ipr: Rtnl, key: Key, spec: Spec) -> None:
    table, dst = key
    kind, oif, gateway, realm = spec
    msg: dict = {"dst": dst, "family": _family(dst), "table": table, "type": kind}
    if kind == RTN_UNICAST:
        msg.update(oif=oif, gateway=gateway, flags=RTNH_F_ONLINK)
        if realm:
            msg["flow"] = realm
    ipr.route("replace", **msg)


def _delete(ipr: Rtnl, key: Key, spec: Spec) -> None:
    table, dst = key
    links.ignore(
        (links.ENOENT, links.ESRCH),
        ipr.route,
        "del",
        dst=dst,
        family=_family(dst),
        table=table,
        type=spec[0],
    )


def _priority(rule: RuleKey) -> int:
    """Within-subnet rules first; then longer source prefixes first (rules of one priority
    are tried in the order they were added, and hand-built or imported subnets may nest)."""
    source, destination, _table = rule
    if destination:
        return RULE_PRIORITY - 1
    return RULE_PRIORITY + 128 - int(source.split("/")[1])


def _rule(ipr: Rtnl, command: str, rule: RuleKey) -> None:
    source, destination, table = rule
    address, length = source.split("/")
    spec: dict = {"src": address, "src_len": int(length), "table": table}
    if destination:
        dst, dst_len = destination.split("/")
        spec.update(dst=dst, dst_len=int(dst_len))
    links.ignore(
        (links.EEXIST, links.ENOENT),
        ipr.rule,
        command,
        priority=_priority(rule),
        family=_family(address),
        **spec,
    )


def read(ipr: Rtnl) -> tuple[dict[Key, Spec], set[RuleKey]]:
    """The router's route-table routes and subnet rules as the kernel holds them."""
    routes: dict[Key, Spec] = {}
    rules: set[RuleKey] = set()
    for family in (socket.AF_INET, socket.AF_INET6):
        for route in ipr.get_routes(family=family):
            table = route.get("RTA_TABLE") or route["table"]
            if table < TABLE_BASE:
                continue
            dst = f"{route.get('RTA_DST') or _any(family)}/{route['dst_len']}"
            kind = route["type"]
            if kind == RTN_UNICAST:
                spec = (kind, route.get("RTA_OIF") or 0, route.get("RTA_GATEWAY") or "", 0)
                spec = (*spec[:3], route.get("RTA_FLOW") or 0)
            else:
                spec = (kind, 0, "", 0)
            routes[(table, dst)] = spec
        for rule in ipr.get_rules(family=family):
            if not RULE_PRIORITY - 1 <= (rule.get("FRA_PRIORITY") or 0) <= RULE_PRIORITY + 128:
                continue
            src = f"{rule.get('FRA_SRC') or _any(family)}/{rule['src_len']}"
            dst = f"{rule.get('FRA_DST')}/{rule['dst_len']}" if rule.get("FRA_DST") else ""
            rules.add((src, dst, rule.get("FRA_TABLE") or rule["table"]))
    return routes, rules


def _any(family: int) -> str:
    return "::" if family == socket.AF_INET6 else "0.0.0.0"
