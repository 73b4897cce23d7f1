"""``decide`` crosses network ACLs: case by case, the crossings, blockers and fixes.

Each test builds the smallest world for one rule of the path (see ``policy/acl_plan.py``):
which boundaries the request and its reply cross, which entries are matched on which
address and ports, and what the suggested entry is.
"""

from __future__ import annotations

import random
from dataclasses import replace as dc_replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.domain.network_acl import (
    NetworkAcl,
    decide_ports,
    first_match,
    free_rule_number,
)
from stockade.domain.network_acl import (
    entry as domain_entry,
)
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.decide import decide
from stockade.policy.decision import PacketLeg
from stockade.policy.explain import explain
from stockade.policy.flow import EPHEMERAL_PORTS, NAT_GATEWAY_PORTS, Flow
from stockade.policy.reasons import Reason
from tests.policy.conftest import World, acl_entry
from tests.policy.strategies import flows, worlds

INTERNET = "203.0.113.10"
ALL_IN = (100, "in", "allow", "-1", "0.0.0.0/0")
ALL_OUT = (100, "out", "allow", "-1", "0.0.0.0/0")
EPHEMERAL_OUT = (120, "out", "allow", "tcp", "0.0.0.0/0", EPHEMERAL_PORTS)
EPHEMERAL_IN = (120, "in", "allow", "tcp", "0.0.0.0/0", EPHEMERAL_PORTS)


def _crossings(decision):
    return [
        (str(a.leg), a.subnet_id, a.egress, a.remote, a.ports, a.allowed) for a in decision.acls
    ]


def two_subnets(w: World, acl_a=(ALL_IN, ALL_OUT), acl_b=(ALL_IN, ALL_OUT)):
    """One VPC, two subnets with an instance each (all groups open), an ACL on each."""
    vpc = w.vpc("10.0.0.0/16")
    sg = w.group(vpc, "open")
    w.rule(sg, "in", "-1", None, None, "0.0.0.0/0")
    a_subnet = w.subnet(vpc, "10.0.1.0/24")
    a = w.instance(vpc, [sg], "10.0.1.10")
    b_subnet = w.subnet(vpc, "10.0.2.0/24")
    b = w.instance(vpc, [sg], "10.0.2.10")
    acl_ids = (w.acl(vpc, [a_subnet], acl_a), w.acl(vpc, [b_subnet], acl_b))
    return vpc, sg, (a, a_subnet), (b, b_subnet), acl_ids


def test_within_one_subnet_no_acl_is_crossed(world: World) -> None:
    vpc = world.vpc("10.0.0.0/16")
    sg = world.group(vpc, "open")
    world.rule(sg, "in", "-1", None, None, "0.0.0.0/0")
    subnet = world.subnet(vpc, "10.0.1.0/24")
    a = world.instance(vpc, [sg], "10.0.1.10")
    b = world.instance(vpc, [sg], "10.0.1.11")
    world.acl(vpc, [subnet], ())  # denies everything, both ways
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 22))
    assert decision.allowed
    assert decision.acls == ()


def test_host_local_crosses_no_acl(world: World) -> None:
    vpc = world.vpc("10.0.0.0/16")
    sg = world.group(vpc, "closed", egress_all=False)
    subnet = world.subnet(vpc, "10.0.1.0/24")
    a = world.instance(vpc, [sg], "10.0.1.10")
    world.acl(vpc, [subnet], ())
    decision = decide(world.snapshot(), Flow(a, "10.0.1.10", "tcp", 22))
    assert decision.allowed and decision.acls == ()


def test_across_subnets_request_and_reply_cross_both_acls_in_order(world: World) -> None:
    _, _, (a, sa), (b, sb), (acl_a, acl_b) = two_subnets(world)
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 22))
    assert decision.allowed, explain(decision)
    assert _crossings(decision) == [
        ("request", sa, True, "10.0.2.10", (22, 22), True),
        ("request", sb, False, "10.0.1.10", (22, 22), True),
        ("reply", sb, True, "10.0.1.10", EPHEMERAL_PORTS, True),
        ("reply", sa, False, "10.0.2.10", EPHEMERAL_PORTS, True),
    ]
    assert [a.network_acl_id for a in decision.acls] == [acl_a, acl_b, acl_b, acl_a]
    assert all(step.entry.rule_number == 100 for step in decision.acls)
    # the explanation lists every layer in order with the entry that allowed it
    text = explain(decision)
    request, reply = text.split("\n  request:\n")[1].split("\n  reply:\n")
    assert (
        f"network ACL {acl_a} out of {sa}, port 22 to 10.0.2.10: allowed — {acl_a} outbound #100"
        in request
    )
    assert (
        f"network ACL {acl_b} into {sb}, port 22 from 10.0.1.10: allowed — {acl_b} inbound #100"
        in request
    )
    assert request.index(acl_a) < request.index("route forward") < request.index(acl_b)
    assert f"network ACL {acl_b} out of {sb}, port 32768-60999 to 10.0.1.10: allowed" in reply


def test_request_denied_entering_the_destination_subnet(world: World) -> None:
    deny_ssh = (90, "in", "deny", "tcp", "10.0.1.0/24", (22, 22))
    _, _, (a, _), (b, sb), (_, acl_b) = two_subnets(world, acl_b=(deny_ssh, ALL_IN, ALL_OUT))
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 22))
    assert not decision.allowed
    assert decision.reasons == Reason.ACL_REQUEST_DENIED
    (blocker,) = decision.blockers
    assert blocker.code == "SUBNET_ACL_RESTRICTION"
    assert (blocker.component_type, blocker.component_id) == ("network-acl", acl_b)
    assert blocker.acl is not None and blocker.acl.entry.rule_number == 90
    assert blocker.acl.subnet_id == sb and not blocker.acl.egress
    fix = blocker.acl_suggestion
    assert fix is not None
    assert (fix.rule_number, fix.egress, fix.protocol, fix.cidr, fix.port_range) == (
        89,
        False,
        "6",
        "10.0.1.10/32",
        (22, 22),
    )
    # the other port is not denied by #90
    assert decide(world.snapshot(), Flow(a, b, "tcp", 23)).allowed


def test_deny_before_allow_and_the_fix_searches_down_for_a_free_number(world: World) -> None:
    entries = (
        (89, "in", "allow", "udp", "0.0.0.0/0", (53, 53)),
        (90, "in", "deny", "-1", "10.0.1.0/24"),
        ALL_IN,
        ALL_OUT,
    )
    _, _, (a, _), (b, _), _ = two_subnets(world, acl_b=entries)
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 443))
    (blocker,) = decision.blockers
    assert blocker.acl.entry.rule_number == 90 and blocker.acl.entry.action == "deny"
    assert blocker.acl_suggestion.rule_number == 88


def test_reply_denied_by_a_missing_ephemeral_entry(world: World) -> None:
    """A custom ACL allowing only the service inbound: the reply hits the ``*`` deny."""
    only_ssh = ((100, "in", "allow", "tcp", "10.0.1.0/24", (22, 22)),)
    _, _, (a, sa), (b, sb), (_, acl_b) = two_subnets(world, acl_b=only_ssh)
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 22))
    assert decision.reasons == Reason.ACL_REPLY_DENIED
    (blocker,) = decision.blockers
    step = blocker.acl
    assert (step.leg, step.subnet_id, step.egress, step.remote) == (
        PacketLeg.REPLY,
        sb,
        True,
        "10.0.1.10",
    )
    assert step.ports == EPHEMERAL_PORTS and step.entry.rule_number == 32767
    fix = blocker.acl_suggestion
    assert (fix.rule_number, fix.egress, fix.port_range, fix.cidr) == (
        100,  # the direction has no numbered entry
        True,
        EPHEMERAL_PORTS,
        "10.0.1.10/32",
    )
    assert "stateless" in blocker.message
    assert fix.command() in explain(decision)


def test_source_port_given_tests_exactly_that_port(world: World) -> None:
    entries = (
        ALL_IN,
        (50, "out", "deny", "tcp", "10.0.1.0/24", (33000, 33010)),
        (100, "out", "allow", "tcp", "10.0.1.0/24", (1024, 65535)),
    )
    _, _, (a, _), (b, _), _ = two_subnets(world, acl_b=entries)
    snapshot = world.snapshot()
    # no source port: the whole ephemeral range must pass, and #50 denies part of it
    whole = decide(snapshot, Flow(a, b, "tcp", 22))
    assert whole.reasons == Reason.ACL_REPLY_DENIED
    assert whole.blockers[0].acl.entry.rule_number == 50
    assert whole.blockers[0].acl_suggestion.rule_number == 49
    assert decide(snapshot, Flow(a, b, "tcp", 22, source_port=40000)).allowed
    denied = decide(snapshot, Flow(a, b, "tcp", 22, source_port=33005))
    assert denied.blockers[0].acl.ports == (33005, 33005)
    assert denied.blockers[0].acl_suggestion.port_range == (33005, 33005)


def test_internet_to_instance_crosses_only_its_subnet(world: World) -> None:
    vpc = world.vpc("10.0.0.0/16")
    sg = world.group(vpc, "web")
    world.rule(sg, "in", "tcp", 80, 80, "0.0.0.0/0")
    subnet = world.subnet(vpc, "10.0.1.0/24")
    web = world.instance(vpc, [sg], "10.0.1.10", public_ip="198.51.100.20")
    world.route_table(vpc, [("0.0.0.0/0", world.igw_of(vpc))], main=True)
    acl = world.acl(vpc, [subnet], ((100, "in", "allow", "tcp", "0.0.0.0/0", (80, 80)),))
    decision = decide(world.snapshot(), Flow(INTERNET, web, "tcp", 80))
    assert _crossings(decision) == [
        ("request", subnet, False, INTERNET, (80, 80), True),
        ("reply", subnet, True, INTERNET, EPHEMERAL_PORTS, False),
    ]
    (blocker,) = decision.blockers
    assert blocker.reason is Reason.ACL_REPLY_DENIED and blocker.component_id == acl
    fix = blocker.acl_suggestion
    assert (fix.egress, fix.cidr, fix.port_range, fix.rule_number) == (
        True,
        f"{INTERNET}/32",
        EPHEMERAL_PORTS,
        100,  # the direction has no numbered entry yet
    )


def test_instance_to_internet_via_igw(world: World) -> None:
    vpc = world.vpc("10.0.0.0/16")
    sg = world.group(vpc, "client")
    subnet = world.subnet(vpc, "10.0.1.0/24")
    client = world.instance(vpc, [sg], "10.0.1.10", public_ip="198.51.100.20")
    world.route_table(vpc, [("0.0.0.0/0", world.igw_of(vpc))], main=True)
    world.acl(vpc, [subnet], (ALL_OUT, (100, "in", "allow", "tcp", "0.0.0.0/0", (1024, 65535))))
    decision = decide(world.snapshot(), Flow(client, INTERNET, "tcp", 443))
    assert decision.allowed, explain(decision)
    assert _crossings(decision) == [
        ("request", subnet, True, INTERNET, (443, 443), True),
        ("reply", subnet, False, INTERNET, EPHEMERAL_PORTS, True),
    ]


def nat_world(w: World, public_entries, private_entries=(ALL_IN, ALL_OUT)):
    vpc = w.vpc("10.0.0.0/16")
    sg = w.group(vpc, "client")
    public = w.subnet(vpc, "10.0.0.0/24")
    private = w.subnet(vpc, "10.0.1.0/24")
    client = w.instance(vpc, [sg], "10.0.1.10")
    nat = w.nat(public, public_ip="198.51.100.99")
    w.route_table(vpc, [("0.0.0.0/0", w.igw_of(vpc))], subnets=[public], main=True)
    w.route_table(vpc, [("0.0.0.0/0", nat)], subnets=[private])
    w.acl(vpc, [public], public_entries)
    w.acl(vpc, [private], private_entries)
    return client, public, private


def test_via_a_nat_gateway_the_nat_subnet_is_crossed_both_ways(world: World) -> None:
    public_entries = (
        (100, "in", "allow", "-1", "10.0.1.0/24"),
        (110, "in", "allow", "tcp", "0.0.0.0/0", NAT_GATEWAY_PORTS),
        ALL_OUT,
    )
    client, public, private = nat_world(world, public_entries)
    decision = decide(world.snapshot(), Flow(client, INTERNET, "tcp", 443))
    assert decision.allowed, explain(decision)
    assert _crossings(decision) == [
        ("request", private, True, INTERNET, (443, 443), True),
        ("request", public, False, "10.0.1.10", (443, 443), True),
        ("request", public, True, INTERNET, (443, 443), True),
        ("reply", public, False, INTERNET, NAT_GATEWAY_PORTS, True),
        ("reply", public, True, "10.0.1.10", EPHEMERAL_PORTS, True),
        ("reply", private, False, INTERNET, EPHEMERAL_PORTS, True),
    ]


def test_nat_subnet_without_the_nat_port_range_denies_the_reply(world: World) -> None:
    public_entries = (
        (100, "in", "allow", "-1", "10.0.1.0/24"),
        (110, "in", "allow", "tcp", "0.0.0.0/0", EPHEMERAL_PORTS),  # too narrow for a NAT
        ALL_OUT,
    )
    client, public, _ = nat_world(world, public_entries)
    decision = decide(world.snapshot(), Flow(client, INTERNET, "tcp", 443))
    assert decision.reasons == Reason.ACL_REPLY_DENIED
    (blocker,) = decision.blockers
    assert blocker.acl.subnet_id == public and blocker.acl.ports == NAT_GATEWAY_PORTS
    assert blocker.acl.entry.rule_number == 32767
    assert blocker.acl_suggestion.port_range == NAT_GATEWAY_PORTS


def test_peering_crosses_both_vpcs_subnets(world: World) -> None:
    vpc1 = world.vpc("10.0.0.0/16")
    vpc2 = world.vpc("10.1.0.0/16")
    sg1 = world.group(vpc1, "a")
    sg2 = world.group(vpc2, "b")
    world.rule(sg2, "in", "tcp", 5432, 5432, "10.0.0.0/16")
    s1 = world.subnet(vpc1, "10.0.1.0/24")
    a = world.instance(vpc1, [sg1], "10.0.1.10")
    s2 = world.subnet(vpc2, "10.1.1.0/24")
    b = world.instance(vpc2, [sg2], "10.1.1.10")
    pcx = world.peering(vpc1, vpc2)
    world.route_table(vpc1, [("10.1.0.0/16", pcx)], main=True)
    world.route_table(vpc2, [("10.0.0.0/16", pcx)], main=True)
    world.acl(vpc1, [s1], (ALL_IN, ALL_OUT))
    acl2 = world.acl(vpc2, [s2], ((100, "in", "allow", "tcp", "10.0.0.0/16", (5432, 5432)),))
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 5432))
    assert _crossings(decision) == [
        ("request", s1, True, "10.1.1.10", (5432, 5432), True),
        ("request", s2, False, "10.0.1.10", (5432, 5432), True),
        ("reply", s2, True, "10.0.1.10", EPHEMERAL_PORTS, False),
        ("reply", s1, False, "10.1.1.10", EPHEMERAL_PORTS, True),
    ]
    assert [b.component_id for b in decision.blockers] == [acl2]


def test_to_another_instance_public_ip_the_destination_sees_the_public_ip(world: World) -> None:
    vpc = world.vpc("10.0.0.0/16")
    sg = world.group(vpc, "open")
    world.rule(sg, "in", "-1", None, None, "0.0.0.0/0")
    sa = world.subnet(vpc, "10.0.1.0/24")
    a = world.instance(vpc, [sg], "10.0.1.10", public_ip="198.51.100.10")
    sb = world.subnet(vpc, "10.0.2.0/24")
    world.instance(vpc, [sg], "10.0.2.10", public_ip="198.51.100.20")
    world.route_table(vpc, [("0.0.0.0/0", world.igw_of(vpc))], main=True)
    world.acl(vpc, [sa], (ALL_IN, ALL_OUT))
    world.acl(vpc, [sb], (ALL_IN, ALL_OUT))
    decision = decide(world.snapshot(), Flow(a, "198.51.100.20", "tcp", 80))
    assert decision.allowed, explain(decision)
    assert [(a.subnet_id, a.egress, a.remote) for a in decision.acls] == [
        (sa, True, "198.51.100.20"),
        (sb, False, "198.51.100.10"),
        (sb, True, "198.51.100.10"),
        (sa, False, "198.51.100.20"),
    ]


def test_ipv6_entries_see_only_ipv6(world: World) -> None:
    vpc = world.vpc("10.0.0.0/16", ipv6_cidr="2001:db8::/56")
    sg = world.group(vpc, "open")
    world.rule(sg, "in", "-1", None, None, "0.0.0.0/0")
    world.rule(sg, "in", "-1", None, None, "::/0")
    world.rule(sg, "out", "-1", None, None, "::/0")
    sa = world.subnet(vpc, "10.0.1.0/24", "2001:db8:0:1::/64")
    a = world.instance(vpc, [sg], "10.0.1.10", ipv6=["2001:db8:0:1::10"])
    sb = world.subnet(vpc, "10.0.2.0/24", "2001:db8:0:2::/64")
    b = world.instance(vpc, [sg], "10.0.2.10", ipv6=["2001:db8:0:2::10"])
    world.acl(vpc, [sa], (ALL_IN, ALL_OUT, (101, "in", "allow", "-1", "::/0")))
    world.acl(vpc, [sb], (ALL_IN, ALL_OUT, (101, "out", "allow", "-1", "::/0")))
    snapshot = world.snapshot()
    assert decide(snapshot, Flow(a, b, "tcp", 22)).allowed
    v6 = decide(snapshot, Flow("2001:db8:0:1::10", "2001:db8:0:2::10", "tcp", 22))
    assert v6.reasons == Reason.ACL_REQUEST_DENIED  # the replies are allowed by the 101s
    denied = [(b.acl.subnet_id, b.acl.egress, b.acl.entry.rule_number) for b in v6.blockers]
    # sa's egress has no IPv6 entry; sb's ingress neither: both hit the IPv6 * (32768)
    assert denied == [(sa, True, 32768), (sb, False, 32768)]
    assert all(b.acl_suggestion.cidr.endswith("/128") for b in v6.blockers)


def test_icmp_echo_reply_is_an_echo_reply(world: World) -> None:
    entries = (
        (100, "in", "allow", "icmp", "0.0.0.0/0", None, (8, -1)),
        (100, "out", "allow", "icmp", "0.0.0.0/0", None, (8, -1)),
    )
    _, _, (a, _), (b, sb), (_, acl_b) = two_subnets(world, acl_b=entries)
    decision = decide(world.snapshot(), Flow(a, b, "icmp", icmp_type=8))
    assert decision.reasons == Reason.ACL_REPLY_DENIED
    (blocker,) = decision.blockers
    assert blocker.acl.protocol == "1" and blocker.acl.ports is None
    fix = blocker.acl_suggestion
    assert (fix.egress, fix.protocol, fix.icmp_type, fix.icmp_code, fix.port_range) == (
        True,
        "1",
        0,
        0,
        None,
    )
    # an ICMP type that gets no reply crosses nothing on the way back
    unreachable = decide(world.snapshot(), Flow(a, b, "icmp", icmp_type=3, icmp_code=1))
    assert [step.leg for step in unreachable.acls] == [PacketLeg.REQUEST, PacketLeg.REQUEST]


def test_all_traffic_needs_every_protocol_allowed(world: World) -> None:
    entries = (ALL_IN, (100, "out", "allow", "tcp", "0.0.0.0/0", (0, 65535)))
    _, _, (a, _), (b, _), _ = two_subnets(world, acl_b=entries)
    decision = decide(world.snapshot(), Flow(a, b, "-1"))
    assert decision.reasons == Reason.ACL_REPLY_DENIED
    assert decision.blockers[0].acl.entry.rule_number == 32767
    assert decision.blockers[0].acl_suggestion.protocol == "-1"


def test_a_full_direction_gets_a_remedy_not_an_entry(world: World) -> None:
    entries = [ALL_OUT] + [
        (10 + i, "in", "allow", "udp", f"192.0.2.{i}/32", (53, 53)) for i in range(19)
    ]
    _, _, (a, _), (b, _), (_, acl_b) = two_subnets(world, acl_b=entries)
    decision = decide(world.snapshot(), Flow(a, b, "tcp", 22))
    (blocker,) = decision.blockers
    assert blocker.acl_suggestion is None
    assert "replace" in blocker.fix and "quota" in blocker.fix


# -- the domain helpers the engine relies on ------------------------------------------------


def _random_acl(rng: random.Random) -> NetworkAcl:
    entries = []
    numbers = rng.sample(range(1, 200), 12)
    for n in numbers:
        protocol = rng.choice(["tcp", "udp", "-1", "icmp"])
        low = rng.choice([0, 22, 1000, 32000, 40000])
        ports = (
            (low, min(65535, low + rng.choice([0, 10, 5000, 30000])))
            if protocol in ("tcp", "udp")
            else None
        )
        icmp = (rng.choice([-1, 0, 8]), -1) if protocol == "icmp" else None
        cidr = rng.choice(["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24"])
        action = rng.choice(["allow", "deny"])
        entries.append(acl_entry(n, "in", action, protocol, cidr, ports, icmp))
    world = World()
    vpc = world.vpc()
    acl_id = world.acl(vpc, (), ())
    base = world.network_acls[0]
    return NetworkAcl(
        acl_id, vpc, base.owner_id, base.region, entries=tuple(entries) + base.entries
    )


@pytest.mark.parametrize("seed", range(20))
def test_decide_ports_is_first_match_for_one_port_and_all_ports_for_a_range(seed: int) -> None:
    rng = random.Random(seed)
    acl = _random_acl(rng)
    for _ in range(40):
        address = rng.choice(["10.1.2.3", "10.9.9.9", "192.0.2.7", "198.51.100.1"])
        protocol = rng.choice([6, 17])
        port = rng.choice([0, 22, 999, 1000, 32768, 35000, 40000, 65535])
        assert decide_ports(acl, False, 4, address, protocol, (port, port)) == first_match(
            acl, False, 4, address, protocol, port
        )
        low = rng.choice([0, 30000, 32768])
        high = low + rng.choice([0, 50, 3000])
        entry, allowed = decide_ports(acl, False, 4, address, protocol, (low, high))
        sampled = [first_match(acl, False, 4, address, protocol, p) for p in range(low, high + 1)]
        assert allowed == all(ok for _, ok in sampled)
        if not allowed:
            assert entry in [e for e, ok in sampled if not ok]
        icmp = (rng.choice([0, 3, 8]), 0)
        assert decide_ports(acl, False, 4, address, 1, None, icmp) == first_match(
            acl, False, 4, address, 1, None, icmp
        )


def test_free_rule_number_prefers_just_below_the_deny(world: World) -> None:
    vpc = world.vpc()
    world.acl(
        vpc,
        (),
        (
            (100, "in", "deny", "-1", "0.0.0.0/0"),
            (99, "in", "allow", "tcp", "192.0.2.0/24", (1, 1)),
        ),
    )
    acl = world.network_acls[-1]
    deny = acl.entry(False, 100)
    assert free_rule_number(acl, False, 4, deny) == 98
    assert free_rule_number(acl, True, 4, None) == 100  # nothing numbered outbound
    star = acl.entry(False, 32767)
    assert free_rule_number(acl, False, 4, star) == 110


# -- the suggested entries: each lifts its blocker ----------------------------------------------

ACL_REASONS = Reason.ACL_REQUEST_DENIED | Reason.ACL_REPLY_DENIED


def _with_entry(snapshot, suggestion):
    """The snapshot with the suggested entry added to its ACL (through the domain's checks)."""
    icmp = None if suggestion.icmp_type is None else (suggestion.icmp_type, suggestion.icmp_code)
    six = ":" in suggestion.cidr
    new = domain_entry(
        suggestion.rule_number,
        suggestion.egress,
        "allow",
        suggestion.protocol,
        None if six else suggestion.cidr,
        suggestion.cidr if six else None,
        suggestion.port_range,
        icmp,
    )
    acls = []
    for acl in snapshot.network_acls:
        if acl.network_acl_id == suggestion.network_acl_id:
            assert acl.entry(new.egress, new.rule_number) is None, "the number is taken"
            acl = dc_replace(acl, entries=acl.entries + (new,))
        acls.append(acl)
    return dc_replace(snapshot, network_acls=tuple(acls))


def _crossing(step):
    return (step.leg, step.network_acl_id, step.subnet_id, step.egress, step.remote, step.ports)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data(), st.booleans(), st.booleans())
def test_each_suggested_acl_entry_lifts_its_blocker(data, routes, internal):
    snapshot = data.draw(worlds(routes=routes, acls=True)).snapshot()
    flow = data.draw(flows(snapshot, ids_allowed=False, internal=internal))
    decision = decide(snapshot, flow)
    others = decision.reasons & ~ACL_REASONS
    for _ in range(8):  # a flow crosses at most 8 boundaries
        fixable = [b for b in decision.blockers if b.acl_suggestion is not None]
        if not fixable:
            break
        before = {_crossing(b.acl) for b in decision.blockers if b.acl is not None}
        blocker = fixable[0]
        snapshot = _with_entry(snapshot, blocker.acl_suggestion)
        decision = decide(snapshot, flow)
        after = {_crossing(b.acl) for b in decision.blockers if b.acl is not None}
        # its crossing is lifted (others of the same ACL may be too); nothing new blocks
        assert _crossing(blocker.acl) not in after, explain(decision)
        assert after < before, explain(decision)
    assert not any(b.acl_suggestion for b in decision.blockers)
    if not any(b.acl is not None for b in decision.blockers):
        assert decision.reasons == others  # nothing else changed


def test_decide_many_crosses_the_nat_subnet_like_decide(world: World) -> None:
    """Through a NAT gateway (and to another instance's public IP through it): the NAT
    subnet's crossings both ways, its port range for the reply, in bulk as in ``decide``."""
    public_entries = (
        (100, "in", "allow", "-1", "10.0.1.0/24"),
        (105, "in", "deny", "tcp", "198.51.100.0/24", (2000, 2000)),  # part of the NAT range
        (110, "in", "allow", "tcp", "0.0.0.0/0", NAT_GATEWAY_PORTS),
        (120, "in", "allow", "udp", "0.0.0.0/0", EPHEMERAL_PORTS),  # too narrow for a NAT
        ALL_OUT,
    )
    client, public, _ = nat_world(world, public_entries)
    vpc = world.vpcs[0].vpc_id
    sg = world.group(vpc, "web")
    world.rule(sg, "in", "-1", None, None, "0.0.0.0/0")
    world._subnet_of[vpc] = public
    world.instance(vpc, [sg], "10.0.0.20", public_ip="198.51.100.20")
    snapshot = world.snapshot()
    chosen = [
        Flow("10.0.1.10", INTERNET, "tcp", 443),  # allowed
        Flow("10.0.1.10", INTERNET, "udp", 53),  # the reply to the NAT's ports is denied
        Flow("10.0.1.10", "198.51.100.20", "tcp", 80),  # via the NAT to a public IP
        Flow("10.0.1.10", "10.0.0.20", "icmp", icmp_type=8),
        Flow(INTERNET, "198.51.100.20", "tcp", 22),
    ]
    batch = FlowBatch.from_flows(chosen)
    result = decide_many(snapshot, batch)
    decisions = [decide(snapshot, flow) for flow in chosen]
    assert [d.allowed for d in decisions] == result.allowed.tolist()
    assert [d.reasons for d in decisions] == [result.reason(i) for i in range(len(chosen))]
    assert decisions[0].allowed and not decisions[1].allowed
    assert decisions[1].reasons == Reason.ACL_REPLY_DENIED
    assert decisions[1].blockers[0].acl.ports == NAT_GATEWAY_PORTS
    # entering the web subnet from the NAT's public IP on port 80: nothing but the * allows;
    # the reply entering the NAT's subnet on its ports: #105 denies part of the range
    assert decisions[2].reasons == Reason.ACL_REQUEST_DENIED | Reason.ACL_REPLY_DENIED
    denied = [(b.acl.leg, b.acl.remote, b.acl.entry.rule_number) for b in decisions[2].blockers]
    assert denied == [
        (PacketLeg.REQUEST, "198.51.100.99", 32767),
        (PacketLeg.REPLY, "198.51.100.20", 105),
    ]
    # a client port: the reply's last hop judged on it, the NAT's range before (in bulk too)
    named = [Flow("10.0.1.10", INTERNET, "udp", 53, source_port=40000)]
    assert decide_many(snapshot, FlowBatch.from_flows(named)).reason(0) == decisions[1].reasons
