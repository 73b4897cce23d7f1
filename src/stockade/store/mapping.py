"""Rows <-> domain dataclasses, kept apart from the queries so each side stays readable.

``*_values`` turn a domain object into the column values of its main row (``seq`` and
the scope columns are added by the writer, which knows whether the row is new). The
``*_from`` functions build frozen domain objects from result rows plus the pieces that
live in other tables (tags, group memberships, addresses, entries). Plain fields map to
same-named columns (``owner_id`` to ``account``), read off the dataclasses themselves.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    from sqlalchemy import Row

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    RuleAction,
)
from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.routing import (
    EgressOnlyInternetGateway,
    NatGateway,
    NatGatewayState,
    Route,
    RouteOrigin,
    RouteTable,
    RouteTableAssociation,
)
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
#: A result row of any width. SQLAlchemy 2.1 types a row by its columns (``Row[Any]`` is a
#: one-column row); these rows come from ``select(table)`` or a few named columns. A string,
#: so it is never evaluated at run time.
AnyRow: TypeAlias = "Row[*tuple[Any, ...]]"

NO_TAGS: Tags = ()


def tag_index(rows: Iterable[AnyRow]) -> dict[str, Tags]:
    """Group (resource_id, key, value) rows into each resource's tags, sorted by key."""
    grouped: dict[str, list[tuple[str, str]]] = {}
    for resource_id, key, value in rows:
        grouped.setdefault(resource_id, []).append((key, value))
    return {rid: tuple(sorted(pairs)) for rid, pairs in grouped.items()}


def _columns(cls: type, *elsewhere: str) -> tuple[tuple[str, str], ...]:
    """(field, column) pairs of a domain class: every field but ``tags`` and those stored
    ``elsewhere`` (child tables, flattened columns), ``owner_id`` as the ``account`` column."""
    return tuple(
        (f.name, "account" if f.name == "owner_id" else f.name)
        for f in fields(cls)
        if f.name not in ("tags", *elsewhere)
    )


def _values(obj: object, columns: tuple[tuple[str, str], ...]) -> Values:
    return {column: getattr(obj, name) for name, column in columns}


def _fields(row: AnyRow, columns: tuple[tuple[str, str], ...]) -> Values:
    values = row._mapping
    return {name: values[column] for name, column in columns}


# the VPC attributes included (columns from migration 0003); the secondary IPv4 blocks are
# one JSON column (0011)
_VPC = _columns(Vpc, "secondary_cidr_blocks")
_SUBNET = _columns(Subnet)
_IGW = _columns(InternetGateway)
_GROUP = _columns(SecurityGroup)
_PREFIX_LIST = _columns(PrefixList, "entries")
_INTERFACE = _columns(
    NetworkInterface,
    "group_ids",
    "ipv6_addresses",
    "secondary_private_ips",
    "connection_tracking",
)
_TRACKING = _columns(ConnectionTracking)
_INSTANCE = _columns(Instance, "state")
_NAT = _columns(NatGateway, "state")
_EIGW = _columns(EgressOnlyInternetGateway)
_EIP = _columns(ElasticIp)


# -- VPCs, subnets, gateways ---------------------------------------------------------------


def vpc_values(vpc: Vpc) -> Values:
    blocks = list(vpc.secondary_cidr_blocks)
    return {**_values(vpc, _VPC), "secondary_cidr_blocks": json.dumps(blocks) if blocks else None}


def vpc_from(row: AnyRow, tags: TagIndex) -> Vpc:
    blocks = row._mapping["secondary_cidr_blocks"]
    return Vpc(
        **_fields(row, _VPC),
        secondary_cidr_blocks=tuple(json.loads(blocks)) if blocks else (),
        tags=tags.get(row.vpc_id, NO_TAGS),
    )


def subnet_values(subnet: Subnet) -> Values:
    return _values(subnet, _SUBNET)


def subnet_from(row: AnyRow, tags: TagIndex) -> Subnet:
    return Subnet(**_fields(row, _SUBNET), tags=tags.get(row.subnet_id, NO_TAGS))


def igw_values(igw: InternetGateway) -> Values:
    return _values(igw, _IGW)


def igw_from(row: AnyRow, tags: TagIndex) -> InternetGateway:
    return InternetGateway(**_fields(row, _IGW), tags=tags.get(row.igw_id, NO_TAGS))


# -- NAT gateways, egress-only gateways, Elastic IPs -------------------------------------------


def nat_gateway_values(nat: NatGateway) -> Values:
    return {**_values(nat, _NAT), "state": nat.state.value}


def nat_gateway_from(row: AnyRow, tags: TagIndex) -> NatGateway:
    return NatGateway(
        **_fields(row, _NAT),
        state=NatGatewayState(row.state),
        tags=tags.get(row.nat_gateway_id, NO_TAGS),
    )


def eigw_values(eigw: EgressOnlyInternetGateway) -> Values:
    return _values(eigw, _EIGW)


def eigw_from(row: AnyRow, tags: TagIndex) -> EgressOnlyInternetGateway:
    return EgressOnlyInternetGateway(
        **_fields(row, _EIGW), tags=tags.get(row.egress_only_internet_gateway_id, NO_TAGS)
    )


def elastic_ip_values(eip: ElasticIp) -> Values:
    return _values(eip, _EIP)


def elastic_ip_from(row: AnyRow, tags: TagIndex) -> ElasticIp:
    return ElasticIp(**_fields(row, _EIP), tags=tags.get(row.allocation_id, NO_TAGS))


# -- security groups and rules ----------------------------------------------------------------


def group_values(group: SecurityGroup) -> Values:
    return {**_values(group, _GROUP), "name_key": name_key(group.name)}


def name_key(name: str) -> str:
    """The case-insensitive form EC2 compares group names by."""
    return name.lower()


def group_from(row: AnyRow, tags: TagIndex) -> SecurityGroup:
    return SecurityGroup(**_fields(row, _GROUP), tags=tags.get(row.group_id, NO_TAGS))


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

#: The columns :func:`specs_from` unpacks, in order: a rule's identity (after ``group_id``,
#: the columns of the ``uq_sg_rules_identity`` index, so reading them by group touches only
#: that index).
SPEC_COLUMNS = RULE_COLUMNS[RULE_COLUMNS.index("is_egress") : RULE_COLUMNS.index("peer_owner") + 1]


def specs_from(rows: Iterable[Sequence[Any]]) -> list[RuleSpec]:
    """Rule identities from rows of :data:`SPEC_COLUMNS`."""
    return [
        RuleSpec(bool(egress), protocol, low, high, Peer(_PEER_KINDS[kind], value, owner or None))
        for egress, protocol, low, high, kind, value, owner in rows
    ]


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
    return _values(pl, _PREFIX_LIST)


def entries_from(rows: Iterable[AnyRow]) -> tuple[PrefixListEntry, ...]:
    """Entries in their canonical (sorted) order, whatever order they were written in."""
    return tuple(sorted(PrefixListEntry(r.cidr, r.description) for r in rows))


def prefix_list_from(
    row: AnyRow, entries: tuple[PrefixListEntry, ...], tags: TagIndex
) -> PrefixList:
    return PrefixList(
        **_fields(row, _PREFIX_LIST),
        entries=entries,
        tags=tags.get(row.prefix_list_id, NO_TAGS),
    )


# -- interfaces and instances ------------------------------------------------------------------


def interface_values(eni: NetworkInterface) -> Values:
    """Columns of the interface row (groups and IPv6 addresses live in their own tables)."""
    return {**_values(eni, _INTERFACE), **_values(eni.connection_tracking, _TRACKING)}


def interface_from(
    row: AnyRow,
    group_ids: Sequence[str],
    ipv6_addresses: Sequence[str],
    tags: TagIndex,
    secondary_private_ips: Sequence[str] = (),
) -> NetworkInterface:
    return NetworkInterface(
        **_fields(row, _INTERFACE),
        group_ids=tuple(group_ids),
        ipv6_addresses=tuple(ipv6_addresses),
        secondary_private_ips=tuple(secondary_private_ips),
        connection_tracking=ConnectionTracking(**_fields(row, _TRACKING)),
        tags=tags.get(row.eni_id, NO_TAGS),
    )


def instance_values(instance: Instance) -> Values:
    return {**_values(instance, _INSTANCE), "state": instance.state.value}


def instance_from(row: AnyRow, tags: TagIndex) -> Instance:
    return Instance(
        **_fields(row, _INSTANCE),
        state=InstanceState(row.state),
        tags=tags.get(row.instance_id, NO_TAGS),
    )


# -- route tables ------------------------------------------------------------------------------


def route_table_values(table: RouteTable) -> Values:
    """Columns of the table row (routes and associations live in their own tables)."""
    return {"route_table_id": table.route_table_id, "vpc_id": table.vpc_id}


def route_rows(table: RouteTable) -> list[Values]:
    return [
        {
            "route_table_id": table.route_table_id,
            "position": i,
            "destination": r.destination,
            "target": r.target,
            "origin": r.origin.value,
            "instance_id": r.instance_id,
        }
        for i, r in enumerate(table.routes)
    ]


def association_rows(table: RouteTable) -> list[Values]:
    return [
        {
            "association_id": a.association_id,
            "route_table_id": table.route_table_id,
            "position": i,
            "main": a.main,
            "subnet_id": a.subnet_id,
            "gateway_id": a.gateway_id,
        }
        for i, a in enumerate(table.associations)
    ]


def route_from(row: AnyRow) -> Route:
    return Route(row.destination, row.target, RouteOrigin(row.origin), row.instance_id)


def association_from(row: AnyRow) -> RouteTableAssociation:
    return RouteTableAssociation(row.association_id, bool(row.main), row.subnet_id, row.gateway_id)


def route_table_from(
    row: AnyRow,
    routes: Sequence[Route],
    associations: Sequence[RouteTableAssociation],
    tags: TagIndex,
) -> RouteTable:
    return RouteTable(
        route_table_id=row.route_table_id,
        vpc_id=row.vpc_id,
        owner_id=row.account,
        region=row.region,
        routes=tuple(routes),
        associations=tuple(associations),
        tags=tags.get(row.route_table_id, NO_TAGS),
    )


# -- network ACLs ------------------------------------------------------------------------------


def network_acl_values(acl: NetworkAcl) -> Values:
    """Columns of the ACL row (entries and associations live in their own tables)."""
    return {
        "network_acl_id": acl.network_acl_id,
        "vpc_id": acl.vpc_id,
        "is_default": acl.is_default,
    }


def acl_entry_rows(acl: NetworkAcl) -> list[Values]:
    return [
        {
            "network_acl_id": acl.network_acl_id,
            "egress": e.egress,
            "rule_number": e.rule_number,
            "rule_action": e.action.value,
            "protocol": e.protocol,
            "cidr": e.cidr,
            "port_from": e.port_range[0] if e.port_range else None,
            "port_to": e.port_range[1] if e.port_range else None,
            "icmp_type": e.icmp_type,
            "icmp_code": e.icmp_code,
        }
        for e in acl.entries
    ]


def acl_association_rows(acl: NetworkAcl) -> list[Values]:
    return [
        {
            "association_id": a.association_id,
            "network_acl_id": acl.network_acl_id,
            "position": i,
            "subnet_id": a.subnet_id,
        }
        for i, a in enumerate(acl.associations)
    ]


def acl_entry_from(row: AnyRow) -> NetworkAclEntry:
    ports = None if row.port_from is None else (row.port_from, row.port_to)
    return NetworkAclEntry(
        row.rule_number,
        bool(row.egress),
        RuleAction(row.rule_action),
        row.protocol,
        row.cidr,
        ports,
        row.icmp_type,
        row.icmp_code,
    )


def acl_association_from(row: AnyRow) -> NetworkAclAssociation:
    return NetworkAclAssociation(row.association_id, row.subnet_id)


def network_acl_from(
    row: AnyRow,
    entries: Sequence[NetworkAclEntry],
    associations: Sequence[NetworkAclAssociation],
    tags: TagIndex,
) -> NetworkAcl:
    return NetworkAcl(
        network_acl_id=row.network_acl_id,
        vpc_id=row.vpc_id,
        owner_id=row.account,
        region=row.region,
        is_default=bool(row.is_default),
        entries=tuple(entries),
        associations=tuple(associations),
        tags=tags.get(row.network_acl_id, NO_TAGS),
    )


# -- VPC peering connections -------------------------------------------------------------------


def peering_values(p: VpcPeeringConnection) -> Values:
    """One row for both sides: the requester's scope is the row's ``account``/``region``."""
    r, a = p.requester, p.accepter
    return {
        "vpc_peering_connection_id": p.vpc_peering_connection_id,
        "account": r.owner_id,
        "region": r.region,
        "requester_vpc_id": r.vpc_id,
        "requester_cidr_blocks": json.dumps(list(r.cidr_blocks)),
        "requester_ipv6_cidr_blocks": json.dumps(list(r.ipv6_cidr_blocks)),
        "requester_allow_dns": r.allow_dns_resolution_from_remote_vpc,
        "accepter_vpc_id": a.vpc_id,
        "accepter_account": a.owner_id,
        "accepter_region": a.region,
        "accepter_cidr_blocks": json.dumps(list(a.cidr_blocks)),
        "accepter_ipv6_cidr_blocks": json.dumps(list(a.ipv6_cidr_blocks)),
        "accepter_allow_dns": a.allow_dns_resolution_from_remote_vpc,
        "status": p.status.value,
        "status_message": p.status_message,
        "expiration_time": p.expiration_time,
    }


def peering_from(row: AnyRow, tags: TagIndex) -> VpcPeeringConnection:
    def side(prefix: str, account: str, region: str) -> PeeringSide:
        values = row._mapping
        return PeeringSide(
            vpc_id=values[f"{prefix}_vpc_id"],
            owner_id=account,
            region=region,
            cidr_blocks=tuple(json.loads(values[f"{prefix}_cidr_blocks"])),
            ipv6_cidr_blocks=tuple(json.loads(values[f"{prefix}_ipv6_cidr_blocks"])),
            allow_dns_resolution_from_remote_vpc=bool(values[f"{prefix}_allow_dns"]),
        )

    return VpcPeeringConnection(
        vpc_peering_connection_id=row.vpc_peering_connection_id,
        requester=side("requester", row.account, row.region),
        accepter=side("accepter", row.accepter_account, row.accepter_region),
        status=PeeringStatus(row.status),
        status_message=row.status_message,
        expiration_time=row.expiration_time,
        tags=tags.get(row.vpc_peering_connection_id, NO_TAGS),
    )
