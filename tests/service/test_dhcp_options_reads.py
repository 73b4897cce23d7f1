"""DescribeDhcpOptions on the service: which sets it answers, in which order, which error a
bad list of ids gets (the ids checked in the order given: the first bad one decides), and
that it reads the store a fixed number of times however many sets are named (one read of
the sets with their tags, not one per set)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from stockade.domain.errors import AwsError
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

UNKNOWN = "dopt-0123456789abcdef0"


@pytest.fixture
def sqlite_store(tmp_path) -> Iterator[SqlStore]:
    store = SqlStore.open(str(tmp_path / "dhcp.db"))
    yield store
    store.close()


def _sets(svc: Services, count: int) -> list[str]:
    return [
        svc.dhcp_options.create(
            [("domain-name", [f"d{n}.example.com"])], [("Name", f"set-{n}"), ("n", str(n))]
        ).dhcp_options_id
        for n in range(count)
    ]


def _code(fn, *args) -> str:
    with pytest.raises(AwsError) as info:
        fn(*args)
    return info.value.code


def test_sets_come_in_id_order_with_their_own_tags(sqlite_store: SqlStore) -> None:
    svc = Services(ServiceContext(sqlite_store))
    made = _sets(svc, 4)
    everything = svc.dhcp_options.describe()
    assert [d.dhcp_options_id for d in everything] == sorted(made)
    for found in everything:
        n = made.index(found.dhcp_options_id)
        assert found.tags == (("Name", f"set-{n}"), ("n", str(n)))
        assert found.configurations == (("domain-name", (f"d{n}.example.com",)),)
    named = [made[3], made[0], made[3]]
    assert [d.dhcp_options_id for d in svc.dhcp_options.describe(named)] == sorted(
        {made[0], made[3]}
    )
    other = Services(ServiceContext(sqlite_store, Scope(account="210987654321")))
    assert other.dhcp_options.describe() == []
    assert _code(other.dhcp_options.describe, [made[0]]) == "InvalidDhcpOptionID.NotFound"


def test_the_first_bad_id_in_the_order_given_decides_the_error(sqlite_store: SqlStore) -> None:
    svc = Services(ServiceContext(sqlite_store))
    [known] = _sets(svc, 1)
    describe = svc.dhcp_options.describe
    assert _code(describe, [known, UNKNOWN, "nope"]) == "InvalidDhcpOptionID.NotFound"
    assert _code(describe, [known, "nope", UNKNOWN]) == "InvalidDhcpOptionsId.Malformed"
    assert _code(describe, ["default"]) == "InvalidDhcpOptionsId.Malformed"


def test_describing_reads_the_store_a_fixed_number_of_times(sqlite_store: SqlStore) -> None:
    svc = Services(ServiceContext(sqlite_store))
    made = _sets(svc, 6)
    svc.dhcp_options.describe()  # the scope is known: no first-use read below
    statements: list[str] = []

    @event.listens_for(sqlite_store._engine, "connect")
    def _trace(dbapi_connection, _record):  # noqa: ANN001, ANN202
        dbapi_connection.set_trace_callback(statements.append)

    sqlite_store._engine.dispose()  # pooled connections reopen, traced

    def reads(ids: list[str]) -> int:
        statements.clear()
        svc.dhcp_options.describe(ids)
        return sum(1 for s in statements if re.match(r"\s*SELECT", s, re.I))

    assert reads(made[:1]) == reads(made) == reads([])
    assert reads(made) <= 2
