"""A VPC's and a subnet's address blocks after creation: DisassociateVpcCidrBlock,
Associate/DisassociateSubnetCidrBlock, and ModifyVpcTenancy beside them.

Stockade keeps one IPv4 block per VPC (its primary, which AWS never lets go) and at most
one IPv6 block per VPC and per subnet, in the VPC and subnet rows; an association's id is
derived from the pair (:func:`~stockade.domain.network.cidr_association_id`), so finding
one is a scan of the scope's VPCs or subnets. AssociateVpcCidrBlock (the IPv6 /56) stays
in :mod:`stockade.service.network`.
"""

from __future__ import annotations

from dataclasses import replace

from stockade.domain import errors
from stockade.domain.network import Subnet, Vpc, cidr_association_id
from stockade.service import lookups, routing
from stockade.service.context import ServiceContext
from stockade.service.network import subnet_ipv6_block
from stockade.store.repository import Transaction

#: ModifyVpcTenancy's only target: AWS lets a dedicated VPC become default, never back.
_TENANCY_TARGET = "default"


def _vpc_association(tx: Transaction, association_id: str | None) -> tuple[Vpc, str]:
    """The VPC and block of a ``vpc-cidr-assoc-`` id."""
    if not association_id:
        raise errors.missing_parameter("AssociationId")
    for vpc in tx.list_vpcs():
        for block in (vpc.cidr_block, vpc.ipv6_cidr_block):
            if block and cidr_association_id("vpc", vpc.vpc_id, block) == association_id:
                return vpc, block
    # [UNVERIFIED] AWS's wording; the code is the one Terraform's provider tests for.
    raise errors.error(
        "InvalidVpcCidrBlockAssociationID.NotFound",
        f"The vpc CIDR block association ID '{association_id}' does not exist",
    )


def _subnet_association(tx: Transaction, association_id: str | None) -> Subnet:
    """The subnet whose IPv6 block has that ``subnet-cidr-assoc-`` id."""
    if not association_id:
        raise errors.missing_parameter("AssociationId")
    for subnet in tx.list_subnets():
        block = subnet.ipv6_cidr_block
        if block and cidr_association_id("subnet", subnet.subnet_id, block) == association_id:
            return subnet
    raise errors.error(
        "InvalidSubnetCidrBlockAssociationID.NotFound",
        f"The subnet CIDR block with association ID '{association_id}' does not exist",
    )


class CidrBlockService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def disassociate_vpc_block(self, association_id: str | None) -> tuple[Vpc, str]:
        """Take the VPC's IPv6 block away (its local routes with it); the primary IPv4
        block is refused, as is a block a subnet still uses. Returns the VPC as it was and
        the block."""
        with self.ctx.write() as tx:
            vpc, block = _vpc_association(tx, association_id)
            if block == vpc.cidr_block:
                # [UNVERIFIED] AWS's code and wording for the primary block.
                raise errors.error(
                    "OperationNotPermitted",
                    f"The vpc CIDR block with association ID {association_id} may not be "
                    "disassociated. It is the primary IPv4 CIDR block of the VPC",
                )
            if any(s.ipv6_cidr_block for s in tx.list_subnets(vpc.vpc_id)):
                raise errors.error(
                    "InvalidCidrBlock.InUse",
                    f"The vpc {vpc.vpc_id} currently has a subnet within CIDR block {block}",
                )
            tx.put_vpc(replace(vpc, ipv6_cidr_block=None))
            routing.remove_local_routes(tx, vpc.vpc_id, block)
            return vpc, block

    def associate_subnet_ipv6(self, subnet_id: str | None, ipv6_cidr_block: str | None) -> Subnet:
        """Give a subnet a /64 of its VPC's IPv6 block (one per subnet)."""
        if not ipv6_cidr_block:
            raise errors.missing_parameter("Ipv6CidrBlock")
        with self.ctx.write() as tx:
            subnet = lookups.subnet(tx, subnet_id)
            if subnet.ipv6_cidr_block:
                # [UNVERIFIED] AWS's code and wording for a subnet's second IPv6 block.
                raise errors.error(
                    "CidrLimitExceeded",
                    f"This subnet '{subnet.subnet_id}' has met its maximum number of allowed "
                    "CIDRs: 1",
                )
            vpc = lookups.vpc(tx, subnet.vpc_id)
            block = subnet_ipv6_block(vpc, ipv6_cidr_block, tx.list_subnets(vpc.vpc_id))
            subnet = replace(subnet, ipv6_cidr_block=block)
            tx.put_subnet(subnet)
            return subnet

    def disassociate_subnet_ipv6(self, association_id: str | None) -> tuple[Subnet, str]:
        """Take a subnet's IPv6 block away; refused while an interface holds an address of
        it. Returns the subnet as it was and the block."""
        with self.ctx.write() as tx:
            subnet = _subnet_association(tx, association_id)
            block = subnet.ipv6_cidr_block or ""
            if any(eni.ipv6_addresses for eni in tx.list_interfaces(subnet_id=subnet.subnet_id)):
                # [UNVERIFIED] AWS's code and wording while addresses are assigned.
                raise errors.error(
                    "DependencyViolation",
                    f"The subnet '{subnet.subnet_id}' has IPv6 addresses assigned from "
                    f"CIDR block {block}",
                )
            tx.put_subnet(
                replace(subnet, ipv6_cidr_block=None, assign_ipv6_address_on_creation=False)
            )
            return subnet, block

    def modify_vpc_tenancy(self, vpc_id: str | None, tenancy: str | None) -> None:
        """Only ``default`` is a valid target (a dedicated VPC's future instances launch
        with default tenancy; the running ones keep theirs)."""
        if not tenancy:
            raise errors.missing_parameter("InstanceTenancy")
        if tenancy != _TENANCY_TARGET:
            raise errors.invalid_value("InstanceTenancy", tenancy)
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, vpc_id)
            if vpc.instance_tenancy != tenancy:
                tx.put_vpc(replace(vpc, instance_tenancy=tenancy))
