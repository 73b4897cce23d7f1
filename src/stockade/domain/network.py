"""VPCs, subnets and internet gateways: the network a security group lives in."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stockade.domain.tags import Tags

DEFAULT_VPC_CIDR = "172.31.0.0/16"
DEFAULT_SUBNET_PREFIX = 20  # one /20 per availability zone in the default VPC
VPC_MIN_PREFIX, VPC_MAX_PREFIX = 16, 28
RESERVED_ADDRESSES_PER_SUBNET = 5  # network, router (+1), DNS (+2), future (+3), broadcast


def cidr_association_id(kind: str, resource_id: str, cidr: str) -> str:
    """The id of a block's association with a VPC or subnet (``vpc-cidr-assoc-…``,
    ``subnet-cidr-assoc-…``): derived from the pair, since stockade keeps one block per
    family on a resource and no association row; the same pair always gets the same id."""
    digest = hashlib.sha256(f"{resource_id}/{cidr}".encode()).hexdigest()[:17]
    return f"{kind}-cidr-assoc-{digest}"


@dataclass(frozen=True)
class Vpc:
    vpc_id: str
    owner_id: str
    region: str
    cidr_block: str
    ipv6_cidr_block: str | None = None
    is_default: bool = False
    state: str = "available"
    instance_tenancy: str = "default"
    dhcp_options_id: str = "default"
    #: VPC attributes (DescribeVpcAttribute/ModifyVpcAttribute); hostnames default to true
    #: only in a default VPC, which the service sets when it makes one
    enable_dns_support: bool = True
    enable_dns_hostnames: bool = False
    enable_network_address_usage_metrics: bool = False
    #: IPv4 blocks associated after creation (AssociateVpcCidrBlock), in association order;
    #: ``cidr_block`` stays the primary, which AWS never lets go
    secondary_cidr_blocks: tuple[str, ...] = ()
    tags: Tags = ()

    @property
    def has_ipv6(self) -> bool:
        return self.ipv6_cidr_block is not None

    @property
    def ipv4_blocks(self) -> tuple[str, ...]:
        """Every IPv4 block of the VPC, the primary first: the VPC's whole IPv4 space, which
        everything that means "inside the VPC" (local routes, subnets, paths, peering
        overlap, the data plane) must follow -- never ``cidr_block`` alone."""
        return (self.cidr_block, *self.secondary_cidr_blocks)

    def blocks(self, family: int) -> tuple[str, ...]:
        """The VPC's blocks of one address family (4 or 6)."""
        if family == 4:
            return self.ipv4_blocks
        return (self.ipv6_cidr_block,) if self.ipv6_cidr_block else ()

    def block_of_association(self, association_id: str) -> str | None:
        """The block (either family) whose ``vpc-cidr-assoc-`` id this is, if the VPC has
        it: how DisassociateVpcCidrBlock finds its block, here and through a server."""
        for block in (*self.ipv4_blocks, *self.blocks(6)):
            if cidr_association_id("vpc", self.vpc_id, block) == association_id:
                return block
        return None


@dataclass(frozen=True)
class Subnet:
    subnet_id: str
    vpc_id: str
    owner_id: str
    region: str
    cidr_block: str
    availability_zone: str
    availability_zone_id: str
    ipv6_cidr_block: str | None = None
    map_public_ip_on_launch: bool = False
    assign_ipv6_address_on_creation: bool = False
    default_for_az: bool = False
    state: str = "available"
    tags: Tags = ()


@dataclass(frozen=True)
class InternetGateway:
    igw_id: str
    owner_id: str
    region: str
    vpc_id: str | None = None  # the attached VPC, if any
    tags: Tags = ()
