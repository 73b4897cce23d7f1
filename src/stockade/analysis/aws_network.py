"""VPCs, subnets, internet gateways and managed prefix lists from ``aws ec2 describe-*``.

Each parser turns the unmodified CLI output of one scope into frozen domain objects with
their tags and source nodes; reading a shape is :mod:`stockade.shapes.read_network`'s
(strict), what is left here is the import's bookkeeping: which files, which prefix list's
entries file, warnings for what the domain does not model.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stockade.domain.scope import Scope
from stockade.shapes import read_network, read_peering
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
