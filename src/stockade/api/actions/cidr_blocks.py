"""A VPC's and a subnet's blocks after creation, and ModifyVpcTenancy.

Terraform's ``aws_vpc_ipv4_cidr_block_association`` and Ansible's ``ec2_vpc_net`` remove a
VPC's secondary IPv4 blocks here (they add them with AssociateVpcCidrBlock, in
:mod:`stockade.api.actions.network`); ``aws_vpc`` disassociates the IPv6 block when
``assign_generated_ipv6_cidr_block`` turns false, and its ``aws_subnet`` and Ansible's
``ec2_vpc_subnet`` associate and disassociate a subnet's /64 when ``ipv6_cidr_block``
changes.
"""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import reject_unsupported
from stockade.api.actions.registry import Call, action
from stockade.domain.network import cidr_association_id
from stockade.shapes.network import ipv4_association


def _ipv6_association(kind: str, resource_id: str, block: str, state: str) -> dict[str, Any]:
    return {
        "AssociationId": cidr_association_id(kind, resource_id, block),
        "Ipv6CidrBlock": block,
        "Ipv6CidrBlockState": {"State": state},
    }


@action("DisassociateVpcCidrBlock")
def disassociate_vpc_cidr_block(call: Call) -> dict[str, Any]:
    vpc, block = call.services.cidr_blocks.disassociate_vpc_block(call.get("AssociationId"))
    if block in vpc.ipv4_blocks:
        association = ipv4_association(vpc, block, "disassociating")
        return {"VpcId": vpc.vpc_id, "CidrBlockAssociation": association}
    association = _ipv6_association("vpc", vpc.vpc_id, block, "disassociating")
    association.update(NetworkBorderGroup=vpc.region, Ipv6Pool="Amazon")
    return {"VpcId": vpc.vpc_id, "Ipv6CidrBlockAssociation": association}


@action("AssociateSubnetCidrBlock")
def associate_subnet_cidr_block(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "Ipv6IpamPoolId", "Ipv6NetmaskLength")
    subnet = call.services.cidr_blocks.associate_subnet_ipv6(
        call.get("SubnetId"), call.get("Ipv6CidrBlock")
    )
    block = subnet.ipv6_cidr_block or ""
    return {
        "SubnetId": subnet.subnet_id,
        "Ipv6CidrBlockAssociation": _ipv6_association(
            "subnet", subnet.subnet_id, block, "associated"
        ),
    }


@action("DisassociateSubnetCidrBlock")
def disassociate_subnet_cidr_block(call: Call) -> dict[str, Any]:
    subnet, block = call.services.cidr_blocks.disassociate_subnet_ipv6(call.get("AssociationId"))
    return {
        "SubnetId": subnet.subnet_id,
        "Ipv6CidrBlockAssociation": _ipv6_association(
            "subnet", subnet.subnet_id, block, "disassociating"
        ),
    }


@action("ModifyVpcTenancy")
def modify_vpc_tenancy(call: Call) -> dict[str, Any]:
    call.services.cidr_blocks.modify_vpc_tenancy(call.get("VpcId"), call.get("InstanceTenancy"))
    return {"ReturnValue": True}
