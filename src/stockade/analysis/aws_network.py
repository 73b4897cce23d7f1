"""VPCs, subnets, internet gateways, managed prefix lists, route tables and network ACLs
from ``aws ec2 describe-*``.

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
from stockade.domain.aws_prefix_lists import aws_prefix_list_named, is_aws_managed
from stockade.domain.network_acl import NetworkAclAssociation
from stockade.domain.routing import RouteTableAssociation
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.shapes import read_network, read_network_acls, read_peering, read_routing
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
            stand_in = aws_prefix_list_named(scope.region, plist.name)
            if found is None and is_aws_managed(plist) and stand_in is not None:
                plist = replace(plist, entries=stand_in.entries)
                warn.append(
                    f"{p.file}: {pl_id}: no {pl_id}.json; AWS's {plist.name} gets "
                    "stockade's stand-in entries (documentation ranges, not AWS's CIDRs)"
                )
            elif found is None:
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


def parse_network_acls(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    return [
        parsed(read_network_acls.network_acl(a, origin(scope)), a)
        for doc in documents
        for a in doc.items("NetworkAcls")
    ]


def with_implied_network_acls(
    vpcs: list[Parsed], subnets: list[Parsed], acls: list[Parsed], where: str, warn: list[str]
) -> list[Parsed]:
    """``acls`` made whole as AWS's are: every VPC has a default ACL and every subnet an
    association. A VPC the output gives no default ACL (an export made before stockade
    knew network ACLs, or without describe-network-acls) gets
    :meth:`Snapshot.implied_default_acl`'s — AWS's default entries, which allow everything,
    what such state meant, as the store migration gives existing VPCs; a subnet no ACL
    holds joins its VPC's default ACL."""
    out = list(acls)
    with_default = {p.obj.vpc_id for p in acls if p.obj.is_default}
    missing = [p.obj for p in vpcs if p.obj.vpc_id not in with_default]
    if missing:
        warn.append(
            f"{where}: no default network ACL for {', '.join(v.vpc_id for v in missing)} (no "
            "describe-network-acls output for it): each gets AWS's default entries, which "
            "allow all traffic"
        )
        view = Snapshot(vpcs=tuple(missing))
        for vpc in missing:
            acl = replace(view.implied_default_acl(vpc), network_acl_id=ids.new_id("acl"))
            out.append(Parsed(acl, {}, Node({}, where)))
    held = {s for p in out for s in p.obj.subnet_ids}
    loose = [p.obj for p in subnets if p.obj.subnet_id not in held]
    implied = {v.vpc_id for v in missing}
    unexpected = [s.subnet_id for s in loose if s.vpc_id not in implied]
    if unexpected:
        warn.append(
            f"{where}: {', '.join(unexpected)} in no network ACL's associations: each "
            "joins its VPC's default ACL"
        )
    default_at = {p.obj.vpc_id: i for i, p in enumerate(out) if p.obj.is_default}
    joining: dict[int, list[NetworkAclAssociation]] = {}
    for subnet in loose:  # a subnet of an undescribed VPC is the consistency check's
        if subnet.vpc_id in default_at:
            joining.setdefault(default_at[subnet.vpc_id], []).append(
                NetworkAclAssociation(ids.new_id("aclassoc"), subnet.subnet_id)
            )
    for i, added in joining.items():
        acl = out[i].obj
        joined = replace(acl, associations=(*acl.associations, *added))
        out[i] = Parsed(joined, out[i].tags, out[i].node)
    return out


def parse_peerings(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    """Peerings with a side in ``scope``; the other side may be an account not imported (it
    is kept, as AWS shows it). A peering of neither side is a located problem."""
    out = []
    for doc in documents:
        for p in doc.items("VpcPeeringConnections"):
            peering = read_peering.vpc_peering_connection(p, origin(scope))
            sides = {(s.owner_id, s.region) for s in (peering.requester, peering.accepter)}
            if (scope.account, scope.region) not in sides:
                raise p.problem(
                    f"neither side is account {scope.account} in {scope.region}: this file "
                    "belongs to another account's directory"
                )
            out.append(parsed(peering, p))
    return out
