"""The data-plane agent: makes the kernel follow the desired state in the store.

Loop: wait for the store's revision to move (a commit through the same store object wakes
it at once; other processes' commits are seen by polling), read what the change log says
changed (:mod:`stockade.dataplane.follow`), recompute the plans of the scope's VPCs, fix
the topology, recompile only the groups that changed and apply each VPC's new ruleset as
one nft transaction. Changes that arrive while a batch is applied are applied together in
the next one — that is the batching. On start (and so after any restart) it reads
everything, rebuilds every VPC's table with a full atomic rewrite, re-creates missing
namespaces and removes the world's namespaces nothing wants any more.

Between batches it looks for drift — the kernel changed behind its back — every
``check_interval`` seconds (each router's tables and nftables generation: a few netlink
calls) and every ``topology_interval`` seconds also namespaces, links, addresses and routes;
what drifted is logged and repaired (:meth:`Reconciler.verify`). While a router's table is
missing its guard table drops everything forwarded, so the repair window fails closed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from stockade.dataplane.follow import Follower
from stockade.dataplane.names import World
from stockade.dataplane.plan import PortPlan
from stockade.dataplane.reconcile import Batch, Reconciler
from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore

log = logging.getLogger(__name__)


class Agent:
    """Follows ``store`` and keeps the world ``world`` (namespaces, links, rules) in step."""

    def __init__(
        self,
        store: SqlStore,
        world: World | None = None,
        state_dir: str | Path | None = None,
        realize: Callable[[PortPlan], bool] | None = None,
        check_interval: float = 0.5,
        topology_interval: float = 5.0,
    ) -> None:
        self.store = store
        self.follower = Follower(store)
        self.reconciler = Reconciler(world, state_dir, realize)
        self.world = self.reconciler.world
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

    @property
    def routers(self):
        return self.reconciler.routers

    # -- running ---------------------------------------------------------------------------

    def start(self) -> Agent:
        """Rebuild, then follow the store — both in the agent's own thread (rtnetlink
        handles belong to the thread that opened them); returns once the rebuild is done,
        raising what made it fail."""
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
            raise failure[0]
        return self

    def _loop(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    wait = 0.0 if self._check_now.is_set() else \
                        max(0.0, min(0.5, self._next_check - time.monotonic()))
                    self.step(timeout=wait)
                    if self._check_now.is_set() or time.monotonic() >= self._next_check:
                        self.check()
                except Exception:  # keep following; the next batch starts from a full rewrite
                    log.exception("data-plane batch failed; retrying")
                    self.reconciler.forget_kernel()
                    time.sleep(0.5)
        finally:
            self.topology.close()  # this thread's rtnetlink handles

    def stop(self) -> None:
        """Stop following (the world stays as it is; ``stockade down`` removes it)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self.reconciler.close()

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
        return found

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
        for scope in self.follower.scopes():
            self.reconciler.apply(scope, self.follower.full(scope), batch)
        self.reconciler.prune()
        self._done(batch, started)
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
                change.resource_ids)
        batch = Batch(revision, 0.0)
        for scope, ids in touched.items():
            self.reconciler.apply(scope, self.follower.refresh(scope, ids, revision), batch)
        self._done(batch, started)
        return batch

    def _done(self, batch: Batch, started: float) -> None:
        batch.seconds = time.perf_counter() - started
        self.last = batch
        self.batches += 1
        with self._applied:
            self.revision = max(self.revision, batch.revision)
            self._applied.notify_all()
