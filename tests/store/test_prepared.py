"""Prepared statements (store/prepared.py) read and write what SQLAlchemy would, on every
engine: the hot write path runs on them, the rest of the store reads their rows back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select

from stockade.domain.scope import Scope
from stockade.store import schema as s
from stockade.store.prepared import Prepared, PreparedInsert
from stockade.store.sql import SqlStore
from store import store_factories as f

_VPC_FLAGS = Prepared(
    select(s.vpcs.c.vpc_id, s.vpcs.c.is_default, s.vpcs.c.seq).where(
        s.vpcs.c.vpc_id == bindparam("id")
    )
)
_LOG_ROW = Prepared(insert(s.change_log))
_LOGGED_AT = select(s.change_log.c.committed_at).where(s.change_log.c.revision == 10**9)


def test_rows_come_back_typed_and_addressable(any_store: SqlStore, scope: Scope) -> None:
    vpc = f.vpc(scope, is_default=True)
    with any_store.write(scope) as tx:
        tx.put_vpc(vpc)
    with any_store.read(scope) as tx:
        conn = tx._c
        (row,) = _VPC_FLAGS.rows(conn, {"id": vpc.vpc_id})
        assert row.is_default is True  # SQLite stores 1: the dialect's processor applies
        assert row._mapping["vpc_id"] == row[0] == vpc.vpc_id
        assert row[:2] == (vpc.vpc_id, True)
        assert dict(row._mapping) == {"vpc_id": vpc.vpc_id, "is_default": True, "seq": row.seq}
        with pytest.raises(AttributeError):
            _ = row.nonexistent
        assert _VPC_FLAGS.rows(conn, {"id": "vpc-0000"}) == []
        assert _VPC_FLAGS.scalar(conn, {"id": vpc.vpc_id}) == vpc.vpc_id
        with pytest.raises(KeyError, match="'id'"):
            _VPC_FLAGS.rows(conn, {})


def test_binds_are_processed_as_sqlalchemy_does(any_store: SqlStore, scope: Scope) -> None:
    """A DateTime written by a prepared statement reads back through SQLAlchemy."""
    at = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    row = {
        "revision": 10**9,
        "account": scope.account,
        "region": scope.region,
        "resource_ids": "[]",
        "committed_at": at,
    }
    with any_store.write(scope) as tx:
        _LOG_ROW.execute(tx._write(), row)
        stored = tx._c.scalar(_LOGGED_AT)
    # SQLite keeps no zone: the naive value is the same wall-clock time
    assert stored.replace(tzinfo=stored.tzinfo or UTC) - at == timedelta(0)


def test_multi_row_insert_puts_each_value_in_its_column(any_store: SqlStore, scope: Scope) -> None:
    """Rows whose keys come in another order than the table's columns land column by
    column, converted (a ``DateTime``), in slices; on SQLite through the positional
    layout -- it was never taken before, every insert fell back to binding by name."""
    at = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    rows = [
        {
            "committed_at": at + timedelta(seconds=n),
            "resource_ids": f'["sg-{n}"]',
            "region": scope.region,
            "account": scope.account,
            "revision": 10**9 + n,
        }
        for n in range(3)
    ]
    inserting = PreparedInsert(s.change_log, max_rows=2)
    with any_store.write(scope) as tx:
        conn = tx._write()
        inserting.insert(conn, rows)
        log = s.change_log.c
        stored = conn.execute(
            select(log.revision, log.resource_ids, log.committed_at)
            .where(log.revision >= 10**9)
            .order_by(log.revision)
        ).all()
        compiled = inserting._for(2, tuple(rows[0]))._for(conn.dialect)
        layout = inserting._row_layout(compiled, 2, tuple(rows[0]))
    assert [(r[0], r[1]) for r in stored] == [(10**9 + n, f'["sg-{n}"]') for n in range(3)]
    for n, row in enumerate(stored):
        when = row[2]
        assert when.replace(tzinfo=when.tzinfo or UTC) == at + timedelta(seconds=n)
    assert (layout is not None) == (any_store.dialect == "sqlite")
