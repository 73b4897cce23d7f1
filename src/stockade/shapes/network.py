"""Vpc, Subnet, InternetGateway and PrefixList shapes."""

from __future__ import annotations

from typing import Any

from stockade.domain import ids
from stockade.domain.network import InternetGateway, Subnet, Vpc, cidr_association_id
from stockade.domain.prefix_list import PrefixList
from stockade.shapes import tag_list

association_id = cidr_association_id  # the one derivation lives in the domain


def ipv4_association(v: Vpc, block: str, state: str = "associated") -> dict[str, Any]:
    """One entry of a VPC's ``CidrBlockAssociationSet`` (and AssociateVpcCidrBlock's
    ``CidrBlockAssociation``)."""
    return {
        "AssociationId": association_id("vpc", v.vpc_id, block),
        "CidrBlock": block,
        "CidrBlockState": {"State": state},
    }


def ipv6_association(
    kind: str, resource_id: str, block: str, state: str = "associated"
) -> dict[str, Any]:
    """One entry of a subnet's ``Ipv6CidrBlockAssociationSet`` (and the subnet block calls'
    ``Ipv6CidrBlockAssociation``); a VPC's adds its pool (:func:`vpc_ipv6_association`)."""
    return {
        "AssociationId": association_id(kind, resource_id, block),
        "Ipv6CidrBlock": block,
        "Ipv6CidrBlockState": {"State": state},
    }


def vpc_ipv6_association(v: Vpc, block: str, state: str = "associated") -> dict[str, Any]:
    """One entry of a VPC's ``Ipv6CidrBlockAssociationSet``."""
    return {
        **ipv6_association("vpc", v.vpc_id, block, state),
        "NetworkBorderGroup": v.region,
        "Ipv6Pool": "Amazon",
    }


def vpc_block_association(v: Vpc, block: str, state: str) -> tuple[str, dict[str, Any]]:
    """DisassociateVpcCidrBlock's answer member for one of ``v``'s blocks: its name
    (``CidrBlockAssociation`` or ``Ipv6CidrBlockAssociation``) and the block's entry."""
    if block in v.ipv4_blocks:
        return "CidrBlockAssociation", ipv4_association(v, block, state)
    return "Ipv6CidrBlockAssociation", vpc_ipv6_association(v, block, state)


def vpc(v: Vpc) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VpcId": v.vpc_id,
        "OwnerId": v.owner_id,
        "CidrBlock": v.cidr_block,
        "State": v.state,
        "DhcpOptionsId": v.dhcp_options_id,
        "InstanceTenancy": v.instance_tenancy,
        "IsDefault": v.is_default,
        "CidrBlockAssociationSet": [ipv4_association(v, block) for block in v.ipv4_blocks],
        "Tags": tag_list(v.tags),
    }
    if v.ipv6_cidr_block:
        out["Ipv6CidrBlockAssociationSet"] = [vpc_ipv6_association(v, v.ipv6_cidr_block)]
    return out


def subnet(s: Subnet, available_addresses: int) -> dict[str, Any]:
    out: dict[str, Any] = {
        "SubnetId": s.subnet_id,
        "VpcId": s.vpc_id,
        "OwnerId": s.owner_id,
        "CidrBlock": s.cidr_block,
        "AvailabilityZone": s.availability_zone,
        "AvailabilityZoneId": s.availability_zone_id,
        "AvailableIpAddressCount": available_addresses,
        "DefaultForAz": s.default_for_az,
        "MapPublicIpOnLaunch": s.map_public_ip_on_launch,
        "AssignIpv6AddressOnCreation": s.assign_ipv6_address_on_creation,
        # Always in AWS's answer, and read by Terraform's aws_subnet: stockade models no
        # DNS64, no IPv6-only subnets and no resource-name hostnames, so AWS's defaults.
        "EnableDns64": False,
        "Ipv6Native": False,
        "MapCustomerOwnedIpOnLaunch": False,
        "PrivateDnsNameOptionsOnLaunch": {
            "HostnameType": "ip-name",
            "EnableResourceNameDnsARecord": False,
            "EnableResourceNameDnsAAAARecord": False,
        },
        "State": s.state,
        "SubnetArn": ids.arn(s.region, s.owner_id, s.subnet_id),
        "Ipv6CidrBlockAssociationSet": [],
        "Tags": tag_list(s.tags),
    }
    if s.ipv6_cidr_block:
        out["Ipv6CidrBlockAssociationSet"] = [
            ipv6_association("subnet", s.subnet_id, s.ipv6_cidr_block)
        ]
    return out


def internet_gateway(g: InternetGateway) -> dict[str, Any]:
    return {
        "InternetGatewayId": g.igw_id,
        "OwnerId": g.owner_id,
        "Attachments": [{"State": "available", "VpcId": g.vpc_id}] if g.vpc_id else [],
        "Tags": tag_list(g.tags),
    }


def prefix_list(p: PrefixList) -> dict[str, Any]:
    return {
        "PrefixListId": p.prefix_list_id,
        "AddressFamily": p.address_family,
        "State": p.state,
        # AWS's own lists carry ``aws`` where an account id would be
        "PrefixListArn": ids.arn(p.region, p.owner_id.lower(), p.prefix_list_id),
        "PrefixListName": p.name,
        "MaxEntries": p.max_entries,
        "Version": p.version,
        "OwnerId": p.owner_id,
        "Tags": tag_list(p.tags),
    }


def service_prefix_list(p: PrefixList) -> dict[str, Any]:
    """A ``DescribePrefixLists`` item (the older API: an AWS service's list, CIDRs inline)."""
    return {
        "PrefixListId": p.prefix_list_id,
        "PrefixListName": p.name,
        "Cidrs": [e.cidr for e in p.entries],
    }


def prefix_list_entries(p: PrefixList) -> list[dict[str, Any]]:
    return [
        {"Cidr": e.cidr, **({"Description": e.description} if e.description else {})}
        for e in p.entries
    ]
