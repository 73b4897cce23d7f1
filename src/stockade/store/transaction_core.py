"""What every :class:`stockade.store.transaction.SqlTransaction` method stands on.

:class:`TransactionCore` holds one open database transaction's bookkeeping (is it still
open, may it write, what it touched, the next creation-order ``seq``), records the commit,
and offers the generic row operations the repositories are written with: scoped WHERE
clauses, insert-or-replace by id, delete with tags and child rows, and getters that fetch
an object and its tags in one round trip. Partition flags and tags are per resource id,
not per resource kind, so their repository methods live here too.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Connection, Select, Table, bindparam, delete, insert, select, update

from stockade.domain.scope import Scope
from stockade.store import schema as s
from stockade.store.batching import chunks
from stockade.store.loaders import ID_COLUMN, Where
from stockade.store.prepared import Prepared
from stockade.store.repository import Change

_T = s.tags
#: The labels of a joined tag's columns (:func:`tags_joined`, read by :func:`rows_with_tags`).
_TAG_KEY, _TAG_VALUE = "_tag_key", "_tag_value"

_BUMP_REVISION = Prepared(
    update(s.store_revision)
    .where(s.store_revision.c.id == s.REVISION_ROW)
    .values(revision=bindparam("new_revision"), next_seq=bindparam("new_next_seq"))
)
_LOG_CHANGE = Prepared(insert(s.change_log))

#: a joined row: SQLAlchemy's ``Row`` or a prepared statement's ``Record``
R = TypeVar("R", bound=Any)


def tags_joined(*columns: Any, key: Any) -> Select[Any]:
    """``columns`` each joined to the tags of the resource whose id is in ``key`` (one row
    per tag, or one with NULL tags): objects and their tags in one round trip. Split the
    result with :func:`rows_with_tags`."""
    return select(*columns, _T.c.key.label(_TAG_KEY), _T.c.value.label(_TAG_VALUE)).outerjoin(
        _T, _T.c.resource_id == key
    )


def with_tags(table: Table, *columns: Any) -> Select[Any]:
    """Rows of ``table`` (or just ``columns`` of it) each joined to its tags
    (:func:`tags_joined`), in ``seq`` order."""
    return tags_joined(*(columns or (table,)), key=ID_COLUMN[table.name]).order_by(table.c.seq)


def rows_with_tags(rows: Sequence[R], key: str) -> tuple[list[R], dict[str, Any]]:
    """Split joined rows (see :func:`tags_joined`) into one row per object, in order, and
    each object's tags (sorted by key, as :func:`mapping.tag_index` returns them). Rows are
    SQLAlchemy's or the prepared statements' records: both are tuples whose columns are
    found by name once (``_mapping``), then read by position."""
    if not rows:
        return [], {}
    names = list(rows[0]._mapping)
    at_id, at_key, at_value = names.index(key), names.index(_TAG_KEY), names.index(_TAG_VALUE)
    firsts: dict[str, R] = {}
    pairs: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        rid = row[at_id]
        if rid not in firsts:
            firsts[rid] = row
            pairs[rid] = []
        tag_key = row[at_key]
        if tag_key is not None:
            pairs[rid].append((tag_key, row[at_value]))
    return list(firsts.values()), {rid: tuple(sorted(p)) for rid, p in pairs.items() if p}


#: Text a JSON string holds as ``json.dumps`` writes it (no quote, backslash, control
#: character or DEL, which ``ensure_ascii`` escapes).
_PLAIN_JSON_TEXT = re.compile(r'[^"\\\x00-\x1f\x7f]*').fullmatch


def _id_list(ids: tuple[str, ...]) -> str:
    """``json.dumps(ids)``, for the usual ids (no character JSON escapes) without building
    a JSON encoder per call; anything else goes through ``json.dumps``."""
    if all(i.isascii() for i in ids) and _PLAIN_JSON_TEXT("".join(ids)):
        return '["' + '", "'.join(ids) + '"]' if ids else "[]"
    return json.dumps(ids)


class TransactionCore:
    """Bookkeeping and generic row operations over one open database transaction."""

    def __init__(
        self,
        conn: Connection,
        scope: Scope,
        *,
        revision: int,
        writable: bool,
        next_seq: int = 0,
    ) -> None:
        self.scope = scope
        self._conn = conn
        self._revision = revision  # as of the start of this transaction
        self._writable = writable
        self._next_seq = next_seq
        self._dirty = False
        self._touched: dict[str, None] = {}  # an ordered set
        self._open = True

    # -- bookkeeping ----------------------------------------------------------------------------

    def close(self) -> None:
        """Refuse further use: the connection goes back to the pool after the ``with``."""
        self._open = False

    def _write(self, *resource_ids: str) -> Connection:
        """Check this is a live write transaction and note what it changes."""
        if not self._open:
            raise RuntimeError("the transaction has ended")
        if not self._writable:
            raise RuntimeError("cannot write in a read transaction")
        self._dirty = True
        self._touched.update(dict.fromkeys(resource_ids))
        return self._conn

    @property
    def _c(self) -> Connection:
        if not self._open:
            raise RuntimeError("the transaction has ended")
        return self._conn

    def touch(self, *resource_ids: str) -> None:
        """Record resources changed by this transaction; counts as a write (bumps the revision)."""
        self._write(*resource_ids)

    def record_commit(self) -> Change | None:
        """Bump the revision and log the change, if anything was written; called before COMMIT."""
        if not self._dirty:
            return None
        revision = self._revision + 1
        ids = tuple(self._touched)
        _BUMP_REVISION.execute(
            self._conn, {"new_revision": revision, "new_next_seq": self._next_seq}
        )
        _LOG_CHANGE.execute(
            self._conn,
            {
                "revision": revision,
                "account": self.scope.account,
                "region": self.scope.region,
                "resource_ids": _id_list(ids),
                "committed_at": datetime.now(UTC),
            },
        )
        return Change(revision, self.scope.account, self.scope.region, ids)

    # -- generic row operations -----------------------------------------------------------------

    def _in_scope(self, table: Table) -> Where:
        return (table.c.account == self.scope.account) & (table.c.region == self.scope.region)

    def _matching(self, table: Table, **equal: Any) -> Where:
        """This scope's rows of ``table`` whose columns equal the values given (None: any)."""
        where = self._in_scope(table)
        for column, value in equal.items():
            if value is not None:
                where &= table.c[column] == value
        return where

    def _scope_params(self) -> dict[str, str]:
        return {"account": self.scope.account, "region": self.scope.region}

    def _get_joined(
        self,
        stmt: Select[Any] | Prepared,
        params: dict[str, Any],
        key: str,
        build: Any,
    ) -> Any:
        """The first object a :func:`with_tags` statement finds (None if none)."""
        found: Sequence[Any] = (
            stmt.rows(self._c, params)
            if isinstance(stmt, Prepared)
            else self._c.execute(stmt, params).all()
        )
        objects, tags = rows_with_tags(found, key)
        return build(objects[0], tags) if objects else None

    def _next_seqs(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        for row in rows:
            row["seq"] = self._next_seq
            self._next_seq += 1
        return rows

    def _upsert(
        self, table: Table, rows: Sequence[dict[str, Any]], *, reinsert: bool = False
    ) -> None:
        """Insert or replace rows by id; replacing keeps ``seq`` (the creation order).

        ``reinsert`` replaces by DELETE + INSERT instead of UPDATE, for tables whose unique
        constraints a batch may satisfy only as a whole (swapping two rules' identities
        fails row by row). Only for tables no foreign key cascades from.
        """
        if not rows:
            return
        key = ID_COLUMN[table.name]
        ids = [row[key.name] for row in rows]
        conn = self._write(*ids)
        existing: dict[str, int] = {}
        for part in chunks(ids):
            existing.update(conn.execute(select(key, table.c.seq).where(key.in_(part))).all())
        updates = [row for row in rows if row[key.name] in existing]
        if reinsert and updates:
            # Every old row goes before any new one lands: the batch's unique constraints
            # hold for the batch as a whole, whatever the slices.
            for part in chunks(row[key.name] for row in updates):
                conn.execute(delete(table).where(key.in_(part)))
            for row in updates:
                row["seq"] = existing[row[key.name]]
            updates, inserts = [], list(rows)
        else:
            inserts = [row for row in rows if row[key.name] not in existing]
        for part in chunks(updates):
            conn.execute(
                update(table).where(key == bindparam("_id")),
                [
                    {"_id": row[key.name], **{k: v for k, v in row.items() if k != key.name}}
                    for row in part
                ],
            )
        self._next_seqs([row for row in inserts if "seq" not in row])
        for part in chunks(inserts):
            conn.execute(insert(table), part)

    def _delete(self, table: Table, resource_id: str, *children: Table) -> bool:
        """Delete a row (scoped), its tags and its child rows; whether it existed."""
        key = ID_COLUMN[table.name]
        if not self._c.scalar(select(key).where(key == resource_id, self._in_scope(table))):
            return False
        conn = self._write(resource_id)
        for child in children:
            conn.execute(delete(child).where(child.c[key.name] == resource_id))
        conn.execute(delete(_T).where(_T.c.resource_id == resource_id))
        conn.execute(delete(table).where(key == resource_id))
        return True

    # -- partition ------------------------------------------------------------------------------

    def is_initialized(self) -> bool:
        p = s.partitions
        return bool(self._c.scalar(select(p.c.initialized).where(self._in_scope(p))))

    def mark_initialized(self) -> None:
        if self.is_initialized():
            return
        conn = self._write()
        p = s.partitions
        if not conn.execute(update(p).where(self._in_scope(p)).values(initialized=True)).rowcount:
            conn.execute(insert(p).values(**self._scope_params(), initialized=True))

    # -- tags ----------------------------------------------------------------------------------

    def tags_of(self, resource_id: str) -> dict[str, str]:
        rows = self._c.execute(
            select(_T.c.key, _T.c.value).where(_T.c.resource_id == resource_id).order_by(_T.c.key)
        )
        return {key: value for key, value in rows}

    def set_tags(self, resource_id: str, tags: dict[str, str]) -> None:
        """Replace all tags; the rows take this transaction's scope (for ``list_tags``)."""
        conn = self._write(resource_id)
        conn.execute(delete(_T).where(_T.c.resource_id == resource_id))
        if tags:
            scope = self._scope_params()
            conn.execute(
                insert(_T),
                [
                    {"resource_id": resource_id, "key": key, "value": value, **scope}
                    for key, value in tags.items()
                ],
            )

    def list_tags(self) -> list[tuple[str, str, str]]:
        rows = self._c.execute(
            select(_T.c.resource_id, _T.c.key, _T.c.value)
            .where(self._in_scope(_T))
            .order_by(_T.c.resource_id, _T.c.key)
        )
        return [tuple(row) for row in rows]
