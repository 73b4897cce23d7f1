"""Exposure findings: merged open ranges per protocol from internet sources."""

from __future__ import annotations

import json

from stockade.domain.instance import InstanceState
from stockade.policy.exposure import exposure


def _ranges(finding):
    return [(r.protocol, r.begin, r.end, r.address_family, r.exposed) for r in finding.open_ranges]


def test_seed_web_exposes_ssh_and_http_and_nothing_else(seed):
    snapshot, ids = seed
    (finding,) = exposure(snapshot)
    assert finding.instance_id == ids["web"] and finding.exposed
    assert finding.status == "exposed" and finding.severity == "HIGH"  # 22 is open
    assert _ranges(finding) == [("tcp", 22, 22, 4, True), ("tcp", 80, 80, 4, True)]
    ssh, http = finding.open_ranges
    assert [r.rule_id for r in ssh.rules] == [ids["rule-ssh"]]
    assert ssh.sources == ("203.0.113.10/32",) and http.sources == ("0.0.0.0/0",)
    data = json.loads(json.dumps(finding.to_dict()))
    assert data["type"] == "NETWORK_REACHABILITY"
    detail = data["networkReachabilityDetails"][1]
    assert detail["protocol"] == "TCP" and detail["openPortRange"] == {"begin": 80, "end": 80}
    steps = [s["componentType"] for s in detail["networkPath"]["steps"]]
    assert steps[0] == "AWS::EC2::InternetGateway" and steps[-1] == "AWS::EC2::Instance"


def test_ranges_merge_across_rules_and_all_traffic_is_critical(world):
    vpc = world.vpc()
    g = world.group(vpc, "wide")
    a = world.rule(g, "in", "tcp", 1000, 2000, "0.0.0.0/0")
    b = world.rule(g, "in", "tcp", 2001, 3000, "198.51.100.0/24")
    world.rule(g, "in", "tcp", 5000, 5000, "10.0.0.0/8")  # private: not internet
    office = world.prefix_list(["192.0.2.0/24", "10.1.0.0/16"])
    c = world.rule(g, "in", "udp", 53, 53, office)
    world.rule(g, "in", "icmp", 8, -1, "0.0.0.0/0")
    everything = world.rule(g, "in", "-1", None, None, "203.0.113.0/24")
    world.instance(vpc, [g], "10.0.1.5", public_ip="198.51.100.40")
    (finding,) = exposure(world.snapshot())
    assert finding.severity == "CRITICAL"
    assert _ranges(finding) == [
        ("-1", None, None, 4, True),
        ("icmp", 8, 8, 4, True),
        ("tcp", 0, 65535, 4, True),
        ("udp", 0, 65535, 4, True),
    ]
    tcp = finding.open_ranges[2]
    assert {r.rule_id for r in tcp.rules} == {a, b, everything}
    udp = finding.open_ranges[3]
    assert {r.rule_id for r in udp.rules} == {c, everything}
    assert "192.0.2.0/24" in udp.sources and "10.1.0.0/16" not in udp.sources


def test_adjacent_and_overlapping_ranges_join_and_a_gap_keeps_them_apart(world):
    vpc = world.vpc()
    g = world.group(vpc, "ports")
    a = world.rule(g, "in", "tcp", 1000, 2000, "0.0.0.0/0")
    b = world.rule(g, "in", "tcp", 2001, 3000, "198.51.100.0/24")  # adjacent: joins
    c = world.rule(g, "in", "tcp", 2500, 2600, "203.0.113.0/24")  # inside: joins, ends no later
    d = world.rule(g, "in", "tcp", 3002, 3002, "0.0.0.0/0")  # one port apart: its own range
    world.instance(vpc, [g], "10.0.1.5", public_ip="198.51.100.40")
    (finding,) = exposure(world.snapshot())
    assert _ranges(finding) == [("tcp", 1000, 3000, 4, True), ("tcp", 3002, 3002, 4, True)]
    joined, alone = finding.open_ranges
    assert {r.rule_id for r in joined.rules} == {a, b, c}
    assert joined.sources == ("0.0.0.0/0", "198.51.100.0/24", "203.0.113.0/24")
    assert {r.rule_id for r in alone.rules} == {d}


def test_without_a_public_path_ranges_would_be_exposed(world):
    vpc = world.vpc(igw=False)
    g = world.group(vpc, "open")
    world.rule(g, "in", "tcp", 443, 443, "0.0.0.0/0")
    world.instance(vpc, [g], "10.0.1.5")
    world.instance(vpc, [g], "10.0.1.6", public_ip="198.51.100.41", state=InstanceState.STOPPED)
    findings = exposure(world.snapshot())
    assert len(findings) == 2
    for finding in findings:
        assert not finding.exposed and finding.status == "would-be-exposed"
        assert finding.severity == "LOW"
        assert _ranges(finding) == [("tcp", 443, 443, 4, False)]
        assert any("internet gateway" in why for why in finding.not_reachable_because)
    assert any("stopped" in why for f in findings for why in f.not_reachable_because)


def test_ipv6_exposure_needs_a_public_ipv6_address(world):
    vpc = world.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    g = world.group(vpc, "v6")
    world.rule(g, "in", "tcp", 22, 22, "::/0")
    world.instance(vpc, [g], "10.0.1.5", ipv6=["2001:db8:0:1::5"])
    world.instance(vpc, [g], "10.0.1.6", ipv6=["fd00::6"])
    exposed, would_be = exposure(world.snapshot())
    assert _ranges(exposed) == [("tcp", 22, 22, 6, True)] and exposed.severity == "HIGH"
    assert _ranges(would_be) == [("tcp", 22, 22, 6, False)]


def test_vpc_filter_and_references_are_never_internet(world):
    one, two = world.vpc(), world.vpc("10.1.0.0/16")
    g1, g2 = world.group(one, "a"), world.group(two, "b")
    world.rule(g1, "in", "tcp", 80, 80, "0.0.0.0/0")
    world.rule(g2, "in", "tcp", 80, 80, g2)
    world.instance(one, [g1], "10.0.1.5", public_ip="198.51.100.42")
    world.instance(two, [g2], "10.1.1.5", public_ip="198.51.100.43")
    snapshot = world.snapshot()
    assert len(exposure(snapshot)) == 1
    assert exposure(snapshot, vpc_id=two) == ()
    assert [f.vpc_id for f in exposure(snapshot, vpc_id=one)] == [one]
