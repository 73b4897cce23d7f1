"""The topology of a scope as a graph the browser lays out: VPCs holding subnets holding
instances, the gateways the route tables point at, and peering links.

Pure (a :class:`Snapshot` in, JSON-ready dicts out), so it is tested without a server and
the page draws exactly what the API endpoint serves. The elements are Cytoscape.js's
(``{"data": {...}, "classes": "..."}``; a node's ``parent`` makes it a compound's child).

What the picture asserts comes from the domain's one definition of each fact, never a
second copy: a subnet is *public* when its route table routes (some of) the internet to an
attached internet gateway (:func:`stockade.policy.routes.internet_route`, what the path,
exposure and the audit read); a route edge is a *blackhole* by
:func:`stockade.domain.routing.route_state`.

Security groups are not nodes: an edge from each instance to each of its groups would
cross every subnet at 100 instances and make the picture unreadable. They are listed per
VPC beside the graph (``groups``: each with its member instances, which the page
highlights), and each instance's node carries its groups.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.route_targets import usable_in
from stockade.domain.routing import RouteState, TargetKind, route_state
from stockade.domain.state import Snapshot
from stockade.domain.tags import Tags
from stockade.policy.routes import internet_route
from stockade.view.tables import name_tag

Element = dict[str, Any]

#: the route targets drawn as nodes (an appliance interface, a VGW, TGW or endpoint is not)
_GATEWAY_KINDS = {
    TargetKind.INTERNET_GATEWAY: "igw",
    TargetKind.NAT_GATEWAY: "nat",
    TargetKind.EGRESS_ONLY_INTERNET_GATEWAY: "eigw",
}


def _titled(resource_id: str, tags: Tags) -> str:
    name = name_tag(tags)
    return f"{name} ({resource_id})" if name else resource_id


def _node(node_id: str, kind: str, label: str, parent: str | None = None, **data: Any) -> Element:
    fields = {"id": node_id, "kind": kind, "label": label, **data}
    if parent is not None:
        fields["parent"] = parent
    return {"data": fields, "classes": kind}


def _edge(
    edge_id: str, source: str, target: str, kind: str, label: str = "", **data: Any
) -> Element:
    return {
        "data": {"id": edge_id, "source": source, "target": target, "label": label, **data},
        "classes": kind,
    }


def _interface_data(eni: NetworkInterface, group_names: dict[str, str]) -> dict[str, Any]:
    return {
        "id": eni.eni_id,
        "subnet": eni.subnet_id,
        "device_index": eni.device_index,
        "private_ips": list(eni.private_ipv4_addresses),
        "ipv6": list(eni.ipv6_addresses),
        "public_ip": eni.public_ip,
        "groups": [{"id": g, "name": group_names.get(g, "")} for g in eni.group_ids],
    }


def _instance_node(
    instance: Instance, interfaces: list[NetworkInterface], group_names: dict[str, str], base: str
) -> Element:
    primary = next((e for e in interfaces if e.eni_id == instance.primary_eni_id), None)
    lines = [name_tag(instance.tags) or instance.instance_id]
    if primary is not None:
        lines.append(primary.private_ip)
        if primary.public_ip:
            lines.append(primary.public_ip)
    groups = list(dict.fromkeys(g for e in interfaces for g in e.group_ids))
    node = _node(
        instance.instance_id,
        "instance",
        "\n".join(lines),
        instance.subnet_id,
        name=name_tag(instance.tags),
        state=instance.state.value,
        url=f"{base}/instances/{instance.instance_id}",
        public_ip=primary.public_ip if primary is not None else None,
        groups=[{"id": g, "name": group_names.get(g, "")} for g in groups],
        interfaces=[_interface_data(e, group_names) for e in interfaces],
    )
    public = " public" if primary is not None and primary.public_ip else ""
    node["classes"] = f"instance {instance.state.value}{public}"
    return node


def topology(snapshot: Snapshot, base: str) -> dict[str, Any]:
    """The graph of every VPC of ``snapshot``; links (``url``) start with ``base``."""
    nodes: list[Element] = []
    edges: list[Element] = []
    group_names = {g.group_id: g.name for g in snapshot.groups}
    interfaces_by_instance: dict[str, list[NetworkInterface]] = defaultdict(list)
    for eni in snapshot.interfaces:
        if eni.instance_id is not None:
            interfaces_by_instance[eni.instance_id].append(eni)
    for found in interfaces_by_instance.values():
        found.sort(key=lambda e: e.device_index or 0)

    for vpc in snapshot.vpcs:
        blocks = " ".join((*vpc.ipv4_blocks, *vpc.blocks(6)))
        nodes.append(
            _node(vpc.vpc_id, "vpc", f"{_titled(vpc.vpc_id, vpc.tags)} {blocks}", cidr=blocks)
        )
    nodes.extend(_subnet_nodes(snapshot))
    nodes.extend(_gateway_nodes(snapshot))
    edges.extend(_route_edges(snapshot))
    peer_nodes, peer_edges = _peerings(snapshot)
    nodes.extend(peer_nodes)
    edges.extend(peer_edges)

    in_vpc = {s.subnet_id for s in snapshot.subnets}
    for instance in snapshot.instances:
        if instance.subnet_id not in in_vpc:
            continue
        interfaces = interfaces_by_instance.get(instance.instance_id, [])
        nodes.append(_instance_node(instance, interfaces, group_names, base))
        for eni in interfaces:
            # a further interface in another subnet is drawn there, linked to its instance
            if eni.subnet_id != instance.subnet_id and eni.subnet_id in in_vpc:
                nodes.append(_interface_node(eni, group_names))
                edges.append(
                    _edge(f"{eni.eni_id}~att", instance.instance_id, eni.eni_id, "attached")
                )
    for eni in snapshot.interfaces:
        if eni.instance_id is None and eni.subnet_id in in_vpc:
            nodes.append(_interface_node(eni, group_names))

    return {
        "revision": snapshot.revision,
        "elements": {"nodes": nodes, "edges": edges},
        "groups": _groups(snapshot, base),
        "counts": {
            "vpcs": len(snapshot.vpcs),
            "subnets": len(snapshot.subnets),
            "instances": sum(1 for n in nodes if n["data"]["kind"] == "instance"),
        },
    }


def _interface_node(eni: NetworkInterface, group_names: dict[str, str]) -> Element:
    label = f"{eni.eni_id}\n{eni.private_ip}" + (f"\n{eni.public_ip}" if eni.public_ip else "")
    return _node(
        eni.eni_id, "eni", label, eni.subnet_id, interface=_interface_data(eni, group_names)
    )


def _subnet_nodes(snapshot: Snapshot) -> Iterable[Element]:
    for subnet in snapshot.subnets:
        if subnet.vpc_id not in snapshot.vpc_by_id:
            continue
        public = any(internet_route(snapshot, subnet.subnet_id, f) is not None for f in (4, 6))
        reach = "public" if public else "private"
        table = snapshot.route_table_by_subnet.get(subnet.subnet_id)
        acl = snapshot.network_acl_by_subnet.get(subnet.subnet_id)
        node = _node(
            subnet.subnet_id,
            "subnet",
            f"{_titled(subnet.subnet_id, subnet.tags)} {subnet.cidr_block} · {reach}",
            subnet.vpc_id,
            cidr=subnet.cidr_block,
            public=public,
            zone=subnet.availability_zone,
            route_table=table.route_table_id if table is not None else "",
            network_acl=acl.network_acl_id if acl is not None else "",
        )
        node["classes"] = f"subnet {reach}"
        yield node


def _gateway_nodes(snapshot: Snapshot) -> Iterable[Element]:
    for igw in snapshot.internet_gateways:
        if igw.vpc_id in snapshot.vpc_by_id:
            yield _node(igw.igw_id, "igw", _titled(igw.igw_id, igw.tags), igw.vpc_id)
    for eigw in snapshot.egress_only_internet_gateways:
        if eigw.vpc_id in snapshot.vpc_by_id:
            gid = eigw.egress_only_internet_gateway_id
            yield _node(gid, "eigw", _titled(gid, eigw.tags), eigw.vpc_id)
    subnets = {s.subnet_id for s in snapshot.subnets}
    for nat in snapshot.nat_gateways:
        # a deleted one too (AWS lists it for a while): the routes to it are blackholes
        if nat.subnet_id in subnets:
            addresses = " ".join(a for a in (nat.private_ip, nat.public_ip) if a)
            node = _node(
                nat.nat_gateway_id,
                "nat",
                f"{_titled(nat.nat_gateway_id, nat.tags)}\n{addresses}",
                nat.subnet_id,
                state=nat.state.value,
            )
            node["classes"] = f"nat {nat.state.value}"
            yield node


def _route_edges(snapshot: Snapshot) -> Iterable[Element]:
    """One edge per subnet and gateway its table routes to (labelled with the destinations;
    a blackhole when every such route is one)."""
    drawn = {
        *(g.igw_id for g in snapshot.internet_gateways),
        *(g.egress_only_internet_gateway_id for g in snapshot.egress_only_internet_gateways),
        *(n.nat_gateway_id for n in snapshot.nat_gateways),
    }
    usable = usable_in(snapshot)
    for subnet in snapshot.subnets:
        table = snapshot.route_table_by_subnet.get(subnet.subnet_id)
        if table is None or subnet.vpc_id not in snapshot.vpc_by_id:
            continue
        to: dict[str, list[tuple[str, RouteState]]] = defaultdict(list)
        for route in table.routes:
            try:
                kind = route.kind
            except ValueError:  # a target kind the domain does not know
                continue
            if kind in _GATEWAY_KINDS and route.target in drawn:
                state = route_state(route, table.vpc_id, usable)
                to[route.target].append((route.destination, state))
        for target, routes in to.items():
            blackhole = all(state is RouteState.BLACKHOLE for _, state in routes)
            yield _edge(
                f"{subnet.subnet_id}~{target}",
                subnet.subnet_id,
                target,
                "route blackhole" if blackhole else "route",
                ", ".join(destination for destination, _ in routes),
                route_table=table.route_table_id,
            )


def _peerings(snapshot: Snapshot) -> tuple[list[Element], list[Element]]:
    """Peering links between VPC boxes; a side not in this scope is drawn as a small node."""
    nodes: list[Element] = []
    edges: list[Element] = []
    outside: set[str] = set()
    for pcx in snapshot.peerings:
        if pcx.status.value in ("deleted", "rejected", "failed", "expired"):
            continue
        ends = []
        for side in (pcx.requester, pcx.accepter):
            if side.vpc_id not in snapshot.vpc_by_id and side.vpc_id not in outside:
                outside.add(side.vpc_id)
                nodes.append(
                    _node(
                        side.vpc_id,
                        "peer-vpc",
                        f"{side.vpc_id}\n{side.owner_id} {side.region}\n"
                        + " ".join(side.cidr_blocks),
                    )
                )
            ends.append(side.vpc_id)
        edges.append(
            _edge(
                pcx.vpc_peering_connection_id,
                ends[0],
                ends[1],
                f"peering {pcx.status.value}",
                f"{_titled(pcx.vpc_peering_connection_id, pcx.tags)} · {pcx.status.value}",
            )
        )
    return nodes, edges


def _groups(snapshot: Snapshot, base: str) -> list[dict[str, Any]]:
    """Each group of the scope with the instances carrying it (what the page highlights)."""
    members: dict[str, set[str]] = defaultdict(set)
    for eni in snapshot.interfaces:
        if eni.instance_id is not None:
            for gid in eni.group_ids:
                members[gid].add(eni.instance_id)
    return [
        {
            "id": g.group_id,
            "name": g.name,
            "vpc": g.vpc_id,
            "url": f"{base}/groups/{g.group_id}",
            "members": sorted(members.get(g.group_id, ())),
        }
        for g in sorted(snapshot.groups, key=lambda g: (g.vpc_id, g.name))
    ]
