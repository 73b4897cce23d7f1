"""Group commit for SQLite: concurrent write calls share one transaction and one fsync.

Why: with ``synchronous=FULL`` every SQLite commit waits for the disk, and SQLite runs one
writer at a time anyway, so N concurrent calls committed one by one cost N flushes. Here
they share a flush, and each caller is acknowledged only once the flush covering its work
has returned -- the same durability, more calls per flush.

How (leader/follower, no extra thread, so an uncontended call pays no hand-off):

* One dedicated connection. Callers take turns on it (:attr:`GroupCommit._busy`); the
  first caller of a batch opens the transaction (``BEGIN IMMEDIATE``). The batch's
  ``BEGIN``, ``COMMIT`` and ``ROLLBACK`` go to the driver's connection
  (:mod:`stockade.store.writer_connection`): SQLAlchemy's transaction objects and events
  cost ~30 us a batch, a tenth of an uncontended write call.
* Every later caller of the same batch runs inside a ``SAVEPOINT`` (issued on the driver's
  connection): a call that raises rolls back only its savepoint,
  its neighbours keep their work. The first caller needs no
  savepoint: if it fails, the transaction holds nothing else and is rolled back whole.
* When a caller finishes and nobody is queued for the connection (or the batch is full),
  it commits the batch itself -- one fsync -- and wakes the batch's callers.
  Otherwise it hands the connection to the next caller and waits for the commit.
* Every caller of a batch (also one whose own call was rejected: its answer may rest on
  its predecessors' uncommitted writes) returns only after the batch ended. A failed
  commit fails every successful caller of the batch (:class:`SharedCommitFailed`).
* A run of calls that must not wait (:meth:`GroupCommit.hold`: the API server running
  short writes on its event loop) gets the turn only if nobody holds or wants it, and
  the database lock only if no other process holds it (``BEGIN IMMEDIATE`` with a zero
  busy timeout); otherwise it raises :class:`~stockade.store.repository.WouldBlock`
  having done nothing. Its calls join the transaction one after the other on the
  holding thread, each in its own savepoint, and the run commits once, when it ends.

Revisions and the change log need nothing special: each call runs its own bookkeeping
statements in order on the same connection, so it sees its predecessors' uncommitted
revision bumps, exactly as if it had committed alone.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from stockade.store.repository import Change, WouldBlock
from stockade.store.writer_connection import (
    SQLITE_BUSY,
    driver_statement,
    end_transaction,
    savepoint_statement,
    set_busy_timeout,
)

log = logging.getLogger(__name__)

#: A batch is committed once it holds this many calls, even if more are queued: under a
#: steady stream of writers this bounds how long the first caller of a batch waits.
MAX_BATCH_CALLS = 32


class SharedCommitFailed(RuntimeError):
    """The commit of the batch this call belonged to failed: the call was not applied."""


@dataclass
class _Batch:
    """One open transaction (begun on the driver) and the calls in it."""

    connection: Connection
    calls: int = 0  # calls whose work is in the transaction
    changes: list[Change] = field(default_factory=list)
    committed: bool = False
    done: bool = False
    error: BaseException | None = None

    def full(self) -> bool:
        return self.calls >= MAX_BATCH_CALLS


@dataclass
class Member:
    """One call's place in a batch: the connection to work on, and (set by the caller
    before leaving) the change it made, announced after the shared commit."""

    connection: Connection
    change: Change | None = None


@dataclass(frozen=True)
class CommitStats:
    """How many batches were committed and how many calls they carried."""

    commits: int
    calls: int


class HeldRun:
    """A run of calls holding the writer (:meth:`GroupCommit.hold`)."""

    def __init__(self, group: GroupCommit, batch: _Batch, single: bool = False) -> None:
        self._group, self._batch = group, batch
        self.single = single  # a run of one call (see :meth:`GroupCommit.hold`)
        self._after: list[Callable[[], None]] = []  # GroupCommit.after_durable's callbacks

    def end_calls(self) -> None:
        """No more calls join the run (on the holding thread: its later writes would
        wait for the turn as any other's)."""
        self._group._holder = None
        self._group._held = None

    def commit(self) -> None:
        """Commit the run and give up the writer (from any thread, once the calls ended);
        :class:`SharedCommitFailed` when it could not be committed: none of it applied."""
        self.end_calls()
        self._group._leave(commit=True)
        if self._batch.error is not None:
            raise SharedCommitFailed(
                f"the shared commit failed, nothing was applied: {self._batch.error}"
            ) from self._batch.error
        for callback in self._after:
            callback()


class GroupCommit:
    """Serialises write calls on one connection and commits them in shared batches.

    Only the caller holding the turn touches the connection and the open batch; the lock
    guards the turn, the queue count, the counters and every batch's ``done``.
    """

    def __init__(
        self,
        connect: Callable[[], Connection],
        announce: Callable[[list[Change]], None],
        turn_timeout_s: float,
    ) -> None:
        """``connect`` opens the writer connection (lazily, again after a failure);
        ``announce`` gets each committed batch's changes, in order, before its callers
        return (called without the turn, so it may itself write). A caller waiting longer
        than ``turn_timeout_s`` for its turn gives up, as SQLite's busy timeout would."""
        self._connect = connect
        self._announce = announce
        self._turn_timeout_s = turn_timeout_s
        self._lock = threading.Lock()
        self._turn = threading.Condition(self._lock)  # the turn was passed on
        self._done = threading.Condition(self._lock)  # a batch ended (or may be orphaned)
        self._busy = False  # a caller holds the turn
        self._queued = 0  # callers waiting for the turn
        self._connection: Connection | None = None
        self._busy_timeout_s = turn_timeout_s  # SQLite's, on the connection (0: BEGIN never waits)
        self._batch: _Batch | None = None  # the open transaction
        self._ended: _Batch | None = None  # ended by the turn holder, to complete on leaving
        self._commits = 0
        self._calls = 0
        self._holder: int | None = None  # the thread holding the writer (``held``)
        self._held: HeldRun | None = None  # that run

    def after_durable(self, callback: Callable[[], None]) -> None:
        """``callback`` after the holding thread's run commits (only if it does), or now
        when this thread holds no run: its writes returned only once durable."""
        held = self._held if self._holder == threading.get_ident() else None
        if held is None:
            callback()
        else:
            held._after.append(callback)

    @property
    def queued(self) -> int:
        """Callers waiting for the connection right now (for tests and diagnostics)."""
        with self._lock:
            return self._queued

    def stats(self) -> CommitStats:
        with self._lock:
            return CommitStats(self._commits, self._calls)

    @contextmanager
    def member(self) -> Iterator[Member]:
        """Run one call's statements in the shared transaction; return once it is durable.

        Raises what the body raised (after rolling back only this call's work), or
        :class:`SharedCommitFailed` if the batch could not be committed.

        In a run (:meth:`hold`), on the holding thread, the call joins the run's
        transaction in its own savepoint and returns at once: the run commits for all.
        """
        if self._holder == threading.get_ident():
            with self._held_member() as member:
                yield member
            return
        self._take_turn()
        try:
            batch = self._batch or self._begin()
        except BaseException:
            self._leave()
            raise
        connection = self._live_connection()
        savepoint = bool(batch.calls)  # not the first call: isolate it from its predecessors
        if savepoint:
            try:
                savepoint_statement(connection, "SAVEPOINT")
            except BaseException as exc:
                self._poison(batch, exc)
                self._leave()
                self._await(batch, own_failure=True)
                raise
        member = Member(connection)
        try:
            yield member
        except BaseException:
            self._undo(batch, savepoint)
            self._leave()
            self._await(batch, own_failure=True)
            raise
        try:
            if savepoint:
                savepoint_statement(connection, "RELEASE")  # the call's work joins the transaction
        except BaseException as exc:
            self._poison(batch, exc)
        else:
            batch.calls += 1
            if member.change is not None:
                batch.changes.append(member.change)
        self._leave()
        self._await(batch)

    def hold(self, single: bool = False) -> HeldRun:
        """Hold the writer for a run of calls made by this thread, committed together.

        For the API server's event loop: it runs the short writes that arrived together
        one after the other, each joining this transaction in its own savepoint
        (:meth:`member` returns as soon as the call's statements ran), then
        :meth:`HeldRun.commit` -- one commit, one fsync for the run, which may run in
        another thread so the loop goes on meanwhile -- and answers them only after it.
        No thread hand-off and no wait for a turn between calls. Raises
        :class:`WouldBlock` having done nothing when the writer is held or wanted by
        another thread, or another process holds the database's lock (the caller runs the
        calls elsewhere). Nothing of the run is durable before its commit returned.

        ``single``: the run is one call (the API server's lone write, the common case of
        a sequential client). Its first write then runs without a savepoint -- as the
        first call of a shared batch does in :meth:`member` -- sparing two statements of
        a ~10-statement call: if it fails, the transaction holds nothing else and is
        rolled back whole (a later write of the same run then raises
        :class:`SharedCommitFailed`: the run's transaction is gone).
        """
        self._take_turn(wait=False)
        try:
            batch = self._batch or self._begin(wait=False)
        except BaseException:
            self._leave()
            raise
        self._holder = threading.get_ident()
        self._held = HeldRun(self, batch, single)
        return self._held

    @contextmanager
    def held(self) -> Iterator[None]:
        """:meth:`hold`, committed on leaving the block (also when the block raised)."""
        run = self.hold()
        try:
            yield
        finally:
            run.end_calls()
            run.commit()

    @contextmanager
    def _held_member(self) -> Iterator[Member]:
        """One call of a :meth:`held` run: its own savepoint in the held transaction."""
        batch = self._batch
        if batch is None or batch.error is not None:
            raise SharedCommitFailed("an earlier failure ended this run's shared transaction")
        connection = self._live_connection()
        held = self._held
        # the first write of a run of one: nothing else in the transaction to protect
        savepoint = not (held is not None and held.single and batch.calls == 0)
        if savepoint:
            try:
                savepoint_statement(connection, "SAVEPOINT")
            except BaseException as exc:
                self._poison(batch, exc)
                raise
        member = Member(connection)
        try:
            yield member
        except BaseException:
            self._undo(batch, savepoint)
            raise
        try:
            if savepoint:
                savepoint_statement(connection, "RELEASE")  # the call's work joins the batch
        except BaseException as exc:
            self._poison(batch, exc)
            raise SharedCommitFailed(f"the shared transaction failed: {exc}") from exc
        batch.calls += 1
        if member.change is not None:
            batch.changes.append(member.change)

    def close(self) -> None:
        """Wait for the turn, commit an open batch, close the connection."""
        self._take_turn()
        try:
            if self._batch is not None:
                self._finish(self._batch, commit=True)
            if self._connection is not None:
                self._connection.close()
                self._connection = None
        finally:
            self._leave()

    # -- turns ---------------------------------------------------------------------------------

    def _take_turn(self, wait: bool = True) -> None:
        with self._lock:
            if not wait and (self._busy or self._queued):
                raise WouldBlock("another write call holds the writer connection")
            self._queued += 1
            try:
                if not self._turn.wait_for(lambda: not self._busy, self._turn_timeout_s):
                    raise TimeoutError(
                        f"no turn on the writer connection within {self._turn_timeout_s:g} s"
                    )
            except BaseException:
                self._queued -= 1
                self._done.notify_all()  # a batch left open for us may now be orphaned
                raise
            self._queued -= 1
            self._busy = True

    def _leave(self, *, commit: bool = False) -> None:
        """Give up the turn: first commit the open batch if nobody queued would extend it
        (or it is full, or ``commit`` says so); then, without the turn, complete whatever
        batch was ended."""
        batch = self._batch
        if batch is not None:
            with self._lock:
                commit_now = commit or self._queued == 0 or batch.full()
            if commit_now:
                self._finish(batch, commit=True)
        ended, self._ended = self._ended, None
        with self._lock:
            self._busy = False
            self._turn.notify()
        if ended is not None:
            self._complete(ended)

    def _await(self, batch: _Batch, *, own_failure: bool = False) -> None:
        """Wait for ``batch`` to end -- committing it here if every other caller has gone
        -- and raise :class:`SharedCommitFailed` if it failed (unless the call failed
        anyway: then its own error is what the caller sees)."""
        with self._lock:
            orphaned = False
            while not batch.done:
                if not self._busy and self._queued == 0 and self._batch is batch:
                    self._busy = orphaned = True
                    break
                self._done.wait()
        if orphaned:
            self._finish(batch, commit=True)
            self._leave()
        if batch.error is not None and not own_failure:
            raise SharedCommitFailed(
                f"the shared commit failed, nothing was applied: {batch.error}"
            ) from batch.error

    # -- the transaction (only while holding the turn) -----------------------------------------

    def _live_connection(self) -> Connection:
        if self._connection is None:
            self._connection = self._connect()
            self._busy_timeout_s = self._turn_timeout_s  # as the engine sets it up
        return self._connection

    def _begin(self, wait: bool = True) -> _Batch:
        try:
            connection = self._live_connection()
            busy_timeout_s = self._turn_timeout_s if wait else 0.0
            if self._busy_timeout_s != busy_timeout_s:  # set only when it changes
                set_busy_timeout(connection, busy_timeout_s)
                self._busy_timeout_s = busy_timeout_s
            driver_statement(connection, "BEGIN IMMEDIATE")
            self._batch = _Batch(connection)
        except OperationalError as exc:
            self._discard_connection()
            if not wait and getattr(exc.orig, "sqlite_errorcode", None) == SQLITE_BUSY:
                raise WouldBlock("another process holds the database's write lock") from exc
            raise
        except BaseException:  # e.g. the database stayed locked by another process
            self._discard_connection()
            raise
        return self._batch

    def _undo(self, batch: _Batch, savepoint: bool) -> None:
        """Roll back one failed call: its savepoint, or -- when it was the batch's first
        call, so nothing else is in the transaction -- the whole transaction."""
        try:
            if savepoint:
                savepoint_statement(self._live_connection(), "ROLLBACK TO")
                savepoint_statement(self._live_connection(), "RELEASE")
            else:
                self._finish(batch, commit=False)
        except BaseException as exc:
            self._poison(batch, exc)

    def _poison(self, batch: _Batch, exc: BaseException) -> None:
        """The connection failed mid-batch: nothing of the batch may be committed."""
        log.error(
            "the shared write transaction failed (%s): rolling back %d calls", exc, batch.calls
        )
        batch.error = exc
        if self._batch is batch:
            self._finish(batch, commit=False)

    def _finish(self, batch: _Batch, *, commit: bool) -> None:
        """Commit (one fsync) or roll back the batch; :meth:`_leave` completes it."""
        self._batch = None
        self._ended = batch
        try:
            if commit and batch.error is None:
                end_transaction(batch.connection, commit=True)
                batch.committed = True
            else:
                end_transaction(batch.connection, commit=False)
        except BaseException as exc:
            if batch.error is None:
                batch.error = exc
            log.error("a shared commit of %d calls failed: %s", batch.calls, exc)
            self._discard_connection()

    def _complete(self, batch: _Batch) -> None:
        """Announce a committed batch, then wake its callers."""
        if batch.committed:
            self._announce(batch.changes)
        with self._lock:
            if batch.committed:
                self._commits += 1
                self._calls += batch.calls
            batch.done = True
            self._done.notify_all()

    def _discard_connection(self) -> None:
        """After a failed commit or rollback the connection's state is unknown: drop it."""
        connection, self._connection = self._connection, None
        if connection is not None:
            try:
                connection.invalidate()
                connection.close()
            except Exception:
                log.exception("closing the writer connection after a failure")
