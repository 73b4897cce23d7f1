"""The agent: follows changes made by other processes, batches, and after a restart
rebuilds the kernel from the store without cutting connections."""

from __future__ import annotations

import socket
import subprocess

import pytest

from stockade.dataplane import netns
from stockade.dataplane.agent import Agent
from stockade.dataplane.probe import Listeners, Probe, open_socket, run
from stockade.demo.seed import MY_COMPUTER, OUTSIDER, build_seed
from stockade.domain.permissions import IpPermission
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.service.rules import RuleService
from stockade.store.sql import SqlStore

from .conftest import primary_eni, settle, snapshot_of
from .test_enforcement import _echo_server

pytestmark = pytest.mark.root
TIMEOUT = 0.4


def _web(agent, seed):
    return primary_eni(snapshot_of(agent), seed.instances["web"])


def test_changes_committed_by_another_process_are_followed(store, ctx, agent, tmp_path):
    seed = build_seed(ctx)
    settle(agent)
    web = _web(agent, seed)
    other = SqlStore.open(str(store.url.database))  # another writer, as another process
    try:
        RuleService(ServiceContext(other, Scope(), Quotas())).authorize(
            seed.groups["web"], [IpPermission("tcp", 2222, 2222, ip_ranges=(("0.0.0.0/0", None),))]
        )
        settle(agent)  # seen by polling the revision, not by an in-process notification
    finally:
        other.close()
    with Listeners() as listeners, agent.topology.internet.host(OUTSIDER) as outsider:
        listeners.tcp(agent.world.instance(seed.instances["web"]), 2222)
        assert run([Probe(outsider, web.public_ip, "tcp", 2222)], TIMEOUT, listeners) == [
            "connected"
        ]


def test_many_changes_are_applied_in_few_batches(ctx, agent):
    seed = build_seed(ctx)
    settle(agent)
    first, batches = agent.revision, agent.batches
    rules = RuleService(ctx)
    for port in range(3000, 3040):
        rules.authorize(
            seed.groups["web"],
            [IpPermission("tcp", port, port, ip_ranges=(("198.51.100.0/24", None),))],
        )
    settle(agent)
    assert agent.revision - first == 40
    assert agent.batches - batches < 40  # changes that arrive during a batch go together


def test_a_restart_rebuilds_from_the_store_and_keeps_connections(store, ctx, world, tmp_path):
    first = Agent(store, world, state_dir=tmp_path / "dp").start()
    try:
        seed = build_seed(ctx)
        settle(first)
        web = _web(first, seed)
        router = world.router(seed.vpc_id)
    finally:
        first.stop()
    server = _echo_server(world.instance(seed.instances["web"]), 22)
    internet = first.topology.internet
    host = internet.add_host(MY_COMPUTER)
    client = open_socket(host, socket.AF_INET, socket.SOCK_STREAM)
    client.settimeout(2)
    try:
        client.connect((web.public_ip, 22))
        # While no agent runs: a leftover namespace, and rules damaged behind its back.
        stray = world.instance("i-00000000000dead00")
        netns.create(stray, first.world.marker)  # a leftover of its own (not pruned otherwise)
        subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                router,
                "nft",
                "flush",
                "map",
                "inet",
                "stk_vpc",
                "eg_dispatch",
            ],
            capture_output=True,
            check=False,
        )
        subprocess.run(
            [
                "ip",
                "netns",
                "exec",
                router,
                "nft",
                "flush",
                "map",
                "inet",
                "stk_vpc",
                "in_dispatch",
            ],
            capture_output=True,
            check=False,
        )
        second = Agent(store, world, state_dir=tmp_path / "dp").start()
        try:
            assert not netns.exists(stray)
            assert second.last.applied[seed.vpc_id].mode == "full"
            client.sendall(b"still here")
            assert client.recv(64) == b"still here"  # the router's conntrack survived
            with Listeners() as listeners, internet.host(OUTSIDER) as outsider:
                listeners.tcp(world.instance(seed.instances["web"]), 80)
                outcomes = run(
                    [
                        Probe(outsider, web.public_ip, "tcp", 22),
                        Probe(outsider, web.public_ip, "tcp", 80),
                    ],
                    TIMEOUT,
                    listeners,
                )
            assert outcomes == ["timeout", "connected"]
        finally:
            second.stop()
    finally:
        client.close()
        server.close()
        internet.remove_host(MY_COMPUTER)
