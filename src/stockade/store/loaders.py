"""Set-based loading of domain objects: a constant number of SELECTs per call, never one per row.

Each ``load_*`` takes a WHERE clause over the resource's main table and returns the
matching objects in creation order, with their tags (and, for interfaces and prefix lists,
their child rows) fetched by one extra query each that re-uses the same WHERE clause as a
subquery. Getters, ``list_*`` and ``snapshot()`` all go through here, so a snapshot of
thousands of groups costs the same handful of round trips as a single ``get_group``.

A selection by caller-given ids (``WHERE id IN (…)``) is a *list* of clauses from
:func:`where_in`, each binding a bounded number of ids (:mod:`stockade.store.batching`):
the loaders run the same queries per clause and merge the objects in creation order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Column, ColumnElement, Connection, Select, Table, select

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import NetworkAcl, NetworkAclAssociation, NetworkAclEntry
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.prefix_list import PrefixList
from stockade.domain.routing import (
    EgressOnlyInternetGateway,
    NatGateway,
    Route,
    RouteTable,
    RouteTableAssociation,
)
from stockade.domain.security_group import SecurityGroup, SecurityGroupRule
from stockade.domain.tags import Tags
from stockade.store import mapping
from stockade.store import schema as s
from stockade.store.batching import chunks
from stockade.store.mapping import AnyRow

T = TypeVar("T")
Where = ColumnElement[bool]
#: One WHERE clause, or several whose matches are loaded together (see :func:`where_in`).
Wheres = Where | Sequence[Where]

#: The primary-key (resource id) column of each resource table.
ID_COLUMN = {
    s.vpcs.name: s.vpcs.c.vpc_id,
    s.subnets.name: s.subnets.c.subnet_id,
    s.internet_gateways.name: s.internet_gateways.c.igw_id,
    s.security_groups.name: s.security_groups.c.group_id,
    s.sg_rules.name: s.sg_rules.c.rule_id,
    s.prefix_lists.name: s.prefix_lists.c.prefix_list_id,
    s.network_interfaces.name: s.network_interfaces.c.eni_id,
    s.instances.name: s.instances.c.instance_id,
    s.nat_gateways.name: s.nat_gateways.c.nat_gateway_id,
    s.egress_only_internet_gateways.name: (
        s.egress_only_internet_gateways.c.egress_only_internet_gateway_id
    ),
    s.elastic_ips.name: s.elastic_ips.c.allocation_id,
    s.route_tables.name: s.route_tables.c.route_table_id,
    s.network_acls.name: s.network_acls.c.network_acl_id,
    s.vpc_peering_connections.name: s.vpc_peering_connections.c.vpc_peering_connection_id,
    s.network_insights_paths.name: s.network_insights_paths.c.path_id,
    s.network_insights_analyses.name: s.network_insights_analyses.c.analysis_id,
    s.flow_logs.name: s.flow_logs.c.flow_log_id,
}


def where_in(column: Column[Any], values: Iterable[Any]) -> list[Where]:
    """``column IN values`` as clauses of bounded size (no clause for no values)."""
    return [column.in_(part) for part in chunks(dict.fromkeys(values))]


def _parts(where: Wheres) -> Sequence[Where]:
    return where if isinstance(where, list | tuple) else (where,)


def _in_order(parts: list[Sequence[AnyRow]]) -> Sequence[AnyRow]:
    """Rows of several queries (each ordered by ``seq``) as one list ordered by ``seq``."""
    if len(parts) == 1:
        return parts[0]
    return sorted((row for rows in parts for row in rows), key=lambda row: row.seq)


def ids_where(table: Table, where: Where) -> Select[Any]:
    """``SELECT <id> FROM table WHERE ...``: the subquery child-row queries filter by."""
    return select(ID_COLUMN[table.name]).where(where)


def tags_where(conn: Connection, table: Table, where: Where) -> dict[str, Tags]:
    """The tags of every row of ``table`` matching ``where``, keyed by resource id."""
    t = s.tags
    stmt = select(t.c.resource_id, t.c.key, t.c.value).where(
        t.c.resource_id.in_(ids_where(table, where))
    )
    return mapping.tag_index(conn.execute(stmt))


def _load(
    conn: Connection,
    table: Table,
    where: Wheres,
    build: Callable[[AnyRow, mapping.TagIndex], T],
) -> list[T]:
    found: list[Sequence[AnyRow]] = []
    tags: dict[str, Tags] = {}
    for part in _parts(where):
        rows = conn.execute(select(table).where(part).order_by(table.c.seq)).all()
        if rows:
            found.append(rows)
            tags.update(tags_where(conn, table, part))
    if not found:
        return []
    return [build(row, tags) for row in _in_order(found)]


def load_vpcs(conn: Connection, where: Wheres) -> list[Vpc]:
    return _load(conn, s.vpcs, where, mapping.vpc_from)


def load_subnets(conn: Connection, where: Wheres) -> list[Subnet]:
    return _load(conn, s.subnets, where, mapping.subnet_from)


def load_internet_gateways(conn: Connection, where: Wheres) -> list[InternetGateway]:
    return _load(conn, s.internet_gateways, where, mapping.igw_from)


def load_nat_gateways(conn: Connection, where: Wheres) -> list[NatGateway]:
    return _load(conn, s.nat_gateways, where, mapping.nat_gateway_from)


def load_egress_only_internet_gateways(
    conn: Connection, where: Wheres
) -> list[EgressOnlyInternetGateway]:
    return _load(conn, s.egress_only_internet_gateways, where, mapping.eigw_from)


def load_elastic_ips(conn: Connection, where: Wheres) -> list[ElasticIp]:
    return _load(conn, s.elastic_ips, where, mapping.elastic_ip_from)


def load_groups(conn: Connection, where: Wheres) -> list[SecurityGroup]:
    return _load(conn, s.security_groups, where, mapping.group_from)


def load_peerings(conn: Connection, where: Wheres) -> list[VpcPeeringConnection]:
    return _load(conn, s.vpc_peering_connections, where, mapping.peering_from)


def load_rules(conn: Connection, where: Wheres) -> list[SecurityGroupRule]:
    r = s.sg_rules
    columns = [r.c[name] for name in mapping.RULE_COLUMNS]
    found: list[Sequence[AnyRow]] = []
    tags: dict[str, Tags] = {}
    for part in _parts(where):
        rows = conn.execute(select(*columns, r.c.seq).where(part).order_by(r.c.seq)).all()
        if rows:
            found.append(rows)
            tags.update(tags_where(conn, r, part))
    if not found:
        return []
    return mapping.rules_from((row[:-1] for row in _in_order(found)), tags)


def load_instances(conn: Connection, where: Wheres) -> list[Instance]:
    return _load(conn, s.instances, where, mapping.instance_from)


def load_prefix_lists(conn: Connection, where: Where) -> list[PrefixList]:
    """Prefix lists with their current version's entries."""
    pl, ple = s.prefix_lists, s.prefix_list_entries
    rows = conn.execute(select(pl).where(where).order_by(pl.c.seq)).all()
    if not rows:
        return []
    entry_rows = conn.execute(
        select(ple.c.prefix_list_id, ple.c.cidr, ple.c.description).where(
            ple.c.prefix_list_id.in_(ids_where(pl, where)), ple.c.last_version.is_(None)
        )
    ).all()
    by_list: dict[str, list[AnyRow]] = {}
    for entry in entry_rows:
        by_list.setdefault(entry.prefix_list_id, []).append(entry)
    tags = tags_where(conn, pl, where)
    return [
        mapping.prefix_list_from(
            row, mapping.entries_from(by_list.get(row.prefix_list_id, ())), tags
        )
        for row in rows
    ]


def load_interfaces(conn: Connection, where: Where) -> list[NetworkInterface]:
    """Interfaces with their groups (in attachment order), IPv6 and secondary IPv4
    addresses."""
    ni, eg = s.network_interfaces, s.eni_groups
    rows = conn.execute(select(ni).where(where).order_by(ni.c.seq)).all()
    if not rows:
        return []
    ids = ids_where(ni, where)
    groups: dict[str, list[str]] = {}
    for eni_id, group_id in conn.execute(
        select(eg.c.eni_id, eg.c.group_id)
        .where(eg.c.eni_id.in_(ids))
        .order_by(eg.c.eni_id, eg.c.position)
    ):
        groups.setdefault(eni_id, []).append(group_id)
    ipv6 = _addresses_of(conn, s.eni_ipv6_addresses, ids)
    secondary = _addresses_of(conn, s.eni_secondary_ipv4_addresses, ids)
    tags = tags_where(conn, ni, where)
    return [
        mapping.interface_from(
            row,
            groups.get(row.eni_id, ()),
            ipv6.get(row.eni_id, ()),
            tags,
            secondary.get(row.eni_id, ()),
        )
        for row in rows
    ]


def _addresses_of(conn: Connection, table: Table, ids: Any) -> dict[str, list[str]]:
    """Each interface's addresses of one child table, in their stored order."""
    out: dict[str, list[str]] = {}
    for eni_id, address in conn.execute(
        select(table.c.eni_id, table.c.address)
        .where(table.c.eni_id.in_(ids))
        .order_by(table.c.eni_id, table.c.position)
    ):
        out.setdefault(eni_id, []).append(address)
    return out


def load_route_tables(conn: Connection, where: Where) -> list[RouteTable]:
    """Route tables with their routes and associations, each in its stored order."""
    rt, rr, ra = s.route_tables, s.route_table_routes, s.route_table_associations
    rows = conn.execute(select(rt).where(where).order_by(rt.c.seq)).all()
    if not rows:
        return []
    ids = ids_where(rt, where)
    routes: dict[str, list[Route]] = {}
    for row in conn.execute(
        select(rr).where(rr.c.route_table_id.in_(ids)).order_by(rr.c.route_table_id, rr.c.position)
    ):
        routes.setdefault(row.route_table_id, []).append(mapping.route_from(row))
    associations: dict[str, list[RouteTableAssociation]] = {}
    for row in conn.execute(
        select(ra).where(ra.c.route_table_id.in_(ids)).order_by(ra.c.route_table_id, ra.c.position)
    ):
        associations.setdefault(row.route_table_id, []).append(mapping.association_from(row))
    tags = tags_where(conn, rt, where)
    return [
        mapping.route_table_from(
            row,
            routes.get(row.route_table_id, ()),
            associations.get(row.route_table_id, ()),
            tags,
        )
        for row in rows
    ]


def load_network_acls(conn: Connection, where: Where) -> list[NetworkAcl]:
    """Network ACLs with their entries (by direction, then rule number) and associations."""
    na, ne, nas = s.network_acls, s.network_acl_entries, s.network_acl_associations
    rows = conn.execute(select(na).where(where).order_by(na.c.seq)).all()
    if not rows:
        return []
    ids = ids_where(na, where)
    entries: dict[str, list[NetworkAclEntry]] = {}
    for row in conn.execute(
        select(ne)
        .where(ne.c.network_acl_id.in_(ids))
        .order_by(ne.c.network_acl_id, ne.c.egress, ne.c.rule_number)
    ):
        entries.setdefault(row.network_acl_id, []).append(mapping.acl_entry_from(row))
    associations: dict[str, list[NetworkAclAssociation]] = {}
    for row in conn.execute(
        select(nas)
        .where(nas.c.network_acl_id.in_(ids))
        .order_by(nas.c.network_acl_id, nas.c.position)
    ):
        associations.setdefault(row.network_acl_id, []).append(mapping.acl_association_from(row))
    tags = tags_where(conn, na, where)
    return [
        mapping.network_acl_from(
            row,
            entries.get(row.network_acl_id, ()),
            associations.get(row.network_acl_id, ()),
            tags,
        )
        for row in rows
    ]
