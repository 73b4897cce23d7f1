"""Round trips of every resource type and the transaction semantics of :class:`SqlStore`."""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError

from stockade.domain.instance import InstanceState
from stockade.domain.interface import ConnectionTracking
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.prefix_list import PrefixListEntry
from stockade.domain.routing import RouteTable
from stockade.domain.scope import Scope
from stockade.domain.security_group import Peer, PeerKind
from stockade.store import mapping
from stockade.store.repository import Change, Transaction
from stockade.store.sql import SqlStore, database_url
from stockade.store.transaction import SqlTransaction
from store import store_factories as f
from store.store_factories import random_scope


def test_transaction_satisfies_the_protocol() -> None:
    """Every method of the contract exists with the same parameters."""
    import inspect

    for name, member in inspect.getmembers(Transaction, inspect.isfunction):
        if name.startswith("_"):
            continue
        impl = getattr(SqlTransaction, name, None)
        assert impl is not None, name
        assert list(inspect.signature(impl).parameters) == list(
            inspect.signature(member).parameters
        ), name


def test_mapping_covers_every_domain_field() -> None:
    """A field added to a domain class must get a column (or this test an exception)."""
    scope = Scope()
    sn = f.subnet(scope, "vpc-1")
    g = f.group(scope, "vpc-1")
    stored_elsewhere = {"tags", "owner_id"}  # tags table; owner_id is the account column
    cases = [
        # the VPC attributes get their columns with the gateways migration (0003)
        (
            f.vpc(scope),
            mapping.vpc_values,
            {"enable_dns_support", "enable_dns_hostnames", "enable_network_address_usage_metrics"},
        ),
        (sn, mapping.subnet_values, set()),
        (f.igw(scope), mapping.igw_values, set()),
        (g, mapping.group_values, set()),
        (f.rule(g), mapping.rule_values, {"spec"}),
        (f.prefix_list(scope), mapping.prefix_list_values, {"entries"}),
        (
            f.interface(scope, sn, ()),
            mapping.interface_values,
            {"group_ids", "ipv6_addresses", "secondary_private_ips", "connection_tracking"},
        ),
        (f.instance(scope, sn, "eni-1"), mapping.instance_values, set()),
        (
            RouteTable("rtb-1", "vpc-1", scope.account, scope.region),
            mapping.route_table_values,
            # child rows; region is a scope column; VGW propagation is not modelled
            {"routes", "associations", "region", "propagating_vgws"},
        ),
        (
            NetworkAcl("acl-1", "vpc-1", scope.account, scope.region),
            mapping.network_acl_values,
            {"entries", "associations", "region"},  # child rows; region is a scope column
        ),
        (_peering(), mapping.peering_values, {"requester", "accepter"}),
    ]
    for obj, values, special in cases:
        names = {field.name for field in dataclasses.fields(obj)}
        missing = names - set(values(obj)) - stored_elsewhere - special
        assert not missing, f"{type(obj).__name__}: {missing} not stored"
    assert {fl.name for fl in dataclasses.fields(ConnectionTracking)} <= set(
        mapping.interface_values(f.interface(scope, sn, ()))
    )
    # each side's fields are columns prefixed by the side (owner/region: account columns)
    sides = {"vpc_id", "cidr_blocks", "ipv6_cidr_blocks"}
    assert {fl.name for fl in dataclasses.fields(PeeringSide)} == sides | {
        "owner_id",
        "region",
        "allow_dns_resolution_from_remote_vpc",
    }
    row = mapping.peering_values(_peering())
    for side in ("requester", "accepter"):
        assert {f"{side}_{name}" for name in sides} | {f"{side}_allow_dns"} <= set(row)
    assert {"accepter_account", "accepter_region", "account", "region"} <= set(row)


def _peering() -> VpcPeeringConnection:
    return VpcPeeringConnection(
        "pcx-0123456789abcdef0",
        PeeringSide("vpc-1", "111111111111", "us-east-1", ("10.1.0.0/16",)),
        PeeringSide("vpc-2", "222222222222", "us-east-1"),
        PeeringStatus.ACTIVE,
        "Active",
    )


# -- round trips (SQLite, and PostgreSQL when configured) -----------------------------------


def test_network_round_trip(any_store: SqlStore, scope: Scope) -> None:
    v = f.vpc(scope, ipv6_cidr_block="2600:1f18::/56", is_default=True)
    sn = f.subnet(scope, v.vpc_id, map_public_ip_on_launch=True, default_for_az=True)
    gw = f.igw(scope, vpc_id=v.vpc_id)
    with any_store.write(scope) as tx:
        tx.put_vpc(v)
        tx.put_subnet(sn)
        tx.put_internet_gateway(gw)
        tx.set_tags(v.vpc_id, {"Name": "main", "Env": "prod"})
    with any_store.read(scope) as tx:
        assert tx.get_vpc(v.vpc_id) == dataclasses.replace(
            v, tags=(("Env", "prod"), ("Name", "main"))
        )
        assert tx.get_subnet(sn.subnet_id) == sn
        assert tx.get_internet_gateway(gw.igw_id) == gw
        assert tx.list_subnets(v.vpc_id) == [sn]
        assert tx.list_subnets("vpc-00000000") == []
        assert tx.list_internet_gateways() == [gw]
    with any_store.write(scope) as tx:
        tx.put_internet_gateway(dataclasses.replace(gw, vpc_id=None))
        tx.delete_subnet(sn.subnet_id)
        tx.delete_vpc(v.vpc_id)
    with any_store.read(scope) as tx:
        assert tx.get_vpc(v.vpc_id) is None
        assert tx.get_subnet(sn.subnet_id) is None
        assert tx.tags_of(v.vpc_id) == {}
        assert tx.get_internet_gateway(gw.igw_id) == dataclasses.replace(gw, vpc_id=None)


def test_groups_and_rules_round_trip(any_store: SqlStore, scope: Scope) -> None:
    g = f.group(scope, "vpc-1", "Web")
    other = f.group(scope, "vpc-1", "db")
    r1 = f.rule(g, 22, description="ssh")
    r2 = f.rule(g, 443, f.group_peer(other), egress=True)
    r3 = f.rule(g, -1, Peer(PeerKind.CIDR_V6, "::/0"), protocol="-1")
    with any_store.write(scope) as tx:
        tx.put_group(g)
        tx.put_group(other)
        tx.put_rules([r1, r2, r3])
        tx.set_tags(r1.rule_id, {"k": "v"})
    with any_store.read(scope) as tx:
        assert tx.get_group(g.group_id) == g
        assert tx.find_group_by_name("vpc-1", "WEB") == g
        assert tx.find_group_by_name("vpc-1", "web") == g
        assert tx.find_group_by_name("vpc-2", "web") is None
        assert tx.list_groups() == [g, other]
        assert tx.list_groups(group_ids=[other.group_id]) == [other]
        assert tx.list_groups(vpc_id="vpc-2") == []
        assert tx.count_groups() == 2
        assert tx.get_rule(r1.rule_id) == dataclasses.replace(r1, tags=(("k", "v"),))
        assert tx.rules_of([g.group_id]) == [tx.get_rule(r1.rule_id), r2, r3]
        assert tx.rules_of([]) == []
        assert [r.rule_id for r in tx.list_rules()] == [r1.rule_id, r2.rule_id, r3.rule_id]
        assert tx.rules_referencing_group(other.group_id) == [r2]
    # Replacing keeps the id and the position; the identity may change.
    changed = dataclasses.replace(r1, spec=dataclasses.replace(r1.spec, to_port=23))
    with any_store.write(scope) as tx:
        tx.put_rules([changed])
        tx.delete_rules([r2.rule_id, "sgr-00000000"])
    with any_store.read(scope) as tx:
        assert [r.spec.to_port for r in tx.rules_of([g.group_id])] == [23, -1]
        assert tx.rules_referencing_group(other.group_id) == []


def test_insert_paths_for_new_groups_and_rules(any_store: SqlStore, scope: Scope) -> None:
    """``add_group``/``add_rules`` (fresh ids, no look-up) store what ``put_*`` would,
    log the same change, and refuse an id already stored rather than overwrite it."""
    g = f.group(scope, "vpc-1", "Web")
    rules = [f.rule(g, 22), f.rule(g, 443, egress=True, description="out")]
    before = any_store.revision()
    with any_store.write(scope) as tx:
        tx.add_group(g)
        tx.add_rules(g, rules)
        tx.add_rules(g, [])
    with any_store.read(scope) as tx:
        assert tx.get_group(g.group_id) == g
        assert tx.rules_of([g.group_id]) == rules
        assert tx.list_rules() == rules
    (change,) = any_store.changes_since(before)
    assert change.revision == before + 1
    assert change.resource_ids == (g.group_id, *(r.rule_id for r in rules))
    later = f.group(scope, "vpc-1", "later")
    with any_store.write(scope) as tx:
        tx.put_group(later)
    with any_store.read(scope) as tx:
        assert tx.list_groups() == [g, later]  # creation order: add_* takes seq numbers too
    with pytest.raises(IntegrityError), any_store.write(scope) as tx:
        tx.add_group(dataclasses.replace(g, name="other"))
    with pytest.raises(IntegrityError), any_store.write(scope) as tx:
        tx.add_rules(g, [dataclasses.replace(rules[0], description="same id")])
    with pytest.raises(ValueError), any_store.write(scope) as tx:
        tx.add_rules(later, [f.rule(g, 80)])
    with any_store.read(scope) as tx:
        assert tx.get_group(g.group_id) == g and tx.rules_of([g.group_id]) == rules


def test_single_object_getters_carry_every_tag(any_store: SqlStore, scope: Scope) -> None:
    """Getters load rows and tags in one joined query: several tags must still make one
    object (tags sorted by key), and an untagged object no tags."""
    v = f.vpc(scope, is_default=True)
    g = f.group(scope, v.vpc_id, "Web")
    bare = f.group(scope, v.vpc_id, "bare")
    r1, r2 = f.rule(g, 22), f.rule(g, 23)
    with any_store.write(scope) as tx:
        tx.put_vpc(f.vpc(scope))  # not the default
        tx.put_vpc(v)
        tx.put_group(g)
        tx.put_group(bare)
        tx.put_rules([r1, r2])
        tx.set_tags(v.vpc_id, {"b": "2", "a": "1", "c": "3"})
        tx.set_tags(g.group_id, {"z": "", "y": "x"})
        tx.set_tags(r2.rule_id, {"k2": "v2", "k1": "v1"})
    with any_store.read(scope) as tx:
        tagged_vpc = dataclasses.replace(v, tags=(("a", "1"), ("b", "2"), ("c", "3")))
        assert tx.get_vpc(v.vpc_id) == tagged_vpc
        assert tx.default_vpc() == tagged_vpc
        tagged_group = dataclasses.replace(g, tags=(("y", "x"), ("z", "")))
        assert tx.get_group(g.group_id) == tagged_group
        assert tx.find_group_by_name(v.vpc_id, "WEB") == tagged_group
        assert tx.get_group(bare.group_id) == bare
        assert tx.rules_of([g.group_id]) == [
            r1,
            dataclasses.replace(r2, tags=(("k1", "v1"), ("k2", "v2"))),
        ]
        assert tx.rules_of([g.group_id, bare.group_id]) == tx.rules_of([g.group_id])
        assert tx.rules_of([bare.group_id]) == []
    with any_store.read(random_scope()) as tx:
        assert tx.default_vpc() is None
        assert tx.get_vpc(v.vpc_id) is None  # another scope's VPC is not found


def test_create_and_authorize_statement_budget(store: SqlStore, scope: Scope) -> None:
    """The write path's round trips: no look-up before inserting fresh ids, one query per
    single-object read. (Guards against regressions; loosen deliberately if needed.)
    Counted by SQLite's own trace, which sees the prepared statements SQLAlchemy's hooks
    do not."""
    from stockade.domain.permissions import GroupPair, IpPermission
    from stockade.service.context import ServiceContext
    from stockade.service.groups import GroupService
    from stockade.service.rules import RuleService

    statements = _trace_statements(store)
    ctx = ServiceContext(store, scope)
    groups, rules = GroupService(ctx), RuleService(ctx)
    groups.describe()  # first use: creates the default VPC
    statements.clear()
    gid = groups.create("web", "d").group.group_id
    # BEGIN, lock, the group's place (default VPC, name taken, count: one query),
    # 2 inserts, revision, log, COMMIT
    assert len(statements) == 8, statements
    assert statements[0] == "BEGIN IMMEDIATE" and statements[-1] == "COMMIT", statements
    statements.clear()
    perms = [IpPermission("tcp", p, p, ip_ranges=(("10.0.0.0/8", None),)) for p in (22, 443)]
    rules.authorize(gid, perms)
    # BEGIN, lock, group, rules, insert (both rows in one), revision, log, COMMIT
    assert len(statements) == 8, statements
    assert sum(st.startswith("INSERT INTO sg_rules") for st in statements) == 1, statements
    peer = groups.create("peer", "d").group.group_id
    statements.clear()
    three = [
        IpPermission("tcp", 5432, 5432, ip_ranges=(("10.1.0.0/16", None),)),
        IpPermission("udp", 53, 53, ip_ranges=(("198.51.100.0/24", None), ("192.0.2.0/24", None))),
        IpPermission("tcp", 8080, 8080, groups=(GroupPair(group_id=peer),)),
    ]
    added = rules.authorize(None, three, group_name="WEB")
    # BEGIN, lock, the group by name in the default VPC (one query), the referenced group,
    # rules, one insert of the 4 rows, revision, log, COMMIT
    assert len(statements) == 9, statements
    assert len(added) == 4 and {r.group_id for r in added} == {gid}
    assert [r.spec for r in rules.describe(group_ids=[gid])][-4:] == [r.spec for r in added]


#: Statements that fire the group-count triggers (``security_groups`` writes).
_FIRES_TRIGGERS = re.compile(r"(INSERT INTO|DELETE FROM|UPDATE) security_groups\b")


def _trace_statements(store: SqlStore) -> list[str]:
    """Every statement SQLite runs on the store's connections opened from now on (the
    pooled ones are closed first), as SQLite's trace callback reports them -- once each:
    the callback also reports every trigger program a write to ``security_groups`` enters
    (``scope_counts``' triggers) with the write's own text again, and those are no round
    trips (any other repeat is one: it is counted)."""
    statements: list[str] = []

    def record(statement: str) -> None:
        if statements and statements[-1] == statement and _FIRES_TRIGGERS.match(statement):
            return
        statements.append(statement)

    @event.listens_for(store._engine, "connect")
    def _trace(dbapi_connection, _record):  # noqa: ANN001, ANN202
        dbapi_connection.set_trace_callback(record)

    store._engine.dispose()
    return statements


def test_new_rules_insert_in_slices_with_their_values(any_store: SqlStore, scope: Scope) -> None:
    """``add_rules`` writes a call's rules as multi-row INSERTs of at most 16 rows: 37
    rules (slices of 16, 16 and 5), ingress and egress, with and without descriptions and
    peers' owners, read back exactly, in order; a duplicate identity rejects the whole
    call and leaves the group's rules as they were."""
    v = f.vpc(scope)
    g = f.group(scope, v.vpc_id)
    other = f.group(scope, v.vpc_id)
    new = [
        f.rule(
            g,
            1000 + i,
            f.group_peer(other) if i % 3 == 0 else None,
            egress=i % 2 == 1,
            description=f"d{i}" if i % 4 == 0 else None,
        )
        for i in range(37)
    ]
    with any_store.write(scope) as tx:
        tx.put_vpc(v)
        tx.add_group(g)
        tx.add_group(other)
        tx.add_rules(g, new)
    with any_store.read(scope) as tx:
        assert tx.rules_of([g.group_id]) == new
    clash = [f.rule(g, 5000), dataclasses.replace(new[20], rule_id=f.rule(g).rule_id)]
    with pytest.raises(IntegrityError), any_store.write(scope) as tx:
        tx.add_rules(g, clash)
    with any_store.read(scope) as tx:
        assert tx.rules_of([g.group_id]) == new


def test_rules_can_swap_identities_in_one_batch(any_store: SqlStore, scope: Scope) -> None:
    g = f.group(scope, "vpc-1")
    a, b, c = f.rule(g, 22), f.rule(g, 23), f.rule(g, 24)
    with any_store.write(scope) as tx:
        tx.put_group(g)
        tx.put_rules([a, b, c])
    swapped_a = dataclasses.replace(a, spec=b.spec)
    swapped_b = dataclasses.replace(b, spec=a.spec)
    with any_store.write(scope) as tx:
        tx.put_rules([swapped_a, swapped_b])
    with any_store.read(scope) as tx:
        assert tx.rules_of([g.group_id]) == [swapped_a, swapped_b, c]  # order kept


def test_duplicate_rule_identity_is_rejected(any_store: SqlStore, scope: Scope) -> None:
    g = f.group(scope, "vpc-1")
    with any_store.write(scope) as tx:
        tx.put_group(g)
        tx.put_rules([f.rule(g, 22)])
    with pytest.raises(IntegrityError), any_store.write(scope) as tx:
        tx.put_rules([f.rule(g, 22, description="same identity, new id")])


def test_group_names_are_unique_per_vpc_ignoring_case(any_store: SqlStore, scope: Scope) -> None:
    with any_store.write(scope) as tx:
        tx.put_group(f.group(scope, "vpc-1", "Web"))
        tx.put_group(f.group(scope, "vpc-2", "web"))  # another VPC: fine
    with pytest.raises(IntegrityError), any_store.write(scope) as tx:
        tx.put_group(f.group(scope, "vpc-1", "WEB"))


def test_delete_group_takes_rules_and_tags(any_store: SqlStore, scope: Scope) -> None:
    g = f.group(scope, "vpc-1")
    rules = [f.rule(g, p) for p in (1, 2, 3)]
    with any_store.write(scope) as tx:
        tx.put_group(g)
        tx.put_rules(rules)
        tx.set_tags(g.group_id, {"a": "1"})
        tx.set_tags(rules[0].rule_id, {"b": "2"})
    with any_store.write(scope) as tx:
        tx.delete_group(g.group_id)
    with any_store.read(scope) as tx:
        assert tx.get_group(g.group_id) is None
        assert tx.rules_of([g.group_id]) == []
        assert tx.get_rule(rules[0].rule_id) is None
        assert tx.tags_of(g.group_id) == {} and tx.tags_of(rules[0].rule_id) == {}
    changes = any_store.changes_since(any_store.revision() - 1)
    assert set(changes[0].resource_ids) == {g.group_id, *(r.rule_id for r in rules)}


def test_creation_order_survives_replacement(any_store: SqlStore, scope: Scope) -> None:
    groups = [f.group(scope, "vpc-1", f"g{i}") for i in range(5)]
    for g in groups:  # separate transactions, like separate API calls
        with any_store.write(scope) as tx:
            tx.put_group(g)
    renamed = dataclasses.replace(groups[0], description="changed")
    with any_store.write(scope) as tx:
        tx.put_group(renamed)
    with any_store.read(scope) as tx:
        assert tx.list_groups() == [renamed, *groups[1:]]


def test_scoping(any_store: SqlStore, scope: Scope) -> None:
    elsewhere = random_scope("eu-west-1")
    mine, theirs = f.group(scope, "vpc-1"), f.group(elsewhere, "vpc-9")
    v = f.vpc(elsewhere)
    ref = f.rule(mine, 80, f.group_peer(theirs))
    with any_store.write(elsewhere) as tx:
        tx.put_group(theirs)
        tx.put_vpc(v)
        tx.set_tags(v.vpc_id, {"x": "y"})
    with any_store.write(scope) as tx:
        tx.put_group(mine)
        tx.put_rules([ref])
    with any_store.read(scope) as tx:
        assert tx.list_groups() == [mine]
        assert tx.list_vpcs() == [] and tx.get_vpc(v.vpc_id) is None
        assert tx.list_tags() == []
        assert tx.get_group(theirs.group_id) == theirs  # ids resolve across scopes
    with any_store.read(elsewhere) as tx:
        assert tx.rules_referencing_group(theirs.group_id) == [ref]  # any scope
        assert tx.list_rules() == []
        assert tx.list_tags() == [(v.vpc_id, "x", "y")]


def test_prefix_list_versions(any_store: SqlStore, scope: Scope) -> None:
    a, b, c = (PrefixListEntry(f"10.0.{i}.0/24", f"e{i}") for i in range(3))
    pl = f.prefix_list(scope, (b, a), version=1)
    with any_store.write(scope) as tx:
        tx.put_prefix_list(pl)
    with any_store.read(scope) as tx:
        assert tx.get_prefix_list(pl.prefix_list_id) == dataclasses.replace(pl, entries=(a, b))
    b2 = PrefixListEntry(b.cidr, "renamed")
    v2 = dataclasses.replace(pl, version=2, entries=(b2, c))
    with any_store.write(scope) as tx:
        tx.put_prefix_list(v2)
    v3 = dataclasses.replace(v2, version=3, entries=(a,))
    with any_store.write(scope) as tx:
        tx.put_prefix_list(v3)
        # Same version: attributes change, entries are not touched.
        tx.put_prefix_list(dataclasses.replace(v3, name="new", max_entries=20, entries=()))
    with any_store.read(scope) as tx:
        got = tx.get_prefix_list(pl.prefix_list_id)
        assert got == dataclasses.replace(v3, name="new", max_entries=20)
        own, *aws = tx.list_prefix_lists()  # the scope's, then its region's AWS lists
        assert own == got and {p.owner_id for p in aws} == {"AWS"}
        assert tx.prefix_list_entries(pl.prefix_list_id, 1) == [a, b]
        assert tx.prefix_list_entries(pl.prefix_list_id, 2) == [b2, c]
        assert tx.prefix_list_entries(pl.prefix_list_id, 3) == [a]
        assert tx.prefix_list_entries(pl.prefix_list_id, 0) is None
        assert tx.prefix_list_entries(pl.prefix_list_id, 4) is None
        assert tx.prefix_list_entries("pl-00000000", 1) is None
    with pytest.raises(ValueError), any_store.write(scope) as tx:
        tx.put_prefix_list(dataclasses.replace(v3, version=2))
    with any_store.write(scope) as tx:
        tx.delete_prefix_list(pl.prefix_list_id)
    with any_store.read(scope) as tx:
        assert tx.get_prefix_list(pl.prefix_list_id) is None
        assert tx.prefix_list_entries(pl.prefix_list_id, 1) is None


def test_rules_referencing_prefix_list(any_store: SqlStore, scope: Scope) -> None:
    pl = f.prefix_list(scope)
    g = f.group(scope, "vpc-1")
    r = f.rule(g, 443, Peer(PeerKind.PREFIX_LIST, pl.prefix_list_id))
    with any_store.write(scope) as tx:
        tx.put_prefix_list(pl)
        tx.put_group(g)
        tx.put_rules([r, f.rule(g, 80)])
    with any_store.read(scope) as tx:
        assert tx.rules_referencing_prefix_list(pl.prefix_list_id) == [r]


def test_interfaces_and_instances_round_trip(any_store: SqlStore, scope: Scope) -> None:
    v = f.vpc(scope)
    sn, sn2 = f.subnet(scope, v.vpc_id), f.subnet(scope, v.vpc_id, cidr_block="10.0.2.0/24")
    g1, g2 = f.group(scope, v.vpc_id), f.group(scope, v.vpc_id)
    public_ip = f"198.51.100.{int(scope.account) % 250}"
    eni = f.interface(
        scope,
        sn,
        (g2.group_id, g1.group_id),  # order is kept, not sorted
        ipv6_addresses=("2600:1f18::10", "2600:1f18::11"),
        public_ip=public_ip,
        associate_public_ip=True,
        description="primary",
        delete_on_termination=True,
        source_dest_check=False,
        connection_tracking=ConnectionTracking(3600, 120, 15),
        connection_tracking_set=True,
    )
    inst = f.instance(scope, sn, eni.eni_id, key_name="k")
    eni = dataclasses.replace(
        eni, instance_id=inst.instance_id, device_index=0, attachment_id="eni-attach-1"
    )
    spare = f.interface(scope, sn2, (g1.group_id,), private_ip="10.0.2.10")
    with any_store.write(scope) as tx:
        tx.put_interface(eni)
        tx.put_interface(spare)
        tx.put_instance(inst)
        tx.set_tags(inst.instance_id, {"Name": "web"})
    with any_store.read(scope) as tx:
        assert tx.get_interface(eni.eni_id) == eni
        assert tx.list_interfaces() == [eni, spare]
        assert tx.list_interfaces(subnet_id=sn2.subnet_id) == [spare]
        assert tx.list_interfaces(instance_id=inst.instance_id) == [eni]
        assert tx.list_interfaces(group_id=g2.group_id) == [eni]
        assert tx.list_interfaces(vpc_id=v.vpc_id, group_id=g1.group_id) == [eni, spare]
        assert tx.count_interfaces() == 2
        assert tx.used_private_ips(sn.subnet_id) == {"10.0.1.10", *eni.ipv6_addresses}
        assert public_ip in tx.used_public_ips()
        assert tx.get_instance(inst.instance_id) == dataclasses.replace(
            inst, tags=(("Name", "web"),)
        )
        assert tx.list_instances([inst.instance_id, "i-00000000"]) == [
            tx.get_instance(inst.instance_id)
        ]
    stopped = dataclasses.replace(inst, state=InstanceState.STOPPED)
    detached = dataclasses.replace(eni, group_ids=(g1.group_id,), ipv6_addresses=(), public_ip=None)
    with any_store.write(scope) as tx:
        tx.put_instance(stopped)
        tx.put_interface(detached)
        tx.delete_interface(spare.eni_id)
    with any_store.read(scope) as tx:
        assert tx.get_instance(inst.instance_id).state is InstanceState.STOPPED  # type: ignore[union-attr]
        assert tx.list_interfaces() == [detached]
        assert tx.get_interface(spare.eni_id) is None
        assert public_ip not in tx.used_public_ips()


def test_used_public_ips_span_scopes(any_store: SqlStore, scope: Scope) -> None:
    other = random_scope("us-west-2")
    sn = f.subnet(other, "vpc-1")
    eni = f.interface(other, sn, (), public_ip="203.0.113.77")
    with any_store.write(other) as tx:
        tx.put_interface(eni)
    with any_store.read(scope) as tx:
        assert "203.0.113.77" in tx.used_public_ips()
    with any_store.write(other) as tx:
        tx.delete_interface(eni.eni_id)


def test_tags(any_store: SqlStore, scope: Scope) -> None:
    v = f.vpc(scope)
    with any_store.write(scope) as tx:
        tx.put_vpc(v)
        tx.set_tags(v.vpc_id, {"b": "2", "a": "1", "C": ""})
    with any_store.read(scope) as tx:
        assert tx.get_vpc(v.vpc_id).tags == (("C", ""), ("a", "1"), ("b", "2"))  # type: ignore[union-attr]
        assert tx.tags_of(v.vpc_id) == {"C": "", "a": "1", "b": "2"}
        assert tx.list_tags() == [(v.vpc_id, "C", ""), (v.vpc_id, "a", "1"), (v.vpc_id, "b", "2")]
    with any_store.write(scope) as tx:
        tx.set_tags(v.vpc_id, {"a": "9"})
    with any_store.read(scope) as tx:
        assert tx.tags_of(v.vpc_id) == {"a": "9"}
    with any_store.write(scope) as tx:
        tx.set_tags(v.vpc_id, {})
    with any_store.read(scope) as tx:
        assert tx.tags_of(v.vpc_id) == {} and tx.get_vpc(v.vpc_id) == v


def test_put_ignores_the_tags_field(any_store: SqlStore, scope: Scope) -> None:
    v = f.vpc(scope, tags=(("ignored", "yes"),))
    with any_store.write(scope) as tx:
        tx.put_vpc(v)
    with any_store.read(scope) as tx:
        assert tx.get_vpc(v.vpc_id).tags == ()  # type: ignore[union-attr]


def test_partition_initialisation(any_store: SqlStore, scope: Scope) -> None:
    with any_store.read(scope) as tx:
        assert not tx.is_initialized()
    with any_store.write(scope) as tx:
        tx.mark_initialized()
        tx.mark_initialized()
        assert tx.is_initialized()
    with any_store.read(scope) as tx:
        assert tx.is_initialized()
    with any_store.read(random_scope()) as tx:
        assert not tx.is_initialized()


def test_snapshot(any_store: SqlStore, scope: Scope) -> None:
    elsewhere = random_scope()
    foreign = f.group(elsewhere, "vpc-9")
    unrelated = f.group(elsewhere, "vpc-9")
    v = f.vpc(scope)
    sn = f.subnet(scope, v.vpc_id)
    g = f.group(scope, v.vpc_id)
    r = f.rule(g, 5432, f.group_peer(foreign))
    pl = f.prefix_list(scope, (PrefixListEntry("192.0.2.0/24"),))
    eni = f.interface(scope, sn, (g.group_id,))
    inst = f.instance(scope, sn, eni.eni_id)
    gw = f.igw(scope, vpc_id=v.vpc_id)
    with any_store.write(elsewhere) as tx:
        tx.put_group(foreign)
        tx.put_group(unrelated)
        tx.set_tags(foreign.group_id, {"team": "db"})
    with any_store.write(scope) as tx:
        tx.put_vpc(v)
        tx.put_subnet(sn)
        tx.put_internet_gateway(gw)
        tx.put_group(g)
        tx.put_rules([r])
        tx.put_prefix_list(pl)
        tx.put_interface(eni)
        tx.put_instance(inst)
    with any_store.read(scope) as tx:
        snap = tx.snapshot()
    assert snap.revision == any_store.revision()
    assert snap.vpcs == (v,) and snap.subnets == (sn,) and snap.internet_gateways == (gw,)
    assert snap.groups == (g, dataclasses.replace(foreign, tags=(("team", "db"),)))
    assert snap.rules == (r,)
    assert snap.prefix_lists[:1] == (pl,)  # then the region's AWS-managed lists
    assert {p.owner_id for p in snap.prefix_lists[1:]} == {"AWS"}
    assert snap.interfaces == (eni,) and snap.instances == (inst,)
    assert snap.members_by_group[g.group_id] == (eni,)


# -- SQLite-specific and store-level behaviour ----------------------------------------------


def _count_selects(store: SqlStore) -> list[str]:
    statements: list[str] = []

    @event.listens_for(store._engine, "before_cursor_execute")
    def _record(conn, cursor, statement, *args):  # noqa: ANN001, ANN202
        statements.append(statement)

    return statements


def _fill(store: SqlStore, scope: Scope, groups: int, rules_per_group: int) -> None:
    v = f.vpc(scope)
    with store.write(scope) as tx:
        tx.put_vpc(v)
        for i in range(groups):
            g = f.group(scope, v.vpc_id, f"g{i}")
            tx.put_group(g)
            tx.set_tags(g.group_id, {"Name": f"g{i}"})
            tx.put_rules([f.rule(g, port) for port in range(rules_per_group)])


def test_snapshot_uses_a_constant_number_of_queries(store: SqlStore) -> None:
    small, large = random_scope(), random_scope()
    _fill(store, small, 2, 1)
    _fill(store, large, 200, 3)
    statements = _count_selects(store)
    counts = []
    for scope in (small, large):
        statements.clear()
        with store.read(scope) as tx:
            tx.snapshot()
        counts.append(len(statements))
    assert counts[0] == counts[1] < 25


def test_snapshot_of_2500_groups_is_complete(store: SqlStore, scope: Scope) -> None:
    """Its speed is measured in bench/api.py (describe_security_groups_2500_server_side);
    that it costs a constant number of queries is the test above."""
    _fill(store, scope, 2500, 3)
    with store.read(scope) as tx:
        snap = tx.snapshot()
    assert len(snap.groups) == 2500 and len(snap.rules) == 7500
    assert len({g.group_id for g in snap.groups}) == 2500


def test_revision_bumps_once_per_write_that_changed_something(
    any_store: SqlStore, scope: Scope
) -> None:
    start = any_store.revision()
    with any_store.write(scope) as tx:
        for _ in range(3):
            tx.put_vpc(f.vpc(scope))
    assert any_store.revision() == start + 1
    with any_store.read(scope) as tx:
        tx.list_vpcs()
    with any_store.write(scope) as tx:
        tx.list_vpcs()
        tx.delete_vpc("vpc-00000000")  # absent: writes nothing
        tx.delete_rules(["sgr-00000000"])
        tx.delete_group("sg-00000000")
    assert any_store.revision() == start + 1
    with any_store.write(scope) as tx:
        tx.touch("sg-12345678")  # an explicit change record counts as a write
    assert any_store.revision() == start + 2
    assert any_store.changes_since(start + 1)[-1].resource_ids == ("sg-12345678",)


def test_rollback_on_exception_leaves_nothing(any_store: SqlStore, scope: Scope) -> None:
    seen: list[Change] = []
    any_store.subscribe(seen.append)
    start = any_store.revision()
    v = f.vpc(scope)
    with pytest.raises(KeyError), any_store.write(scope) as tx:
        tx.put_vpc(v)
        tx.set_tags(v.vpc_id, {"a": "b"})
        tx.mark_initialized()
        raise KeyError("boom")
    assert any_store.revision() == start and seen == []
    with any_store.read(scope) as tx:
        assert tx.list_vpcs() == [] and tx.tags_of(v.vpc_id) == {} and not tx.is_initialized()
    assert any_store.changes_since(start) == []


def test_change_log_and_subscribers(
    any_store: SqlStore, scope: Scope, caplog: pytest.LogCaptureFixture
) -> None:
    seen: list[Change] = []

    def broken(change: Change) -> None:
        raise RuntimeError("subscriber bug")

    any_store.subscribe(broken)
    unsubscribe = any_store.subscribe(seen.append)
    start = any_store.revision()
    g = f.group(scope, "vpc-1")
    r = f.rule(g)
    with caplog.at_level(logging.ERROR, logger="stockade.store.sql"):
        with any_store.write(scope) as tx:
            tx.put_group(g)
            tx.touch("vpc-1")
        with any_store.write(scope) as tx:
            tx.put_rules([r])
    assert "subscriber bug" in caplog.text
    expected = [
        Change(start + 1, scope.account, scope.region, (g.group_id, "vpc-1")),
        Change(start + 2, scope.account, scope.region, (g.group_id, r.rule_id)),
    ]
    assert seen == expected
    assert any_store.changes_since(start) == expected
    assert any_store.changes_since(start + 1) == expected[1:]
    unsubscribe()
    with any_store.write(scope) as tx:
        tx.delete_rules([r.rule_id])
    assert len(seen) == 2


def test_a_second_store_sees_commits(db_path: Path, store: SqlStore, scope: Scope) -> None:
    other = SqlStore.open(f"sqlite:///{db_path}")
    try:
        v = f.vpc(scope)
        with store.write(scope) as tx:
            tx.put_vpc(v)
        assert other.revision() == store.revision() == 1
        with other.read(scope) as tx:
            assert tx.list_vpcs() == [v]
        assert [c.resource_ids for c in other.changes_since(0)] == [(v.vpc_id,)]
    finally:
        other.close()


def test_wait_for_change(db_path: Path, store: SqlStore, scope: Scope) -> None:
    other = SqlStore.open(str(db_path))
    try:
        start = time.monotonic()
        assert store.wait_for_change(0, timeout=0.1) == 0
        assert 0.09 <= time.monotonic() - start < 1.0

        def commit_later(target: SqlStore) -> None:
            time.sleep(0.1)
            with target.write(scope) as tx:
                tx.touch("vpc-1")

        for committer, expected in ((store, 1), (other, 2)):  # local commit, then "remote"
            thread = threading.Thread(target=commit_later, args=(committer,))
            thread.start()
            start = time.monotonic()
            assert store.wait_for_change(expected - 1, timeout=5) == expected
            assert time.monotonic() - start < 1.0
            thread.join()
    finally:
        other.close()


def test_read_transactions_cannot_write(store: SqlStore, scope: Scope) -> None:
    with store.read(scope) as tx, pytest.raises(RuntimeError):
        tx.put_vpc(f.vpc(scope))
    with store.read(scope) as tx:
        pass
    with pytest.raises(RuntimeError):
        tx.list_vpcs()  # the transaction has ended


def test_nested_write_in_one_thread_fails_fast(store: SqlStore, scope: Scope) -> None:
    with store.write(scope) as tx:
        tx.touch("x")
        with store.read(scope) as inner:  # reading beside a write is fine
            inner.list_vpcs()
        with pytest.raises(RuntimeError), store.write(scope):
            pass
    assert store.revision() == 1


def test_nested_transactions_on_a_memory_store_fail_fast(scope: Scope) -> None:
    mem = SqlStore.open("sqlite://")
    try:
        with mem.read(scope), pytest.raises(RuntimeError), mem.read(scope):
            pass
        with mem.read(scope) as tx:  # the lock was released
            assert tx.list_vpcs() == []
    finally:
        mem.close()


def test_sqlite_settings_and_begin_modes(store: SqlStore, scope: Scope) -> None:
    with store._engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    statements = _trace_statements(store)
    with store.write(scope) as tx:
        tx.touch("x")
    with store.read(scope):
        pass
    begins = [st for st in statements if st.startswith("BEGIN")]
    assert begins == ["BEGIN IMMEDIATE", "BEGIN DEFERRED"]


def test_open_accepts_paths_and_urls(tmp_path: Path, scope: Scope) -> None:
    nested = tmp_path / "a" / "b" / "c.db"
    for target in (str(nested), f"sqlite:///{tmp_path / 'x' / 'y.db'}", "sqlite://"):
        opened = SqlStore.open(target)
        try:
            with opened.write(scope) as tx:
                tx.put_vpc(f.vpc(scope))
            assert opened.revision() == 1
        finally:
            opened.close()
    assert nested.exists()
    with pytest.raises(ValueError):
        SqlStore.open("mysql://localhost/x")


def test_database_urls() -> None:
    assert database_url("rel/x.db").database == str(Path("rel/x.db").resolve())
    assert database_url("postgresql://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("postgresql+psycopg://u@h/db").drivername == "postgresql+psycopg"
    assert database_url("sqlite:////tmp/a.db").database == "/tmp/a.db"


def test_memory_store_serialises_threads(scope: Scope) -> None:
    mem = SqlStore.open("sqlite://")
    try:
        g = f.group(scope, "vpc-1")
        with mem.write(scope) as tx:
            tx.put_group(g)

        def add_rules() -> None:
            for _ in range(10):
                with mem.write(scope) as tx:
                    tx.put_rules([f.rule(g, len(tx.rules_of([g.group_id])))])

        threads = [threading.Thread(target=add_rules) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with mem.read(scope) as tx:
            assert len(tx.rules_of([g.group_id])) == 40
    finally:
        mem.close()


def test_closed_store_refuses_use(store: SqlStore, scope: Scope) -> None:
    store.close()
    with pytest.raises(RuntimeError):
        store.revision()
