"""Shared fixtures: a fresh SQLite store per test and a service context on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from helpers import empty_postgres_schema, worker_database
from store.store_factories import POSTGRES_ENV

from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

# A pytest-xdist worker starts with ``COLUMNS=80`` and ``LINES=24`` in its environment, and
# rich fixes a console's width for good when it is created with ``COLUMNS`` set: the CLI's
# module-level console would ignore the width the CLI tests set, and wrap. Dropped here, at
# import, because a directory's own conftest given on the command line (``pytest -n 2
# tests/analysis``) is imported -- and imports the CLI -- before any pytest_configure runs.
if os.environ.get("PYTEST_XDIST_WORKER") is not None:
    for _name in ("COLUMNS", "LINES"):
        os.environ.pop(_name, None)


def pytest_configure(config: pytest.Config) -> None:
    """Make a pytest-xdist worker's process like a serial run's: each worker's PostgreSQL
    tests get a database of their own (the URL in the environment is rewritten in the
    worker, so every fixture and every subprocess a test starts reads the worker's)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    url = os.environ.get(POSTGRES_ENV)
    if url:
        os.environ[POSTGRES_ENV] = worker_database(url, worker)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlStore]:
    """Every service test runs on SQLite and, when ``STOCKADE_TEST_POSTGRES_URL`` is set
    (CI starts a throwaway server), on PostgreSQL from an empty schema."""
    if request.param == "postgresql":
        url = os.environ.get(POSTGRES_ENV)
        if not url:
            pytest.skip("STOCKADE_TEST_POSTGRES_URL is not set (no PostgreSQL server)")
        empty_postgres_schema(url)
        s = SqlStore.open(url)
    else:
        s = SqlStore.open(str(tmp_path / "stockade.db"))
    yield s
    s.close()


@pytest.fixture
def ctx(store: SqlStore) -> ServiceContext:
    context = ServiceContext(store, Scope(), Quotas())
    with context.read():  # create the default VPC now, so revisions below are stable
        pass
    return context


@pytest.fixture
def rejected(store: SqlStore) -> Callable[..., AwsError]:
    """``rejected("Code", fn, *args)``: fn raises that AWS error and commits nothing."""

    def check(code: str, fn: Callable, *args, **kwargs) -> AwsError:
        before = store.revision()
        with pytest.raises(AwsError) as info:
            fn(*args, **kwargs)
        assert info.value.code == code, f"{info.value.code}: {info.value.message}"
        assert store.revision() == before, "a rejected call must change nothing"
        return info.value

    return check
