"""VPCs, subnets, internet gateways, managed prefix lists and route tables from ``aws ec2
describe-*``.

Each parser turns the unmodified CLI output of one scope into frozen domain objects with
their tags and source nodes; reading a shape is :mod:`stockade.shapes.read_network`'s
(strict), what is left here is the import's bookkeeping: which files, which prefix list's
entries file, warnings for what the domain does not model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from stockade.domain import ids
from stockade.domain.routing import RouteTableAssociation
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.shapes import read_network, read_routing
from stockade.shapes.fields import ImportProblem, Node, Origin


@dataclass(frozen=True)
class Parsed:
    """A domain object, its tags, and where it came from."""

    obj: Any
    tags: dict[str, str]
    node: Node


def origin(scope: Scope) -> Origin:
    return Origin(scope.region, scope.account)


def parsed(obj: Any, node: Node) -> Parsed:
    return Parsed(obj, dict(obj.tags), node)


def parse_vpcs(documents: Iterable[Node], scope: Scope, warn: list[str]) -> list[Parsed]:
    return [
        parsed(read_network.vpc(v, origin(scope), warn), v)
        for doc in documents
        for v in doc.items("Vpcs")
    ]


def parse_subnets(documents: Iterable[Node], scope: Scope, warn: list[str]) -> list[Parsed]:
    return [
        parsed(read_network.subnet(s, origin(scope), warn), s)
        for doc in documents
        for s in doc.items("Subnets")
    ]


def parse_internet_gateways(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    return [
        parsed(read_network.internet_gateway(g, origin(scope)), g)
        for doc in documents
        for g in doc.items("InternetGateways")
    ]


def parse_prefix_lists(
    documents: Iterable[Node], entries: dict[str, Node], scope: Scope, warn: list[str]
) -> list[Parsed]:
    """describe-managed-prefix-lists (entries from ``pl-….json``) or describe-prefix-lists
    (AWS service lists, entries inline as ``Cidrs``)."""
    out: list[Parsed] = []
    used: set[str] = set()
    for doc in documents:
        for p in doc.items("PrefixLists"):
            pl_id = p.value.get("PrefixListId")
            found = entries.get(pl_id) if isinstance(pl_id, str) else None
            plist = read_network.prefix_list(p, origin(scope), found)
            if p.has("Cidrs"):  # an AWS service list: its entries are inline, its tags none
                out.append(Parsed(plist, {}, p))
                continue
            used.add(plist.prefix_list_id)
            if found is None:
                warn.append(
                    f"{p.file}: {pl_id}: no {pl_id}.json (get-managed-prefix-list-"
                    "entries output); imported with no entries, so its rules match "
                    "nothing"
                )
            out.append(parsed(plist, p))
    for pl_id, node in entries.items():
        if pl_id not in used:
            raise ImportProblem(
                node.file,
                "Entries",
                f"{pl_id} is in no describe-managed-"
                "prefix-lists output (its family and name are unknown)",
            )
    return out


def parse_route_tables(documents: Iterable[Node], scope: Scope, warn: list[str]) -> list[Parsed]:
    return [
        parsed(read_routing.route_table(t, origin(scope), warn), t)
        for doc in documents
        for t in doc.items("RouteTables")
    ]


def implied_main_tables(
    vpcs: list[Parsed], gateways: list[Parsed], tables: list[Parsed], where: str, warn: list[str]
) -> list[Parsed]:
    """A main table for each VPC the route-table output gives none (an export made before
    stockade knew route tables, or without describe-route-tables): every VPC has one in
    AWS. Its routes are :meth:`Snapshot.implied_main_table`'s — local routes and, with an
    internet gateway attached, the default routes to it (what such state meant), as the
    store migration gives existing VPCs."""
    with_main = {p.obj.vpc_id for p in tables if p.obj.is_main}
    missing = [p.obj for p in vpcs if p.obj.vpc_id not in with_main]
    if not missing:
        return []
    warn.append(
        f"{where}: no main route table for {', '.join(v.vpc_id for v in missing)} (no "
        "describe-route-tables output for it): each gets local routes, and default routes "
        "to its internet gateway if one is attached"
    )
    view = Snapshot(vpcs=tuple(missing), internet_gateways=tuple(p.obj for p in gateways))
    out = []
    for vpc in missing:
        table = replace(
            view.implied_main_table(vpc),
            route_table_id=ids.new_id("rtb"),
            associations=(RouteTableAssociation(ids.new_id("rtbassoc"), main=True),),
        )
        out.append(Parsed(table, {}, Node({}, where)))
    return out
