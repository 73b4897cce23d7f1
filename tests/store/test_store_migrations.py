"""The shipped migrations build exactly ``schema.metadata``, once, on any supported database."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text

from stockade.store import migrations
from stockade.store.failures import StoreError
from stockade.store.schema import metadata
from stockade.store.sql import SqlStore
from store.migrated import schema_diffs
from store.store_factories import POSTGRES_ENV, random_scope


def test_migrated_schema_equals_metadata(store: SqlStore) -> None:
    assert schema_diffs(store) == []


def test_migrated_postgres_schema_equals_metadata() -> None:
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        pytest.skip(f"{POSTGRES_ENV} is not set (PostgreSQL tests need a running server)")
    store = SqlStore.open(url)
    try:
        assert schema_diffs(store) == []
    finally:
        store.close()


def test_migration_renders_for_postgresql() -> None:
    """Offline rendering catches SQLite-only DDL without a PostgreSQL server."""
    sql = migrations.offline_sql("postgresql")
    assert "CREATE TABLE sg_rules" in sql
    assert "INSERT INTO store_revision" in sql
    assert "sqlite" not in sql.lower()


def test_every_table_is_created_with_one_revision_row(store: SqlStore) -> None:
    with store._engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        assert tables == set(metadata.tables) | {"alembic_version"}
        assert conn.execute(text("SELECT id, revision, next_seq FROM store_revision")).all() == [
            (1, 0, 1)
        ]
        assert migrations.current_revisions(conn) == migrations.head_revisions()


def test_reopening_a_migrated_store_needs_no_write_lock(db_path: Path, store: SqlStore) -> None:
    """A migrated database opens with one read, even while a writer holds the lock."""
    scope = random_scope()
    with store.write(scope) as tx:
        tx.touch("held")
        again = SqlStore.open(str(db_path))  # would wait 30 s if open() wanted the lock
        again.close()
    assert store.revision() == 1


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_opens_of_a_fresh_database_migrate_once(tmp_path: Path, round_: int) -> None:
    """Six threads open one new store at once: it is migrated once and every open succeeds
    (switching the new file to WAL could be refused at once, busy timeout or not, about one
    round in 30 under load: hence three rounds)."""
    path = tmp_path / "fresh.db"
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []
    stores: list[SqlStore] = []

    def open_store() -> None:
        try:
            barrier.wait()
            stores.append(SqlStore.open(str(path)))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_store) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    scope = random_scope()
    for opened in stores:
        with opened.write(scope) as tx:
            tx.touch("x")
    assert stores[0].revision() == 6
    for opened in stores:
        opened.close()


def test_a_database_from_a_newer_stockade_is_refused(db_path: Path, store: SqlStore) -> None:
    store.close()
    engine = create_engine(f"sqlite:///{db_path}")
    with engine.begin() as conn:
        # one row per head: replace them all by one revision this code does not know
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version VALUES ('from-the-future')"))
    engine.dispose()
    with pytest.raises(StoreError, match="from-the-future") as caught:
        SqlStore.open(str(db_path))
    assert caught.value.kind == "schema" and "\n" not in str(caught.value)


def test_the_migrations_are_one_line():
    """Every migration follows exactly one other: one head, no branches (parallel work
    each adding a migration after the same parent must be re-chained when merged)."""
    from alembic.script import ScriptDirectory

    from stockade.store.migrations import alembic_config

    script = ScriptDirectory.from_config(alembic_config())
    assert len(script.get_heads()) == 1
    revisions = list(script.walk_revisions())
    assert [r.revision for r in reversed(revisions)] == [
        "0001",
        "0002",
        "0003",
        "0004",
        "0005",
        "0006",
        "0007",
        "0008",
        "0009",
        "0010",
        "0011",
        "0012",
    ]
