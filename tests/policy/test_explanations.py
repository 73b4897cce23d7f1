"""Flows are validated; topology problems and unknown or stopped endpoints are explained
with Reachability-Analyzer-style codes, never crashed on."""

from __future__ import annotations

import json

import pytest

from stockade.domain.instance import InstanceState
from stockade.policy.decide import decide
from stockade.policy.effective import Direction, EffectiveEntry
from stockade.policy.explain import explain
from stockade.policy.flow import Flow
from stockade.policy.match import covers_all_traffic


def codes(decision):
    return [b.code for b in decision.blockers]


def test_flow_validation_and_canonical_protocols():
    assert Flow("203.0.113.1", "i-1", "6", 22).protocol == "tcp"
    assert Flow("203.0.113.1", "i-1", "ICMP", 8).icmp_type == 8  # the port is the type
    assert Flow("203.0.113.1", "i-1", "icmp", icmp_type=3, icmp_code=4).service() == (
        "icmp type 3 code 4"
    )
    assert Flow("203.0.113.1", "i-1", "47").service() == "protocol 47"
    assert Flow("i-1", "i-2", "-1", address_family=6).family == 6
    with pytest.raises(ValueError):
        Flow("203.0.113.1", "i-1", "tcp")  # no port
    with pytest.raises(ValueError):
        Flow("203.0.113.1", "i-1", "tcp", 70000)
    with pytest.raises(ValueError):
        Flow("203.0.113.1", "2001:db8::1", "tcp", 22)  # two families
    with pytest.raises(ValueError):
        Flow("web", "i-1", "tcp", 22)  # neither id nor address
    with pytest.raises(ValueError):
        Flow("203.0.113.1", "i-1", "bogus", 22)


@pytest.fixture
def two_vpcs(world):
    one = world.vpc("10.0.0.0/16")
    two = world.vpc("10.1.0.0/16", igw=False)
    g1, g2 = world.group(one, "one"), world.group(two, "two")
    world.rule(g1, "in", "tcp", 22, 22, "0.0.0.0/0")
    world.rule(g2, "in", "tcp", 22, 22, "0.0.0.0/0")
    names = {
        "public": world.instance(one, [g1], "10.0.1.5", public_ip="198.51.100.50"),
        "private": world.instance(one, [g1], "10.0.1.6"),
        "stopped": world.instance(
            one, [g1], "10.0.1.7", "198.51.100.51", state=InstanceState.STOPPED
        ),
        "isolated": world.instance(two, [g2], "10.1.1.5", public_ip="198.51.100.52"),
        "loose": world.interface(one, [g1], "10.0.1.9", public_ip="198.51.100.53"),
        "closed": world.instance(
            one,
            [world.group(one, "closed", egress_all=False)],
            "10.0.1.10",
            public_ip="198.51.100.54",
        ),
    }
    return world.snapshot(), names


def test_topology_blockers(two_vpcs):
    snapshot, n = two_vpcs
    assert codes(decide(snapshot, Flow("203.0.113.1", n["private"], "tcp", 22))) == [
        "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"
    ]
    assert codes(decide(snapshot, Flow("203.0.113.1", "10.0.1.5", "tcp", 22))) == [
        "IGW_PRIVATE_IP_ASSOCIATION_FOR_INGRESS"
    ]
    assert codes(decide(snapshot, Flow("203.0.113.1", n["stopped"], "tcp", 22))) == ["BAD_STATE"]
    assert codes(decide(snapshot, Flow("203.0.113.1", n["loose"], "tcp", 22))) == [
        "BAD_STATE_ATTACHMENT"
    ]
    assert codes(decide(snapshot, Flow("203.0.113.1", n["isolated"], "tcp", 22))) == [
        "NO_ROUTE_TO_DESTINATION"
    ]
    across = decide(snapshot, Flow(n["public"], n["isolated"], "tcp", 22))
    assert codes(across) == ["NO_ROUTE_TO_DESTINATION"] and "nothing connects" in explain(across)
    assert codes(decide(snapshot, Flow(n["private"], "8.8.8.8", "tcp", 443))) == [
        "IGW_PUBLIC_IP_ASSOCIATION_FOR_EGRESS"
    ]
    assert codes(decide(snapshot, Flow(n["public"], "10.0.9.9", "tcp", 443))) == [
        "UNKNOWN_DESTINATION"
    ]
    assert codes(decide(snapshot, Flow(n["public"], "192.168.1.1", "tcp", 443))) == [
        "IGW_DESTINATION_ADDRESS_NOT_IN_RFC1918_EGRESS"
    ]
    assert codes(decide(snapshot, Flow("10.9.9.9", n["public"], "tcp", 22))) == [
        "IGW_SOURCE_ADDRESS_NOT_IN_RFC1918_INGRESS"
    ]
    assert codes(decide(snapshot, Flow("203.0.113.1", "198.51.100.99", "tcp", 22))) == [
        "UNKNOWN_DESTINATION"
    ]
    assert (
        codes(decide(snapshot, Flow("203.0.113.1", n["public"], "tcp", 22, address_family=None)))
        == []
    )


def test_unknown_endpoints_are_explained(two_vpcs):
    snapshot, n = two_vpcs
    missing = decide(snapshot, Flow("i-00000000000000bad", n["public"], "tcp", 22))
    assert codes(missing) == ["InvalidInstanceID.NotFound"] and not missing.allowed
    missing = decide(snapshot, Flow(n["public"], "eni-00000000000000bad", "tcp", 22))
    assert codes(missing) == ["InvalidNetworkInterfaceID.NotFound"]
    v6 = decide(snapshot, Flow(n["public"], n["private"], "tcp", 22, address_family=6))
    assert codes(v6) == ["ENI_ADDRESS_RESTRICTION", "ENI_ADDRESS_RESTRICTION"]
    for decision in (missing, v6):
        json.dumps(decision.to_dict())
        assert explain(decision).startswith("DENIED")


def test_both_sides_blocking_are_both_reported(two_vpcs):
    snapshot, n = two_vpcs
    decision = decide(snapshot, Flow(n["closed"], n["private"], "udp", 53))
    assert codes(decision) == ["ENI_SG_RULES_MISMATCH", "ENI_SG_RULES_MISMATCH"]
    outbound, inbound = decision.blockers
    assert outbound.direction is Direction.EGRESS and inbound.direction is Direction.INGRESS
    assert outbound.suggestion.text().startswith("add outbound udp/53 to 10.0.1.6/32 in sg-")
    assert inbound.suggestion.text().startswith("add inbound udp/53 from 10.0.1.10/32 to sg-")
    text = explain(decision)
    assert text.count("fix: add") == 2


def test_all_traffic_flows(world):
    vpc = world.vpc()
    g = world.group(vpc, "g")
    world.rule(g, "in", "-1", None, None, "10.0.1.5/32")
    world.rule(g, "in", "tcp", 0, 65535, "10.0.1.6/32")
    a = world.instance(vpc, [g], "10.0.1.5")
    b = world.instance(vpc, [g], "10.0.1.6")
    c = world.instance(vpc, [g], "10.0.1.7")
    snapshot = world.snapshot()
    assert decide(snapshot, Flow(a, c, "-1")).allowed
    denied = decide(snapshot, Flow(b, c, "-1"))
    assert not denied.allowed
    assert (
        denied.blockers[0]
        .suggestion.text()
        .startswith("add inbound all traffic from 10.0.1.6/32 to sg-")
    )
    assert decide(snapshot, Flow(b, c, "tcp", 5)).allowed


def _entry(protocol, lo, hi):
    from stockade.domain.security_group import Peer, PeerKind

    return EffectiveEntry(
        "sgr-1",
        "sg-1",
        Direction.INGRESS,
        protocol,
        lo,
        hi,
        Peer(PeerKind.CIDR_V4, "0.0.0.0/0"),
        "0.0.0.0/0",
    )


def test_all_traffic_coverage_by_a_union_of_rules():
    every = [_entry(str(p), -1, -1) for p in range(256) if p not in (1, 6, 17, 58)]
    full = every + [
        _entry("tcp", 0, 30000),
        _entry("tcp", 30001, 65535),
        _entry("udp", 0, 65535),
        _entry("icmp", -1, -1),
        _entry("icmpv6", -1, -1),
    ]
    assert covers_all_traffic(full)
    assert not covers_all_traffic(full[:-1])
    gap = every + [
        _entry("tcp", 0, 30000),
        _entry("tcp", 30002, 65535),
        _entry("udp", 0, 65535),
        _entry("icmp", -1, -1),
        _entry("icmpv6", -1, -1),
    ]
    assert not covers_all_traffic(gap)
    by_type = (
        every
        + [_entry("tcp", 0, 65535), _entry("udp", 0, 65535), _entry("icmpv6", -1, -1)]
        + [_entry("icmp", t, -1) for t in range(256)]
    )
    assert covers_all_traffic(by_type)


def test_an_address_held_twice_is_resolved_deterministically_and_noted(world):
    one, two = world.vpc("10.0.0.0/16"), world.vpc("10.0.0.0/16")
    g1, g2 = world.group(one, "one"), world.group(two, "two")
    world.rule(g1, "in", "tcp", 22, 22, "10.0.0.0/16")
    first = world.instance(one, [g1], "10.0.1.5")
    world.instance(two, [g2], "10.0.1.5")
    other = world.instance(one, [g1], "10.0.1.6")
    snapshot = world.snapshot()
    decision = decide(snapshot, Flow(other, "10.0.1.5", "tcp", 22))
    assert decision.destination.eni_id == world.eni_of(first)  # the lowest interface id
    assert decision.allowed and any("held by" in note for note in decision.notes)


def test_flow_batches_need_one_family_per_flow():
    from stockade.policy.bulk import FlowBatch

    with pytest.raises(ValueError):
        FlowBatch.from_strings(["203.0.113.1"], ["2001:db8::1"], 6, 22)
