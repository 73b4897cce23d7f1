"""The agent in its own process: started, watched and restarted by ``stockade serve``.

Why a process and not a thread: the agent compiles rulesets and talks netlink in Python,
and a thread would share the API's GIL, so every batch would stall requests. The server
runs ``stockade dataplane run`` as a child (:class:`AgentProcess`), learns how it is doing
from the status file it publishes (:mod:`stockade.dataplane.status`), restarts it with
backoff when it dies (the new child rebuilds the world from the store), and stops it when
the server stops. The child runs in its own session, so a ^C at the terminal reaches only
the server, which then stops the child (no race between the two shutting down); and it asks
the kernel for SIGTERM should the server die without stopping it (:func:`follow_parent`),
so no agent is left orphaned.

A child that exits with :data:`EXIT_WORLD_HELD` found the world held by another agent: that
is not a crash to retry, and the state becomes ``refused`` with the holder named.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from stockade.dataplane.names import World
from stockade.dataplane.ownership import holder
from stockade.dataplane.status import read_status, status_path

log = logging.getLogger("stockade.dataplane")

#: ``stockade dataplane run``'s exit status when another agent holds the world.
EXIT_WORLD_HELD = 3
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
#: A child that ran this long before dying was healthy: the next restart is immediate-ish.
STABLE_S = 30.0
STOP_TIMEOUT_S = 10.0
_POLL_S = 0.1
_PR_SET_PDEATHSIG = 1


def follow_parent(parent_pid: int) -> bool:
    """In the child: be sent SIGTERM when the parent goes; ``False`` when it already has.

    (The kernel signals when the *thread* that started the child exits; the supervisor
    starts every child from its monitor thread, which outlives the children it starts.)
    """
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    return os.getppid() == parent_pid


def _exit_text(code: int) -> str:
    if code < 0:
        return f"signal {signal.Signals(-code).name}"
    return f"exit status {code}"


class AgentProcess:
    """One agent child process for ``world``, kept running until :meth:`stop`.

    States: ``starting``, ``running``, ``restarting`` (it died; a new one follows after
    the backoff), ``refused`` (another agent holds the world; no retry), ``stopped``.
    """

    def __init__(
        self, command: list[str], env: dict[str, str], world: World, state_dir: Path
    ) -> None:
        self.command = command
        self.env = env
        self.world = world
        #: where the agent writes its status, flow logs and counters (the console reads them)
        self.state_dir = state_dir
        self.status_file = status_path(state_dir, world)
        self._guard = threading.Lock()
        self._state = "starting"
        self._pid: int | None = None
        self._reason: str | None = None
        self._stopping = threading.Event()
        self._settled = threading.Event()  # the first child is running, refused or died
        self._thread: threading.Thread | None = None

    @classmethod
    def for_store(
        cls, db: str, world: World, state_dir: Path, verbose: bool = False, interval: int = 600
    ) -> AgentProcess:
        """The child ``stockade dataplane run`` for store ``db`` (passed in the environment,
        so a password in a URL does not show in ``ps``)."""
        command = [
            sys.executable,
            "-m",
            "stockade.cli.main",
            "dataplane",
            "run",
            "--dir",
            str(state_dir),
            "--parent-pid",
            str(os.getpid()),
            "--max-aggregation-interval",  # of its flow logs
            str(interval),
        ]
        if verbose:
            command.append("--verbose")
        env = {**os.environ, "STOCKADE_DB": db, "STOCKADE_DATAPLANE_PREFIX": world.prefix}
        return cls(command, env, world, state_dir)

    # -- control ---------------------------------------------------------------------------

    def start(self, timeout: float = 120.0) -> str:
        """Start the first child and wait (up to ``timeout``) until it runs, is refused or
        dies; returns the state then."""
        self._thread = threading.Thread(
            target=self._watch, name="stk-agent-supervisor", daemon=True
        )
        self._thread.start()
        self._settled.wait(timeout)
        return self.status()["state"]

    def stop(self) -> None:
        """Stop the child (SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT_S`) and wait."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S + 5)
        self._set("stopped", None, None)

    def status(self) -> dict:
        """The state, pid and reason, plus what the running child last published."""
        with self._guard:
            info = {"state": self._state, "pid": self._pid, "reason": self._reason}
        published = read_status(self.status_file) if info["pid"] else None
        if published and published.get("pid") == info["pid"]:
            return {**published, **info}
        return {**info, "revision": None}

    # -- the monitor thread ----------------------------------------------------------------

    def _set(self, state: str, pid: int | None, reason: str | None) -> None:
        with self._guard:
            self._state, self._pid, self._reason = state, pid, reason

    def _watch(self) -> None:
        backoff = BACKOFF_FIRST_S
        try:
            while not self._stopping.is_set():
                started = time.monotonic()
                pid, code = self._run_child()
                if code is None:
                    return
                if code == EXIT_WORLD_HELD:
                    held = holder(self.world)
                    reason = (
                        held.describe(self.world)
                        if held
                        else f"world {self.world.prefix} is held by another data-plane agent"
                    )
                    log.warning("data plane: off (%s)", reason)
                    self._set("refused", None, reason)
                    return
                if time.monotonic() - started >= STABLE_S:
                    backoff = BACKOFF_FIRST_S
                reason = (
                    f"the data-plane agent (pid {pid}) stopped with {_exit_text(code)}; "
                    f"restarting in {backoff:.1f} s"
                )
                log.warning("%s", reason)
                self._set("restarting", None, reason)
                self._settled.set()
                if self._stopping.wait(backoff):
                    return
                backoff = min(backoff * 2, BACKOFF_MAX_S)
        finally:
            self._settled.set()

    def _run_child(self) -> tuple[int, int | None]:
        """Run one child until it exits (its pid and exit code) or until :meth:`stop`
        (then the code is ``None``)."""
        child = subprocess.Popen(
            self.command, env=self.env, stdin=subprocess.DEVNULL, start_new_session=True
        )
        with self._guard:  # "restarting" (and why) stays until the new child runs
            if self._state != "restarting":
                self._state, self._reason = "starting", None
            self._pid = child.pid
        running = False
        while True:
            code = child.poll()
            if code is not None:
                return child.pid, code
            if self._stopping.is_set():
                self._terminate(child)
                return child.pid, None
            if not running and (read_status(self.status_file) or {}).get("pid") == child.pid:
                running = True
                if self.status()["state"] == "restarting":
                    log.info("data plane: the agent runs again (pid %d)", child.pid)
                self._set("running", child.pid, None)
                self._settled.set()
            self._stopping.wait(_POLL_S)

    @staticmethod
    def _terminate(child: subprocess.Popen) -> None:
        child.terminate()
        try:
            child.wait(STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            log.warning("the data-plane agent (pid %d) ignored SIGTERM; killing it", child.pid)
            child.kill()
            child.wait()


class DataPlaneOff:
    """What ``serve`` holds when no agent runs: a status saying why."""

    def __init__(self, reason: str) -> None:
        self.reason = reason

    def status(self) -> dict:
        return {"state": "off", "pid": None, "reason": self.reason, "revision": None}

    def stop(self) -> None:
        pass
