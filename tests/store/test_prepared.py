"""Prepared statements (store/prepared.py) read and write what SQLAlchemy would, on every
engine: the hot write path runs on them, the rest of the store reads their rows back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import bindparam, insert, select

from stockade.domain.scope import Scope
from stockade.store import schema as s
from stockade.store.prepared import Prepared
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
