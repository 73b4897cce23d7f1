"""Network ACLs on real packets: stateless, at the subnet boundary, in the VPC router.

Deny before allow by rule number; a denied request times out (dropped, never refused); a
reply the ACL denies (no ephemeral entry) makes the client time out though the server saw
the SYN; a custom ACL with only the ephemeral entries works; traffic within a subnet
crosses no ACL; the internet both ways; a NAT gateway's subnet; an ACL change converges
without a full rewrite, from snapshots and from the store; flow logs record the drop as
REJECT. State is hand-built (:mod:`.routed`, :mod:`.acls`) unless the store is the point.
"""

from __future__ import annotations

import dataclasses
import socket
import time

import pytest

from stockade.dataplane.counters import ACL_REJECT_CHAINS, rejected_packets
from stockade.dataplane.flowlog import HEADER, read_records
from stockade.dataplane.probe import Listeners, Probe, open_socket, run
from stockade.dataplane.reconcile import Reconciler
from stockade.demo.seed import MY_COMPUTER, build_seed
from stockade.policy import Flow, decide
from stockade.service.contracts import NetworkAclEntryRequest
from stockade.service.network_acls import NetworkAclService

from .acls import EPHEMERAL, network_acl, out, rule, with_acls
from .conftest import primary_eni, routing_change, settle, snapshot_of
from .routed import Routed

pytestmark = pytest.mark.root
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5
HOST = "203.0.113.10"
NAT_PUBLIC = "192.0.2.200"


def _two_subnets() -> tuple[Routed, dict[str, str]]:
    """A VPC with a gateway and two public subnets: clients ``a`` and ``a2`` in ``A``
    (10.0.1.0/24), server ``b`` in ``B`` (10.0.2.0/24); groups allow everything, so only
    the ACLs decide."""
    w = Routed()
    ids: dict[str, str] = {}
    vpc = ids["vpc"] = w.vpc("10.0.0.0/16")
    group = w.group(vpc, "open")
    w.rule(group, "in", "-1", None, None, "0.0.0.0/0")
    ids["A"] = w.subnet(vpc, "10.0.1.0/24")
    ids["a"] = w.instance(vpc, [group], "10.0.1.10", public_ip="198.51.100.20")
    ids["a2"] = w.instance(vpc, [group], "10.0.1.11")
    ids["B"] = w.subnet(vpc, "10.0.2.0/24")
    ids["b"] = w.instance(vpc, [group], "10.0.2.10", public_ip="198.51.100.21")
    w.table(vpc, {"0.0.0.0/0": w.igw(vpc)}, main=True)
    return w, ids


def _probe(realised: Reconciler, instance: str, destination: str, *ports: int) -> list[str]:
    """TCP from an instance to ``destination`` on each port (listeners on 22 and 80 of
    every instance; 8080 is closed: an allowed probe there is ``refused``)."""
    ns = realised.world.instance(instance)
    with Listeners() as listeners:
        for other in realised.routers.values():
            for instance_id in other.plan.instances:
                for port in (22, 80):
                    listeners.tcp(realised.world.instance(instance_id), port)
        return run([Probe(ns, destination, "tcp", p) for p in ports], TIMEOUT, listeners)


def test_the_lowest_numbered_matching_entry_decides(realised):
    w, ids = _two_subnets()
    deny_first = network_acl(
        ids["vpc"],
        [ids["B"]],
        rule(100, "deny", "tcp", "10.0.1.0/24", ports=(22, 22)),
        rule(200, "allow"),
        out(100, "allow"),
    )
    realised.apply_snapshot(with_acls(w.snapshot(), deny_first))
    # Denied: dropped, so a closed port times out too instead of answering "refused".
    assert _probe(realised, ids["a"], "10.0.2.10", 22, 80, 8080) == [
        "timeout",
        "connected",
        "refused",
    ]
    allow_first = dataclasses.replace(
        deny_first,
        entries=tuple(
            dataclasses.replace(e, rule_number=300) if e.rule_number == 100 and not e.egress else e
            for e in deny_first.entries
        ),
    )
    realised.apply_snapshot(with_acls(w.snapshot(), allow_first))
    assert _probe(realised, ids["a"], "10.0.2.10", 22, 80) == ["connected", "connected"]


class _Syns:
    """TCP SYNs arriving in a namespace (a raw socket sees a copy of each segment)."""

    def __init__(self, namespace: str) -> None:
        self._sock = open_socket(namespace, socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
        self._sock.setblocking(False)

    def to_port(self, port: int) -> int:
        count = 0
        while True:
            try:
                data = self._sock.recv(65535)
            except BlockingIOError:
                return count
            tcp = data[(data[0] & 0x0F) * 4 :]
            if int.from_bytes(tcp[2:4], "big") == port and tcp[13] & 0x12 == 0x02:
                count += 1

    def close(self) -> None:
        self._sock.close()


def test_a_reply_the_acl_denies_times_out_and_the_ephemeral_entries_let_it_through(realised):
    w, ids = _two_subnets()
    inbound_only = network_acl(ids["vpc"], [ids["B"]], rule(100, "allow", "tcp", ports=(80, 80)))
    realised.apply_snapshot(with_acls(w.snapshot(), inbound_only))
    syns = _Syns(realised.world.instance(ids["b"]))
    try:
        assert _probe(realised, ids["a"], "10.0.2.10", 80) == ["timeout"]
        assert syns.to_port(80) >= 1  # the request arrived: its reply was dropped
    finally:
        syns.close()
    assert rejected_packets(realised.world.router(ids["vpc"]), ACL_REJECT_CHAINS) >= 1
    # A custom ACL on both sides, with nothing but the service and the ephemeral ports.
    server = network_acl(
        ids["vpc"],
        [ids["B"]],
        rule(100, "allow", "tcp", "10.0.1.0/24", ports=(80, 80)),
        out(100, "allow", "tcp", "10.0.1.0/24", ports=EPHEMERAL),
    )
    client = network_acl(
        ids["vpc"],
        [ids["A"]],
        out(100, "allow", "tcp", "10.0.2.0/24", ports=(80, 80)),
        rule(100, "allow", "tcp", "10.0.2.0/24", ports=EPHEMERAL),
    )
    realised.apply_snapshot(with_acls(w.snapshot(), server, client))
    assert _probe(realised, ids["a"], "10.0.2.10", 80, 22) == ["connected", "timeout"]
    # ... and the client's side needs its own entry for the reply.
    no_return = dataclasses.replace(client, entries=client.entries[:1] + client.entries[2:])
    realised.apply_snapshot(with_acls(w.snapshot(), server, no_return))
    assert _probe(realised, ids["a"], "10.0.2.10", 80) == ["timeout"]


def test_traffic_within_a_subnet_crosses_no_acl(realised):
    w, ids = _two_subnets()
    closed = network_acl(ids["vpc"], [ids["A"]])  # the "*" entries alone: deny everything
    realised.apply_snapshot(with_acls(w.snapshot(), closed))
    assert _probe(realised, ids["a"], "10.0.1.11", 80, 8080) == ["connected", "refused"]
    assert _probe(realised, ids["a"], "10.0.2.10", 80) == ["timeout"]
    assert _probe(realised, ids["b"], "10.0.1.10", 80) == ["timeout"]


def test_the_internet_both_ways(realised):
    w, ids = _two_subnets()
    server = network_acl(
        ids["vpc"],
        [ids["B"]],
        rule(100, "deny", "tcp", f"{HOST}/32", ports=(22, 22)),
        rule(110, "allow"),
        out(100, "allow"),
    )
    client = network_acl(
        ids["vpc"],
        [ids["A"]],
        out(100, "deny", "tcp", "203.0.113.0/24", ports=(80, 80)),
        out(200, "allow"),
        rule(100, "allow", "tcp", ports=EPHEMERAL),
    )
    realised.apply_snapshot(with_acls(w.snapshot(), server, client))
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listeners.tcp(realised.world.instance(ids["b"]), 22)
        listeners.tcp(realised.world.instance(ids["b"]), 80)
        listeners.tcp(host, 22)
        listeners.tcp(host, 80)
        a = realised.world.instance(ids["a"])
        assert run(
            [
                Probe(host, "198.51.100.21", "tcp", 22),  # denied on the way in, by source
                Probe(host, "198.51.100.21", "tcp", 80),
                Probe(a, HOST, "tcp", 80),  # denied on the way out, by destination
                Probe(a, HOST, "tcp", 22),
            ],
            TIMEOUT,
            listeners,
        ) == ["timeout", "connected", "timeout", "connected"]


def test_through_a_public_ip_the_acls_see_public_addresses(realised):
    """a → b's public IP leaves by the gateway and comes back in: A's egress is matched on
    b's public IP, B's ingress on a's public IP — not on the private addresses."""
    w, ids = _two_subnets()
    server = network_acl(
        ids["vpc"],
        [ids["B"]],
        rule(100, "deny", cidr="10.0.0.0/16"),
        rule(110, "allow", cidr="198.51.100.20/32"),
        out(100, "allow"),
    )
    snapshot = with_acls(w.snapshot(), server)
    realised.apply_snapshot(snapshot)
    assert _probe(realised, ids["a"], "198.51.100.21", 80) == ["connected"]
    assert _probe(realised, ids["a"], "10.0.2.10", 80) == ["timeout"]
    for address, allowed in (("198.51.100.21", True), ("10.0.2.10", False)):  # as the engine
        assert decide(snapshot, Flow("10.0.1.10", address, "tcp", port=80)).allowed is allowed
    client = network_acl(
        ids["vpc"], [ids["A"]], out(100, "deny", cidr="198.51.100.21/32"), out(110, "allow")
    )
    client = dataclasses.replace(client, entries=(rule(100, "allow"), *client.entries))
    snapshot = with_acls(w.snapshot(), server, client)
    realised.apply_snapshot(snapshot)
    assert _probe(realised, ids["a"], "198.51.100.21", 80) == ["timeout"]
    assert not decide(snapshot, Flow("10.0.1.10", "198.51.100.21", "tcp", port=80)).allowed


def _nat_world() -> tuple[Routed, dict[str, str]]:
    """A private subnet ``P`` whose default route is a NAT gateway in public subnet ``A``."""
    w, ids = _two_subnets()
    vpc = ids["vpc"]
    ids["nat"] = w.nat_gateway(ids["A"], "10.0.1.250", NAT_PUBLIC)
    ids["P"] = w.subnet(vpc, "10.0.3.0/24")
    group = w.groups[0].group_id
    ids["p"] = w.instance(vpc, [group], "10.0.3.10")
    w.table(vpc, {"0.0.0.0/0": ids["nat"]}, [ids["P"]])
    return w, ids


def test_a_nat_gateway_subnet_acl_sees_the_instance_then_the_internet(realised):
    w, ids = _nat_world()
    vpc, a = ids["vpc"], ids["A"]
    cases = [
        # no entry for the private subnet's packets entering the gateway's subnet
        (
            network_acl(vpc, [a], rule(100, "allow", cidr=f"{HOST}/32"), out(100, "allow")),
            "timeout",
        ),
        # they enter, but the replies may not reach the gateway (translated ports 1024-65535)
        (
            network_acl(vpc, [a], rule(100, "allow", cidr="10.0.3.0/24"), out(100, "allow")),
            "timeout",
        ),
        (
            network_acl(
                vpc,
                [a],
                rule(100, "allow", cidr="10.0.3.0/24"),
                rule(110, "allow", "tcp", f"{HOST}/32", ports=(1024, 65535)),
                out(100, "allow"),
            ),
            "connected",
        ),
        # everything in, but nothing out toward the instance: the reply stops at the gateway
        (
            network_acl(vpc, [a], rule(100, "allow"), out(100, "allow", cidr=f"{HOST}/32")),
            "timeout",
        ),
    ]
    realised.apply_snapshot(with_acls(w.snapshot(), cases[0][0]))
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listeners.tcp(host, 80)
        for acl, expected in cases:
            realised.apply_snapshot(with_acls(w.snapshot(), acl))
            probe = Probe(realised.world.instance(ids["p"]), HOST, "tcp", 80)
            outcome = run([probe], TIMEOUT, listeners)
            assert outcome == [expected], acl.entries


def test_an_acl_change_converges_as_a_delta_without_recompiling_groups(realised):
    w, ids = _two_subnets()
    vpc = ids["vpc"]
    open_acl = network_acl(vpc, [ids["B"]], rule(100, "allow"), out(100, "allow"))
    realised.apply_snapshot(with_acls(w.snapshot(), open_acl))
    chains = dict(realised._chains)
    assert _probe(realised, ids["a"], "10.0.2.10", 80) == ["connected"]
    closed = dataclasses.replace(open_acl, entries=(rule(100, "deny"), *open_acl.entries[1:]))
    snapshot = with_acls(w.snapshot(), closed)
    batch = routing_change(realised, snapshot)  # what the follower hands over for an acl- change
    realised.settle()
    assert batch.applied[vpc].mode == "delta"
    assert all(realised._chains[g] is c for g, c in chains.items())  # no group recompiled
    assert _probe(realised, ids["a"], "10.0.2.10", 80) == ["timeout"]


def _read_rejects(state_dir, eni_id: str) -> list[dict[str, str]]:
    fields = HEADER.split()
    records = [dict(zip(fields, r, strict=True)) for r in read_records(state_dir, eni_id)]
    return [r for r in records if r["action"] == "REJECT"]


def test_flow_logs_record_an_acl_drop_as_reject(world, tmp_path):
    w, ids = _two_subnets()
    acl = network_acl(
        ids["vpc"],
        [ids["B"]],
        rule(100, "deny", "tcp", "10.0.1.10/32", ports=(8080, 8080)),
        rule(200, "allow"),
        out(100, "allow"),
    )
    reconciler = Reconciler(world, tmp_path, flowlog_interval=600)
    try:
        reconciler.apply_snapshot(with_acls(w.snapshot(), acl))
        assert _probe(reconciler, ids["a"], "10.0.2.10", 8080) == ["timeout"]
        deadline = time.monotonic() + 10
        router = world.router(ids["vpc"])
        while rejected_packets(router, ACL_REJECT_CHAINS) < 1:
            assert time.monotonic() < deadline, "the ACL dropped nothing"
            time.sleep(0.05)
    finally:
        reconciler.close()  # writes the pending records
    rejects = _read_rejects(tmp_path, w.eni_of(ids["b"]))
    assert [(r["srcaddr"], r["dstaddr"], r["dstport"]) for r in rejects] == [
        ("10.0.1.10", "10.0.2.10", "8080")
    ]
    assert int(rejects[0]["packets"]) >= 1


def test_the_agent_follows_acl_writes_in_the_store(ctx, agent):
    seed = build_seed(ctx)
    settle(agent)
    web = primary_eni(snapshot_of(agent), seed.instances["web"])
    acls = NetworkAclService(ctx)
    custom = acls.create(seed.vpc_id)
    for number, egress, ports, action in (
        (100, False, (22, 22), "deny"),
        (200, False, None, "allow"),
        (100, True, None, "allow"),
    ):
        request = NetworkAclEntryRequest(
            number,
            egress,
            action,
            "6" if ports else "-1",
            "0.0.0.0/0",
            port_from=ports[0] if ports else None,
            port_to=ports[1] if ports else None,
        )
        acls.create_entry(custom.network_acl_id, request)
    # the public subnet's current association (the seed gives it its own ACL)
    association = next(
        a
        for acl in acls.describe()
        if acl.vpc_id == seed.vpc_id
        for a in acl.associations
        if a.subnet_id == seed.subnet_id
    )
    acls.replace_association(association.association_id, custom.network_acl_id)
    settle(agent)
    with Listeners() as listeners, agent.topology.internet.host(MY_COMPUTER) as mine:
        web_ns = agent.world.instance(seed.instances["web"])
        listeners.tcp(web_ns, 22)
        listeners.tcp(web_ns, 80)
        # The group admits SSH from this computer; the subnet's ACL now denies it.
        assert run(
            [Probe(mine, web.public_ip, "tcp", 22), Probe(mine, web.public_ip, "tcp", 80)],
            TIMEOUT,
            listeners,
        ) == ["timeout", "connected"]
