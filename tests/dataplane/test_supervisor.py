"""The supervisor's states with real child processes standing in for the agent (no root
needed): running once the child publishes its status, restarted with a growing backoff
when it dies, ``refused`` without retry when it reports a held world, stopped with it."""

from __future__ import annotations

import os
import secrets
import signal
import sys
import time
from pathlib import Path

from stockade.dataplane.names import World
from stockade.dataplane.status import status_path
from stockade.dataplane.supervisor import EXIT_WORLD_HELD, AgentProcess

# Publishes a status naming itself (as the agent does after its rebuild), then waits.
RUNS = """
import json, os, sys, time
path = sys.argv[1]
with open(path + ".tmp", "w") as f:
    json.dump({"pid": os.getpid(), "revision": 7, "batches": 1}, f)
os.replace(path + ".tmp", path)
time.sleep(120)
"""


def _process(tmp_path: Path, script: str) -> AgentProcess:
    world = World(f"stk{secrets.token_hex(3)}-")
    path = status_path(tmp_path, world)
    return AgentProcess(
        [sys.executable, "-c", script, str(path)], dict(os.environ), world, tmp_path
    )


def _until(check, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while not (value := check()):
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)
    return value


def _gone(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return True
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def test_a_killed_child_is_restarted_and_stop_ends_it(tmp_path):
    process = _process(tmp_path, RUNS)
    try:
        assert process.start(timeout=20) == "running"
        first = process.status()
        assert first["pid"] != os.getpid() and first["revision"] == 7
        os.kill(first["pid"], signal.SIGKILL)
        again = _until(
            lambda: (s := process.status())["state"] == "running" and s["pid"] != first["pid"] and s
        )
        assert again["reason"] is None and again["revision"] == 7
    finally:
        process.stop()
    assert _gone(again["pid"]) and process.status()["state"] == "stopped"


def test_a_child_that_keeps_failing_is_retried_with_a_growing_backoff(tmp_path):
    process = _process(tmp_path, "import sys; sys.exit(1)")
    try:
        assert process.start(timeout=20) == "restarting"
        assert "exit status 1; restarting in 0.5 s" in process.status()["reason"]
        _until(lambda: "restarting in 1.0 s" in (process.status()["reason"] or ""))
    finally:
        process.stop()


def test_a_child_refused_for_a_held_world_is_not_retried(tmp_path):
    process = _process(tmp_path, f"import sys; sys.exit({EXIT_WORLD_HELD})")
    try:
        assert process.start(timeout=20) == "refused"
        status = process.status()
        assert status["pid"] is None and status["revision"] is None
        assert f"world {process.world.prefix} is held" in status["reason"]
        time.sleep(1.0)  # longer than the first backoff: still refused, nothing restarted
        assert process.status()["state"] == "refused"
    finally:
        process.stop()
