"""Fixtures for the store tests: SQLite stores in tmp dirs, optionally PostgreSQL too.

``any_store`` runs a test against SQLite and, when ``STOCKADE_TEST_POSTGRES_URL`` points
at a server, against PostgreSQL. Each PostgreSQL test starts from an empty ``public``
schema (dropped and recreated), so tests never see each other's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from helpers import empty_postgres_schema
from sqlalchemy import event
from sqlalchemy.dialects import postgresql
from sqlalchemy.sql import ClauseElement

from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore
from store.store_factories import POSTGRES_ENV, random_scope


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "stockade.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SqlStore]:
    """A SQLite store in a fresh file."""
    opened = SqlStore.open(str(db_path))
    yield opened
    opened.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlStore]:
    """The same test on SQLite and (if configured) PostgreSQL."""
    if request.param == "postgresql":
        url = os.environ.get(POSTGRES_ENV)
        if not url:
            pytest.skip(f"{POSTGRES_ENV} is not set (PostgreSQL tests need a running server)")
        empty_postgres_schema(url)
        opened = SqlStore.open(url)
    else:
        opened = SqlStore.open(str(tmp_path / "any.db"))
        _also_compile_for_postgresql(opened)
    yield opened
    opened.close()


def _also_compile_for_postgresql(store: SqlStore) -> None:
    """Compile every statement the SQLite run issues for PostgreSQL too, so a construct
    only SQLite accepts fails here even without a PostgreSQL server."""
    dialect = postgresql.dialect()

    @event.listens_for(store._engine, "before_execute")
    def _compile(conn, statement, *args):  # noqa: ANN001, ANN202
        if isinstance(statement, ClauseElement):
            statement.compile(dialect=dialect)


@pytest.fixture
def scope() -> Scope:
    return random_scope()
