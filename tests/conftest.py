"""Shared fixtures: a fresh SQLite store per test and a service context on it."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest
from helpers import empty_postgres_schema

from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest, tmp_path) -> Iterator[SqlStore]:
    """Every service test runs on SQLite and, when ``STOCKADE_TEST_POSTGRES_URL`` is set
    (CI starts a throwaway server), on PostgreSQL from an empty schema."""
    if request.param == "postgresql":
        url = os.environ.get("STOCKADE_TEST_POSTGRES_URL")
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
