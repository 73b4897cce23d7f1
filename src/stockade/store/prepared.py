"""Prepared statements for the hot write path: a Core statement compiled once per dialect,
then run on the driver's own cursor.

Why: a create or authorize call is eight to ten small statements, and SQLAlchemy's
execution path (compiled-cache lookup, parameter construction, execution context, events,
result metadata) costs 35-150 us per statement -- several times what SQLite needs to run
it. Here the statement is compiled once per dialect (the same Core construct serves SQLite
and PostgreSQL, so there is no second copy of the SQL to keep in step), its bind and result
processors are looked up once, and each execution is one driver call: the sqlite3 module
keeps the prepared statement in its own cache, psycopg sends it as is.

What is kept from SQLAlchemy: the dialect's type processing (a SQLite ``Boolean`` comes
back as ``bool``, a ``DateTime`` is bound as SQLAlchemy stores it), and its exceptions --
a driver error is raised as the :class:`sqlalchemy.exc.DBAPIError` subclass SQLAlchemy
would raise, so :mod:`stockade.store.failures` still tells a full disk from a constraint.
The statements run on the connection SQLAlchemy has in a transaction (or savepoint), so
they are part of it; the SQL event hooks do not see them (count statements with the
driver's own trace, as ``bench/write_path.py`` does).
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Table, bindparam, insert
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql import ClauseElement, Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import BindParameter

Converter = Callable[[Any], Any]
Processor = Converter | None
#: A bound parameter: its name in the SQL, the key a caller gives its value by, the value
#: it has unless given, whether it must be given, and the dialect's conversion of the value.
_Bind = tuple[str, str, Any, bool, Processor]


class Record(tuple):
    """A result row as the mapping functions read one: by position, slice, attribute or
    ``_mapping`` (the parts of SQLAlchemy's ``Row`` that :mod:`stockade.store.mapping`
    uses), without building SQLAlchemy's result machinery per statement."""

    __slots__ = ()
    _index: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        try:
            return self[self._index[name]]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def _mapping(self) -> dict[str, Any]:
        """The values by column name: a plain dict built in one C call, so that reading
        several columns by name costs no Python call per column."""
        return dict(zip(self._index, self, strict=True))


@dataclass(frozen=True)
class _Compiled:
    """One statement as one dialect runs it."""

    sql: str
    positional: bool
    binds: tuple[_Bind, ...]
    record: type[Record] | None  # None: the statement returns no rows
    results: tuple[Processor, ...]
    dbapi_error: type[Exception]
    #: The common case -- positional, every value given, none converted -- as one C call.
    plain: Callable[[Mapping[str, Any]], Sequence[Any]] | None = None

    def parameters(self, given: Mapping[str, Any]) -> Sequence[Any] | dict[str, Any]:
        if self.plain is not None:
            try:
                return self.plain(given)
            except KeyError:
                pass  # a missing value: the general path below names it
        values = []
        for _name, key, default, required, process in self.binds:
            if key in given:
                value = given[key]
            elif required:
                raise KeyError(f"the statement needs a value for {key!r}")
            else:
                value = default
            values.append(value if process is None or value is None else process(value))
        if self.positional:
            return values
        return dict(zip((bind[0] for bind in self.binds), values, strict=True))

    def records(self, rows: Iterable[Sequence[Any]]) -> list[Record]:
        assert self.record is not None
        make, processors = self.record, self.results
        if not any(processors):
            return [make(row) for row in rows]
        return [
            make(
                value if p is None or value is None else p(value)
                for p, value in zip(processors, row, strict=True)
            )
            for row in rows
        ]


def _compile(statement: Executable, dialect: Dialect) -> _Compiled:
    assert isinstance(statement, ClauseElement)  # every Core statement is one
    compiled = statement.compile(dialect=dialect)
    assert isinstance(compiled, SQLCompiler)
    positional = compiled.positiontup is not None
    names = compiled.positiontup if positional else list(compiled.binds)
    binds = []
    for name in names or ():
        bind: BindParameter[Any] = compiled.binds[name]
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((name, bind.key, bind.effective_value, bind.required, process))
    record: type[Record] | None = None
    results: tuple[Processor, ...] = ()
    columns = getattr(statement, "selected_columns", None)
    if columns is not None:
        record = type("Record", (Record,), {"_index": {c.key: i for i, c in enumerate(columns)}})
        results = tuple(
            c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns
        )
    plain = _plain_parameters(binds) if positional else None
    return _Compiled(
        compiled.string,
        positional,
        tuple(binds),
        record,
        results,
        dialect.loaded_dbapi.Error,
        plain,
    )


def _no_parameters(given: Mapping[str, Any]) -> Sequence[Any]:
    return ()


def _plain_parameters(
    binds: Sequence[_Bind],
) -> Callable[[Mapping[str, Any]], Sequence[Any]] | None:
    """The common case's parameters -- every value given by the caller -- as one C call
    picking them, then the dialect's conversions of the few that have one (a SQLite
    ``DateTime``), instead of a Python step per bind. ``None`` when a bind may be left
    out (its default then applies: the general path)."""
    if not binds:
        return _no_parameters
    if not all(required for _, _, _, required, _ in binds):
        return None
    keys = [key for _, key, _, _, _ in binds]
    pick = operator.itemgetter(*keys)
    converted = [(i, process) for i, (_, _, _, _, process) in enumerate(binds) if process]
    if not converted:
        return pick if len(keys) > 1 else lambda given: (pick(given),)

    def convert(given: Mapping[str, Any]) -> Sequence[Any]:
        values = list(pick(given)) if len(keys) > 1 else [pick(given)]
        for i, process in converted:
            if values[i] is not None:
                values[i] = process(values[i])
        return values

    return convert


class Prepared:
    """A Core statement run on the driver's cursor of an open connection (module doc).

    Built once at import (module level), like any statement constant; each dialect it
    meets compiles it once, on first use.
    """

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[tuple[type, str], _Compiled] = {}

    def _for(self, dialect: Dialect) -> _Compiled:
        key = (type(dialect), dialect.paramstyle)
        found = self._by_dialect.get(key)
        if found is None:  # a race compiles twice, harmlessly
            found = self._by_dialect[key] = _compile(self.statement, dialect)
        return found

    def rows(self, conn: Connection, params: Mapping[str, Any] | None = None) -> list[Record]:
        """Run a SELECT; its rows."""
        compiled = self._for(conn.dialect)
        return compiled.records(_run(conn, compiled, params or {}, many=False))

    def scalar(self, conn: Connection, params: Mapping[str, Any] | None = None) -> Any:
        """The first column of the first row (None if no row)."""
        found = self.rows(conn, params)
        return found[0][0] if found else None

    def execute(self, conn: Connection, params: Mapping[str, Any] | None = None) -> None:
        """Run a statement that returns no rows."""
        _run(conn, self._for(conn.dialect), params or {}, many=False)

    def executemany(self, conn: Connection, params: Sequence[Mapping[str, Any]]) -> None:
        """Run an INSERT/UPDATE once per parameter set (one driver call)."""
        if params:
            _run(conn, self._for(conn.dialect), params, many=True)


class PreparedInsert:
    """New rows of one table as one multi-row ``INSERT ... VALUES (...), (...)``.

    Why: ``executemany`` steps the statement once per row (SQLite's trace, and its VM,
    see one statement per row; psycopg sends one per row), while a call's few rows -- an
    authorize's rules -- fit one statement. The statement is compiled once per row count
    and column set (and dialect, by :class:`Prepared`); more than ``max_rows`` rows go in
    slices of that size, so no statement binds more than ``max_rows`` times the table's
    columns (far under SQLite's and PostgreSQL's parameter limits).
    """

    def __init__(self, table: Table, max_rows: int = 16) -> None:
        self.table = table
        self.max_rows = max_rows
        self._by_shape: dict[tuple[int, tuple[str, ...]], Prepared] = {}
        #: per compiled form (kept alive by ``_by_shape``): its row layout, or None
        self._layouts: dict[int, Any] = {}

    def _for(self, rows: int, keys: tuple[str, ...]) -> Prepared:
        found = self._by_shape.get((rows, keys))
        if found is None:  # a race builds twice, harmlessly
            columns = self.table.c
            values = [
                {k: bindparam(f"{k}_{i}", type_=columns[k].type, required=True) for k in keys}
                for i in range(rows)
            ]
            found = self._by_shape[(rows, keys)] = Prepared(insert(self.table).values(values))
        return found

    def insert(self, conn: Connection, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert ``rows`` (each with the same columns) in as few statements as fit."""
        for start in range(0, len(rows), self.max_rows):
            part = rows[start : start + self.max_rows]
            keys = tuple(part[0])
            if any(len(row) != len(keys) for row in part):
                raise ValueError("every row of one insert must give the same columns")
            prepared = self._for(len(part), keys)
            compiled = prepared._for(conn.dialect)
            layout = self._row_layout(compiled, len(part), keys)
            if layout is None:  # named parameters (PostgreSQL): by name
                given = {f"{k}_{i}": row[k] for i, row in enumerate(part) for k in keys}
                prepared.execute(conn, given)
                continue
            # Positional (SQLite): each row's values picked in the statement's column order
            # in one C call, then converted by the few columns' processors that exist --
            # not a look-up per bind, which cost as much as the rows saved.
            pick, converted = layout
            values: list[Any] = []
            for row in part:
                picked = pick(row)
                if converted:
                    picked = list(picked)
                    for i, process in converted:
                        if picked[i] is not None:
                            picked[i] = process(picked[i])
                values.extend(picked)
            _send(conn, compiled, values, many=False)

    def _row_layout(
        self, compiled: _Compiled, rows: int, keys: tuple[str, ...]
    ) -> tuple[Callable[[Mapping[str, Any]], Sequence[Any]], list[tuple[int, Converter]]] | None:
        """How one row's values go into a positional statement: a picker of the row's
        values in the order the statement binds them (the table's column order, not the
        order of the row's keys) and the positions that need the dialect's conversion.
        None when the statement binds by name, or not row after row (checked once per
        compiled form)."""
        key = id(compiled)
        if key not in self._layouts:  # a race works it out twice, harmlessly
            layout = None
            names = [b[1] for b in compiled.binds]
            order = [name.rsplit("_", 1)[0] for name in names[: len(keys)]]
            if (
                compiled.positional
                and sorted(order) == sorted(keys)
                and names == [f"{k}_{i}" for i in range(rows) for k in order]
            ):
                pick = operator.itemgetter(*order)
                picker = pick if len(order) > 1 else (lambda row: (pick(row),))
                converted = [
                    (i, process)
                    for i, (_, _, _, _, process) in enumerate(compiled.binds[: len(keys)])
                    if process is not None
                ]
                layout = (picker, converted)
            self._layouts[key] = layout
        return self._layouts[key]


def _run(conn: Connection, compiled: _Compiled, params: Any, *, many: bool) -> list[Any]:
    values = [compiled.parameters(p) for p in params] if many else compiled.parameters(params)
    return _send(conn, compiled, values, many=many)


def _send(conn: Connection, compiled: _Compiled, values: Any, *, many: bool) -> list[Any]:
    driver = conn.connection.driver_connection
    assert driver is not None, "a connection in a transaction holds its driver connection"
    cursor = driver.cursor()
    try:
        if many:
            cursor.executemany(compiled.sql, values)
            return []
        cursor.execute(compiled.sql, values)
        return cursor.fetchall() if compiled.record is not None else []
    except compiled.dbapi_error as exc:
        raise DBAPIError.instance(
            compiled.sql, values, exc, compiled.dbapi_error, dialect=conn.dialect, ismulti=many
        ) from exc
    finally:
        cursor.close()
