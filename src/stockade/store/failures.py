"""Store failures as one line: which database, what is wrong, what to do.

A damaged file, a read-only file or a full disk is not a bug in stockade but a fact about
the user's machine, so it must reach them as a sentence, not a driver traceback.
:func:`store_error` classifies a driver exception (SQLite by its result code, PostgreSQL
by its SQLSTATE) into a :class:`StoreError`; :class:`stockade.store.sql.SqlStore` raises
nothing else for database failures, so its callers (the CLI) need know no driver.
"""

from __future__ import annotations

from sqlalchemy import Connection, inspect
from sqlalchemy.exc import DBAPIError

from stockade.store import migrations

#: Commands that only read, and so work on a read-only database (said in the hint).
READ_ONLY_HINT = (
    "commands that only read (audit, export, check, reach, exposure, list, show) still work"
)


class StoreError(Exception):
    """The database cannot be used as asked; the message is one line with a hint."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        #: "corrupt", "read-only", "full", "cannot-open", "missing", "schema" or "other"
        self.kind = kind


def corrupt(where: str, detail: str) -> StoreError:
    return StoreError(
        "corrupt",
        f"the database file is not a stockade store or is damaged: {where} ({detail}); "
        "restore it from a backup or use another file",
    )


def read_only(where: str, detail: str) -> StoreError:
    return StoreError(
        "read-only", f"the database is read-only: {where} ({detail}); {READ_ONLY_HINT}"
    )


def disk_full(where: str) -> StoreError:
    return StoreError(
        "full",
        f"no space left on device writing {where}; nothing was written: free some space and retry",
    )


_SQLITE_KINDS = {
    "SQLITE_NOTADB": "corrupt",
    "SQLITE_CORRUPT": "corrupt",
    "SQLITE_READONLY": "read-only",
    "SQLITE_FULL": "full",
    "SQLITE_CANTOPEN": "cannot-open",
}
_POSTGRES_KINDS = {"53100": "full", "25006": "read-only", "XX001": "corrupt", "XX002": "corrupt"}


def kind_of(exc: DBAPIError) -> str:
    """What kind of failure a driver exception is (see :attr:`StoreError.kind`)."""
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", None)
    if isinstance(name, str):
        for prefix, kind in _SQLITE_KINDS.items():
            if name.startswith(prefix):
                return kind
        return "other"
    return _POSTGRES_KINDS.get(str(getattr(orig, "sqlstate", "") or ""), "other")


def store_error(exc: DBAPIError, where: str) -> StoreError:
    """The one-line :class:`StoreError` for a driver exception on the database ``where``."""
    detail = (str(exc.orig).strip().splitlines() or ["unknown error"])[0]
    kind = kind_of(exc)
    if kind == "corrupt":
        return corrupt(where, detail)
    if kind == "read-only":
        return read_only(where, detail)
    if kind == "full":
        return disk_full(where)
    if kind == "cannot-open":
        return StoreError(
            kind,
            f"cannot open the database {where} ({detail}): check the path and its permissions",
        )
    return StoreError(kind, f"database error on {where}: {detail}")


def schema_is_current(conn: Connection, where: str) -> bool:
    """Whether the schema is at head. A schema newer than this code, or a SQLite database
    of another program (tables, but never stamped by stockade), is a :class:`StoreError`
    rather than something to migrate into."""
    try:
        if migrations.is_current(conn):
            return True
        foreign = (
            not migrations.current_revisions(conn)
            and conn.dialect.name == "sqlite"
            and bool(inspect(conn).get_table_names())
        )
    except RuntimeError as exc:  # a newer schema than this code knows
        raise StoreError("schema", f"{where}: {exc}") from None
    if foreign:
        raise corrupt(where, "it holds tables but no stockade schema")
    return False
