"""A NAT gateway carries TCP, UDP and ICMP queries only: ``decide`` and ``decide_many`` agree
on which flows leaving by one get no translation (the kernel's side: tests/dataplane
test_routing's NAT tests)."""

from __future__ import annotations

import pytest

from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.decide import decide
from stockade.policy.flow import Flow
from stockade.policy.reasons import Reason

from .conftest import World

HOST = "203.0.113.10"


def nat_world(w: World) -> None:
    """A private subnet (10.0.1.10, no public IP) out through a NAT gateway; a public one
    (10.0.0.20 with a public IP) out through the internet gateway; open groups."""
    vpc = w.vpc("10.0.0.0/16")
    sg = w.group(vpc, "open")
    w.rule(sg, "in", "-1", None, None, "0.0.0.0/0")
    public = w.subnet(vpc, "10.0.0.0/24")
    w.instance(vpc, [sg], "10.0.0.20", public_ip="198.51.100.20")
    nat = w.nat(public, public_ip="198.51.100.99")
    private = w.subnet(vpc, "10.0.1.0/24")
    w.instance(vpc, [sg], "10.0.1.10")
    w.route_table(vpc, [("0.0.0.0/0", w.igw_of(vpc))], subnets=[public], main=True)
    w.route_table(vpc, [("0.0.0.0/0", nat)], subnets=[private])


CARRIED = [
    Flow("10.0.1.10", HOST, "tcp", 443),
    Flow("10.0.1.10", HOST, "udp", 53),
    Flow("10.0.1.10", HOST, "icmp", icmp_type=8),  # echo
    Flow("10.0.1.10", HOST, "icmp", icmp_type=13),  # timestamp
]
REFUSED = [
    Flow("10.0.1.10", HOST, "icmp", icmp_type=0),  # an echo reply of no connection
    Flow("10.0.1.10", HOST, "icmp", icmp_type=3, icmp_code=4),  # an error of none
    Flow("10.0.1.10", HOST, "icmp", icmp_type=11),
    Flow("10.0.1.10", HOST, "47"),  # GRE
    Flow("10.0.1.10", "198.51.100.20", "132"),  # to another instance's public IP
]


@pytest.mark.parametrize("flow", CARRIED, ids=lambda f: f.service())
def test_tcp_udp_and_icmp_queries_leave_by_the_nat_gateway(world: World, flow: Flow) -> None:
    nat_world(world)
    assert decide(world.snapshot(), flow).allowed


@pytest.mark.parametrize("flow", REFUSED, ids=lambda f: f.service())
def test_anything_else_gets_no_translation(world: World, flow: Flow) -> None:
    nat_world(world)
    snapshot = world.snapshot()
    decision = decide(snapshot, flow)
    (blocker,) = decision.blockers
    assert blocker.reason is Reason.NAT_PROTOCOL and blocker.code == "NO_PATH"
    (nat,) = snapshot.nat_gateways
    assert blocker.component_id == nat.nat_gateway_id
    assert blocker.component_type == "nat-gateway"
    assert "translates only TCP, UDP and ICMP queries" in blocker.message


def test_all_traffic_through_a_nat_gateway_is_not_all_carried(world: World) -> None:
    nat_world(world)
    decision = decide(world.snapshot(), Flow("10.0.1.10", HOST, "-1"))
    assert decision.reasons == Reason.NAT_PROTOCOL


def test_the_internet_gateway_carries_them_from_a_public_subnet(world: World) -> None:
    nat_world(world)
    snapshot = world.snapshot()
    for flow in REFUSED[:4]:
        public = Flow("10.0.0.20", flow.destination, flow.protocol, icmp_type=flow.icmp_type)
        assert decide(snapshot, public).allowed, public


def test_decide_many_refuses_the_same_flows(world: World) -> None:
    nat_world(world)
    snapshot = world.snapshot()
    flows = CARRIED + REFUSED + [Flow("10.0.0.20", HOST, "icmp", icmp_type=3, icmp_code=4)]
    result = decide_many(snapshot, FlowBatch.from_flows(flows))
    assert result.allowed.tolist() == [decide(snapshot, f).allowed for f in flows]
    assert [result.reason(i) for i in range(len(flows))] == [
        decide(snapshot, f).reasons for f in flows
    ]
    assert result.allowed.tolist() == [True] * 4 + [False] * 5 + [True]
