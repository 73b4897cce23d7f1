"""Elastic IPs, NAT gateways and egress-only internet gateways from ``aws ec2 describe-*``
(describe-addresses, describe-nat-gateways, describe-egress-only-internet-gateways).

Reading a shape is :mod:`stockade.shapes.read_gateways`'s (strict); here is what the import
adds: which files, and the cross-file facts a single file cannot tell — which NAT gateway
holds an address (describe-addresses names only the gateway's interface) and that every
gateway and address points at something the other files describe.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from stockade.analysis.aws_network import Parsed, origin, parsed
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.shapes import gateways as shapes
from stockade.shapes import read_gateways
from stockade.shapes.fields import Node


def parse_nat_gateways(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    return [
        parsed(read_gateways.nat_gateway(n, origin(scope)), n)
        for doc in documents
        for n in doc.items("NatGateways")
    ]


def parse_egress_only_internet_gateways(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    return [
        parsed(read_gateways.egress_only_internet_gateway(g, origin(scope)), g)
        for doc in documents
        for g in doc.items("EgressOnlyInternetGateways")
    ]


def parse_addresses(
    documents: Iterable[Node], nat_gateways: list[Parsed], scope: Scope
) -> list[Parsed]:
    """describe-addresses items, each knowing the NAT gateway that holds it, if one does."""
    found = [
        parsed(read_gateways.address(a, origin(scope)), a)
        for doc in documents
        for a in doc.items("Addresses")
    ]
    held = read_gateways.with_nat_gateways([p.obj for p in found], [p.obj for p in nat_gateways])
    return [replace(p, obj=obj) for p, obj in zip(found, held, strict=True)]


def check_references(
    addresses: list[Parsed],
    nat_gateways: list[Parsed],
    eigws: list[Parsed],
    vpcs: set[str],
    vpc_of_subnet: dict[str, str],
    interfaces: set[str],
) -> None:
    """Each gateway's VPC and subnet, and each associated address's interface, is described
    by another file (a NAT gateway's interface counts: AWS lists it, stockade does not)."""
    nat_interfaces = {p.obj.network_interface_id for p in nat_gateways}
    for p in nat_gateways:
        if p.obj.subnet_id not in vpc_of_subnet:
            raise p.node.problem(f"{p.obj.subnet_id} is in no describe-subnets output", "SubnetId")
        if vpc_of_subnet[p.obj.subnet_id] != p.obj.vpc_id:
            raise p.node.problem(
                f"{p.obj.subnet_id} is in {vpc_of_subnet[p.obj.subnet_id]}, not {p.obj.vpc_id}",
                "SubnetId",
            )
    for p in eigws:
        if p.obj.vpc_id is not None and p.obj.vpc_id not in vpcs:
            raise p.node.problem(f"{p.obj.vpc_id} is in no describe-vpcs output", "Attachments")
    for p in addresses:
        eni = p.obj.network_interface_id
        if eni is not None and eni not in interfaces and eni not in nat_interfaces:
            raise p.node.problem(
                f"{eni} is in no describe-network-interfaces or describe-nat-gateways output",
                "NetworkInterfaceId",
            )


def documents(snapshot: Snapshot) -> dict[str, list]:
    """Top-level key -> items, for the export."""
    return {
        "Addresses": [shapes.address(e) for e in snapshot.elastic_ips],
        "NatGateways": [shapes.nat_gateway(n) for n in snapshot.nat_gateways],
        "EgressOnlyInternetGateways": [
            shapes.egress_only_internet_gateway(g) for g in snapshot.egress_only_internet_gateways
        ],
    }
