"""Migration 0012: ``sg_rules`` and ``security_groups`` keyed by ``seq`` (SQLite's rowid),
their ids unique, no scope index -- on a fresh store and on one upgraded from 0011."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from stockade.domain.scope import Scope
from stockade.store import migrations
from stockade.store.sql import SqlStore
from store import store_factories as f
from store.migrated import empty_database, migrated_to, schema_diffs
from store.store_factories import random_scope


def _plan(store: SqlStore, query: str) -> str:
    with store._engine.connect() as conn:
        return " ".join(row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {query}"))


@pytest.mark.parametrize(
    ("table", "key"), [("sg_rules", "rule_id"), ("security_groups", "group_id")]
)
def test_sqlite_rules_and_groups_are_stored_in_creation_order(
    store: SqlStore, table: str, key: str
) -> None:
    """``seq`` is the rowid: a scope's rows come in key order with no sort and no scope
    index; a row by id goes through the id's unique index."""
    with store._engine.connect() as conn:
        indexes = {
            row[0]
            for row in conn.exec_driver_sql(
                f"SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '{table}'"
            )
        }
    assert f"ix_{table}_scope" not in indexes
    scan = _plan(
        store, f"SELECT {key} FROM {table} WHERE account = 'a' AND region = 'r' ORDER BY seq"
    )
    assert scan == f"SCAN {table}"  # no "USE TEMP B-TREE FOR ORDER BY"
    by_id = _plan(store, f"SELECT seq FROM {table} WHERE {key} = 'x-1'")
    assert f"({key}=?)" in by_id and "sqlite_autoindex" in by_id
    by_seq = _plan(store, f"SELECT {key} FROM {table} WHERE seq = 7")
    assert "USING INTEGER PRIMARY KEY (rowid=?)" in by_seq


def test_a_scopes_rules_list_in_creation_order_among_other_scopes(any_store: SqlStore) -> None:
    a, b = random_scope(), random_scope()
    ga, gb = f.group(a, "vpc-1"), f.group(b, "vpc-2")
    with any_store.write(a) as tx:
        tx.put_group(ga)
    with any_store.write(b) as tx:
        tx.put_group(gb)
    made: dict[str, list[str]] = {a.account: [], b.account: []}
    for port in range(20, 30):  # the scopes' rules interleave in the table
        for scope, group in ((a, ga), (b, gb)):
            rule = f.rule(group, port)
            with any_store.write(scope) as tx:
                tx.put_rules([rule])
            made[scope.account].append(rule.rule_id)
    for scope in (a, b):
        with any_store.read(scope) as tx:
            assert [r.rule_id for r in tx.list_rules()] == made[scope.account]
    with any_store.write(a) as tx:  # a rewritten rule keeps its place
        first = tx.get_rule(made[a.account][0])
        assert first is not None
        tx.put_rules([dataclasses.replace(first, description="changed")])
    with any_store.read(a) as tx:
        assert [r.rule_id for r in tx.list_rules()] == made[a.account]


# -- upgrading a store made at 0011 ----------------------------------------------------------

_GROUP = (
    "INSERT INTO security_groups (group_id, seq, account, region, vpc_id, name, name_key, "
    "description) VALUES (:id, :seq, :account, 'us-east-1', 'vpc-0a', :id, :id, 'd')"
)
_RULE = (
    "INSERT INTO sg_rules (rule_id, seq, account, region, group_id, owner_id, is_egress, "
    "protocol, from_port, to_port, peer_kind, peer_value, peer_owner, description) VALUES "
    "(:id, :seq, :account, 'us-east-1', :group, :account, false, 'tcp', :port, :port, "
    "'cidr-ipv4', '10.0.0.0/8', '', :description)"
)
A, B = "111111111111", "222222222222"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_from_0011(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database at 0011 with two scopes' rules interleaved, random ids out of seq order."""
    url = empty_database(request.param, tmp_path)
    with migrated_to(url, "0011") as conn:
        for seq, (gid, account) in enumerate((("sg-0a1", A), ("sg-0b1", B)), start=1):
            conn.execute(text(_GROUP), {"id": gid, "seq": seq, "account": account})
        for seq, (rid, group, account, port) in enumerate(
            (
                ("sgr-0f", "sg-0a1", A, 22),
                ("sgr-01", "sg-0b1", B, 22),
                ("sgr-0c", "sg-0a1", A, 80),
                ("sgr-03", "sg-0a1", A, 443),
            ),
            start=3,
        ):
            params = {"id": rid, "seq": seq, "account": account, "group": group, "port": port}
            conn.execute(text(_RULE), {**params, "description": f"rule {rid}"})
        conn.execute(text("UPDATE store_revision SET revision = 1, next_seq = 7"))
    yield url


def test_a_store_from_0011_keeps_its_rules_their_order_and_their_cascade(
    store_from_0011: str,
) -> None:
    store = SqlStore.open(store_from_0011)  # upgrades to head
    try:
        assert schema_diffs(store) == []
        a, b = Scope(A, "us-east-1"), Scope(B, "us-east-1")
        with store.read(a) as tx:
            assert [r.rule_id for r in tx.list_rules()] == ["sgr-0f", "sgr-0c", "sgr-03"]
            assert [r.rule_id for r in tx.rules_of(["sg-0a1"])] == ["sgr-0f", "sgr-0c", "sgr-03"]
            rule = tx.get_rule("sgr-0c")
            assert rule is not None and rule.description == "rule sgr-0c"
        with store.write(a) as tx:
            group = tx.get_group("sg-0a1")
            assert group is not None
            tx.add_rules(group, [f.rule(group, 8080)])
        with store.read(a) as tx:
            assert [r.spec.from_port for r in tx.list_rules()] == [22, 80, 443, 8080]
        with store.write(a) as tx:
            tx.delete_group("sg-0a1")
        with store.read(a) as tx:
            assert tx.list_rules() == []  # the foreign key's cascade survived the copy
        with store.read(b) as tx:
            assert [r.rule_id for r in tx.list_rules()] == ["sgr-01"]
    finally:
        store.close()


def test_downgrading_to_0011_and_back_keeps_the_rules(tmp_path: Path) -> None:
    path = tmp_path / "down.db"
    store = SqlStore.open(str(path))
    scope = random_scope()
    group = f.group(scope, "vpc-1")
    rules = [f.rule(group, port) for port in (22, 80)]
    with store.write(scope) as tx:
        tx.put_group(group)
        tx.put_rules(rules)
    store.close()
    with migrated_to(f"sqlite:///{path}", "0011", down=True) as conn:
        names = {row[0] for row in conn.exec_driver_sql("SELECT name FROM sqlite_master")}
        assert "ix_sg_rules_scope" in names
    store = SqlStore.open(str(path))
    try:
        with store.read(scope) as tx:
            assert tx.list_rules() == rules
    finally:
        store.close()


def test_the_migration_renders_offline_for_both_dialects() -> None:
    sqlite_sql = migrations.offline_sql("sqlite")
    assert "ALTER TABLE sg_rules_copy RENAME TO sg_rules" in sqlite_sql
    postgres_sql = migrations.offline_sql("postgresql")
    assert "ADD CONSTRAINT pk_sg_rules PRIMARY KEY (seq)" in postgres_sql
    assert "ADD CONSTRAINT pk_security_groups PRIMARY KEY (seq)" in postgres_sql
    assert (
        "CREATE TRIGGER scope_counts_group_added" in sqlite_sql.rsplit("RENAME TO sg_rules", 1)[1]
    )
