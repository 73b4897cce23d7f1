"""``stockade serve --dataplane on|auto`` as a real process: the agent runs as its child,
is restarted (and rebuilds the world) when killed, stops with the server, and a second
server for the same world serves without a data plane and says why."""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from stockade.dataplane import netns
from stockade.dataplane.internet import Internet
from stockade.dataplane.ownership import holder
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.demo.seed import OUTSIDER, build_seed
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

pytestmark = pytest.mark.root
START_TIMEOUT = 60.0
TIMEOUT = 0.4


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _health(url: str) -> dict:
    with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
        return json.loads(response.read())


def _until(what: str, check, timeout: float = 30.0):
    """Poll ``check()`` until it returns something truthy (returned) or fail after
    ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def _alive(pid: int) -> bool:
    """Whether process ``pid`` exists and is not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


@pytest.fixture
def env(world, tmp_path) -> dict[str, str]:
    variables = {k: v for k, v in os.environ.items() if k != "STOCKADE_DB"}
    return {
        **variables,
        "STOCKADE_DATAPLANE_PREFIX": world.prefix,
        "STOCKADE_DATAPLANE_DIR": str(tmp_path / "dataplane"),
    }


@contextlib.contextmanager
def _server(db: Path, env: dict[str, str], mode: str, log: Path) -> Iterator[tuple]:
    """``stockade serve`` on a free loopback port; yields (process, base URL). Stops it
    (SIGTERM, then SIGKILL) however the test ends."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "stockade.cli.main",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--db",
                str(db),
                "--dataplane",
                mode,
                "--max-aggregation-interval",  # handed to the agent child
                "60",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:

        def up():
            if proc.poll() is not None:
                raise AssertionError(f"serve exited with {proc.returncode}: {log.read_text()}")
            with contextlib.suppress(OSError):
                return _health(url)
            return None

        _until("the server to answer /health", up, START_TIMEOUT)
        yield proc, url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _seed(db: Path):
    store = SqlStore.open(str(db))
    try:
        seed = build_seed(ServiceContext(store, Scope(), Quotas()))
        with store.read(Scope()) as tx:
            snapshot = tx.snapshot()
        instance = snapshot.instance_by_id[seed.instances["web"]]
        return seed, snapshot.interface_by_id[instance.primary_eni_id], store.revision()
    finally:
        store.close()


def _applied(url: str, revision: int) -> dict | None:
    dataplane = _health(url)["dataplane"]
    ok = dataplane["state"] == "running" and (dataplane.get("revision") or 0) >= revision
    return dataplane if ok else None


def _probe_web(world, seed, web) -> list[str]:
    """Web's tcp/80 is open to the internet, its tcp/22 only to MY_COMPUTER."""
    with Listeners() as listeners, Internet(world).host(OUTSIDER) as outsider:
        for port in (80, 22):
            listeners.tcp(world.instance(seed.instances["web"]), port)
        return run(
            [Probe(outsider, web.public_ip, "tcp", 80), Probe(outsider, web.public_ip, "tcp", 22)],
            TIMEOUT,
            listeners,
        )


def _console_probe(url: str, source: str, destination: str, port: int) -> tuple[str, str]:
    """The console's probe (real outcome, analyzer's verdict) through its live page."""
    http = requests.Session()
    page = http.get(f"{url}/console/live", timeout=10).text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert token, page
    form = {"source": source, "destination": destination, "port": str(port), "protocol": "tcp"}
    answer = http.post(
        f"{url}/console/live/probe", data=form | {"csrf_token": token.group(1)}, timeout=30
    )
    found = re.search(r'data-outcome="([^"]+)" data-verdict="([^"]+)"', answer.text)
    assert found, answer.text
    return found.group(1), found.group(2)


def test_the_agent_is_a_child_restarted_when_killed_and_stopped_with_the_server(
    world, env, tmp_path
):
    db = tmp_path / "stockade.db"
    with _server(db, env, "on", tmp_path / "serve.log") as (server, url):
        first = _health(url)["dataplane"]
        assert first["state"] == "running" and first["world"] == world.prefix
        agent_pid = first["pid"]
        assert agent_pid != server.pid and _parent_of(agent_pid) == server.pid
        seed, web, revision = _seed(db)  # another process writes; the agent follows
        _until("the agent to apply the seed", lambda: _applied(url, revision))
        assert _probe_web(world, seed, web) == ["connected", "timeout"]
        # the console knows the agent's world and state directory: it probes that world
        assert _console_probe(url, OUTSIDER, "web", 80) == ("refused", "allowed")

        # Damage the world behind the agent's back, then kill it: its successor rebuilds.
        web_ns = world.instance(seed.instances["web"])
        netns.remove(web_ns)
        os.kill(agent_pid, signal.SIGKILL)
        restarted = _until(
            "a new agent",
            lambda: (lambda d: d if d["state"] == "running" and d["pid"] != agent_pid else None)(
                _health(url)["dataplane"]
            ),
        )
        assert _parent_of(restarted["pid"]) == server.pid
        assert netns.exists(web_ns)
        assert _probe_web(world, seed, web) == ["connected", "timeout"]
        said = (tmp_path / "serve.log").read_text()
        assert "restarting in 0.5 s" in said and "the agent runs again" in said
        assert "one record per flow per 60 s" in said  # the flow logs' aggregation interval

        server.send_signal(signal.SIGTERM)
        assert server.wait(20) == 0
    assert not _alive(restarted["pid"]) and not _alive(agent_pid)
    assert holder(world) is None  # the lock went with the agent
    assert netns.exists(web_ns)  # stopping the server leaves the world; `down` removes it


def test_a_second_server_for_a_held_world_runs_without_the_data_plane(world, env, tmp_path):
    first_db, second_db = tmp_path / "first.db", tmp_path / "second.db"
    with _server(first_db, env, "on", tmp_path / "first.log") as (_, first_url):
        seed, web, revision = _seed(first_db)
        _build_other = _seed(second_db)  # the second store wants other VPCs and instances
        agent = _until("the first agent to apply the seed", lambda: _applied(first_url, revision))
        namespaces = netns.listed(world.prefix)

        # Another state dir too: the lock is the world's, not the directory's.
        other_env = {**env, "STOCKADE_DATAPLANE_DIR": str(tmp_path / "other-dataplane")}
        with _server(second_db, other_env, "auto", tmp_path / "second.log") as (_, url):
            dataplane = _health(url)["dataplane"]
            assert dataplane["state"] == "refused" and dataplane["pid"] is None
            assert dataplane["revision"] is None
            assert f"pid {agent['pid']}" in dataplane["reason"]
            assert str(first_db) in dataplane["reason"]
            said = (tmp_path / "second.log").read_text()
            assert said.count("data plane: off") == 1 and "error:" not in said  # one line
            live = urllib.request.urlopen(f"{url}/console/live", timeout=10).read().decode()
            assert "The data plane is off: " in live and f"pid {agent['pid']}" in live

        refused = subprocess.run(
            [
                sys.executable,
                "-m",
                "stockade.cli.main",
                "serve",
                "--port",
                str(_free_port()),
                "--db",
                str(second_db),
                "--dataplane",
                "on",
            ],
            env=other_env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1
        assert f"pid {agent['pid']}" in refused.stderr and str(first_db) in refused.stderr

        assert netns.listed(world.prefix) == namespaces  # the first world is untouched
        assert _health(first_url)["dataplane"]["pid"] == agent["pid"]
        assert _probe_web(world, seed, web) == ["connected", "timeout"]
        del _build_other


def test_an_agent_whose_server_is_killed_stops_too(world, env, tmp_path):
    with _server(tmp_path / "stockade.db", env, "on", tmp_path / "serve.log") as (server, url):
        agent_pid = _health(url)["dataplane"]["pid"]
        server.kill()  # no chance to stop its child: the kernel tells the child instead
        server.wait()
        # it closes its flow logs and releases the world first: generous under load
        _until("the orphaned agent to stop", lambda: not _alive(agent_pid), timeout=90)
    assert holder(world) is None
