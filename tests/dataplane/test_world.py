"""One world, one owner: a second agent for a held world refuses and touches nothing, an
agent prunes only namespaces marked as its own store's, ``down`` removes only its world."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.dataplane import netns
from stockade.dataplane.agent import Agent, WorldHeld
from stockade.dataplane.names import World, parse_marker
from stockade.dataplane.ownership import WorldLock, holder, lock_path
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.dataplane.status import read_status
from stockade.dataplane.supervisor import EXIT_WORLD_HELD
from stockade.demo.seed import OUTSIDER, build_seed
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

from .conftest import primary_eni, settle, snapshot_of

pytestmark = pytest.mark.root
TIMEOUT = 0.4


def _web_answers(agent: Agent, instance_id: str, public_ip: str) -> list[str]:
    """Probe web's tcp/80 (open to the internet in the seed) from an internet host."""
    with Listeners() as listeners, agent.topology.internet.host(OUTSIDER) as outsider:
        listeners.tcp(agent.world.instance(instance_id), 80)
        return run([Probe(outsider, public_ip, "tcp", 80)], TIMEOUT, listeners)


@pytest.fixture
def other_store(tmp_path: Path):
    store = SqlStore.open(str(tmp_path / "other.db"))
    yield store
    store.close()


def test_a_second_agent_for_a_held_world_refuses_and_touches_nothing(
    store, ctx, agent, world, other_store, tmp_path
):
    seed = build_seed(ctx)
    settle(agent)
    web = primary_eni(snapshot_of(agent), seed.instances["web"])
    build_seed(ServiceContext(other_store, Scope(), Quotas()))  # other VPCs, other instances
    before = netns.listed(world.prefix)
    assert _web_answers(agent, seed.instances["web"], web.public_ip) == ["connected"]

    for contender in (other_store, store):  # another store, or the same one a second time
        second = Agent(contender, world, state_dir=tmp_path / "second")
        with pytest.raises(WorldHeld) as refused:
            second.start()
        second.stop()  # harmless: it never held anything
        message = str(refused.value)
        assert f"pid {os.getpid()}" in message and str(store.url.database) in message
        assert "\n" not in message

    assert netns.listed(world.prefix) == before  # nothing pruned, nothing added
    assert holder(world).pid == os.getpid()
    assert _web_answers(agent, seed.instances["web"], web.public_ip) == ["connected"]
    published = read_status(agent.status_file)
    assert published is not None and published["pid"] == os.getpid()  # still the first's


def test_prune_removes_only_namespaces_marked_as_this_stores(store, ctx, world, tmp_path):
    build_seed(ctx)
    first = Agent(store, world, state_dir=tmp_path / "dp")
    unmarked = world.instance("i-0000000000000aaaa")
    foreign = world.instance("i-0000000000000bbbb")
    leftover = world.instance("i-0000000000000cccc")
    netns.create(unmarked)  # someone else's experiment that happens to share the prefix
    netns.create(foreign, World(world.prefix, "0123456789ab").marker)  # another store's
    netns.create(leftover, first.world.marker)  # ours: an instance gone while we were down
    first.start()
    try:
        assert netns.exists(unmarked) and netns.exists(foreign)
        assert not netns.exists(leftover)
        assert netns.marker_of(foreign) == World(world.prefix, "0123456789ab").marker
        for name in netns.listed(world.prefix):  # everything the agent made is marked
            if name not in (unmarked, foreign):
                assert netns.marker_of(name) == first.world.marker, name
    finally:
        first.stop()


def test_a_namespace_left_unmarked_under_one_of_our_names_is_adopted(store, ctx, world, tmp_path):
    seed = build_seed(ctx)
    router = world.router(seed.vpc_id)
    netns.create(router)  # e.g. a crash between creating and marking it
    agent = Agent(store, world, state_dir=tmp_path / "dp").start()
    try:
        assert netns.marker_of(router) == agent.world.marker
    finally:
        agent.stop()


def test_status_is_published_while_running_and_withdrawn_on_stop(store, ctx, world, tmp_path):
    agent = Agent(store, world, state_dir=tmp_path / "dp").start()
    try:
        build_seed(ctx)
        settle(agent)
        status = agent.status()
        assert status["pid"] == os.getpid() and status["world"] == world.prefix
        assert status["store"] == str(store.url) and status["revision"] == store.revision()
        assert status["batches"] >= 2 and status["last_batch_seconds"] > 0
        deadline = time.monotonic() + 10  # written just after the batch's waiters wake
        while (read_status(agent.status_file) or {}).get("revision") != status["revision"]:
            assert time.monotonic() < deadline, read_status(agent.status_file)
            time.sleep(0.05)
    finally:
        agent.stop()
    assert read_status(agent.status_file) is None
    assert holder(world) is None and not lock_path(agent.world).exists()


def test_the_lock_survives_its_file_being_replaced(kernel, tmp_path):
    """A holder unlinks the file as it releases; a contender that opened the old file must
    not end up holding a lock nobody else can see."""
    world = World(f"stk{secrets.token_hex(3)}-")
    first, second = WorldLock(world), WorldLock(world)
    first.acquire("sqlite:///first.db")
    try:
        with pytest.raises(WorldHeld, match="first.db"):
            second.acquire("sqlite:///second.db")
    finally:
        first.release()
    second.acquire("sqlite:///second.db")
    try:
        third = WorldLock(world)
        with pytest.raises(WorldHeld, match="second.db"):
            third.acquire("sqlite:///third.db")
        assert holder(world).store == "sqlite:///second.db"
    finally:
        second.release()
    assert holder(world) is None


@pytest.fixture
def cli(world, store, tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKADE_DATAPLANE_PREFIX", world.prefix)
    monkeypatch.setenv("STOCKADE_DATAPLANE_DIR", str(tmp_path / "dataplane"))
    runner = CliRunner()

    def invoke(*args: str, code: int = 0) -> str:
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.output, result.exception)
        return result.output

    return invoke


def test_down_refuses_while_held_and_removes_only_its_world(cli, store, ctx, world, tmp_path):
    neighbour = World(f"stk{secrets.token_hex(3)}-")  # another world on the same machine
    try:
        netns.create(neighbour.internet, neighbour.marker)
        stranger = world.instance("i-0000000000000dddd")
        netns.create(stranger)  # has our prefix, but nothing says stockade made it
        agent = Agent(store, world, state_dir=tmp_path / "dataplane").start()
        build_seed(ctx)
        settle(agent)
        ours = [n for n in netns.listed(world.prefix) if n != stranger]
        assert len(ours) > 3

        refused = cli("down", code=1)
        assert "held by the data-plane agent" in refused and f"pid {os.getpid()}" in refused
        assert len(refused.strip().splitlines()) == 1
        assert netns.listed(world.prefix) == sorted([*ours, stranger])  # changed nothing

        agent.stop()
        said = cli("down")
        assert f"removed {len(ours)} namespaces" in said and stranger in said
        assert netns.listed(world.prefix) == [stranger]
        assert netns.exists(neighbour.internet)
        assert parse_marker(netns.marker_of(neighbour.internet)) == (neighbour.prefix, "-")
    finally:
        netns.remove_all(neighbour.prefix)


def test_down_force_removes_a_held_world(cli, store, ctx, world, tmp_path):
    agent = Agent(store, world, state_dir=tmp_path / "dataplane").start()
    try:
        build_seed(ctx)
        settle(agent)
        assert "removed" in cli("down", "--force")
        assert netns.listed(world.prefix) == []
    finally:
        agent.stop()


def test_dataplane_status_names_the_holder_and_what_it_last_applied(cli, store, ctx, world):
    agent = Agent(store, world, state_dir=Path(os.environ["STOCKADE_DATAPLANE_DIR"])).start()
    try:
        build_seed(ctx)
        settle(agent)
        deadline = time.monotonic() + 10
        while f"revision {store.revision()}," not in (shown := cli("dataplane", "status")):
            assert time.monotonic() < deadline, shown
            time.sleep(0.05)
        assert f"held by the data-plane agent pid {os.getpid()}" in shown
        assert agent.world.internet in shown
    finally:
        agent.stop()
    assert f"world {world.prefix}: no agent running" in cli("dataplane", "status")


def test_dataplane_run_refuses_a_held_world_with_one_line_and_exit_3(
    agent, world, other_store, tmp_path
):
    env = {**os.environ, "STOCKADE_DATAPLANE_PREFIX": world.prefix}
    refused = subprocess.run(
        [
            sys.executable,
            "-m",
            "stockade.cli.main",
            "dataplane",
            "run",
            "--db",
            str(other_store.url.database),
            "--dir",
            str(tmp_path / "other"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert refused.returncode == EXIT_WORLD_HELD
    (line,) = [x for x in refused.stderr.splitlines() if x.startswith("error:")]
    assert f"held by the data-plane agent pid {os.getpid()}" in line
    assert str(agent.store.url.database) in line


def test_dataplane_verify_asks_the_agent_for_a_check_and_lists_what_it_repaired(
    cli, store, ctx, world
):
    import signal

    agent = Agent(
        store, world, state_dir=Path(os.environ["STOCKADE_DATAPLANE_DIR"]), topology_interval=600
    ).start()
    # what `stockade dataplane run` installs; here the agent runs in this very process
    previous = signal.signal(signal.SIGUSR1, lambda *_: agent.request_check())
    try:
        seed = build_seed(ctx)
        settle(agent)
        assert "no drift" in cli("dataplane", "verify")
        router = world.router(seed.vpc_id)
        port = agent.routers[seed.vpc_id].plan.ports[0]
        with netns.iproute(router) as ipr:
            ipr.link("del", index=ipr.link_lookup(ifname=port.ifname)[0])
        said = cli("dataplane", "verify")
        assert f"repaired: {seed.vpc_id}: link {port.ifname}" in said, said
        assert "1 repaired" in cli("dataplane", "status")
    finally:
        signal.signal(signal.SIGUSR1, previous)
        agent.stop()
    assert "no agent running" in cli("dataplane", "verify", code=1)
