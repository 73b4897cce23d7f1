"""The durable store: SQLite by default, PostgreSQL given a URL (see ``repository.py``).

How writers are serialised, so read-check-write sequences in the service layer never race:

* **SQLite** — WAL journal (readers never block the writer), ``synchronous=FULL`` (a
  commit that returned survives power loss), a 30 s busy timeout, and every write
  transaction starts with ``BEGIN IMMEDIATE``: the write lock is taken up front, so a
  second writer (thread or process) waits in the busy handler instead of failing later
  with "database is locked" when it tries to upgrade a read lock. Python's sqlite3 module
  would otherwise emit its own deferred BEGIN, so, following SQLAlchemy's documented
  recipe, its transaction handling is switched off (``isolation_level = None``) and a
  ``begin`` event emits ``BEGIN DEFERRED``/``BEGIN IMMEDIATE`` itself.
* **PostgreSQL** — writers run at READ COMMITTED and start with ``SELECT ... FOR UPDATE``
  on the single ``store_revision`` row (``with_for_update()`` renders to nothing on
  SQLite, so this is shared code); every later statement then sees the previous writer's
  committed data. Readers use REPEATABLE READ for a consistent view.

Every committed write that changed something bumps ``store_revision`` by one and appends
to ``change_log``; other processes follow with :meth:`SqlStore.changes_since` and
:meth:`SqlStore.wait_for_change`.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy import Connection, Engine, bindparam, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from stockade.domain.scope import Scope
from stockade.store import migrations
from stockade.store import schema as s
from stockade.store.engines import (
    SQLITE_BEGIN,
    SQLITE_BUSY_TIMEOUT_S,
    check_durability,
    database_url,
    is_memory,
    postgres_engine,
    sqlite_engine,
)
from stockade.store.failures import StoreError, kind_of, schema_is_current, store_error
from stockade.store.failures import read_only as read_only_error
from stockade.store.group_commit import CommitStats, GroupCommit, HeldRun
from stockade.store.prepared import Prepared
from stockade.store.repository import Change, WouldBlock
from stockade.store.transaction import SqlTransaction

log = logging.getLogger(__name__)

#: How often :meth:`SqlStore.wait_for_change` polls for commits made by other processes.
POLL_INTERVAL_S = 0.05
#: Arbitrary key of the PostgreSQL advisory lock that serialises migrations.
_PG_MIGRATION_LOCK = 0x57_0C_CA_DE
#: A writer's first statement: read (and, on PostgreSQL, lock) the revision row.
_LOCK_REVISION = Prepared(
    select(s.store_revision.c.revision, s.store_revision.c.next_seq)
    .where(s.store_revision.c.id == s.REVISION_ROW)
    .with_for_update()
)
_READ_REVISION = select(s.store_revision.c.revision).where(
    s.store_revision.c.id == s.REVISION_ROW_ID
)
_CHANGES_SINCE = (
    select(
        s.change_log.c.revision,
        s.change_log.c.account,
        s.change_log.c.region,
        s.change_log.c.resource_ids,
    )
    .where(s.change_log.c.revision > bindparam("since"))
    .order_by(s.change_log.c.revision)
)

Subscriber = Callable[[Change], None]


class _ThisProcess:
    """Which process this is, told without a system call (a store checks it on every
    write): a forked child gets a new token."""

    token: object = object()

    @classmethod
    def forked(cls) -> None:
        cls.token = object()


os.register_at_fork(after_in_child=_ThisProcess.forked)


class SqlStore:
    """The store: opens transactions, tracks the revision, notifies local subscribers."""

    def __init__(self, engine: Engine, durability: str = "full") -> None:
        """Use :meth:`open`; this wraps an engine already configured by it (for
        ``durability``)."""
        self._engine = engine
        self._sqlite = engine.dialect.name == "sqlite"
        self._memory = self._sqlite and is_memory(engine.url)
        self._process = _ThisProcess.token
        self._local = threading.local()
        # In-memory SQLite is one shared connection: one transaction at a time.
        self._memory_lock = threading.Lock() if self._memory else None
        self._subscribers: list[Subscriber] = []
        self._commits = 0  # local commit counter, guarded by _committed
        self._local_revision = 0  # the last revision committed here, guarded by _committed
        self._committed = threading.Condition()
        self._closed = False
        #: What an acknowledged write survives (``engines.SQLITE_SYNCHRONOUS``).
        self.durability = durability
        # A SQLite file: concurrent writers share commits. PostgreSQL commits per call;
        # in memory there is nothing to flush.
        self._group = (
            GroupCommit(self._writer_connection, self._announce_batch, SQLITE_BUSY_TIMEOUT_S)
            if self._sqlite and not self._memory
            else None
        )
        self._forked_away: list[GroupCommit] = []

    @classmethod
    def open(
        cls, url_or_path: str, *, read_only: bool = False, durability: str = "full"
    ) -> SqlStore:
        """Open (creating and migrating as needed) the store at a path or database URL.

        ``":memory:"`` (or ``sqlite://``) is an in-memory store, private to this object:
        one shared connection serialises its transactions (no group commit), and it
        cannot be opened read-only. ``read_only`` opens an existing store without writing
        anything, not even a migration, so a read-only file or mount can be read; a write
        through it fails with a :class:`StoreError` saying so. Database failures (damaged
        file, read-only, disk full, unreachable server) are raised as :class:`StoreError`,
        one line each. ``durability`` says what an acknowledged write survives
        (``engines.SQLITE_SYNCHRONOUS``): ``full`` (the default) or ``process``, for a
        SQLite store only (PostgreSQL's commits follow its own ``synchronous_commit``).
        """
        check_durability(durability, url_or_path)
        try:
            return cls._open(url_or_path, read_only, immutable=False, durability=durability)
        except StoreError as exc:
            path = Path(url_or_path).expanduser() if "://" not in url_or_path else None
            if path is None or not path.is_file() or exc.kind not in ("cannot-open", "read-only"):
                raise
            if not read_only:
                if os.access(path, os.W_OK) and os.access(path.parent, os.W_OK):
                    raise
                raise read_only_error(str(path), "cannot write the file or its directory") from None
            if exc.kind != "cannot-open":
                raise
        # A WAL database whose -shm file cannot be created (a read-only directory).
        return cls._open(url_or_path, read_only, immutable=True, durability=durability)

    @classmethod
    def _open(cls, url_or_path: str, read_only: bool, immutable: bool, durability: str) -> SqlStore:
        url = database_url(url_or_path, read_only, immutable)
        backend = url.get_backend_name()
        if backend == "sqlite":
            if read_only and is_memory(url):
                raise StoreError(
                    "missing",
                    f"an in-memory store ({url_or_path}) starts empty: it cannot be opened "
                    "read-only; give a store file",
                )
            if read_only and not Path(url_or_path).expanduser().is_file():
                raise StoreError("missing", f"no stockade store at {url_or_path}")
            engine = sqlite_engine(url, durability)
        elif backend == "postgresql":
            engine = postgres_engine(url)
        else:
            raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
        store = cls(engine, durability)
        try:
            store._check_schema() if read_only else store._migrate()
        except DBAPIError as exc:
            engine.dispose()
            raise store_error(exc, store.name) from None
        except BaseException:
            engine.dispose()
            raise
        return store

    @property
    def name(self) -> str:
        """The database as messages name it: a SQLite file's path, else the URL (no
        password)."""
        url = self._engine.url
        if self._sqlite and url.database:
            return unquote(url.database.removeprefix("file:"))
        return url.render_as_string(hide_password=True)

    @property
    def url(self) -> URL:
        return self._engine.url

    @property
    def dialect(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self._engine.dialect.name

    # -- transactions ----------------------------------------------------------------------------

    @contextmanager
    def write(self, scope: Scope) -> Iterator[SqlTransaction]:
        """A serialised read-write transaction; commits on success, rolls back on error.

        On a SQLite file, concurrent calls share commits (``group_commit.py``): the call
        runs in a savepoint of a transaction shared with its neighbours and returns once
        the commit covering it is durable. Elsewhere it is one transaction per call.
        """
        if self._group is None:
            with self._connection(write=True) as conn, conn.begin():
                change = yield from self._write_in(conn, scope)
            if change is not None:
                self._announce(change)
            return
        group = self._writer_group()
        self._local.writing = True
        try:
            with self._failures_as_store_errors(), group.member() as member:
                member.change = yield from self._write_in(member.connection, scope)
        finally:
            self._local.writing = False

    @property
    def held_writes_supported(self) -> bool:
        """Only a SQLite file's writes (the group commit) can be held (``hold_writes``)."""
        return self._group is not None

    def hold_writes(self, single: bool = False) -> HeldRun:
        """Every write transaction this thread opens from now joins one transaction,
        until :meth:`HeldRun.commit` (one fsync, callable from another thread);
        :class:`WouldBlock` now, having done nothing, if that would mean waiting
        (``GroupCommit.hold``; ``single``: a run of one call)."""
        if self._group is None:
            raise WouldBlock("only a SQLite file's writes can be held")
        with self._failures_as_store_errors():
            return self._writer_group().hold(single)

    def after_durable(self, callback: Callable[[], None]) -> None:
        if self._group is None:
            callback()  # no runs: a write returned only once committed
        else:
            self._group.after_durable(callback)

    @contextmanager
    def held_writes(self) -> Iterator[None]:
        """:meth:`hold_writes` for a block, committed on leaving it."""
        run = self.hold_writes()
        try:
            yield
        finally:
            run.end_calls()
            with self._failures_as_store_errors():
                run.commit()

    @contextmanager
    def _failures_as_store_errors(self) -> Iterator[None]:
        """The machine's failures (damaged, read-only, full) as one-line
        :class:`StoreError`s; constraints and bugs as they are."""
        try:
            yield
        except DBAPIError as exc:
            if kind_of(exc) == "other":
                raise
            raise store_error(exc, self.name) from None

    @staticmethod
    def _write_in(conn: Connection, scope: Scope) -> Generator[SqlTransaction, None, Change | None]:
        """Run one write call on ``conn`` (already in a transaction or savepoint): lock and
        read the revision, hand out the transaction, then record the call's change."""
        (rev,) = _LOCK_REVISION.rows(conn)
        tx = SqlTransaction(
            conn, scope, revision=rev.revision, writable=True, next_seq=rev.next_seq
        )
        try:
            yield tx
        finally:
            tx.close()
        return tx.record_commit()

    def _writer_group(self) -> GroupCommit:
        """The group committer, checked like :meth:`_connection` checks a connection."""
        if self._closed:
            raise RuntimeError("the store is closed")
        if getattr(self._local, "writing", False):
            raise RuntimeError("a transaction that would deadlock is already open in this thread")
        self._after_fork()
        assert self._group is not None
        return self._group

    def _writer_connection(self) -> Connection:
        """The group committer's own connection: every transaction on it is a writer's."""
        conn = self._engine.connect()
        conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
        return conn

    def _announce_batch(self, changes: list[Change]) -> None:
        for change in changes:
            self._announce(change)

    def commit_stats(self) -> CommitStats | None:
        """How many commits carried how many write calls (``None``: no group commit)."""
        return self._group.stats() if self._group is not None else None

    @contextmanager
    def read(self, scope: Scope) -> Iterator[SqlTransaction]:
        """A consistent read-only view; never bumps the revision."""
        with self._connection(write=False) as conn:
            trans = conn.begin()
            try:
                tx = SqlTransaction(conn, scope, revision=self._read_revision(conn), writable=False)
                try:
                    yield tx
                finally:
                    tx.close()
            finally:
                trans.rollback()

    @contextmanager
    def _connection(self, *, write: bool) -> Iterator[Connection]:
        """A pooled connection set up for a read or a write transaction (not yet begun)."""
        if self._closed:
            raise RuntimeError("the store is closed")
        writing = getattr(self._local, "writing", False)
        depth = getattr(self._local, "depth", 0)
        if (write and writing) or (self._memory and depth):
            # SQLite would wait for our own lock until the busy timeout (or, in memory, for
            # ever); fail fast instead.
            raise RuntimeError("a transaction that would deadlock is already open in this thread")
        self._after_fork()
        lock = self._memory_lock
        if lock is not None:
            lock.acquire()
        self._local.writing, self._local.depth = writing or write, depth + 1
        try:
            with self._failures_as_store_errors(), self._engine.connect() as conn:
                if self._sqlite:
                    conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE" if write else "DEFERRED"})
                elif not write:
                    conn.execution_options(
                        isolation_level="REPEATABLE READ", postgresql_readonly=True
                    )
                yield conn
        finally:
            self._local.writing, self._local.depth = writing, depth
            if lock is not None:
                lock.release()

    def _after_fork(self) -> None:
        """In a forked child, never share the parent's connections (nor close them: the
        parent still uses the database through them)."""
        if _ThisProcess.token is self._process:
            return
        self._engine.dispose(close=False)
        if self._group is not None:
            self._forked_away.append(self._group)  # referenced for ever: never closed here
            self._group = GroupCommit(
                self._writer_connection, self._announce_batch, SQLITE_BUSY_TIMEOUT_S
            )
        self._process = _ThisProcess.token

    # -- revisions and changes -----------------------------------------------------------------

    def revision(self) -> int:
        """The revision of the last committed write (0 for a new store)."""
        with self._connection(write=False) as conn, conn.begin():
            return self._read_revision(conn)

    def scopes(self) -> list[Scope]:
        """Every (account, region) holding state (an initialised partition), sorted: what
        the analyzer and ``export`` walk when no scope is named."""
        p = s.partitions
        with self._connection(write=False) as conn, conn.begin():
            rows = conn.execute(select(p.c.account, p.c.region).where(p.c.initialized)).all()
        return sorted(Scope(account, region) for account, region in rows)

    @staticmethod
    def _read_revision(conn: Connection) -> int:
        return int(conn.scalar(_READ_REVISION) or 0)

    def changes_since(self, revision: int) -> list[Change]:
        """Every committed change after ``revision``, oldest first (from any process)."""
        with self._connection(write=False) as conn, conn.begin():
            rows = conn.execute(_CHANGES_SINCE, {"since": revision}).all()
        return [
            Change(row.revision, row.account, row.region, tuple(json.loads(row.resource_ids)))
            for row in rows
        ]

    def wait_for_change(self, revision: int, timeout: float) -> int:
        """Block until the revision passes ``revision`` or ``timeout`` seconds elapse.

        Returns the current revision. Commits through this object wake the waiter at once,
        and answer without a query: the revision they committed (the latest, unless another
        process has committed since; callers read ``changes_since`` anyway). Commits by other
        processes are noticed by polling one row every 50 ms.
        """
        deadline = time.monotonic() + max(timeout, 0.0)
        while True:
            with self._committed:
                seen = self._commits
                local = self._local_revision
            if local > revision:
                return local
            current = self.revision()
            remaining = deadline - time.monotonic()
            if current > revision or remaining <= 0:
                return current
            with self._committed:
                if self._commits == seen:
                    self._committed.wait(min(remaining, POLL_INTERVAL_S))

    def subscribe(self, callback: Subscriber) -> Callable[[], None]:
        """Call ``callback(change)`` after each commit through this object; returns an
        unsubscribe function. Callback errors are logged, never raised into the writer."""
        self._subscribers.append(callback)

        def unsubscribe() -> None:
            if callback in self._subscribers:
                self._subscribers.remove(callback)

        return unsubscribe

    def _announce(self, change: Change) -> None:
        with self._committed:
            self._commits += 1
            self._local_revision = max(self._local_revision, change.revision)
            self._committed.notify_all()
        for callback in list(self._subscribers):
            try:
                callback(change)
            except Exception:
                log.exception(
                    "store subscriber %r failed on revision %d", callback, change.revision
                )

    # -- lifecycle -----------------------------------------------------------------------------

    def _check_schema(self) -> None:
        """For a read-only store: the schema must already be at head (nothing is migrated)."""
        with self._engine.connect() as conn, conn.begin():
            if not schema_is_current(conn, self.name):
                raise StoreError(
                    "schema",
                    f"the database {self.name} has an older schema (or none): open "
                    "it once with a command that writes, to upgrade it",
                )

    def _migrate(self) -> None:
        """Bring the schema to head: a cheap check first, the locked upgrade only if needed."""
        with self._engine.connect() as conn:
            with conn.begin():
                if schema_is_current(conn, self.name):
                    return
            if self._sqlite:
                conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"})
            with conn.begin():
                if not self._sqlite:
                    conn.execute(
                        text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_MIGRATION_LOCK}
                    )
                if not migrations.is_current(conn):  # another process may have just done it
                    migrations.upgrade_to_head(conn)

    def close(self) -> None:
        """Release every pooled connection; the object cannot be used afterwards."""
        self._closed = True
        if self._group is not None and _ThisProcess.token is self._process:
            self._group.close()
        self._engine.dispose()

    def __enter__(self) -> SqlStore:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SqlStore({self._engine.url.render_as_string(hide_password=True)!r})"
