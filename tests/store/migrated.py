"""Databases as an older stockade left them, and how a migrated one differs from the
schema, for the migration tests."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from helpers import empty_postgres_schema
from sqlalchemy import Connection, create_engine

from stockade.store import migrations
from stockade.store.schema import metadata
from stockade.store.sql import SqlStore
from store.store_factories import POSTGRES_ENV


def empty_database(kind: str, tmp_path: Path) -> str:
    """The URL of an empty database: a SQLite file under ``tmp_path``, or the test server's
    PostgreSQL schema emptied (the test is skipped when no server is configured)."""
    if kind == "postgresql":
        url = os.environ.get(POSTGRES_ENV)
        if not url:
            pytest.skip(f"{POSTGRES_ENV} is not set (PostgreSQL tests need a running server)")
        empty_postgres_schema(url)
        return url
    return f"sqlite:///{tmp_path / 'old.db'}"


@contextmanager
def migrated_to(url: str, revision: str, *, down: bool = False) -> Iterator[Connection]:
    """A connection, in a transaction committed on leaving, to ``url`` with its schema
    brought up (or ``down``) to ``revision``."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            config = migrations.alembic_config()
            config.attributes["connection"] = conn
            (command.downgrade if down else command.upgrade)(config, revision)
            yield conn
    finally:
        engine.dispose()


def schema_diffs(store: SqlStore) -> list:
    """How the store's migrated schema differs from ``schema.metadata`` (types included)."""
    with store._engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, metadata)
