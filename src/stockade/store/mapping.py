"""Rows <-> domain dataclasses, kept apart from the queries so each side stays readable.

``*_values`` turn a domain object into the column values of its main row (``seq`` and
the scope columns are added by the writer, which knows whether the row is new). The
``*_from`` functions build frozen domain objects from result rows plus the pieces that
live in other tables (tags, group memberships, addresses, entries).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Row

from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.tags import Tags

Values = dict[str, Any]
TagIndex = Mapping[str, Tags]

NO_TAGS: Tags = ()


def tag_index(rows: Iterable[Row[Any]]) -> dict[str, Tags]:
    """Group (resource_id, key, value) rows into each resource's tags, sorted by key."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for resource_id, key, value in rows:
        grouped.setdefault(resource_id, []).append((key, value))
    return {rid: tuple(sorted(pairs)) for rid, pairs in grouped.items()}


# -- VPCs, subnets, gateways ---------------------------------------------------------------


def vpc_values(vpc: Vpc) -> Values:
    return {
        "vpc_id": vpc.vpc_id,
        "account": vpc.owner_id,
        "region": vpc.region,
        "cidr_block": vpc.cidr_block,
        "ipv6_cidr_block": vpc.ipv6_cidr_block,
        "is_default": vpc.is_default,
        "state": vpc.state,
        "instance_tenancy": vpc.instance_tenancy,
        "dhcp_options_id": vpc.dhcp_options_id,
    }


def vpc_from(row: Row[Any], tags: TagIndex) -> Vpc:
    return Vpc(
        vpc_id=row.vpc_id,
        owner_id=row.account,
        region=row.region,
        cidr_block=row.cidr_block,
        ipv6_cidr_block=row.ipv6_cidr_block,
        is_default=row.is_default,
        state=row.state,
        instance_tenancy=row.instance_tenancy,
        dhcp_options_id=row.dhcp_options_id,
        tags=tags.get(row.vpc_id, NO_TAGS),
    )


def subnet_values(subnet: Subnet) -> Values:
    return {
        "subnet_id": subnet.subnet_id,
        "account": subnet.owner_id,
        "region": subnet.region,
        "vpc_id": subnet.vpc_id,
        "cidr_block": subnet.cidr_block,
        "availability_zone": subnet.availability_zone,
        "availability_zone_id": subnet.availability_zone_id,
        "ipv6_cidr_block": subnet.ipv6_cidr_block,
        "map_public_ip_on_launch": subnet.map_public_ip_on_launch,
        "assign_ipv6_address_on_creation": subnet.assign_ipv6_address_on_creation,
        "default_for_az": subnet.default_for_az,
        "state": subnet.state,
    }


def subnet_from(row: Row[Any], tags: TagIndex) -> Subnet:
    return Subnet(
        subnet_id=row.subnet_id,
        vpc_id=row.vpc_id,
        owner_id=row.account,
        region=row.region,
        cidr_block=row.cidr_block,
        availability_zone=row.availability_zone,
        availability_zone_id=row.availability_zone_id,
        ipv6_cidr_block=row.ipv6_cidr_block,
        map_public_ip_on_launch=row.map_public_ip_on_launch,
        assign_ipv6_address_on_creation=row.assign_ipv6_address_on_creation,
        default_for_az=row.default_for_az,
        state=row.state,
        tags=tags.get(row.subnet_id, NO_TAGS),
    )


def igw_values(igw: InternetGateway) -> Values:
    return {
        "igw_id": igw.igw_id,
        "account": igw.owner_id,
        "region": igw.region,
        "vpc_id": igw.vpc_id,
    }


def igw_from(row: Row[Any], tags: TagIndex) -> InternetGateway:
    return InternetGateway(
        igw_id=row.igw_id,
        owner_id=row.account,
        region=row.region,
        vpc_id=row.vpc_id,
        tags=tags.get(row.igw_id, NO_TAGS),
    )


# -- security groups and rules ----------------------------------------------------------------


def group_values(group: SecurityGroup) -> Values:
    return {
        "group_id": group.group_id,
        "account": group.owner_id,
        "region": group.region,
        "vpc_id": group.vpc_id,
        "name": group.name,
        "name_key": name_key(group.name),
        "description": group.description,
    }


def name_key(name: str) -> str:
    """The case-insensitive form EC2 compares group names by."""
    return name.lower()


def group_from(row: Row[Any], tags: TagIndex) -> SecurityGroup:
    return SecurityGroup(
        group_id=row.group_id,
        name=row.name,
        description=row.description,
        vpc_id=row.vpc_id,
        owner_id=row.account,
        region=row.region,
        tags=tags.get(row.group_id, NO_TAGS),
    )


def rule_values(rule: SecurityGroupRule) -> Values:
    """A rule's columns; ``account``/``region`` come from its group, added by the writer."""
    spec = rule.spec
    return {
        "rule_id": rule.rule_id,
        "group_id": rule.group_id,
        "owner_id": rule.owner_id,
        "is_egress": spec.is_egress,
        "protocol": spec.protocol,
        "from_port": spec.from_port,
        "to_port": spec.to_port,
        "peer_kind": spec.peer.kind.value,
        "peer_value": spec.peer.value,
        "peer_owner": spec.peer.owner_id or "",
        "description": rule.description,
    }


#: The columns :func:`rules_from` unpacks, in order (rules are the bulk of a snapshot,
#: so they are built from plain tuples rather than by-name row access).
RULE_COLUMNS = (
    "rule_id",
    "group_id",
    "owner_id",
    "is_egress",
    "protocol",
    "from_port",
    "to_port",
    "peer_kind",
    "peer_value",
    "peer_owner",
    "description",
)

_PEER_KINDS = {kind.value: kind for kind in PeerKind}


def rules_from(rows: Iterable[Sequence[Any]], tags: TagIndex) -> list[SecurityGroupRule]:
    """Rules from rows of :data:`RULE_COLUMNS`; equal peers become one shared object."""
    peers: dict[tuple[str, str, str], Peer] = {}
    out = []
    for (
        rule_id,
        group_id,
        owner_id,
        is_egress,
        protocol,
        from_port,
        to_port,
        peer_kind,
        peer_value,
        peer_owner,
        description,
    ) in rows:
        peer_key = (peer_kind, peer_value, peer_owner)
        peer = peers.get(peer_key)
        if peer is None:
            peer = peers[peer_key] = Peer(_PEER_KINDS[peer_kind], peer_value, peer_owner or None)
        out.append(
            SecurityGroupRule(
                rule_id=rule_id,
                group_id=group_id,
                owner_id=owner_id,
                spec=RuleSpec(bool(is_egress), protocol, from_port, to_port, peer),
                description=description,
                tags=tags.get(rule_id, NO_TAGS),
            )
        )
    return out


# -- prefix lists ------------------------------------------------------------------------------


def prefix_list_values(pl: PrefixList) -> Values:
    """Columns of the prefix-list row (entries and ``first_version`` are the writer's job)."""
    return {
        "prefix_list_id": pl.prefix_list_id,
        "account": pl.owner_id,
        "region": pl.region,
        "name": pl.name,
        "address_family": pl.address_family,
        "max_entries": pl.max_entries,
        "version": pl.version,
        "state": pl.state,
    }


def entries_from(rows: Iterable[Row[Any]]) -> tuple[PrefixListEntry, ...]:
    """Entries in their canonical (sorted) order, whatever order they were written in."""
    return tuple(sorted(PrefixListEntry(r.cidr, r.description) for r in rows))


def prefix_list_from(
    row: Row[Any], entries: tuple[PrefixListEntry, ...], tags: TagIndex
) -> PrefixList:
    return PrefixList(
        prefix_list_id=row.prefix_list_id,
        name=row.name,
        address_family=row.address_family,
        max_entries=row.max_entries,
        version=row.version,
        owner_id=row.account,
        region=row.region,
        entries=entries,
        state=row.state,
        tags=tags.get(row.prefix_list_id, NO_TAGS),
    )


# -- interfaces and instances ------------------------------------------------------------------


def interface_values(eni: NetworkInterface) -> Values:
    """Columns of the interface row (groups and IPv6 addresses live in their own tables)."""
    ct = eni.connection_tracking
    return {
        "eni_id": eni.eni_id,
        "account": eni.owner_id,
        "region": eni.region,
        "vpc_id": eni.vpc_id,
        "subnet_id": eni.subnet_id,
        "availability_zone": eni.availability_zone,
        "private_ip": eni.private_ip,
        "mac_address": eni.mac_address,
        "public_ip": eni.public_ip,
        "associate_public_ip": eni.associate_public_ip,
        "instance_id": eni.instance_id,
        "device_index": eni.device_index,
        "attachment_id": eni.attachment_id,
        "delete_on_termination": eni.delete_on_termination,
        "description": eni.description,
        "source_dest_check": eni.source_dest_check,
        "tcp_established_timeout": ct.tcp_established_timeout,
        "udp_stream_timeout": ct.udp_stream_timeout,
        "udp_timeout": ct.udp_timeout,
        "connection_tracking_set": eni.connection_tracking_set,
        "interface_type": eni.interface_type,
    }


def interface_from(
    row: Row[Any],
    group_ids: Sequence[str],
    ipv6_addresses: Sequence[str],
    tags: TagIndex,
) -> NetworkInterface:
    return NetworkInterface(
        eni_id=row.eni_id,
        owner_id=row.account,
        region=row.region,
        vpc_id=row.vpc_id,
        subnet_id=row.subnet_id,
        availability_zone=row.availability_zone,
        private_ip=row.private_ip,
        mac_address=row.mac_address,
        group_ids=tuple(group_ids),
        ipv6_addresses=tuple(ipv6_addresses),
        public_ip=row.public_ip,
        associate_public_ip=row.associate_public_ip,
        instance_id=row.instance_id,
        device_index=row.device_index,
        attachment_id=row.attachment_id,
        delete_on_termination=row.delete_on_termination,
        description=row.description,
        source_dest_check=row.source_dest_check,
        connection_tracking=ConnectionTracking(
            tcp_established_timeout=row.tcp_established_timeout,
            udp_stream_timeout=row.udp_stream_timeout,
            udp_timeout=row.udp_timeout,
        ),
        connection_tracking_set=row.connection_tracking_set,
        interface_type=row.interface_type,
        tags=tags.get(row.eni_id, NO_TAGS),
    )


def instance_values(instance: Instance) -> Values:
    return {
        "instance_id": instance.instance_id,
        "account": instance.owner_id,
        "region": instance.region,
        "reservation_id": instance.reservation_id,
        "vpc_id": instance.vpc_id,
        "subnet_id": instance.subnet_id,
        "availability_zone": instance.availability_zone,
        "image_id": instance.image_id,
        "instance_type": instance.instance_type,
        "state": instance.state.value,
        "launch_time": instance.launch_time,
        "primary_eni_id": instance.primary_eni_id,
        "key_name": instance.key_name,
    }


def instance_from(row: Row[Any], tags: TagIndex) -> Instance:
    return Instance(
        instance_id=row.instance_id,
        owner_id=row.account,
        region=row.region,
        reservation_id=row.reservation_id,
        vpc_id=row.vpc_id,
        subnet_id=row.subnet_id,
        availability_zone=row.availability_zone,
        image_id=row.image_id,
        instance_type=row.instance_type,
        state=InstanceState(row.state),
        launch_time=row.launch_time,
        primary_eni_id=row.primary_eni_id,
        key_name=row.key_name,
        tags=tags.get(row.instance_id, NO_TAGS),
    )
