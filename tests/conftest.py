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


def pytest_configure(config: pytest.Config) -> None:
    """Make a pytest-xdist worker's process like a serial run's.

    - Each worker's PostgreSQL tests get a database of their own (the URL in the
      environment is rewritten in the worker, so every fixture and every subprocess a test
      starts reads the worker's).
    - Workers start with ``COLUMNS=80`` and ``LINES=24`` in their environment, and rich
      fixes a console's width for good when it is created with ``COLUMNS`` set: the CLI's
      module-level console would ignore the width the CLI tests set, and wrap.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker is None:
        return
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)
    url = os.environ.get(POSTGRES_ENV)
    if url:
        os.environ[POSTGRES_ENV] = worker_database(url, worker)


#: Tests asserting a bound on time, memory or throughput. Under pytest-xdist (``--dist
#: loadgroup``, pyproject.toml) one worker runs them all, one after another, so they never
#: compete with each other for the CPU they measure.
BOUNDED = (
    "analysis/test_aws_import_scale.py::test_100k_rules_in_many_small_batches",
    "api/test_wire_filters.py::test_worst_legal_filter_cost_is_bounded",
    "api/test_wire_fuzz.py::test_huge_lists_parse_quickly",
    "api_server/test_defences.py::",
    "api_server/test_defences_edge.py::test_a_trickled_body_gets_request_timeout",
    "api_server/test_on_loop_writes.py::",
    "dataplane/test_changes.py::",
    "store/test_held_writes.py::test_a_held_run_never_waits_for_a_writer",
    "store/test_sql_store.py::test_wait_for_change",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """xdist groups: the bounded tests share one; the tests of a module with a module-scoped
    fixture share one per module, so the fixture (an Ansible run, a server) is made once,
    not once per worker the module's tests land on."""
    root = config.rootpath / "tests"
    for item in items:
        if not item.path.is_relative_to(root):
            continue
        module = item.path.relative_to(root).as_posix()
        if f"{module}::{item.name}".startswith(BOUNDED):
            item.add_marker(pytest.mark.xdist_group("bounded"))
        elif _shares_a_module_fixture(item):
            item.add_marker(pytest.mark.xdist_group(module))


def _shares_a_module_fixture(item: pytest.Item) -> bool:
    info = getattr(item, "_fixtureinfo", None)
    defs = info.name2fixturedefs.values() if info is not None else ()
    return any(d[-1].scope in ("package", "module", "class") for d in defs if d)


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
