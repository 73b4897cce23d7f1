"""Short writes run on the event loop, in runs that share one commit.

Why: a short write's own CPU is ~0.2-0.4 ms, and in a worker thread it also pays two thread
wake-ups and fights the loop for the GIL. On the loop, N writes that came in together
cost N times their handlers' CPU and one fsync, with no hand-off at all:

* the request is authenticated and parsed as it arrives (:func:`dispatch.begin`), while
  the previous run may still be committing, so only its handler holds the writer;
* the waiting writes run one after the other as one *held run* of the group commit
  (:meth:`Store.hold_writes`): each in its own savepoint, so a rejected call undoes only
  its own work; writes that arrive while the run holds the writer join it (two loop
  turns read and parse them), up to :data:`MAX_RUN`;
* then one commit for the run -- in a worker thread, so the loop reads the next requests
  meanwhile (they form the next run) -- and only then is any call of the run answered:
  every answer is durable. If that commit fails, nothing of the run was applied and its
  successful calls are answered ``InternalError``;
* a lone write with nothing else in flight (after one loop turn, so requests that arrived
  together see each other) is a run of one that the loop runs and commits at once: no
  task, no future, no thread hand-off;
* when the writer is busy (a long write in a thread, another process holding SQLite's
  lock), nothing is run and the run's calls go to worker threads, where waiting is
  harmless (:class:`WouldBlock`).

The loop waits at most a run's handlers' CPU meanwhile.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import anyio

from stockade.api.dispatch import INTERNAL_ERROR, Outcome, Pending, complete
from stockade.api.serialize import serialize_error
from stockade.domain.errors import AwsError
from stockade.store.group_commit import MAX_BATCH_CALLS
from stockade.store.repository import Store, WouldBlock

log = logging.getLogger("stockade.api")

#: Calls in one run at most (then the next run follows): the group commit's batch bound.
MAX_RUN = MAX_BATCH_CALLS

_Waiting = tuple[Pending, "asyncio.Future[Outcome | None]"]


class LoopWrites:
    """The short writes of one server waiting for, or in, a run on its event loop."""

    def __init__(
        self, store: Store, limiter: anyio.CapacityLimiter, alone: Callable[[], bool]
    ) -> None:
        """``limiter`` bounds the worker threads commits run in; ``alone()`` says whether
        the caller's request is the only one in flight (then a lone run commits on the
        loop)."""
        self._store, self._limiter, self._alone = store, limiter, alone
        self._waiting: list[_Waiting] = []
        self._running = False  # a run is under way (its handlers or its commit)
        self._tasks: set[asyncio.Task[None]] = set()

    async def answer(self, pending: Pending) -> Outcome | None:
        """The answer to a prepared short write once its run is durable, or ``None``
        when it could not run on the loop (nothing was done: run it in a thread)."""
        await asyncio.sleep(0)  # requests that arrived with this one check in first
        if not self._running and not self._waiting and self._alone():
            return self._run_alone(pending)
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[Outcome | None] = loop.create_future()
        self._waiting.append((pending, waiter))
        if not self._running:  # start a run after the requests already ready to run
            loop.call_soon(self._start)
        return await waiter

    def _run_alone(self, pending: Pending) -> Outcome | None:
        """A lone write with nothing else in flight: a run of one, committed by the loop
        itself -- no task, no future, no hand-off (the fsync is all the loop waits)."""
        try:
            held = self._store.hold_writes(single=True)  # its write needs no savepoint
        except WouldBlock:
            return None
        outcome: Outcome | None = None
        try:
            outcome = complete(pending)
            outcome.on_loop = True
        finally:
            held.end_calls()
            try:
                held.commit()
            except Exception:  # the commit failed: nothing of the call was applied
                log.exception("the commit of a call run on the loop failed")
                if outcome is not None and outcome.status == 200:
                    outcome = _internal_error(outcome)
        return outcome

    def _start(self) -> None:
        if self._running or not self._waiting:
            return
        self._running = True  # before the task starts: one run at a time
        task = asyncio.get_running_loop().create_task(self._drain())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self) -> None:
        """Runs, one after the other, while writes wait."""
        try:
            while self._waiting:
                run = self._waiting[:MAX_RUN]
                del self._waiting[:MAX_RUN]
                answers = await self._run(run)
                for (_, waiter), answer in zip(run, answers, strict=True):
                    if not waiter.done():  # its request may have been cancelled meanwhile
                        waiter.set_result(answer)
        finally:
            self._running = False

    async def _run(self, run: list[_Waiting]) -> list[Outcome | None]:
        """One held run: the handlers on the loop, then the commit (module doc)."""
        try:
            held = self._store.hold_writes()
        except WouldBlock:
            return [None] * len(run)
        outcomes: list[Outcome] = []
        try:
            while True:
                for pending, _ in run[len(outcomes) :]:
                    outcome = complete(pending)
                    outcome.on_loop = True
                    outcomes.append(outcome)
                if len(run) >= MAX_RUN:
                    break
                await asyncio.sleep(0)  # writes arriving meanwhile join this run:
                await asyncio.sleep(0)  # one turn reads them, the next parses them
                if not self._waiting:
                    break
                more = self._waiting[: MAX_RUN - len(run)]
                del self._waiting[: len(more)]
                run.extend(more)
        finally:
            held.end_calls()
            try:
                await anyio.to_thread.run_sync(held.commit, limiter=self._limiter)
            except Exception:  # the shared commit failed: nothing of the run was applied
                log.exception("the commit of %d calls run on the loop failed", len(outcomes))
                outcomes = [_internal_error(o) if o.status == 200 else o for o in outcomes]
        return list(outcomes)


def _internal_error(outcome: Outcome) -> Outcome:
    """A call's answer once the commit it waited for failed: nothing it did was applied."""
    status, body = serialize_error(AwsError("InternalError", INTERNAL_ERROR), "-")
    outcome.status, outcome.body, outcome.error_code = status, body, "InternalError"
    return outcome
