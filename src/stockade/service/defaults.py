"""What AWS creates for you: the default VPC of a region, every VPC's default group, main
route table and default network ACL."""

from __future__ import annotations

import ipaddress

from stockade.domain import ids
from stockade.domain.network import (
    DEFAULT_SUBNET_PREFIX,
    DEFAULT_VPC_CIDR,
    InternetGateway,
    Subnet,
    Vpc,
)
from stockade.domain.network_acl import NetworkAcl, NetworkAclAssociation, default_entries
from stockade.domain.routing import Route, RouteTable, RouteTableAssociation, local_routes
from stockade.domain.scope import availability_zones
from stockade.domain.security_group import (
    DEFAULT_GROUP_DESCRIPTION,
    DEFAULT_GROUP_NAME,
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.store.repository import Transaction


def create_default_vpc(tx: Transaction) -> Vpc:
    """172.31.0.0/16, one default /20 subnet per zone (public IPs on launch), an attached
    internet gateway and the default group: what every AWS account has per region."""
    scope = tx.scope
    vpc = Vpc(
        ids.new_id("vpc"),
        scope.account,
        scope.region,
        DEFAULT_VPC_CIDR,
        is_default=True,
        enable_dns_hostnames=True,  # AWS: on in a default VPC only
    )
    tx.put_vpc(vpc)
    create_default_group(tx, vpc)
    blocks = ipaddress.ip_network(DEFAULT_VPC_CIDR).subnets(new_prefix=DEFAULT_SUBNET_PREFIX)
    for zone, block in zip(availability_zones(scope.region), blocks, strict=False):
        tx.put_subnet(
            Subnet(
                ids.new_id("subnet"),
                vpc.vpc_id,
                scope.account,
                scope.region,
                str(block),
                zone.name,
                zone.zone_id,
                map_public_ip_on_launch=True,
                default_for_az=True,
            )
        )
    igw = InternetGateway(ids.new_id("igw"), scope.account, scope.region, vpc.vpc_id)
    tx.put_internet_gateway(igw)
    create_main_route_table(tx, vpc, (Route("0.0.0.0/0", igw.igw_id),))
    create_default_network_acl(tx, vpc)  # associated with its default subnets
    return vpc


def create_main_route_table(tx: Transaction, vpc: Vpc, routes: tuple[Route, ...] = ()) -> None:
    """The VPC's main table: a local route per CIDR block (plus ``routes``: the default
    VPC's ``0.0.0.0/0`` to its internet gateway), associated as main (no subnet)."""
    tx.put_route_table(
        RouteTable(
            ids.new_id("rtb"),
            vpc.vpc_id,
            vpc.owner_id,
            vpc.region,
            routes=local_routes((*vpc.ipv4_blocks, vpc.ipv6_cidr_block)) + routes,
            associations=(RouteTableAssociation(ids.new_id("rtbassoc"), main=True),),
        )
    )


def create_default_network_acl(tx: Transaction, vpc: Vpc) -> NetworkAcl:
    """The VPC's default ACL (100 allow all and the ``*`` deny, both directions; the IPv6
    pair too in a VPC with IPv6), associated with every subnet the VPC already has (the
    default VPC's)."""
    acl = NetworkAcl(
        ids.new_id("acl"),
        vpc.vpc_id,
        vpc.owner_id,
        vpc.region,
        is_default=True,
        entries=default_entries(vpc.ipv6_cidr_block is not None),
        associations=tuple(
            NetworkAclAssociation(ids.new_id("aclassoc"), s.subnet_id)
            for s in tx.list_subnets(vpc.vpc_id)
        ),
    )
    tx.put_network_acl(acl)
    return acl


def default_egress_specs(ipv6: bool) -> list[RuleSpec]:
    """Outbound all traffic to 0.0.0.0/0, and to ::/0 when the VPC has IPv6."""
    specs = [RuleSpec(True, "-1", -1, -1, Peer(PeerKind.CIDR_V4, "0.0.0.0/0"))]
    if ipv6:
        specs.append(RuleSpec(True, "-1", -1, -1, Peer(PeerKind.CIDR_V6, "::/0")))
    return specs


def create_default_group(tx: Transaction, vpc: Vpc) -> SecurityGroup:
    """The VPC's ``default`` group: all inbound from itself, all outbound."""
    group = SecurityGroup(
        ids.new_id("sg"),
        DEFAULT_GROUP_NAME,
        DEFAULT_GROUP_DESCRIPTION,
        vpc.vpc_id,
        vpc.owner_id,
        vpc.region,
    )
    tx.add_group(group)
    self_ref = Peer(PeerKind.GROUP, group.group_id, vpc.owner_id)
    specs = [RuleSpec(False, "-1", -1, -1, self_ref), *default_egress_specs(vpc.has_ipv6)]
    tx.add_rules(group, new_rules(group, specs))
    return group


def new_rules(
    group: SecurityGroup, specs: list[RuleSpec], descriptions: list[str | None] | None = None
) -> list[SecurityGroupRule]:
    descs = descriptions or [None] * len(specs)
    return [
        SecurityGroupRule(ids.new_id("sgr"), group.group_id, group.owner_id, spec, desc)
        for spec, desc in zip(specs, descs, strict=True)
    ]
