"""``decide_many`` (compiled tables, vectorised topology) agrees with ``decide`` flow by flow:
verdict, every blocking reason, and the deciding (lowest) entry on each side."""

from __future__ import annotations

import ipaddress
import random

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.domain.instance import InstanceState
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.compile import EGRESS, INGRESS, compile_policy
from stockade.policy.decide import decide
from stockade.policy.explain import explain
from stockade.policy.flow import Flow

from .conftest import World
from .strategies import flows, worlds

SETTINGS = settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def expected_entry(compiled, side, direction) -> int:
    if side is None or side.first_entry is None:
        return -1
    return int(compiled.offset[compiled.eni_index[side.eni_id], direction] + side.first_entry)


def assert_agree(snapshot, batch, result, originals=None) -> None:
    """Row by row against ``decide`` on the original flows (or the rows read back)."""
    compiled = result.compiled
    for i in range(len(batch)):
        flow = batch.flow(i) if originals is None else originals[i]
        d = decide(snapshot, flow)
        if originals is not None:
            assert decide(snapshot, batch.flow(i)).reasons == d.reasons
        context = f"{flow}\n{explain(d)}\nbulk: {result.reason(i)!r}"
        assert bool(result.allowed[i]) == d.allowed, context
        assert result.reason(i) == d.reasons, context
        assert result.egress_rule[i] == expected_entry(compiled, d.egress, EGRESS), context
        assert result.ingress_rule[i] == expected_entry(compiled, d.ingress, INGRESS), context


@SETTINGS
@given(st.data(), st.booleans(), st.booleans(), st.booleans(), st.booleans())
def test_decide_many_agrees_with_decide(data, simple, refs, routes, acls):
    world = worlds(simple=simple, refs=refs, routes=routes and not simple, acls=acls)
    snapshot = data.draw(world).snapshot()
    internal = data.draw(st.booleans())
    chosen = data.draw(
        st.lists(
            flows(snapshot, ids_allowed=False, all_traffic=False, internal=internal),
            min_size=1,
            max_size=25,
        )
    )
    batch = FlowBatch.from_flows(chosen)
    result = decide_many(snapshot, batch, chunk=data.draw(st.sampled_from([1, 3, 4096])))
    assert_agree(snapshot, batch, result, chosen)


def _random_cidr(rng: random.Random, family: int) -> str:
    bits = 32 if family == 4 else 128
    prefix = (
        rng.choice([0, 1, 8, 12, 16, 20, 24, 28, 31, bits, bits])
        if family == 4
        else rng.choice([0, 16, 32, 48, 64, 96, 120, 127, 128])
    )
    base = rng.getrandbits(bits)
    network = (base >> (bits - prefix) << (bits - prefix)) if prefix else 0
    address = ipaddress.IPv6Address(network) if family == 6 else ipaddress.IPv4Address(network)
    return f"{address}/{prefix}"


def _inside(rng: random.Random, cidr: str) -> str:
    network = ipaddress.ip_network(cidr)
    return str(network.network_address + rng.randrange(min(network.num_addresses, 1 << 62)))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 2**32), st.sampled_from([40, 150]))
def test_large_random_rule_sets(seed, count):
    """Many overlapping rules (both families, every protocol kind): the 2-D tables, the
    all-traffic layer and the IPv6 ranks must pick exactly ``decide``'s first entry."""
    rng = random.Random(seed)
    w = World()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    groups = [w.group(vpc, "a", egress_all=False), w.group(vpc, "b", egress_all=False)]
    cidrs = []
    for _ in range(count):
        family = rng.choice([4, 4, 6])
        cidr = _random_cidr(rng, family)
        cidrs.append(cidr)
        protocol = rng.choice(["tcp", "tcp", "udp", "icmp", "icmpv6", "-1", "47"])
        if protocol in ("tcp", "udp"):
            lo = rng.choice([0, 22, 80, 443, 1000, 65535, rng.randint(0, 65535)])
            hi = min(65535, lo + rng.choice([0, 0, 1, 100, 65535]))
        elif protocol in ("icmp", "icmpv6"):
            lo = rng.choice([-1, 0, 3, 8, 128])
            hi = -1 if lo == -1 else rng.choice([-1, 0, 4])
        else:
            lo = hi = None
        w.rule(rng.choice(groups), rng.choice(["in", "out"]), protocol, lo, hi, cidr)
    w.instance(vpc, groups, "10.0.1.5", public_ip="198.51.100.20", ipv6=["2001:db8:0:1::5"])
    snapshot = w.snapshot()
    chosen = []
    for _ in range(200):
        cidr = rng.choice(cidrs)
        family = 6 if ":" in cidr else 4
        remote = (
            _inside(rng, cidr)
            if rng.random() < 0.8
            else ("203.0.113.77" if family == 4 else "2001:db8:77::1")
        )
        mine = "198.51.100.20" if family == 4 else "2001:db8:0:1::5"
        if remote in (mine, "10.0.1.5", "2001:db8:0:1::5") or ipaddress.ip_address(
            remote
        ) in ipaddress.ip_network("10.0.0.0/16" if family == 4 else "2001:db8:0:1::/64"):
            continue
        protocol = rng.choice(["tcp", "udp", "icmp", "icmpv6", "47", "132"])
        src, dst = (remote, mine) if rng.random() < 0.5 else (mine, remote)
        chosen.append(
            Flow(
                src,
                dst,
                protocol,
                port=rng.choice([0, 22, 80, 443, 1000, 65535]),
                icmp_type=rng.choice([0, 3, 8, 128]),
                icmp_code=rng.choice([0, 4]),
            )
        )
    batch = FlowBatch.from_flows(chosen)
    assert_agree(snapshot, batch, decide_many(snapshot, batch), chosen)


def test_stopped_unattached_and_mixed_families_in_one_batch():
    w = World()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    web = w.group(vpc, "web")
    w.rule(web, "in", "tcp", 22, 22, "0.0.0.0/0")
    w.rule(web, "in", "tcp", 22, 22, "::/0")
    w.instance(vpc, [web], "10.0.1.5", "198.51.100.20", ["2001:db8:0:1::5"])
    w.instance(vpc, [web], "10.0.1.6", "198.51.100.21", state=InstanceState.STOPPED)
    w.interface(vpc, [web], "10.0.1.7", "198.51.100.22")
    snapshot = w.snapshot()
    src = ["203.0.113.1", "2001:db8:9::1", "203.0.113.1", "203.0.113.1", "10.0.1.5"]
    dst = ["198.51.100.20", "2001:db8:0:1::5", "198.51.100.21", "198.51.100.22", "10.0.1.6"]
    batch = FlowBatch.from_strings(src, dst, 6, 22)
    result = decide_many(snapshot, batch, chunk=2)
    assert result.allowed.tolist() == [True, True, False, False, False]
    assert_agree(snapshot, batch, result)
    entry = result.rules(1)[1]
    assert entry is not None and entry.cidr == "::/0"


def test_ipv4_constructor_and_compiled_reuse(seed):
    snapshot, ids = seed
    compiled = compile_policy(snapshot)
    assert compile_policy(snapshot) is compiled
    src = np.array([int(ipaddress.IPv4Address(a)) for a in ("203.0.113.10", "198.51.100.7")])
    dst = np.full(2, int(ipaddress.IPv4Address("198.51.100.20")))
    result = decide_many(compiled, FlowBatch.ipv4(src, dst, 6, 22))
    assert [result.verdict(0), result.verdict(1)] == ["allowed", "denied"]
    assert result.rules(0)[1].rule_id == ids["rule-ssh"]


def test_all_traffic_flows_are_rejected_in_bulk(seed):
    with pytest.raises(ValueError):
        FlowBatch.from_flows([Flow("203.0.113.10", "198.51.100.20", "-1")])
