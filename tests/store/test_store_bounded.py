"""No store statement binds an unbounded number of values (issue 10, item 7).

PostgreSQL refuses a statement of more than 65,535 parameters and SQLite one of more than
its ``SQLITE_MAX_VARIABLE_NUMBER``; every method taking a list of ids used to put all of
them in one ``IN (…)``. Here SQLite connections are limited to 999 variables (the
historical default), so the same failure shows on SQLite without a huge input, and the
PostgreSQL run (``STOCKADE_TEST_POSTGRES_URL``) meets the real protocol limit.
"""

from __future__ import annotations

import dataclasses
import sqlite3

import pytest
from sqlalchemy import event

from stockade.domain.scope import Scope
from stockade.store import batching
from stockade.store.sql import SqlStore
from store import store_factories as f

SQLITE_VARIABLES = 999
#: More ids than PostgreSQL accepts as parameters of one statement.
OVER_POSTGRES_LIMIT = 66_000


def _limit_sqlite_variables(store: SqlStore) -> None:
    if store.dialect != "sqlite":
        return

    @event.listens_for(store._engine, "connect")
    def _limit(dbapi_connection, _record):  # noqa: ANN001, ANN202
        dbapi_connection.setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, SQLITE_VARIABLES)

    store._engine.dispose()  # pooled connections were opened without the limit


def _fake_ids(prefix: str, count: int) -> list[str]:
    return [f"{prefix}-{n:017x}" for n in range(1, count + 1)]


def test_id_lists_of_any_length(any_store: SqlStore, scope: Scope) -> None:
    _limit_sqlite_variables(any_store)
    vpc = f.vpc(scope)
    groups = [f.group(scope, vpc.vpc_id) for _ in range(3)]
    rules = [f.rule(g, port) for g in groups for port in (22, 80)]
    with any_store.write(scope) as tx:
        tx.put_vpc(vpc)
        for g in groups:
            tx.put_group(g)
        tx.put_rules(rules)
    many_groups = _fake_ids("sg", OVER_POSTGRES_LIMIT) + [g.group_id for g in groups]
    many_rules = _fake_ids("sgr", OVER_POSTGRES_LIMIT) + [rules[0].rule_id]
    with any_store.read(scope) as tx:
        assert tx.list_groups(group_ids=many_groups) == groups
        assert tx.rules_of(many_groups) == rules
        assert tx.list_instances(_fake_ids("i", OVER_POSTGRES_LIMIT)) == []
    with any_store.write(scope) as tx:
        tx.delete_rules(many_rules)
    with any_store.read(scope) as tx:
        assert tx.list_rules() == rules[1:]


def test_many_rules_in_one_put(any_store: SqlStore, scope: Scope) -> None:
    """The import's path: one call putting more rules than one statement may bind."""
    _limit_sqlite_variables(any_store)
    g = f.group(scope, "vpc-1")
    count = OVER_POSTGRES_LIMIT if any_store.dialect == "postgresql" else 5_000
    rules = [
        f.rule(
            g,
            port % 65_536,
            f.cidr_peer(f"10.{port // 256 % 256}.{port % 256}.0/24"),
            egress=port >= 65_536,
        )
        for port in range(count)
    ]
    with any_store.write(scope) as tx:
        tx.put_group(g)
        tx.put_rules(rules)
    replaced = [dataclasses.replace(r, description="again") for r in rules[:1_200]]
    with any_store.write(scope) as tx:  # these replace stored rules (deleted in slices)
        tx.put_rules(replaced)
    with any_store.read(scope) as tx:
        assert tx.rules_of([g.group_id]) == replaced + rules[1_200:]


def test_slices_keep_order_and_whole_batch_semantics(
    any_store: SqlStore, scope: Scope, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Split in slices of 7, a selection still comes back in creation order, and a batch
    whose rules trade identities across slice boundaries still lands as a whole."""
    monkeypatch.setattr(batching, "MAX_BOUND_VALUES", 7)
    vpc = f.vpc(scope)
    groups = [f.group(scope, vpc.vpc_id) for _ in range(20)]
    g = groups[0]
    rules = [f.rule(g, port) for port in range(1, 31)]
    with any_store.write(scope) as tx:
        for group in groups:
            tx.put_group(group)
        tx.put_rules(rules)
    rotated = [
        dataclasses.replace(rule, spec=rules[(i + 1) % len(rules)].spec)
        for i, rule in enumerate(rules)
    ]
    with any_store.write(scope) as tx:
        tx.put_rules(rotated)
    with any_store.read(scope) as tx:
        assert tx.list_groups(group_ids=[x.group_id for x in reversed(groups)]) == groups
        assert tx.rules_of([x.group_id for x in groups]) == rotated
    with any_store.write(scope) as tx:
        tx.delete_rules(r.rule_id for r in rotated[::2])
        tx.delete_group(groups[1].group_id)
    with any_store.read(scope) as tx:
        assert tx.list_rules() == rotated[1::2]
        assert tx.list_groups() == [g, *groups[2:]]


def test_chunks() -> None:
    assert list(batching.chunks(range(5), 2)) == [[0, 1], [2, 3], [4]]
    assert list(batching.chunks([], 2)) == []
