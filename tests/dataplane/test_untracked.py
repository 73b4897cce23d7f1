"""Untracked flows on real packets (aws-security-groups.md §2.4): a TCP flow allowed from
0.0.0.0/0 with all outbound traffic allowed is not tracked, so removing its rule cuts it at
the next packet, while a tracked flow (a /32 source) keeps going; untracked flows through
the internet gateway are translated statelessly and work both ways."""

from __future__ import annotations

import socket

import pytest
from policy.conftest import World as Builder

from stockade.dataplane.counters import kernel_counters
from stockade.dataplane.probe import Listeners, Probe, run

from .echo import EchoServer, connect, conntrack

pytestmark = pytest.mark.root
HOST = "203.0.113.10"
HOST_V6 = "2001:db8:ff00::10"
PUBLIC = "192.0.2.10"
CUT = 1.0  # seconds of silence that prove a connection is cut (TCP retransmits in 0.2 s)


def _echoes(client: socket.socket, data: bytes) -> bool:
    client.sendall(data)
    got = b""
    while len(got) < len(data):
        chunk = client.recv(64)
        if not chunk:
            return False
        got += chunk
    return got == data


def _cut(client: socket.socket, server: EchoServer, data: bytes) -> bool:
    """Nothing comes back and nothing reached the server (the request itself was dropped)."""
    client.settimeout(CUT)
    client.sendall(data)
    try:
        client.recv(64)
    except TimeoutError:
        return data not in b"".join(server.received)
    return False


def _ports(entries: list[list[str]]) -> set[str]:
    """The destination ports of the tracked connections (the original direction's)."""
    return {next(f for f in e if f.startswith("dport=")).split("=")[1] for e in entries}


def test_removing_the_rule_cuts_an_untracked_connection_but_not_a_tracked_one(world, realised):
    w = Builder()
    vpc = w.vpc()
    web = w.group(vpc, "web")  # the default outbound rule: all traffic to 0.0.0.0/0
    open_rule = w.rule(web, "in", "tcp", 22, 22, "0.0.0.0/0")  # untracked
    host_rule = w.rule(web, "in", "tcp", 2222, 2222, f"{HOST}/32")  # tracked
    instance = w.instance(vpc, [web], "10.0.0.5", public_ip=PUBLIC)
    realised.apply_snapshot(w.snapshot())
    host = realised.topology.internet.add_host(HOST)
    with (
        EchoServer(world.instance(instance), 22, 2222) as server,
        connect(host, PUBLIC, 22) as untracked,
        connect(host, PUBLIC, 2222) as tracked,
    ):
        assert _echoes(untracked, b"one") and _echoes(tracked, b"two")
        assert server.peers == [HOST, HOST]  # the gateway translated both ways
        assert _ports(conntrack(world.router(vpc), "tcp")) == {"2222"}  # 22: not tracked
        # every untracked packet met the rule, but it counts the connection once, like the
        # tracked one (flow logs and hit counters count connections)
        counters = kernel_counters(world)
        assert counters[open_rule][0] == counters[host_rule][0] == 1
        w.rules = [r for r in w.rules if r.group_id != web or r.is_egress]
        realised.apply_snapshot(w.snapshot())  # both inbound rules are gone
        assert _echoes(tracked, b"three")  # the tracked connection goes on
        assert _cut(untracked, server, b"four")  # the untracked one stops at once


def test_an_untracked_flow_to_the_internet_works_both_ways_from_the_public_address(world, realised):
    w = Builder()
    vpc = w.vpc()
    group = w.group(vpc, "open")  # the default outbound rule ...
    w.rule(group, "in", "-1", None, None, "0.0.0.0/0")  # ... and all inbound: untracked
    instance = w.instance(vpc, [group], "10.0.0.5", public_ip=PUBLIC)
    realised.apply_snapshot(w.snapshot())
    host = realised.topology.internet.add_host(HOST)
    with EchoServer(host, 8080) as server, connect(world.instance(instance), HOST, 8080) as c:
        assert _echoes(c, b"hello" * 100)
        assert server.peers == [PUBLIC]  # translated without a connection
        assert conntrack(world.router(vpc), "tcp") == []
        group_rules = [r for r in w.rules if r.group_id == group]
        w.rules = [r for r in w.rules if r.group_id != group or not r.is_egress]
        realised.apply_snapshot(w.snapshot())  # the outbound rule is gone
        assert _cut(c, server, b"bye")
        w.rules = group_rules
        realised.apply_snapshot(w.snapshot())  # and back: the same connection resumes
        c.settimeout(5)
        got = b""
        while b"again" not in got:  # the retransmitted "bye" comes first
            chunk = c.recv(64)
            assert chunk
            got += chunk
            if got == b"bye":
                c.sendall(b"again")


def test_inside_a_vpc_a_flow_is_untracked_only_when_both_interfaces_leave_it_so(world, realised):
    w = Builder()
    vpc = w.vpc()
    client_group = w.group(vpc, "client")
    w.rule(client_group, "in", "-1", None, None, "0.0.0.0/0")  # untracked at the client
    server_group = w.group(vpc, "server")
    w.rule(server_group, "in", "tcp", 22, 22, "0.0.0.0/0")  # untracked at the server
    w.rule(server_group, "in", "tcp", 2222, 2222, "10.0.0.5/32")  # tracked at the server
    client = w.instance(vpc, [client_group], "10.0.0.5")
    server_id = w.instance(vpc, [server_group], "10.0.0.6")
    realised.apply_snapshot(w.snapshot())
    with (
        EchoServer(world.instance(server_id), 22, 2222) as server,
        connect(world.instance(client), "10.0.0.6", 22) as both,
        connect(world.instance(client), "10.0.0.6", 2222) as mixed,
    ):
        assert _echoes(both, b"one") and _echoes(mixed, b"two")
        # one conntrack table serves both ends: the mixed flow is tracked (module docstring
        # of stockade.dataplane.untracked)
        assert _ports(conntrack(world.router(vpc), "tcp")) == {"2222"}
        w.rules = [r for r in w.rules if r.group_id != server_group or r.is_egress]
        realised.apply_snapshot(w.snapshot())
        assert _echoes(mixed, b"three")
        assert _cut(both, server, b"four")


def test_ipv6_and_udp_follow_the_same_rule(world, realised):
    w = Builder()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    group = w.group(vpc, "dns")
    w.rule(group, "out", "-1", None, None, "::/0")
    w.rule(group, "in", "udp", 53, 53, "::/0")  # untracked: ::/0 both ways
    w.rule(group, "in", "udp", 123, 123, f"{HOST_V6}/128")  # tracked: one host
    w.rule(group, "in", "udp", 53, 53, "0.0.0.0/0")  # untracked for IPv4 too (default out)
    instance = w.instance(vpc, [group], "10.0.0.5", PUBLIC, ipv6=["2001:db8:0:1::5"])
    realised.apply_snapshot(w.snapshot())
    realised.topology.internet.ensure()
    v4, v6 = (realised.topology.internet.add_host(a) for a in (HOST, HOST_V6))
    with Listeners() as listeners:
        for port in (53, 123):
            listeners.udp(world.instance(instance), port)
        probes = [
            Probe(v6, "2001:db8:0:1::5", "udp", 53),
            Probe(v6, "2001:db8:0:1::5", "udp", 123),
            Probe(v4, PUBLIC, "udp", 53),
        ]
        assert run(probes, 2.0, listeners) == ["connected"] * 3  # the answers came back
    assert _ports(conntrack(world.router(vpc), "udp")) == {"123"}
