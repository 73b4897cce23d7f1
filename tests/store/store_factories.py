"""Small builders of domain objects for the store tests (fresh random ids every call)."""

from __future__ import annotations

import random

from stockade.domain.ids import new_id
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.scope import Scope
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)

#: Set to a PostgreSQL URL to run the round-trip tests against PostgreSQL as well.
POSTGRES_ENV = "STOCKADE_TEST_POSTGRES_URL"


def random_scope(region: str = "us-east-1") -> Scope:
    """A fresh account, so tests sharing one database (PostgreSQL) never see each other."""
    return Scope(account=f"{random.randrange(10**11, 10**12):012d}", region=region)


def vpc(scope: Scope, **kw: object) -> Vpc:
    fields: dict = {
        "vpc_id": new_id("vpc"),
        "owner_id": scope.account,
        "region": scope.region,
        "cidr_block": "10.0.0.0/16",
    }
    return Vpc(**{**fields, **kw})


def subnet(scope: Scope, vpc_id: str, **kw: object) -> Subnet:
    fields: dict = {
        "subnet_id": new_id("subnet"),
        "vpc_id": vpc_id,
        "owner_id": scope.account,
        "region": scope.region,
        "cidr_block": "10.0.1.0/24",
        "availability_zone": f"{scope.region}a",
        "availability_zone_id": "use1-az1",
    }
    return Subnet(**{**fields, **kw})


def igw(scope: Scope, **kw: object) -> InternetGateway:
    fields: dict = {"igw_id": new_id("igw"), "owner_id": scope.account, "region": scope.region}
    return InternetGateway(**{**fields, **kw})


def group(scope: Scope, vpc_id: str, name: str | None = None, **kw: object) -> SecurityGroup:
    fields: dict = {
        "group_id": new_id("sg"),
        "name": name or new_id("sg"),
        "description": "test group",
        "vpc_id": vpc_id,
        "owner_id": scope.account,
        "region": scope.region,
    }
    return SecurityGroup(**{**fields, **kw})


def cidr_peer(cidr: str = "0.0.0.0/0") -> Peer:
    return Peer(PeerKind.CIDR_V4, cidr)


def group_peer(g: SecurityGroup) -> Peer:
    return Peer(PeerKind.GROUP, g.group_id, g.owner_id)


def rule(
    g: SecurityGroup,
    port: int = 22,
    peer: Peer | None = None,
    *,
    egress: bool = False,
    protocol: str = "tcp",
    description: str | None = None,
) -> SecurityGroupRule:
    return SecurityGroupRule(
        rule_id=new_id("sgr"),
        group_id=g.group_id,
        owner_id=g.owner_id,
        spec=RuleSpec(egress, protocol, port, port, peer or cidr_peer()),
        description=description,
    )


def prefix_list(
    scope: Scope, entries: tuple[PrefixListEntry, ...] = (), version: int = 1, **kw: object
) -> PrefixList:
    fields: dict = {
        "prefix_list_id": new_id("pl"),
        "name": "office",
        "address_family": "IPv4",
        "max_entries": 10,
        "version": version,
        "owner_id": scope.account,
        "region": scope.region,
        "entries": entries,
    }
    return PrefixList(**{**fields, **kw})


def interface(
    scope: Scope,
    sn: Subnet,
    group_ids: tuple[str, ...],
    private_ip: str = "10.0.1.10",
    **kw: object,
) -> NetworkInterface:
    fields: dict = {
        "eni_id": new_id("eni"),
        "owner_id": scope.account,
        "region": scope.region,
        "vpc_id": sn.vpc_id,
        "subnet_id": sn.subnet_id,
        "availability_zone": sn.availability_zone,
        "private_ip": private_ip,
        "mac_address": "02:00:00:00:00:01",
        "group_ids": group_ids,
    }
    return NetworkInterface(**{**fields, **kw})


def instance(scope: Scope, sn: Subnet, eni_id: str, **kw: object) -> Instance:
    fields: dict = {
        "instance_id": new_id("i"),
        "owner_id": scope.account,
        "region": scope.region,
        "reservation_id": new_id("r"),
        "vpc_id": sn.vpc_id,
        "subnet_id": sn.subnet_id,
        "availability_zone": sn.availability_zone,
        "image_id": "ami-12345678",
        "instance_type": "t3.micro",
        "state": InstanceState.RUNNING,
        "launch_time": "2025-01-01T00:00:00Z",
        "primary_eni_id": eni_id,
    }
    return Instance(**{**fields, **kw})


__all__ = [
    "POSTGRES_ENV",
    "ConnectionTracking",
    "PrefixListEntry",
    "cidr_peer",
    "group",
    "group_peer",
    "igw",
    "instance",
    "interface",
    "prefix_list",
    "random_scope",
    "rule",
    "subnet",
    "vpc",
]
