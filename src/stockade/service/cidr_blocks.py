"""A VPC's and a subnet's address blocks after creation: Associate/DisassociateVpcCidrBlock
for secondary IPv4 blocks, DisassociateVpcCidrBlock for the IPv6 block,
Associate/DisassociateSubnetCidrBlock, and ModifyVpcTenancy beside them.

A VPC keeps its IPv4 blocks in its row (the primary, which AWS never lets go, and the
secondary ones, ``Vpc.secondary_cidr_blocks``) and at most one IPv6 block; a subnet at most
one IPv6 block. An association's id is derived from the pair
(:func:`~stockade.domain.network.cidr_association_id`), so finding one is a scan of the
scope's VPCs or subnets. AssociateVpcCidrBlock for the IPv6 /56 stays in
:mod:`stockade.service.network`. A block coming or going changes the VPC's local routes in
every route table and the VPC's side of its live peerings (both are what the policy engine
and the data plane read; :func:`~stockade.service.peering.refresh_sides`).
"""

from __future__ import annotations

from dataclasses import replace
from ipaddress import IPv4Network

from stockade.domain import errors
from stockade.domain.addresses import parse_cidr
from stockade.domain.network import Subnet, Vpc, cidr_association_id
from stockade.domain.routing import LOCAL
from stockade.domain.vpc_blocks import check_new_ipv4_block
from stockade.service import lookups, routing
from stockade.service.context import ServiceContext
from stockade.service.network import subnet_ipv6_block
from stockade.service.peering import refresh_sides
from stockade.store.repository import Transaction

#: ModifyVpcTenancy's only target: AWS lets a dedicated VPC become default, never back.
_TENANCY_TARGET = "default"


def _vpc_association(tx: Transaction, association_id: str | None) -> tuple[Vpc, str]:
    """The VPC and block of a ``vpc-cidr-assoc-`` id."""
    if not association_id:
        raise errors.missing_parameter("AssociationId")
    for vpc in tx.list_vpcs():
        block = vpc.block_of_association(association_id)
        if block is not None:
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


def _uses(subnet: Subnet, block: str) -> bool:
    return IPv4Network(subnet.cidr_block).subnet_of(IPv4Network(block))


def _active_peer_blocks(tx: Transaction, vpc: Vpc) -> list[str]:
    """The IPv4 blocks of the VPCs ``vpc`` has an active peering with."""
    blocks: list[str] = []
    for peering in tx.list_peerings(vpc.vpc_id):
        peer = peering.peer_of(vpc.vpc_id) if peering.is_active else None
        if peer is None:
            continue
        peer_vpc = tx.find_vpc(peer.vpc_id)
        blocks.extend(peer_vpc.ipv4_blocks if peer_vpc is not None else peer.cidr_blocks)
    return blocks


class CidrBlockService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def associate_vpc_ipv4(self, vpc_id: str | None, cidr_block: str) -> tuple[Vpc, str]:
        """Add a secondary IPv4 block (AWS's restrictions:
        :func:`~stockade.domain.vpc_blocks.check_new_ipv4_block`); it gets its local route in
        every route table of the VPC. Returns the VPC as it now is and the block."""
        parse_cidr(cidr_block, 4)  # InvalidParameterValue for what is no IPv4 CIDR
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, vpc_id)
            destinations = [
                r.destination
                for table in tx.list_route_tables(vpc.vpc_id)
                for r in table.routes
                if r.target != LOCAL and not r.is_prefix_list and "." in r.destination
            ]
            block = check_new_ipv4_block(
                vpc,
                cidr_block,
                self.ctx.quotas.cidr_blocks_per_vpc,
                destinations,
                _active_peer_blocks(tx, vpc),
            )
            vpc = replace(vpc, secondary_cidr_blocks=(*vpc.secondary_cidr_blocks, block))
            tx.put_vpc(vpc)
            routing.add_local_routes(tx, vpc.vpc_id, block)
            refresh_sides(tx, vpc, self.ctx.clock())
            return vpc, block

    def disassociate_vpc_block(self, association_id: str | None) -> tuple[Vpc, str]:
        """Take a secondary IPv4 block or the IPv6 block away (its local routes with it);
        the primary IPv4 block is refused, as is a block a subnet still uses. Returns the
        VPC as it was and the block."""
        with self.ctx.write() as tx:
            vpc, block = _vpc_association(tx, association_id)
            if block == vpc.cidr_block:
                # [UNVERIFIED] AWS's code and wording for the primary block.
                raise errors.error(
                    "OperationNotPermitted",
                    f"The vpc CIDR block with association ID {association_id} may not be "
                    "disassociated. It is the primary IPv4 CIDR block of the VPC",
                )
            ipv4 = block in vpc.secondary_cidr_blocks
            subnets = tx.list_subnets(vpc.vpc_id)
            if any(_uses(s, block) if ipv4 else s.ipv6_cidr_block for s in subnets):
                raise errors.error(
                    "InvalidCidrBlock.InUse",
                    f"The vpc {vpc.vpc_id} currently has a subnet within CIDR block {block}",
                )
            if ipv4:
                kept = tuple(b for b in vpc.secondary_cidr_blocks if b != block)
                now = replace(vpc, secondary_cidr_blocks=kept)
            else:
                now = replace(vpc, ipv6_cidr_block=None)
            tx.put_vpc(now)
            routing.remove_local_routes(tx, vpc.vpc_id, block)
            refresh_sides(tx, now, self.ctx.clock())
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
