"""Address (Elastic IP), NatGateway, EgressOnlyInternetGateway and AccountAttribute shapes,
and the ``Association`` an interface shows for its Elastic IP.

The inverse is :mod:`stockade.shapes.read_gateways` (writer → reader is the identity).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway
from stockade.shapes import tag_list


def address(e: ElasticIp) -> dict[str, Any]:
    out: dict[str, Any] = {
        "AllocationId": e.allocation_id,
        "PublicIp": e.public_ip,
        "Domain": e.domain,
        "PublicIpv4Pool": e.public_ipv4_pool,
        "NetworkBorderGroup": e.network_border_group,
        "Tags": tag_list(e.tags),
    }
    if e.association_id:
        out["AssociationId"] = e.association_id
    if e.network_interface_id:
        out["NetworkInterfaceId"] = e.network_interface_id
        out["NetworkInterfaceOwnerId"] = e.owner_id
    if e.private_ip:
        out["PrivateIpAddress"] = e.private_ip
    if e.instance_id:
        out["InstanceId"] = e.instance_id
    return out


def allocated(e: ElasticIp) -> dict[str, Any]:
    """AllocateAddress's answer."""
    return {
        "AllocationId": e.allocation_id,
        "PublicIp": e.public_ip,
        "Domain": e.domain,
        "PublicIpv4Pool": e.public_ipv4_pool,
        "NetworkBorderGroup": e.network_border_group,
    }


def interface_association(e: ElasticIp, public_dns_name: str) -> dict[str, Any]:
    """An interface's ``Association`` when its public IPv4 is this Elastic IP: the account
    owns the address (an automatic one shows ``IpOwnerId: amazon`` and no ids)."""
    return {
        "IpOwnerId": e.owner_id,
        "PublicIp": e.public_ip,
        "PublicDnsName": public_dns_name,
        "AllocationId": e.allocation_id,
        "AssociationId": e.association_id,
    }


def nat_gateway(n: NatGateway) -> dict[str, Any]:
    item: dict[str, Any] = {
        "NetworkInterfaceId": n.network_interface_id,
        "PrivateIp": n.private_ip,
        "IsPrimary": True,
        "Status": "succeeded",
    }
    if n.allocation_id:
        item["AllocationId"] = n.allocation_id
    if n.public_ip:
        item["PublicIp"] = n.public_ip
    out: dict[str, Any] = {
        "NatGatewayId": n.nat_gateway_id,
        "VpcId": n.vpc_id,
        "SubnetId": n.subnet_id,
        "State": n.state.value,
        "ConnectivityType": n.connectivity_type,
        "CreateTime": n.create_time,
        "NatGatewayAddresses": [item],
        "Tags": tag_list(n.tags),
    }
    if n.delete_time:
        out["DeleteTime"] = n.delete_time
    return out


def egress_only_internet_gateway(g: EgressOnlyInternetGateway) -> dict[str, Any]:
    return {
        "EgressOnlyInternetGatewayId": g.egress_only_internet_gateway_id,
        "Attachments": [{"State": "attached", "VpcId": g.vpc_id}] if g.vpc_id else [],
        "Tags": tag_list(g.tags),
    }


def account_attributes(values: Mapping[str, list[str]]) -> list[dict[str, Any]]:
    return [
        {"AttributeName": name, "AttributeValues": [{"AttributeValue": v} for v in found]}
        for name, found in values.items()
    ]
