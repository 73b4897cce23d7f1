"""The SQL implementation of :class:`stockade.store.repository.Transaction`.

One :class:`SqlTransaction` wraps one database transaction that :class:`SqlStore` has
already begun (and, for writes, locked). It never commits itself: the store commits, after
calling :meth:`SqlTransaction.record_commit` to bump the revision and log the change. The
bookkeeping, generic row operations, partition flags and tags are in
:mod:`stockade.store.transaction_core`; this module holds the per-resource repositories.

Scoping: ``list_*``/``count_*``, ``snapshot()``, ``list_tags`` and the getters and deletes
of VPCs, subnets, gateways, prefix lists, interfaces, instances, route tables
(:mod:`stockade.store.transaction_routing`) and network ACLs
(:mod:`stockade.store.transaction_network_acl`) see only ``self.scope``
(another account's VPC is "not found", as in EC2). Groups and rules are addressed by id
across scopes (``get_group``, ``get_rule``, ``delete_group``, ``delete_rules``,
``rules_referencing_*``), because group references cross accounts; ``used_public_ips``
spans every scope because the public IPv4 pool is shared; tags are read by resource id.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Integer, Table, bindparam, delete, func, insert, select, type_coerce

from stockade.domain.aws_prefix_lists import aws_prefix_list
from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.security_group import PeerKind, RuleSpec, SecurityGroup, SecurityGroupRule
from stockade.domain.state import Snapshot
from stockade.store import aws_lists, loaders, mapping, prefix_list_history
from stockade.store import schema as s
from stockade.store.prepared import Prepared, PreparedInsert
from stockade.store.repository import GroupPlace
from stockade.store.transaction_core import rows_with_tags, with_tags
from stockade.store.transaction_flow_logs import FlowLogRepository
from stockade.store.transaction_gateways import GatewayRepositories
from stockade.store.transaction_network_acl import NetworkAclRepository
from stockade.store.transaction_network_insights import NetworkInsightsRepository
from stockade.store.transaction_peering import PeeringTransaction
from stockade.store.transaction_routing import RouteTableRepository
from stockade.store.transaction_settings import SettingsRepository

# -- hot statements, built once -------------------------------------------------------------------
# Built at import with bind parameters and run as prepared statements (``prepared.py``):
# each compiles once per dialect (SQLite and PostgreSQL share the construct) and executes
# as one driver call, sparing the 35-150 us SQLAlchemy spends per statement.

_G, _R, _V = s.security_groups, s.sg_rules, s.vpcs


def _scoped(table: Table) -> Any:
    return (table.c.account == bindparam("account")) & (table.c.region == bindparam("region"))


_GET_GROUP = Prepared(with_tags(_G).where(_G.c.group_id == bindparam("id")))
_GROUP_BY_NAME = Prepared(
    with_tags(_G).where(_G.c.vpc_id == bindparam("vpc_id"), _G.c.name_key == bindparam("name_key"))
)
#: The scope's group count, kept by triggers (``schema.scope_counts``): one row, not a count.
_COUNT_GROUPS = Prepared(select(s.scope_counts.c.security_groups).where(_scoped(s.scope_counts)))
_GET_VPC = Prepared(with_tags(_V).where(_V.c.vpc_id == bindparam("id"), _scoped(_V)))
#: The caller's default VPC (scope bound as ``account``/``region``).
_IS_DEFAULT_VPC = _scoped(_V) & _V.c.is_default.is_(True)
_DEFAULT_VPC = Prepared(with_tags(_V).where(_IS_DEFAULT_VPC))
_RULES_OF_GROUP = Prepared(
    with_tags(_R, *(_R.c[name] for name in mapping.RULE_COLUMNS)).where(
        _R.c.group_id == bindparam("group_id")
    )
)


def _group_place(vpc: Any) -> Prepared:
    """The VPC a new group goes to (the scope's VPC chosen by ``vpc``), with what its
    creation checks: the name taken there, and the scope's group count (the triggers'
    counter)."""
    taken = (
        select(_G.c.group_id)
        .where(_G.c.vpc_id == _V.c.vpc_id, _G.c.name_key == bindparam("name_key"))
        .exists()
    )
    count = select(s.scope_counts.c.security_groups).where(_scoped(s.scope_counts))
    return Prepared(
        select(_V.c.vpc_id, _V.c.ipv6_cidr_block, taken, count.scalar_subquery()).where(vpc)
    )


_GROUP_PLACE_DEFAULT = _group_place(_IS_DEFAULT_VPC)
_GROUP_PLACE_IN = _group_place(_scoped(_V) & (_V.c.vpc_id == bindparam("vpc_id")))
#: One group's rule identities, straight from the identity index (no tags, no order).
_RULE_SPECS_OF_GROUP = Prepared(
    select(
        *(
            type_coerce(_R.c[name], Integer) if name == "is_egress" else _R.c[name]
            for name in mapping.SPEC_COLUMNS
        )
    ).where(_R.c.group_id == bindparam("group_id"))
)
_INSERT_GROUP = Prepared(insert(_G))
_INSERT_RULES = PreparedInsert(_R)
#: A group by name in the scope's default VPC: the name look-up's VPC and group in one query.
_GROUP_IN_DEFAULT_VPC = Prepared(
    with_tags(_G).where(
        _G.c.vpc_id == select(_V.c.vpc_id).where(_IS_DEFAULT_VPC).scalar_subquery(),
        _G.c.name_key == bindparam("name_key"),
    )
)


def _one(found: list[Any]) -> Any:
    return found[0] if found else None


class SqlTransaction(
    GatewayRepositories,
    RouteTableRepository,
    NetworkAclRepository,
    PeeringTransaction,
    NetworkInsightsRepository,
    FlowLogRepository,
    SettingsRepository,
):
    """Repositories over one open database transaction (see the module docstring); each
    family's repository is its own module (``transaction_<family>.py``)."""

    # -- VPCs, subnets, gateways ---------------------------------------------------------------

    def get_vpc(self, vpc_id: str) -> Vpc | None:
        params = {"id": vpc_id, **self._scope_params()}
        return self._get_joined(_GET_VPC, params, "vpc_id", mapping.vpc_from)

    def default_vpc(self) -> Vpc | None:
        return self._get_joined(_DEFAULT_VPC, self._scope_params(), "vpc_id", mapping.vpc_from)

    def list_vpcs(self) -> list[Vpc]:
        return loaders.load_vpcs(self._c, self._in_scope(s.vpcs))

    def put_vpc(self, vpc: Vpc) -> None:
        self._upsert(s.vpcs, [mapping.vpc_values(vpc)])

    def delete_vpc(self, vpc_id: str) -> None:
        self._delete(s.vpcs, vpc_id)

    def get_subnet(self, subnet_id: str) -> Subnet | None:
        return _one(loaders.load_subnets(self._c, self._matching(s.subnets, subnet_id=subnet_id)))

    def list_subnets(self, vpc_id: str | None = None) -> list[Subnet]:
        return loaders.load_subnets(self._c, self._matching(s.subnets, vpc_id=vpc_id))

    def put_subnet(self, subnet: Subnet) -> None:
        self._upsert(s.subnets, [mapping.subnet_values(subnet)])

    def delete_subnet(self, subnet_id: str) -> None:
        self._delete(s.subnets, subnet_id)

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None:
        where = self._matching(s.internet_gateways, igw_id=igw_id)
        return _one(loaders.load_internet_gateways(self._c, where))

    def list_internet_gateways(self) -> list[InternetGateway]:
        return loaders.load_internet_gateways(self._c, self._in_scope(s.internet_gateways))

    def put_internet_gateway(self, igw: InternetGateway) -> None:
        self._upsert(s.internet_gateways, [mapping.igw_values(igw)])

    def delete_internet_gateway(self, igw_id: str) -> None:
        self._delete(s.internet_gateways, igw_id)

    # -- security groups and rules -------------------------------------------------------------

    def get_group(self, group_id: str) -> SecurityGroup | None:
        return self._get_joined(_GET_GROUP, {"id": group_id}, "group_id", mapping.group_from)

    def find_group_by_name(self, vpc_id: str, name: str) -> SecurityGroup | None:
        params = {"vpc_id": vpc_id, "name_key": mapping.name_key(name)}
        return self._get_joined(_GROUP_BY_NAME, params, "group_id", mapping.group_from)

    def find_group_in_default_vpc(self, name: str) -> SecurityGroup | None:
        params = {"name_key": mapping.name_key(name), **self._scope_params()}
        return self._get_joined(_GROUP_IN_DEFAULT_VPC, params, "group_id", mapping.group_from)

    def list_groups(
        self, vpc_id: str | None = None, group_ids: Sequence[str] | None = None
    ) -> list[SecurityGroup]:
        t = s.security_groups
        where = self._matching(t, vpc_id=vpc_id)
        if group_ids is None:
            return loaders.load_groups(self._c, where)
        wheres = [where & part for part in loaders.where_in(t.c.group_id, group_ids)]
        return loaders.load_groups(self._c, wheres)

    def count_groups(self) -> int:
        return _COUNT_GROUPS.scalar(self._c, self._scope_params()) or 0

    def put_group(self, group: SecurityGroup) -> None:
        self._upsert(s.security_groups, [mapping.group_values(group)])

    def add_group(self, group: SecurityGroup) -> None:
        """Insert a new group (a fresh id): no look-up for a row to replace."""
        conn = self._write(group.group_id)
        _INSERT_GROUP.executemany(conn, self._next_seqs([mapping.group_values(group)]))

    def delete_group(self, group_id: str) -> None:
        r = s.sg_rules
        rule_ids = list(self._c.scalars(select(r.c.rule_id).where(r.c.group_id == group_id)))
        existed = self._c.scalar(
            select(s.security_groups.c.group_id).where(s.security_groups.c.group_id == group_id)
        )
        if not existed and not rule_ids:
            return
        conn = self._write(group_id, *rule_ids)
        for part in loaders.where_in(s.tags.c.resource_id, [group_id, *rule_ids]):
            conn.execute(delete(s.tags).where(part))
        conn.execute(delete(r).where(r.c.group_id == group_id))
        conn.execute(delete(s.security_groups).where(s.security_groups.c.group_id == group_id))

    def get_rule(self, rule_id: str) -> SecurityGroupRule | None:
        return _one(loaders.load_rules(self._c, s.sg_rules.c.rule_id == rule_id))

    def rules_of(self, group_ids: Iterable[str]) -> list[SecurityGroupRule]:
        ids = list(group_ids)
        if not ids:
            return []
        if len(ids) == 1:  # one group's rules (a bounded few): rows and tags in one query
            found = _RULES_OF_GROUP.rows(self._c, {"group_id": ids[0]})
            rows, tags = rows_with_tags(found, "rule_id")
            return mapping.rules_from((row[:-2] for row in rows), tags)
        return loaders.load_rules(self._c, loaders.where_in(s.sg_rules.c.group_id, ids))

    def group_place(self, vpc_id: str | None, name: str) -> GroupPlace | None:
        params = {"name_key": mapping.name_key(name), **self._scope_params()}
        if vpc_id is None:
            found = _GROUP_PLACE_DEFAULT.rows(self._c, params)
        else:
            found = _GROUP_PLACE_IN.rows(self._c, {**params, "vpc_id": vpc_id})
        if not found:
            return None
        vpc, ipv6, taken, count = found[0]
        return GroupPlace(vpc, ipv6 is not None, bool(taken), count or 0)

    def rule_specs_of(self, group_id: str) -> list[RuleSpec]:
        # is_egress read as the stored integer: no per-row result processing
        return mapping.specs_from(_RULE_SPECS_OF_GROUP.rows(self._c, {"group_id": group_id}))

    def list_rules(self) -> list[SecurityGroupRule]:
        return loaders.load_rules(self._c, self._in_scope(s.sg_rules))

    def rules_referencing_group(self, group_id: str) -> list[SecurityGroupRule]:
        return self._rules_referencing(PeerKind.GROUP, group_id)

    def rules_referencing_prefix_list(self, prefix_list_id: str) -> list[SecurityGroupRule]:
        """Rules of any scope (so a list still in use anywhere is never deleted)."""
        return self._rules_referencing(PeerKind.PREFIX_LIST, prefix_list_id)

    def _rules_referencing(self, kind: PeerKind, value: str) -> list[SecurityGroupRule]:
        r = s.sg_rules
        # REFERENCE_PEERS repeated: the partial index serves only a query that states it.
        where = (r.c.peer_value == value) & (r.c.peer_kind == kind.value) & s.REFERENCE_PEERS
        return loaders.load_rules(self._c, where)

    def put_rules(self, rules: Iterable[SecurityGroupRule]) -> None:
        """Insert or replace; each rule's row takes its group's scope (account, region)."""
        rules = list(rules)
        if not rules:
            return
        g = s.security_groups
        group_ids = list(dict.fromkeys(rule.group_id for rule in rules))
        scopes = {
            row.group_id: (row.account, row.region)
            for part in loaders.where_in(g.c.group_id, group_ids)
            for row in self._c.execute(select(g.c.group_id, g.c.account, g.c.region).where(part))
        }
        rows = []
        for rule in rules:
            account, region = scopes.get(rule.group_id, (rule.owner_id, self.scope.region))
            rows.append({**mapping.rule_values(rule), "account": account, "region": region})
        self._write(*group_ids)
        self._upsert(s.sg_rules, rows, reinsert=True)

    def add_rules(self, group: SecurityGroup, rules: Iterable[SecurityGroupRule]) -> None:
        """Insert new rules (fresh ids) of ``group``; the rows take the group's scope."""
        rows = []
        for rule in rules:
            if rule.group_id != group.group_id:
                raise ValueError(f"{rule.rule_id} belongs to {rule.group_id}, not {group.group_id}")
            rows.append(
                {**mapping.rule_values(rule), "account": group.owner_id, "region": group.region}
            )
        if not rows:
            return
        conn = self._write(group.group_id, *(row["rule_id"] for row in rows))
        _INSERT_RULES.insert(conn, self._next_seqs(rows))

    def delete_rules(self, rule_ids: Iterable[str]) -> None:
        ids = list(rule_ids)
        if not ids:
            return
        r = s.sg_rules
        parts = loaders.where_in(r.c.rule_id, ids)
        touched = [
            rid
            for part in parts
            for row in self._c.execute(select(r.c.rule_id, r.c.group_id).where(part))
            for rid in row
        ]
        if not touched:
            return
        conn = self._write(*touched)
        for part in loaders.where_in(s.tags.c.resource_id, ids):
            conn.execute(delete(s.tags).where(part))
        for part in parts:
            conn.execute(delete(r).where(part))

    # -- prefix lists ----------------------------------------------------------------------------

    # A scope sees its own lists and its region's AWS-managed ones (``aws_lists.py``).

    def get_prefix_list(self, prefix_list_id: str) -> PrefixList | None:
        t = s.prefix_lists
        where = aws_lists.visible(t, self.scope) & (t.c.prefix_list_id == prefix_list_id)
        found = _one(loaders.load_prefix_lists(self._c, where))
        return found or aws_prefix_list(self.scope.region, prefix_list_id)

    def list_prefix_lists(self) -> list[PrefixList]:
        return self._visible_prefix_lists()

    def _visible_prefix_lists(self) -> list[PrefixList]:
        where = aws_lists.visible(s.prefix_lists, self.scope)
        stored = loaders.load_prefix_lists(self._c, where)
        return aws_lists.with_catalogue(self.scope.region, stored)

    def prefix_list_entries(
        self, prefix_list_id: str, version: int
    ) -> list[PrefixListEntry] | None:
        t = s.prefix_lists
        known = self._c.execute(
            select(t.c.first_version, t.c.version).where(
                t.c.prefix_list_id == prefix_list_id, aws_lists.visible(t, self.scope)
            )
        ).first()
        if known is None:
            catalogued = aws_prefix_list(self.scope.region, prefix_list_id)
            return list(catalogued.entries) if catalogued and version == 1 else None
        if not known.first_version <= version <= known.version:
            return None
        return prefix_list_history.entries_at(self._c, prefix_list_id, version)

    def put_prefix_list(self, prefix_list: PrefixList) -> None:
        """Insert or replace. A higher ``version`` records ``entries`` as that version; the
        same version updates the list's attributes only; a lower one is a caller bug."""
        t = s.prefix_lists
        pl_id, version = prefix_list.prefix_list_id, prefix_list.version
        stored = self._c.scalar(select(t.c.version).where(t.c.prefix_list_id == pl_id))
        if stored is not None and version < stored:
            raise ValueError(f"{pl_id}: version {version} is older than stored version {stored}")
        row = mapping.prefix_list_values(prefix_list)
        if stored is None:
            row["first_version"] = version
        self._upsert(t, [row])
        if stored != version:
            prefix_list_history.record_version(self._c, pl_id, version, prefix_list.entries)

    def delete_prefix_list(self, prefix_list_id: str) -> None:
        self._delete(s.prefix_lists, prefix_list_id, s.prefix_list_entries)

    # -- interfaces and instances ------------------------------------------------------------

    def get_interface(self, eni_id: str) -> NetworkInterface | None:
        where = self._matching(s.network_interfaces, eni_id=eni_id)
        return _one(loaders.load_interfaces(self._c, where))

    def list_interfaces(
        self,
        vpc_id: str | None = None,
        subnet_id: str | None = None,
        instance_id: str | None = None,
        group_id: str | None = None,
    ) -> list[NetworkInterface]:
        t, eg = s.network_interfaces, s.eni_groups
        where = self._matching(t, vpc_id=vpc_id, subnet_id=subnet_id, instance_id=instance_id)
        if group_id is not None:
            where &= t.c.eni_id.in_(select(eg.c.eni_id).where(eg.c.group_id == group_id))
        return loaders.load_interfaces(self._c, where)

    def put_interface(self, eni: NetworkInterface) -> None:
        self._upsert(s.network_interfaces, [mapping.interface_values(eni)])
        conn = self._c
        for child, column, values in (
            (s.eni_groups, "group_id", eni.group_ids),
            (s.eni_ipv6_addresses, "address", eni.ipv6_addresses),
            (s.eni_secondary_ipv4_addresses, "address", eni.secondary_private_ips),
        ):
            conn.execute(delete(child).where(child.c.eni_id == eni.eni_id))
            if values:
                conn.execute(
                    insert(child),
                    [
                        {"eni_id": eni.eni_id, "position": i, column: value}
                        for i, value in enumerate(values)
                    ],
                )

    def delete_interface(self, eni_id: str) -> None:
        self._delete(
            s.network_interfaces,
            eni_id,
            s.eni_groups,
            s.eni_ipv6_addresses,
            s.eni_secondary_ipv4_addresses,
        )

    def used_private_ips(self, subnet_id: str) -> set[str]:
        """Private addresses taken in the subnet: primary and secondary IPv4s and IPv6
        addresses alike, and those NAT gateways hold."""
        t = s.network_interfaces
        in_subnet = select(t.c.eni_id).where(t.c.subnet_id == subnet_id)
        used = set(self._c.scalars(select(t.c.private_ip).where(t.c.subnet_id == subnet_id)))
        for child in (s.eni_ipv6_addresses, s.eni_secondary_ipv4_addresses):
            used.update(
                self._c.scalars(select(child.c.address).where(child.c.eni_id.in_(in_subnet)))
            )
        return used | self.nat_gateway_private_ips(subnet_id)

    def used_public_ips(self) -> set[str]:
        """Public IPv4s interfaces carry and those allocated as Elastic IPs (held even while
        unassociated), across every scope."""
        t = s.network_interfaces
        on_interfaces = self._c.scalars(select(t.c.public_ip).where(t.c.public_ip.is_not(None)))
        return set(on_interfaces) | self.elastic_ip_public_ips()

    def count_interfaces(self) -> int:
        t = s.network_interfaces
        return self._c.scalar(select(func.count()).select_from(t).where(self._in_scope(t))) or 0

    def get_instance(self, instance_id: str) -> Instance | None:
        where = self._matching(s.instances, instance_id=instance_id)
        return _one(loaders.load_instances(self._c, where))

    def list_instances(self, instance_ids: Sequence[str] | None = None) -> list[Instance]:
        t = s.instances
        where = self._in_scope(t)
        if instance_ids is None:
            return loaders.load_instances(self._c, where)
        wheres = [where & part for part in loaders.where_in(t.c.instance_id, instance_ids)]
        return loaders.load_instances(self._c, wheres)

    def instance_ids(self) -> list[str]:
        t = s.instances
        return list(self._c.scalars(select(t.c.instance_id).where(self._in_scope(t))))

    def put_instance(self, instance: Instance) -> None:
        self._upsert(s.instances, [mapping.instance_values(instance)])

    # -- everything at once ----------------------------------------------------------------------

    def snapshot(self) -> Snapshot:
        """The scope's resources plus the out-of-scope groups its rules reference.

        About fifteen SELECTs whatever the size (each loader is set-based).
        """
        c = self._c
        g, r = s.security_groups, s.sg_rules
        referenced = select(r.c.peer_value).where(
            self._in_scope(r), r.c.peer_kind == PeerKind.GROUP.value
        )
        foreign = g.c.group_id.in_(referenced) & ~self._in_scope(g)
        return Snapshot(
            revision=self._revision,
            vpcs=tuple(loaders.load_vpcs(c, self._in_scope(s.vpcs))),
            subnets=tuple(loaders.load_subnets(c, self._in_scope(s.subnets))),
            internet_gateways=tuple(
                loaders.load_internet_gateways(c, self._in_scope(s.internet_gateways))
            ),
            groups=tuple(loaders.load_groups(c, self._in_scope(g)))
            + tuple(loaders.load_groups(c, foreign)),
            rules=tuple(loaders.load_rules(c, self._in_scope(r))),
            prefix_lists=tuple(self._visible_prefix_lists()),
            interfaces=tuple(loaders.load_interfaces(c, self._in_scope(s.network_interfaces))),
            instances=tuple(loaders.load_instances(c, self._in_scope(s.instances))),
            nat_gateways=tuple(loaders.load_nat_gateways(c, self._in_scope(s.nat_gateways))),
            egress_only_internet_gateways=tuple(
                loaders.load_egress_only_internet_gateways(
                    c, self._in_scope(s.egress_only_internet_gateways)
                )
            ),
            elastic_ips=tuple(loaders.load_elastic_ips(c, self._in_scope(s.elastic_ips))),
            route_tables=tuple(loaders.load_route_tables(c, self._in_scope(s.route_tables))),
            network_acls=tuple(loaders.load_network_acls(c, self._in_scope(s.network_acls))),
            peerings=tuple(self.list_peerings()),
        )
