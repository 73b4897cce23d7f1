"""The group commit's writer connection, driven on the driver's own connection.

Why on the driver: the writer connection's transaction control -- ``BEGIN IMMEDIATE``,
``COMMIT``, ``ROLLBACK``, each call's ``SAVEPOINT`` -- runs once or more per write call,
and SQLAlchemy's transaction objects, events and execution path cost 30-300 us for each,
against ~3 us on the driver. Errors are raised as the :class:`DBAPIError` SQLAlchemy would
raise, so :mod:`stockade.store.failures` still tells a full disk or a held lock.
"""

from __future__ import annotations

from sqlalchemy import Connection
from sqlalchemy.exc import DBAPIError

#: The savepoint of the call holding the turn (released before the next call takes it).
SAVEPOINT_NAME = "stockade_call"


#: SQLite's "the database is locked" (another connection holds the write lock).
SQLITE_BUSY = 5


def set_busy_timeout(connection: Connection, seconds: float) -> None:
    """SQLite's busy timeout on the driver's connection (how long BEGIN waits for a lock)."""
    driver = connection.connection.driver_connection
    assert driver is not None, "a checked-out connection holds its driver connection"
    driver.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")


def savepoint_statement(connection: Connection, verb: str) -> None:
    """``SAVEPOINT``, ``RELEASE`` or ``ROLLBACK TO`` the call's savepoint, on the driver's
    connection: measured at ~3 us against ~300 us for SQLAlchemy's ``begin_nested()`` and
    ``commit()``, paid by every call of a shared batch while the others wait for the turn.
    SQLAlchemy needs no account of it: its own transaction stays the batch's."""
    driver = connection.connection.driver_connection
    assert driver is not None, "a checked-out connection holds its driver connection"
    driver.execute(f"{verb} {SAVEPOINT_NAME}")


def driver_statement(connection: Connection, statement: str) -> None:
    """Run ``BEGIN IMMEDIATE``/``COMMIT``/``ROLLBACK`` on the driver's connection, its
    errors raised as the :class:`DBAPIError` SQLAlchemy would raise (so
    :mod:`stockade.store.failures` still tells a full disk or a held lock)."""
    driver = connection.connection.driver_connection
    assert driver is not None, "a checked-out connection holds its driver connection"
    error = connection.dialect.loaded_dbapi.Error
    try:
        driver.execute(statement)
    except error as exc:
        raise DBAPIError.instance(statement, (), exc, error, dialect=connection.dialect) from exc


def end_transaction(connection: Connection, *, commit: bool) -> None:
    """Commit or roll back the batch's transaction, begun on the driver.

    A statement a call ran through SQLAlchemy's own ``execute`` made SQLAlchemy begin its
    transaction object (its ``begin`` hook emits nothing while the driver is already in a
    transaction, see ``engines.py``); then SQLAlchemy ends it -- the same driver commit --
    so its state stays right for the next batch. Otherwise the driver ends it directly.
    """
    if connection.in_transaction():
        if commit:
            connection.commit()
        else:
            connection.rollback()
        return
    driver = connection.connection.driver_connection
    assert driver is not None, "a checked-out connection holds its driver connection"
    if driver.in_transaction:
        driver_statement(connection, "COMMIT" if commit else "ROLLBACK")
