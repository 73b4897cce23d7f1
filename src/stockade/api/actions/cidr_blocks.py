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
from stockade.shapes.network import ipv6_association, vpc_block_association


@action("DisassociateVpcCidrBlock")
def disassociate_vpc_cidr_block(call: Call) -> dict[str, Any]:
    vpc, block = call.services.cidr_blocks.disassociate_vpc_block(call.get("AssociationId"))
    key, association = vpc_block_association(vpc, block, "disassociating")
    return {"VpcId": vpc.vpc_id, key: association}


@action("AssociateSubnetCidrBlock")
def associate_subnet_cidr_block(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "Ipv6IpamPoolId", "Ipv6NetmaskLength")
    subnet = call.services.cidr_blocks.associate_subnet_ipv6(
        call.get("SubnetId"), call.get("Ipv6CidrBlock")
    )
    block = subnet.ipv6_cidr_block or ""
    return {
        "SubnetId": subnet.subnet_id,
        "Ipv6CidrBlockAssociation": ipv6_association("subnet", subnet.subnet_id, block),
    }


@action("DisassociateSubnetCidrBlock")
def disassociate_subnet_cidr_block(call: Call) -> dict[str, Any]:
    subnet, block = call.services.cidr_blocks.disassociate_subnet_ipv6(call.get("AssociationId"))
    return {
        "SubnetId": subnet.subnet_id,
        "Ipv6CidrBlockAssociation": ipv6_association(
            "subnet", subnet.subnet_id, block, "disassociating"
        ),
    }


@action("ModifyVpcTenancy")
def modify_vpc_tenancy(call: Call) -> dict[str, Any]:
    call.services.cidr_blocks.modify_vpc_tenancy(call.get("VpcId"), call.get("InstanceTenancy"))
    return {"ReturnValue": True}
