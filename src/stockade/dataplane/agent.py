"""The data-plane agent: makes the kernel follow the desired state in the store.

Loop: wait for the store's revision to move (a commit through the same store object wakes
it at once; other processes' commits are seen by polling), read what the change log says
changed (:mod:`stockade.dataplane.follow`), recompute the plans of the scope's VPCs, fix
the topology, recompile only the groups that changed and apply each VPC's new ruleset as
one nft transaction. Changes that arrive while a batch is applied are applied together in
the next one — that is the batching. On start (and so after any restart) it reads
everything, rebuilds every VPC's table with a full atomic rewrite, re-creates missing
namespaces and removes the world's namespaces nothing wants any more — only those marked
as made by this store's agent.

One world, one owner: :meth:`Agent.start` takes the world's lock
(:mod:`stockade.dataplane.ownership`) and keeps it until :meth:`Agent.stop`, so a second
agent for the world (another store, or the same one twice) refuses to start with
:class:`WorldHeld` naming the holder. With a state dir, the agent publishes
:meth:`Agent.status` to a file there (:mod:`stockade.dataplane.status`) for the process
that supervises it.

Between batches it looks for drift — the kernel changed behind its back — every
``check_interval`` seconds (each router's tables and nftables generation: a few netlink
calls) and every ``topology_interval`` seconds also namespaces, links, addresses and routes;
what drifted is logged and repaired (:meth:`Reconciler.verify`). While a router's table is
missing its guard table drops everything forwarded, so the repair window fails closed.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from pathlib import Path

from stockade.dataplane.flowlog_window import DEFAULT_INTERVAL
from stockade.dataplane.follow import Follower, Refresh, peered_scopes
from stockade.dataplane.names import World, store_id
from stockade.dataplane.ownership import WorldHeld, WorldLock
from stockade.dataplane.plan import PortPlan
from stockade.dataplane.reconcile import Batch, Reconciler
from stockade.dataplane.status import status_path, write_status
from stockade.domain.flow_log import FlowLog
from stockade.domain.scope import Scope
from stockade.store.repository import Store

log = logging.getLogger(__name__)

__all__ = ["Agent", "WorldHeld"]

#: While idle, the status file is rewritten this often (its ``updated`` time moves on).
STATUS_EVERY_S = 2.0


class Agent:
    """Follows ``store`` and keeps the world ``world`` (namespaces, links, rules) in step."""

    def __init__(
        self,
        store: Store,
        world: World | None = None,
        state_dir: str | Path | None = None,
        realize: Callable[[PortPlan], bool] | None = None,
        check_interval: float = 0.5,
        topology_interval: float = 5.0,
        flowlog_interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.store = store
        self.store_label = store.url.render_as_string(hide_password=True)
        owned = (world or World()).owned_by(store_id(self.store_label))
        self.follower = Follower(store)
        self.reconciler = Reconciler(
            owned, state_dir, realize, flowlog_interval, flow_logs=self._flow_logs
        )
        self.world = self.reconciler.world
        self.lock = WorldLock(self.world)
        self.status_file = status_path(Path(state_dir), self.world) if state_dir else None
        self._published = 0.0
        self.topology = self.reconciler.topology
        self.revision = 0
        self.last: Batch | None = None
        self.batches = 0  # batches applied (rebuilds included)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._applied = threading.Condition()
        # Drift checks: when, how many, and the last repairs (time, finding).
        self.check_interval = check_interval
        self.topology_interval = topology_interval
        self.checks = 0
        self.last_check: float | None = None  # wall-clock time of the last check
        self.repairs: deque[tuple[float, str]] = deque(maxlen=50)
        self.repair_count = 0
        self._next_check = 0.0
        self._next_topology_check = 0.0
        self._check_now = threading.Event()
        self._checked = threading.Condition()

    def _flow_logs(self, scope: Scope) -> list[FlowLog]:
        """The scope's flow logs, read when a flow-log interval closes (from the reader's
        thread: a store read of its own)."""
        with self.store.read(scope) as tx:
            return tx.list_flow_logs()

    @property
    def routers(self):
        return self.reconciler.routers

    # -- running ---------------------------------------------------------------------------

    def start(self) -> Agent:
        """Take the world's lock (raising :class:`WorldHeld` when another agent has it),
        then rebuild and follow the store — both in the agent's own thread (rtnetlink
        handles belong to the thread that opened them); returns once the rebuild is done,
        raising what made it fail (and letting the world go again)."""
        self.lock.acquire(self.store_label)
        ready = threading.Event()
        failure: list[BaseException] = []

        def main() -> None:
            try:
                self.rebuild()
            except BaseException as exc:
                failure.append(exc)
                self.topology.close()
                return
            finally:
                ready.set()
            self._loop()

        self._thread = threading.Thread(target=main, name="stk-agent", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self.lock.release()
            raise failure[0]
        return self

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    wait = (
                        0.0
                        if self._check_now.is_set()
                        else max(0.0, min(0.5, self._next_check - time.monotonic()))
                    )
                    if self.step(timeout=wait) is None and self._status_due():
                        self.publish()
                    if self._check_now.is_set() or time.monotonic() >= self._next_check:
                        self.check()
                except Exception:  # keep following; the next batch starts from a full rewrite
                    log.exception("data-plane batch failed; retrying")
                    self.reconciler.forget_kernel()
                    time.sleep(0.5)
        finally:
            self.topology.close()  # this thread's rtnetlink handles

    def stop(self) -> None:
        """Stop following and let the world go (it stays as it is; ``stockade down``
        removes it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.reconciler.close()
        if self.lock.held and self.status_file is not None:
            self.status_file.unlink(missing_ok=True)
        self.lock.release()

    # -- status ----------------------------------------------------------------------------

    def status(self) -> dict:
        """What the agent is doing, as plain JSON-able values (the status file's content)."""
        last = self.last
        return {
            "pid": os.getpid(),
            "world": self.world.prefix,
            "store": self.store_label,
            "revision": self.revision,
            "batches": self.batches,
            "last_batch_seconds": round(last.seconds, 6) if last else None,
            "vpc_routers": len(self.routers),
            "checks": self.checks,
            "last_check": self.last_check,
            "repairs": self.repair_count,
            "recent_repairs": [{"time": t, "drift": line} for t, line in list(self.repairs)[-10:]],
            "updated": time.time(),
        }

    def publish(self) -> None:
        """Write :meth:`status` to the status file (atomically), when there is one."""
        if self.status_file is None:
            return
        self._published = time.monotonic()
        try:
            write_status(self.status_file, self.status())
        except OSError as exc:  # a full disk must not stop the data plane
            log.warning("cannot write the data-plane status file %s: %s", self.status_file, exc)

    def _status_due(self) -> bool:
        return time.monotonic() - self._published >= STATUS_EVERY_S

    def check(self) -> list[str]:
        """Look for drift now (on the agent's thread) and repair it; the findings."""
        now = time.monotonic()
        full = self._check_now.is_set() or now >= self._next_topology_check
        self._check_now.clear()
        found = self.reconciler.verify(topology=full)
        stamp = time.time()
        for line in found:
            log.warning("data-plane drift repaired: %s", line)
            self.repairs.append((stamp, line))
        self.repair_count += len(found)
        self._next_check = now + self.check_interval
        if full:
            self._next_topology_check = now + self.topology_interval
        with self._checked:
            self.checks += 1
            self.last_check = stamp
            self._checked.notify_all()
        if found or full:
            self.publish()
        return found

    def request_check(self) -> None:
        """Ask for a full check soon (safe from any thread or a signal handler)."""
        self._check_now.set()

    def verify(self, timeout: float = 10.0) -> bool:
        """Ask the agent's thread for a full check now; wait until one has run."""
        with self._checked:
            before = self.checks
            self._check_now.set()  # seen within one wait of the loop (<= 0.5 s)
            return self._checked.wait_for(lambda: self.checks > before, timeout)

    def wait_for(self, revision: int, timeout: float = 10.0) -> bool:
        """Block until a batch at or after ``revision`` has been applied."""
        deadline = time.monotonic() + timeout
        with self._applied:
            while self.revision < revision:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._applied.wait(left)
        return True

    # -- batches ---------------------------------------------------------------------------

    def rebuild(self) -> Batch:
        """Read every scope from scratch and make the kernel match (start / restart)."""
        started = time.perf_counter()
        revision = self.store.revision()
        batch = Batch(revision, 0.0)
        self.reconciler.forget_kernel()  # the next apply of each VPC is a full rewrite
        refreshes = {scope: self.follower.full(scope) for scope in self.follower.scopes()}
        for scope, refresh in refreshes.items():  # (every scope read: peers' merges need them)
            self.reconciler.apply(scope, refresh, batch, self.follower.context(scope))
        self.reconciler.prune()
        self._done(batch, time.perf_counter() - started)
        return batch

    def step(self, timeout: float = 0.5) -> Batch | None:
        """Apply everything committed since the last batch; ``None`` if nothing was."""
        current = self.store.wait_for_change(self.revision, timeout)
        if current <= self.revision:
            return None
        started = time.perf_counter()
        changes = self.store.changes_since(self.revision)
        revision = max([c.revision for c in changes] + [current])
        touched: dict[Scope, set[str]] = {}
        for change in changes:
            touched.setdefault(Scope(change.account, change.region), set()).update(
                change.resource_ids
            )
        batch = Batch(revision, 0.0)
        before = {scope: self.follower.snapshots.get(scope) for scope in touched}
        refreshes = {
            scope: self.follower.refresh(scope, ids, revision) for scope, ids in touched.items()
        }
        # A peering that changed in one scope changed for the other side's too.
        for scope, ids in touched.items():
            if any(i.startswith("pcx-") for i in ids):
                seen = [refreshes[scope].snapshot, before[scope]]
                for other in set().union(*(peered_scopes(s, False) for s in seen if s)):
                    if other not in refreshes:
                        refreshes[other] = self.follower.full(other)
        for scope, refresh in refreshes.items():
            self.reconciler.apply(scope, refresh, batch, self.follower.context(scope))
        for scope in self.follower.dependents(refreshes):  # peered: their members may move
            self.reconciler.apply(
                scope,
                _as_peer(self.follower.snapshots[scope], refreshes.values()),
                batch,
                self.follower.context(scope),
            )
        seconds = time.perf_counter() - started  # the batch is in force
        # Old chains retire once it is (off the path to the batch's first packets), and
        # before anyone waiting is told it is applied: what they then read stays put.
        self.reconciler.settle()
        self._done(batch, seconds)
        return batch

    def _done(self, batch: Batch, seconds: float) -> None:
        batch.seconds = seconds
        self.last = batch
        self.batches += 1
        with self._applied:
            self.revision = max(self.revision, batch.revision)
            self._applied.notify_all()
        self.publish()


def _as_peer(snapshot, changed: Iterable[Refresh]) -> Refresh:
    """The refresh of a scope whose peers changed: its own snapshot, with what changed in
    theirs that it reads — their interfaces and instances (the member sets of its
    references across the peering); after a full read of theirs, anything. (Their groups'
    rules are theirs alone.)"""
    changed = list(changed)
    return Refresh(
        snapshot,
        any(r.full for r in changed),
        frozenset(),
        frozenset().union(*(r.interfaces for r in changed)),
        frozenset().union(*(r.instances for r in changed)),
    )
