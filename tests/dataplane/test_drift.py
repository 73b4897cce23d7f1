"""Drift: the kernel changed behind the agent's back is noticed, logged and repaired, and
while a router's table is missing its forward path drops (fail closed).

The issue: after ``nft delete table inet …`` inside a router namespace, a blocked port was
reachable for more than 10 s, until the next store commit happened to rewrite the table.
"""

from __future__ import annotations

import time

import pytest

from stockade.dataplane import netns
from stockade.dataplane.agent import Agent
from stockade.dataplane.names import GUARD_TABLE, TABLE
from stockade.dataplane.nft import Nft
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.demo.seed import MY_COMPUTER, OUTSIDER, build_seed

from .conftest import primary_eni, settle, snapshot_of

pytestmark = pytest.mark.root
TIMEOUT = 0.5
REPAIR_WITHIN = 5.0


@pytest.fixture
def seeded(store, ctx, world, tmp_path):
    agent = Agent(
        store, world, state_dir=tmp_path / "dp", check_interval=0.5, topology_interval=60
    ).start()  # topology checks only when asked
    try:
        seed = build_seed(ctx)
        settle(agent)
        yield agent, seed
    finally:
        agent.stop()


def _tables(namespace: str) -> set[str]:
    with Nft(namespace) as nft:
        return nft.tables()


def _wait_for(predicate, within: float) -> float:
    """Seconds until ``predicate()`` held; fails after ``within``."""
    started = time.monotonic()
    while not predicate():
        assert time.monotonic() - started < within, "not repaired in time"
        time.sleep(0.05)
    return time.monotonic() - started


def _ssh_outcomes(agent, seed) -> tuple[str, str]:
    """web:22 from the allowed computer and from an outsider (blocked)."""
    web = primary_eni(snapshot_of(agent), seed.instances["web"])
    internet = agent.topology.internet
    with (
        Listeners() as listeners,
        internet.host(MY_COMPUTER) as mine,
        internet.host(OUTSIDER) as outsider,
    ):
        listeners.tcp(agent.world.instance(seed.instances["web"]), 22)
        allowed, blocked = run(
            [Probe(mine, web.public_ip, "tcp", 22), Probe(outsider, web.public_ip, "tcp", 22)],
            TIMEOUT,
            listeners,
        )
    return allowed, blocked


def test_a_deleted_table_fails_closed_and_is_repaired(seeded):
    agent, seed = seeded
    router = agent.world.router(seed.vpc_id)
    web_ns = agent.world.instance(seed.instances["web"])
    client = agent.world.instance(seed.instances["A"])
    web_ip = primary_eni(snapshot_of(agent), seed.instances["web"]).private_ip
    with Nft(router) as nft:
        nft.run(f"delete table inet {TABLE}\n")
    # Until it is back, nothing is forwarded: A -> web:22 is blocked by the groups, and
    # stays blocked (the guard drops what no table accepted).
    outcomes = []
    with Listeners() as listeners:
        listeners.tcp(web_ns, 22)
        deadline = time.monotonic() + REPAIR_WITHIN
        while TABLE not in _tables(router):
            outcomes += run([Probe(client, web_ip, "tcp", 22)], 0.1, listeners)
            assert time.monotonic() < deadline, "the table was not put back in time"
        outcomes += run([Probe(client, web_ip, "tcp", 22)], TIMEOUT, listeners)
    assert outcomes and set(outcomes) == {"timeout"}, outcomes
    assert agent.repair_count >= 1
    # a check that read the tables just before the delete sees only the generation move
    assert any(
        "is missing" in line or "changed by someone else" in line for _t, line in agent.repairs
    )
    assert _ssh_outcomes(agent, seed) == ("connected", "timeout")


def test_rules_changed_behind_the_agents_back_are_rewritten(seeded):
    agent, seed = seeded
    router = agent.world.router(seed.vpc_id)
    with Nft(router) as nft:  # someone opens the whole table
        nft.run(
            f"flush chain inet {TABLE} ingress\nflush chain inet {TABLE} egress\n"
            f"delete table inet {GUARD_TABLE}\n"
        )
    _wait_for(lambda: GUARD_TABLE in _tables(router) and agent.repair_count >= 1, REPAIR_WITHIN)
    assert any(
        "changed by someone else" in line or "is missing" in line for _t, line in agent.repairs
    )
    assert _ssh_outcomes(agent, seed) == ("connected", "timeout")


def test_removed_links_and_namespaces_are_rebuilt(seeded):
    agent, seed = seeded
    web = primary_eni(snapshot_of(agent), seed.instances["web"])
    router = agent.world.router(seed.vpc_id)
    port = next(p for p in agent.routers[seed.vpc_id].plan.ports if p.eni_id == web.eni_id)
    with netns.iproute(router) as ipr:  # web's veth pair goes
        ipr.link("del", index=ipr.link_lookup(ifname=port.ifname)[0])
    assert agent.verify()
    assert any(port.ifname in line for _t, line in agent.repairs)
    assert _ssh_outcomes(agent, seed) == ("connected", "timeout")

    before = agent.repair_count
    netns.remove(router)  # the whole router namespace goes
    assert agent.verify()
    assert agent.repair_count > before
    assert netns.exists(router) and {TABLE, GUARD_TABLE} <= _tables(router)
    assert _ssh_outcomes(agent, seed) == ("connected", "timeout")


def test_no_drift_no_repair(seeded):
    agent, seed = seeded
    assert agent.verify()
    checks = agent.checks
    _wait_for(lambda: agent.checks >= checks + 2, REPAIR_WITHIN)
    assert agent.repair_count == 0 and agent.last_check is not None


def test_the_drift_probes_read_the_routers_namespace_from_any_thread(seeded):
    """pyroute2 0.9 binds a socket's netlink connection to the thread using it: a check
    from a thread other than the one that opened the socket read the *root* namespace's
    nftables (no tables: every check "repaired" a missing table, ~1 s a time)."""
    import threading

    agent, seed = seeded
    nft = agent.routers[seed.vpc_id].applier.nft
    here = (nft.tables(), nft.generation())
    there: dict[str, object] = {}
    thread = threading.Thread(target=lambda: there.update(seen=(nft.tables(), nft.generation())))
    thread.start()
    thread.join()
    assert {TABLE, GUARD_TABLE} <= here[0]
    assert there["seen"] == here
