"""Enforcement details on real packets: anti-spoofing, never failing open, AWS's connection
tracking (a tracked connection outlives its rule; per-interface idle timeouts), and the
incremental commands leaving the kernel exactly where a full rewrite would."""

from __future__ import annotations

import dataclasses
import json
import subprocess

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from policy.conftest import World as Builder

from stockade.dataplane import netns
from stockade.dataplane.compile import compile_vpc
from stockade.dataplane.delta import render_delta
from stockade.dataplane.nft import Nft, NftError
from stockade.dataplane.plan import plan_world
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.dataplane.render import render_full
from stockade.dataplane.ruleset import MemberSet
from stockade.domain.interface import ConnectionTracking

from .echo import EchoServer, connect, conntrack
from .strategies import changed_worlds

pytestmark = pytest.mark.root
TIMEOUT = 0.4
HOST = "203.0.113.10"


def _open_world() -> tuple[Builder, str, dict[str, str]]:
    """Two instances that accept anything from anywhere, IPv4 and IPv6, and a public web."""
    w = Builder()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    group = w.group(vpc, "open")
    w.rule(group, "in", "-1", None, None, "0.0.0.0/0")
    w.rule(group, "in", "-1", None, None, "::/0")
    w.rule(group, "out", "-1", None, None, "::/0")
    ids = {
        "a": w.instance(vpc, [group], "10.0.0.5", ipv6=["2001:db8:0:1::5"]),
        "b": w.instance(vpc, [group], "10.0.0.6", ipv6=["2001:db8:0:1::6"]),
        "c": w.instance(vpc, [group], "10.0.0.7", ipv6=["2001:db8:0:1::7"]),
    }
    return w, vpc, ids


def _table(namespace: str) -> dict:
    """The VPC table as JSON, without handles and counter values (to compare states)."""
    with Nft(namespace) as nft:
        data = nft.query("list table inet stk_vpc")["nftables"]
    out = []
    for item in data:
        ((kind, body),) = item.items()
        if kind == "metainfo":
            continue
        body = _canonical(body)
        out.append([kind, body])
    return {json.dumps(x, sort_keys=True) for x in out}


def _canonical(value):
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if key == "handle":
                continue
            if key == "counter" and isinstance(item, dict):
                item = {"packets": 0, "bytes": 0}
            item = _canonical(item)
            if key in ("elem", "set") and isinstance(item, list):
                item = sorted(item, key=lambda x: json.dumps(x, sort_keys=True))
            out[key] = item
        return out
    if isinstance(value, list):
        return [_canonical(v) for v in value]
    return value


def test_an_instance_can_send_only_from_its_own_addresses(world, realised):
    w, vpc, ids = _open_world()
    realised.apply_snapshot(w.snapshot())
    a, b = world.instance(ids["a"]), world.instance(ids["b"])
    with Listeners() as listeners:
        listeners.tcp(b, 80)
        cases = {
            "10.0.0.5": "connected",  # its own address
            "10.0.0.7": "timeout",  # another instance's address
            "10.0.0.99": "timeout",  # an unused address of the VPC
            "203.0.113.50": "timeout",  # an internet address
        }
        v4 = [Probe(a, "10.0.0.6", "tcp", 80, source=s) for s in cases]
        v6 = [
            Probe(a, "2001:db8:0:1::6", "tcp", 80, source=s)
            for s in ("2001:db8:0:1::5", "2001:db8:0:1::99")
        ]
        outcomes = run(v4 + v6, TIMEOUT, listeners)
    assert outcomes == [*cases.values(), "connected", "timeout"]
    out = subprocess.run(
        [
            "ip",
            "netns",
            "exec",
            world.router(vpc),
            "nft",
            "list",
            "chain",
            "inet",
            "stk_vpc",
            "spoof",
        ],
        capture_output=True,
        text=True,
    ).stdout
    assert "counter packets 0 " not in out  # the spoofed packets were counted and dropped


def test_a_refused_apply_leaves_the_previous_rules_in_force(world, realised):
    w, vpc, ids = _open_world()
    realised.apply_snapshot(w.snapshot())
    router = realised.routers[vpc]
    before = _table(world.router(vpc))
    good = router.applier.current
    broken = dataclasses.replace(
        good,
        members={**good.members, "m_bad_4": MemberSet("m_bad_4", 4, frozenset({"10.0.0.300"}))},
    )
    with pytest.raises(NftError):
        router.applier.apply(broken)
    assert _table(world.router(vpc)) == before  # nothing of it was applied
    with Listeners() as listeners:
        listeners.tcp(world.instance(ids["b"]), 80)
        assert run(
            [Probe(world.instance(ids["a"]), "10.0.0.6", "tcp", 80)], TIMEOUT, listeners
        ) == ["connected"]
    assert router.applier.current is None  # unknown now: the next apply rewrites it all
    assert router.applier.apply(good).mode == "full"


def test_a_refused_difference_falls_back_to_a_full_rewrite(world, realised):
    w, vpc, ids = _open_world()
    realised.apply_snapshot(w.snapshot())
    namespace = world.router(vpc)
    port = next(p for p in realised.routers[vpc].plan.ports if p.instance_id == ids["b"])
    with Nft(namespace) as nft:  # the kernel drifts behind the applier's back
        nft.run(f'delete element inet stk_vpc spoof_v4 {{ "{port.ifname}" . 10.0.0.6 }}\n')
    gone = dataclasses.replace(
        w.snapshot(),
        instances=tuple(i for i in w.snapshot().instances if i.instance_id != ids["b"]),
    )
    batch = realised.apply_snapshot(gone)
    assert batch.applied[vpc].mode == "full-after-error"
    expected = compile_vpc(gone, plan_world(gone)[vpc])
    fresh = f"{world.prefix}scratch"
    netns.create(fresh)
    with Nft(fresh) as nft:
        nft.run(render_full(expected))
    assert _table(namespace) == _table(fresh)


def test_a_tracked_connection_survives_the_removal_of_its_rule(world, realised):
    w = Builder()
    vpc = w.vpc()
    web = w.group(vpc, "web")
    w.rule(web, "in", "tcp", 22, 22, f"{HOST}/32")  # a /32: AWS tracks this flow
    instance = w.instance(vpc, [web], "10.0.0.5", public_ip="192.0.2.10")
    realised.apply_snapshot(w.snapshot())
    host = realised.topology.internet.add_host(HOST)
    with EchoServer(world.instance(instance), 22), connect(host, "192.0.2.10", 22) as client:
        client.sendall(b"before")
        assert client.recv(64) == b"before"
        w.rules = [r for r in w.rules if r.group_id != web or r.is_egress]
        realised.apply_snapshot(w.snapshot())  # the rule is gone
        client.sendall(b"after")
        assert client.recv(64) == b"after"  # ... the tracked connection is not
        assert run([Probe(host, "192.0.2.10", "tcp", 22)], TIMEOUT) == ["timeout"]


def test_idle_timeouts_follow_the_interface_settings(world, realised):
    w = Builder()
    vpc = w.vpc()
    group = w.group(vpc, "open")
    # the VPC, not 0.0.0.0/0: with the default outbound rule that flow would be untracked
    w.rule(group, "in", "-1", None, None, "10.0.0.0/16")
    custom = w.instance(vpc, [group], "10.0.0.5")
    default = w.instance(vpc, [group], "10.0.0.6")
    snapshot = w.snapshot()
    tracking = ConnectionTracking(
        tcp_established_timeout=3600, udp_stream_timeout=120, udp_timeout=45
    )
    snapshot = dataclasses.replace(
        snapshot,
        interfaces=tuple(
            dataclasses.replace(e, connection_tracking=tracking) if e.instance_id == custom else e
            for e in snapshot.interfaces
        ),
    )
    realised.apply_snapshot(snapshot)
    # Servers that keep their connections open: a listener that closed at once would move
    # the entry to CLOSE_WAIT (60 s) before it is read under load.
    with (
        Listeners() as listeners,
        EchoServer(world.instance(custom), 22),
        EchoServer(world.instance(default), 22),
    ):
        probes = [
            Probe(world.instance(default), "10.0.0.5", "tcp", 22),
            Probe(world.instance(default), "10.0.0.5", "udp", 9),
            Probe(world.instance(custom), "10.0.0.6", "tcp", 22),
        ]
        assert run(probes, TIMEOUT, listeners, keep_open=True)[0] == "connected"
        router = world.router(vpc)
        tcp = {f[5]: int(f[2]) for f in conntrack(router, "tcp")}  # dst=… → seconds left
        udp = [int(f[2]) for f in conntrack(router, "udp")]
        for probe in probes:
            probe.close()
    assert 3500 < tcp["dst=10.0.0.5"] <= 3600  # the destination's setting
    assert tcp["dst=10.0.0.6"] > 430000  # AWS's default: 432000 s (5 days)
    assert udp and all(30 < s <= 45 for s in udp)  # one datagram, no answer: UdpTimeout


@settings(
    max_examples=12,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(st.data())
def test_incremental_commands_reach_the_state_a_full_rewrite_would(kernel, world, data):
    before, after = data.draw(changed_worlds())
    old_plans, new_plans = plan_world(before), plan_world(after)
    for vpc, plan in new_plans.items():
        if vpc not in old_plans:
            continue
        old, new = compile_vpc(before, old_plans[vpc]), compile_vpc(after, plan)
        a, b = f"{world.prefix}a", f"{world.prefix}b"
        for name in (a, b):
            netns.create(name)
        with Nft(a) as nft_a, Nft(b) as nft_b:
            nft_a.run(render_full(old))
            nft_a.run(render_delta(old, new) or "\n")
            nft_b.run(render_full(new))
        assert _table(a) == _table(b)
        netns.remove(a)
        netns.remove(b)
