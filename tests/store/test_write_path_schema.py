"""Migration 0009 (the write path's schema): the per-scope group counter, the rules' leaner
indexes and SQLite's rowid change log -- on a fresh store and on one upgraded from 0008."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from stockade.domain.scope import Scope
from stockade.domain.security_group import Peer, PeerKind
from stockade.store import migrations
from stockade.store import schema as s
from stockade.store.sql import SqlStore
from store import store_factories as f
from store.migrated import empty_database, migrated_to, schema_diffs
from store.store_factories import random_scope


def _counted(store: SqlStore, scope: Scope) -> tuple[int, int]:
    """The scope's group count as the quota check reads it, and as the groups are."""
    with store.read(scope) as tx:
        return tx.count_groups(), len(tx.list_groups())


def test_group_count_follows_every_way_groups_are_written(any_store: SqlStore) -> None:
    a, b = random_scope(), random_scope()
    with any_store.write(a) as tx:
        added = [f.group(a, "vpc-1") for _ in range(3)]
        for g in added:
            tx.add_group(g)
        put = f.group(a, "vpc-1")
        tx.put_group(put)  # an import's insert
    assert _counted(any_store, a) == (4, 4)
    assert _counted(any_store, b) == (0, 0)
    with any_store.write(a) as tx:
        tx.put_group(dataclasses.replace(put, description="replaced"))  # same row again
    assert _counted(any_store, a) == (4, 4)
    moved = dataclasses.replace(added[0], owner_id=b.account)  # the row changes scope
    with any_store.write(a) as tx:
        tx.put_group(moved)
    assert _counted(any_store, a) == (3, 3)
    assert _counted(any_store, b) == (1, 1)
    with any_store.write(a) as tx:
        tx.put_rules([f.rule(added[1], 22), f.rule(added[1], 23)])
        tx.delete_group(added[1].group_id)
        tx.delete_group(added[1].group_id)  # gone already: nothing counted twice
    assert _counted(any_store, a) == (2, 2)


def test_a_rejected_write_leaves_the_count_as_it_was(any_store: SqlStore) -> None:
    scope = random_scope()
    with any_store.write(scope) as tx:
        tx.add_group(f.group(scope, "vpc-1", name="web"))
    with pytest.raises(RuntimeError), any_store.write(scope) as tx:
        tx.add_group(f.group(scope, "vpc-1"))
        raise RuntimeError("the call is refused after its insert")
    assert _counted(any_store, scope) == (1, 1)


def test_rules_are_found_by_group_and_by_reference_without_their_old_indexes(
    any_store: SqlStore,
) -> None:
    """The by-group look-ups go through the identity constraint (in ``seq`` order), the
    by-reference ones through the partial index (CIDR rules are not in it)."""
    scope = random_scope()
    web, db = f.group(scope, "vpc-1"), f.group(scope, "vpc-1")
    by_group = f.rule(db, 5432, Peer(PeerKind.GROUP, web.group_id, scope.account))
    by_list = f.rule(db, 443, Peer(PeerKind.PREFIX_LIST, "pl-0123456789abcdef0"))
    cidrs = [f.rule(db, port, f.cidr_peer(f"10.{port}.0.0/16")) for port in (22, 80, 8080)]
    with any_store.write(scope) as tx:
        tx.put_group(web)
        tx.put_group(db)
        tx.put_rules([cidrs[0], by_group, cidrs[1], by_list, cidrs[2]])
    with any_store.read(scope) as tx:
        assert tx.rules_of([db.group_id]) == [cidrs[0], by_group, cidrs[1], by_list, cidrs[2]]
        assert tx.rules_referencing_group(web.group_id) == [by_group]
        assert tx.rules_referencing_prefix_list("pl-0123456789abcdef0") == [by_list]
        assert tx.rules_referencing_group(db.group_id) == []


def test_sqlite_rules_and_change_log_carry_no_index_they_do_not_use(store: SqlStore) -> None:
    with store._engine.connect() as conn:
        indexes = conn.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'change_log'"
        ).all()
        plans = {
            query: " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))
            for query in (
                "SELECT rule_id FROM sg_rules WHERE group_id = 'sg-1' ORDER BY seq",
                "SELECT rule_id FROM sg_rules WHERE peer_value = 'sg-1' AND peer_kind = 'group' "
                f"AND {s.REFERENCE_PEERS.text}",
            )
        }
    assert indexes == []  # the revision is the rowid: no primary-key index beside it
    by_group, by_reference = plans.values()
    assert "sqlite_autoindex_sg_rules_2 (group_id=?)" in by_group  # uq_sg_rules_identity
    assert "ix_sg_rules_reference (peer_value=? AND peer_kind=?)" in by_reference


# -- upgrading a store made at 0008 ----------------------------------------------------------

_GROUP = (
    "INSERT INTO security_groups (group_id, seq, account, region, vpc_id, name, name_key, "
    "description) VALUES (:id, :seq, :account, 'us-east-1', 'vpc-0a', :name, :name, 'd')"
)
_RULE = (
    "INSERT INTO sg_rules (rule_id, seq, account, region, group_id, owner_id, is_egress, "
    "protocol, from_port, to_port, peer_kind, peer_value, peer_owner, description) VALUES "
    "(:id, :seq, :account, 'us-east-1', :group, :account, false, 'tcp', :port, :port, :kind, "
    ":value, '', NULL)"
)
_LOG = (
    "INSERT INTO change_log (revision, account, region, resource_ids, committed_at) VALUES "
    "(:revision, :account, 'us-east-1', :ids, '2026-12-01 10:00:00.000000+00:00')"
)
A, B = "111111111111", "222222222222"


@pytest.fixture(params=["sqlite", "postgresql"])
def old_store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0008 with groups in two scopes, rules (one a group reference)
    and three logged changes, as the previous version of stockade left it."""
    url = empty_database(request.param, tmp_path)
    with migrated_to(url, "0008") as conn:
        for seq, (gid, account) in enumerate(
            (("sg-0a1", A), ("sg-0a2", A), ("sg-0a3", A), ("sg-0b1", B)), start=1
        ):
            conn.execute(text(_GROUP), {"id": gid, "seq": seq, "account": account, "name": gid})
        for seq, (rid, port, kind, value) in enumerate(
            (
                ("sgr-01", 22, "cidr-ipv4", "10.0.0.0/8"),
                ("sgr-02", 5432, "group", "sg-0a2"),
                ("sgr-03", 443, "cidr-ipv4", "0.0.0.0/0"),
            ),
            start=5,
        ):
            params = {"id": rid, "seq": seq, "account": A, "group": "sg-0a1", "port": port}
            conn.execute(text(_RULE), {**params, "kind": kind, "value": value})
        for revision, account, ids in ((1, A, ["sg-0a1"]), (2, B, ["sg-0b1"]), (3, A, ["x"])):
            conn.execute(
                text(_LOG), {"revision": revision, "account": account, "ids": json.dumps(ids)}
            )
        conn.execute(text("UPDATE store_revision SET revision = 3, next_seq = 8"))
    yield url


def test_a_store_from_0008_upgrades_reads_the_same_and_counts_right(old_store_url: str) -> None:
    store = SqlStore.open(old_store_url)  # upgrades to head
    try:
        assert schema_diffs(store) == []
        a, b = Scope(A, "us-east-1"), Scope(B, "us-east-1")
        with store.read(a) as tx:
            assert [g.group_id for g in tx.list_groups()] == ["sg-0a1", "sg-0a2", "sg-0a3"]
            assert [r.rule_id for r in tx.rules_of(["sg-0a1"])] == ["sgr-01", "sgr-02", "sgr-03"]
            assert [r.rule_id for r in tx.rules_referencing_group("sg-0a2")] == ["sgr-02"]
        assert _counted(store, a) == (3, 3)
        assert _counted(store, b) == (1, 1)
        assert [(c.revision, c.account, c.resource_ids) for c in store.changes_since(0)] == [
            (1, A, ("sg-0a1",)),
            (2, B, ("sg-0b1",)),
            (3, A, ("x",)),
        ]
        added = f.group(a, "vpc-0a")
        with store.write(a) as tx:
            tx.add_group(added)
            tx.delete_group("sg-0a3")
            tx.add_group(f.group(a, "vpc-0a"))
        assert _counted(store, a) == (4, 4)
        assert [c.revision for c in store.changes_since(3)] == [4]
        with store.read(a) as tx:
            assert tx.list_groups()[-2] == added  # creation order continues after the old
    finally:
        store.close()


def test_the_migration_renders_offline_for_both_dialects() -> None:
    """Batch mode is given ``change_log``'s old definition (offline there is nothing to
    reflect), and each dialect gets its own triggers."""
    sqlite_sql = migrations.offline_sql("sqlite")
    assert "CREATE TRIGGER scope_counts_group_added" in sqlite_sql
    assert "_alembic_tmp_change_log (\n    revision INTEGER NOT NULL" in sqlite_sql
    postgres_sql = migrations.offline_sql("postgresql")
    assert "EXECUTE FUNCTION scope_counts_follow_groups()" in postgres_sql
    assert "_alembic_tmp_change_log" not in postgres_sql


def test_downgrading_to_0008_and_back_keeps_the_data(tmp_path: Path) -> None:
    path = tmp_path / "down.db"
    store = SqlStore.open(str(path))
    scope = random_scope()
    kept = f.group(scope, "vpc-1")
    with store.write(scope) as tx:
        tx.add_group(kept)
    store.close()
    with migrated_to(f"sqlite:///{path}", "0008", down=True) as conn:
        assert conn.exec_driver_sql("SELECT revision FROM change_log").all() == [(1,)]
    store = SqlStore.open(str(path))  # up again: the count is rebuilt from the groups
    try:
        assert _counted(store, scope) == (1, 1)
        with store.read(scope) as tx:
            assert tx.get_group(kept.group_id) == kept
    finally:
        store.close()


def test_rule_identities_are_read_from_the_identity_index_alone() -> None:
    """``rule_specs_of`` reads exactly the identity constraint's columns after ``group_id``
    (SQLite then answers from that index, never the table), and SQLite's plan says so."""
    import sqlite3

    from sqlalchemy.dialects import sqlite
    from sqlalchemy.schema import CreateIndex, CreateTable

    from stockade.store import mapping
    from stockade.store import schema as s
    from stockade.store.transaction import _RULE_SPECS_OF_GROUP

    identity = next(c for c in s.sg_rules.constraints if c.name == "uq_sg_rules_identity")
    assert tuple(column.name for column in identity.columns) == ("group_id", *mapping.SPEC_COLUMNS)
    dialect = sqlite.dialect()
    conn = sqlite3.connect(":memory:")
    conn.execute(str(CreateTable(s.sg_rules).compile(dialect=dialect)))
    for index in s.sg_rules.indexes:
        conn.execute(str(CreateIndex(index).compile(dialect=dialect)))
    sql = str(_RULE_SPECS_OF_GROUP.statement.compile(dialect=dialect))
    plan = " ".join(row[3] for row in conn.execute("EXPLAIN QUERY PLAN " + sql, ("sg-1",)))
    assert "COVERING INDEX" in plan, plan


def _page_size(path: Path) -> int:
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("PRAGMA page_size").fetchone()[0])
    finally:
        conn.close()


def test_a_new_sqlite_store_has_small_pages_and_an_old_one_keeps_its_own(tmp_path: Path) -> None:
    """New stores are made with ``SQLITE_PAGE_SIZE`` pages (fewer bytes per commit); a
    store made before keeps its page size and works as before."""
    import sqlite3

    from stockade.domain.permissions import IpPermission
    from stockade.service.context import ServiceContext
    from stockade.service.groups import GroupService
    from stockade.service.rules import RuleService
    from stockade.store.engines import SQLITE_PAGE_SIZE

    new = tmp_path / "new.db"
    with SqlStore.open(str(new)) as store:
        GroupService(ServiceContext(store, random_scope())).describe()
    assert _page_size(new) == SQLITE_PAGE_SIZE == 1024

    old = tmp_path / "old.db"
    made = sqlite3.connect(old)  # a store file from before: SQLite's default 4 KiB pages
    made.execute("PRAGMA page_size = 4096")
    made.execute("PRAGMA journal_mode = WAL")
    made.close()
    scope = random_scope()
    for _ in range(2):  # written, closed, opened again: the pages stay as they were
        with SqlStore.open(str(old)) as store:
            ctx = ServiceContext(store, scope)
            gid = GroupService(ctx).create(f"web-{_}", "d").group.group_id
            RuleService(ctx).authorize(gid, [IpPermission("tcp", 22, 22, (("10.0.0.0/8", None),))])
        assert _page_size(old) == 4096
    with SqlStore.open(str(old)) as store:
        assert len(GroupService(ServiceContext(store, scope)).describe()) == 3  # default too
