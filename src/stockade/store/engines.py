"""Engines for the store: a path or URL to a SQLAlchemy engine set up as ``sql.py``'s
docstring says (SQLite: WAL, ``synchronous=FULL`` -- or ``NORMAL`` for ``process``
durability --, busy timeout, ``BEGIN IMMEDIATE`` for writers through a ``begin`` hook;
read-only and immutable opens; PostgreSQL: psycopg)."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import StaticPool

#: How long a SQLite writer waits for the lock before giving up ("database is locked").
SQLITE_BUSY_TIMEOUT_S = 30.0
#: Execution option read by the SQLite ``begin`` hook: "DEFERRED" or "IMMEDIATE".
SQLITE_BEGIN = "stockade_sqlite_begin"
#: The page size of a new SQLite store (an existing file keeps the one it was made with).
#: Why 1 KiB, not SQLite's 4 KiB: a write call changes one page in each index and table it
#: touches (a create: about twelve), and its commit writes each changed page whole to the
#: WAL before the fsync. Quarter-size pages quarter those bytes: measured on a SQLite file
#: with the store's schema, a create's commit took ~200 us instead of ~255 (and the API's
#: create ~0.48 ms instead of ~0.53, ``bench/write_path.py``). Keys and rows stay inline:
#: an index entry may hold ~230 bytes before it spills to an overflow page, and the
#: hot indexes' entries are ~100.
SQLITE_PAGE_SIZE = 1024
#: The path that means an in-memory SQLite store (one per ``SqlStore``, gone when closed).
MEMORY = ":memory:"

#: What an acknowledged write survives, by name, and the SQLite ``synchronous`` setting that
#: gives it. ``full`` (the default): it is on the disk before it is answered (the WAL is
#: fsynced at every commit) and survives a crash or kill of stockade, an OS crash and a
#: power loss. ``process``: it is in the operating system's hands before it is answered
#: (written to the WAL, not fsynced; SQLite syncs at checkpoints) -- it survives a crash or
#: ``kill -9`` of stockade, not an OS crash or power loss, which may take back the last
#: commits (the store stays consistent). For stores whose host going down takes the work
#: with it anyway, such as a CI run: the fsync is ~0.1-0.2 ms of every write.
SQLITE_SYNCHRONOUS = {"full": "FULL", "process": "NORMAL"}
DURABILITIES = tuple(SQLITE_SYNCHRONOUS)


def check_durability(durability: str, url_or_path: str) -> None:
    """``ValueError`` (one line) unless ``durability`` is known and the store can honour
    it: anything but ``full`` is for SQLite stores (a PostgreSQL server's commits follow
    its own ``synchronous_commit``)."""
    if durability not in DURABILITIES:
        raise ValueError(f"unknown durability {durability!r}: one of {', '.join(DURABILITIES)}")
    if durability != "full" and database_url(url_or_path).get_backend_name() != "sqlite":
        raise ValueError(
            f"durability {durability!r} is for SQLite stores: a PostgreSQL server's "
            "commits follow its own synchronous_commit setting"
        )


def database_url(url_or_path: str, read_only: bool = False, immutable: bool = False) -> URL:
    """A SQLAlchemy URL: a plain path means SQLite; ``postgresql://`` means psycopg 3.

    ``read_only`` opens a SQLite file with ``mode=ro`` (nothing can be written through
    it); ``immutable`` also tells SQLite that no one writes the file, for a WAL database
    in a directory where its ``-shm`` file cannot be created (a read-only mount).
    ``:memory:`` is SQLite's own name for an in-memory database, as it is to ``sqlite3``
    (not a file of that name in the working directory).
    """
    if url_or_path == MEMORY:
        return URL.create("sqlite", database=MEMORY)
    if "://" not in url_or_path:
        path = str(Path(url_or_path).expanduser().resolve())
        if not read_only:
            return URL.create("sqlite", database=path)
        query = {"mode": "ro", "uri": "true", **({"immutable": "1"} if immutable else {})}
        return URL.create("sqlite", database="file:" + quote(path), query=query)
    url = make_url(url_or_path)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url


def is_memory(url: URL) -> bool:
    return url.database in (None, "", MEMORY) or url.query.get("mode") == "memory"


def sqlite_engine(url: URL, durability: str = "full") -> Engine:
    read_only = url.query.get("mode") == "ro"
    synchronous = SQLITE_SYNCHRONOUS[durability]
    if is_memory(url):
        # One shared connection (a new one would be a new, empty database).
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        if not read_only:
            Path(url.database or "").parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            # The group committer's connection is used by whichever thread holds its turn.
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S, "check_same_thread": False},
            pool_size=8,
            max_overflow=24,
        )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see module doc)
        cursor = dbapi_connection.cursor()
        try:
            # busy_timeout first: switching to WAL may itself have to wait for a lock.
            cursor.execute(f"PRAGMA busy_timeout = {int(SQLITE_BUSY_TIMEOUT_S * 1000)}")
            if not read_only:  # a read-only file keeps the journal mode it was written with
                # before WAL: only a database still empty takes it (a no-op otherwise)
                cursor.execute(f"PRAGMA page_size = {SQLITE_PAGE_SIZE}")
                _waiting_out_busy(cursor, "PRAGMA journal_mode = WAL")
                cursor.execute(f"PRAGMA synchronous = {synchronous}")
            cursor.execute("PRAGMA foreign_keys = ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # On the driver's connection: SQLAlchemy's own execution path costs ~50 us here,
        # paid by every transaction (errors are wrapped as it would wrap them).
        driver = conn.connection.driver_connection
        if driver.in_transaction:  # type: ignore[union-attr]
            # The group commit began this connection's transaction on the driver itself;
            # SQLAlchemy only joins it (and its commit is that transaction's commit).
            return
        statement = f"BEGIN {conn.get_execution_options().get(SQLITE_BEGIN, 'DEFERRED')}"
        error = conn.dialect.loaded_dbapi.Error
        try:
            driver.execute(statement)  # type: ignore[union-attr]
        except error as exc:
            raise DBAPIError.instance(statement, (), exc, error, dialect=conn.dialect) from exc

    return engine


#: SQLite's result code for "database is locked".
_SQLITE_BUSY = 5


def _waiting_out_busy(cursor: Any, statement: str) -> None:
    """Run ``statement``, retrying while SQLite answers "database is locked", up to the
    busy timeout.

    Why: switching a database to WAL can be refused at once, without SQLite's busy
    handler ever waiting, while another connection is making the same fresh file a WAL
    database (seen in about one of 30 rounds of six threads opening one new store under
    load: ``test_concurrent_opens_of_a_fresh_database_migrate_once``).
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_S
    pause = 0.001
    while True:
        try:
            cursor.execute(statement)
            return
        except sqlite3.OperationalError as exc:
            if exc.sqlite_errorcode != _SQLITE_BUSY or time.monotonic() >= deadline:
                raise
        time.sleep(pause)
        pause = min(pause * 2, 0.05)


def postgres_engine(url: URL) -> Engine:
    try:
        return create_engine(url, isolation_level="READ COMMITTED", pool_pre_ping=True)
    except ModuleNotFoundError as exc:
        raise RuntimeError(
            f"PostgreSQL support needs the {exc.name} driver: pip install 'stockade[postgres]'"
        ) from exc
