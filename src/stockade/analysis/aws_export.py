"""``stockade export aws DIR``: stockade's state as the files ``aws ec2 describe-*`` prints.

The JSON comes from :mod:`stockade.shapes` (the same dicts the API serves), so what is
exported is what AWS would show for this state, and :mod:`stockade.analysis.aws_import`
reads it back to the same snapshot: import ∘ export is the identity (the per-resource
settings too: ``aws_settings.py``). Layout:
``DIR/ACCOUNT/REGION/<call>.json`` plus one ``pl-….json`` per prefix list (the entries
output carries no list id, so the file name does).
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from stockade.analysis import aws_gateways, aws_settings
from stockade.analysis.aws_settings import StoredSettings
from stockade.domain.group_references import crossings
from stockade.domain.instance_options import InstanceOptions
from stockade.domain.network import RESERVED_ADDRESSES_PER_SUBNET
from stockade.domain.route_targets import usable_in
from stockade.domain.routing import route_state
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.shapes import groups as group_shapes
from stockade.shapes import instances as instance_shapes
from stockade.shapes import network as network_shapes
from stockade.shapes import network_acls as acl_shapes
from stockade.shapes import peering as peering_shapes
from stockade.shapes import routing as routing_shapes
from stockade.store.repository import Store

#: file name -> top-level key, in the order they are written
FILES = {
    "vpcs.json": "Vpcs",
    "subnets.json": "Subnets",
    "internet-gateways.json": "InternetGateways",
    "managed-prefix-lists.json": "PrefixLists",
    "security-groups.json": "SecurityGroups",
    "security-group-rules.json": "SecurityGroupRules",
    "network-interfaces.json": "NetworkInterfaces",
    "instances.json": "Reservations",
    "addresses.json": "Addresses",
    "nat-gateways.json": "NatGateways",
    "egress-only-internet-gateways.json": "EgressOnlyInternetGateways",
    "route-tables.json": "RouteTables",
    "network-acls.json": "NetworkAcls",
    "vpc-peering-connections.json": "VpcPeeringConnections",
}


def export_store(store: Store, root: Path, scopes: Iterable[Scope] | None = None) -> list[Path]:
    """Write every scope (or the given ones) under ``root``; returns the files written."""
    written: list[Path] = []
    for scope in scopes if scopes is not None else store.scopes():
        with store.read(scope) as tx:
            snapshot = tx.snapshot()
            settings = StoredSettings.read(tx)
        directory = root / scope.account / scope.region
        for name, data in documents(snapshot, scope, settings).items():
            written.append(write_json(directory / name, data))
    return written


def write_json(path: Path, data: Any) -> Path:
    """As the AWS CLI prints it: four-space indent, a final newline. A failed write
    (a full disk) names the file, which the OS error of a ``write`` does not."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        path.write_text(json.dumps(data, indent=4) + "\n", encoding="utf-8")
    except OSError as exc:
        if exc.filename is not None:
            raise
        raise OSError(exc.errno, exc.strerror, str(path)) from exc
    return path


def documents(
    snapshot: Snapshot, scope: Scope, settings: StoredSettings | None = None
) -> dict[str, dict[str, Any]]:
    """File name -> JSON document, for one scope's snapshot and settings (pure)."""
    settings = settings or StoredSettings()
    groups = [g for g in snapshot.groups if (g.owner_id, g.region) == (scope.account, scope.region)]
    names = {g.group_id: g.name for g in snapshot.groups}
    eips = {e.network_interface_id: e for e in snapshot.elastic_ips if e.network_interface_id}
    rules = snapshot.rules_by_group
    out: dict[str, list[Any]] = {
        "Vpcs": [network_shapes.vpc(v) for v in snapshot.vpcs],
        "Subnets": [
            network_shapes.subnet(s, _available(snapshot, s.subnet_id, s.cidr_block))
            for s in snapshot.subnets
        ],
        "InternetGateways": [
            network_shapes.internet_gateway(g) for g in snapshot.internet_gateways
        ],
        "PrefixLists": [network_shapes.prefix_list(p) for p in snapshot.prefix_lists],
        "SecurityGroups": [
            group_shapes.security_group(
                g,
                rules.get(g.group_id, ()),
                crossings(g, rules.get(g.group_id, ()), snapshot.group_by_id, snapshot.peerings),
            )
            for g in groups
        ],
        "SecurityGroupRules": [
            group_shapes.security_group_rule(r, scope.region)
            for g in groups
            for r in rules.get(g.group_id, ())
        ],
        "NetworkInterfaces": [
            instance_shapes.network_interface(e, names, eips) for e in snapshot.interfaces
        ],
        "Reservations": _reservations(snapshot, names, eips, settings.instance_options()),
        **aws_gateways.documents(snapshot),
        "RouteTables": _route_tables(snapshot),
        "NetworkAcls": [acl_shapes.network_acl(a) for a in snapshot.network_acls],
        "VpcPeeringConnections": [
            peering_shapes.vpc_peering_connection(p) for p in snapshot.peerings
        ],
    }
    docs = {name: {key: out[key]} for name, key in FILES.items()}
    docs.update(aws_settings.documents(snapshot, settings))
    for plist in snapshot.prefix_lists:
        docs[f"{plist.prefix_list_id}.json"] = {
            "Entries": network_shapes.prefix_list_entries(plist)
        }
    return docs


def _available(snapshot: Snapshot, subnet_id: str, cidr: str) -> int:
    used = sum(1 for e in snapshot.interfaces if e.subnet_id == subnet_id)
    used += sum(
        1 for n in snapshot.nat_gateways if n.subnet_id == subnet_id and n.state.value != "deleted"
    )
    size = ipaddress.ip_network(cidr).num_addresses
    return max(size - RESERVED_ADDRESSES_PER_SUBNET - used, 0)


def _reservations(
    snapshot: Snapshot,
    names: dict[str, str],
    eips: instance_shapes.ElasticIps,
    options: dict[str, InstanceOptions],
) -> list[dict[str, Any]]:
    """Instances grouped by reservation, in first-seen order, as describe-instances."""
    grouped: dict[str, list] = {}
    for instance in snapshot.instances:
        grouped.setdefault(instance.reservation_id, []).append(instance)
    out = []
    for reservation_id, members in grouped.items():
        shaped = [
            instance_shapes.instance(
                i,
                snapshot.interfaces_of(i.instance_id),
                names,
                launch_index=n,
                eips=eips,
                options=options.get(i.instance_id, instance_shapes.DEFAULT_OPTIONS),
            )
            for n, i in enumerate(members)
        ]
        out.append(instance_shapes.reservation(reservation_id, members[0].owner_id, shaped))
    return out


def _route_tables(snapshot: Snapshot) -> list[dict[str, Any]]:
    """describe-route-tables, each route's state derived as the API derives it."""
    usable = usable_in(snapshot)
    return [
        routing_shapes.route_table(t, [route_state(r, t.vpc_id, usable) for r in t.routes])
        for t in snapshot.route_tables
    ]
