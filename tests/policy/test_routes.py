"""The path of a flow follows the route tables: public and private subnets, NAT and
egress-only gateways, peerings (one account, or two merged), blackholes, routes back.

Every scenario is also decided in bulk (``decide_many``) and compared flow by flow.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from stockade.domain.peering import PeeringStatus
from stockade.domain.routing import NatGatewayState
from stockade.domain.state import Snapshot
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.decide import decide
from stockade.policy.explain import explain
from stockade.policy.exposure import exposure
from stockade.policy.flow import Flow
from stockade.policy.reasons import names

from .conftest import World
from .test_bulk import assert_agree

INTERNET = "203.0.113.7"


def reasons(snapshot: Snapshot, flow: Flow) -> set[str]:
    """The blocking reasons of ``flow``, after checking that bulk agrees."""
    decision = decide(snapshot, flow)
    if flow.protocol != "-1" and not flow.source.startswith(("i-", "eni-")):
        batch = FlowBatch.from_flows([flow])
        assert_agree(snapshot, batch, decide_many(snapshot, batch), [flow])
    return set(names(decision.reasons))


def codes(snapshot: Snapshot, flow: Flow) -> list[str]:
    return [b.code for b in decide(snapshot, flow).blockers]


class Vpc:
    """A VPC with a public subnet (10.x.1.0/24: 0.0.0.0/0 and ::/0 → igw) and a private
    one (10.x.2.0/24: the main table, local routes only), a group open to everything."""

    def __init__(self, w: World, n: int, igw: bool = True) -> None:
        self.w = w
        self.cidr = f"10.{n}.0.0/16"
        self.v6 = f"2001:db8:{n}::/56"
        self.id = w.vpc(self.cidr, self.v6, igw=igw)
        self.igw = w.igw_of(self.id)
        self.public_subnet = w.subnets[-1].subnet_id  # the builder's first subnet
        self.private_subnet = w.subnet(self.id, f"10.{n}.2.0/24")
        self.group = w.group(self.id, f"open-{n}")
        w.rule(self.group, "in", "-1", None, None, "0.0.0.0/0")
        w.rule(self.group, "in", "-1", None, None, "::/0")
        w.rule(self.group, "out", "-1", None, None, "::/0")
        self.main = w.route_table(self.id, main=True)
        defaults = [("0.0.0.0/0", self.igw), ("::/0", self.igw)] if igw else []
        self.public = w.route_table(self.id, defaults, [self.public_subnet])

    def instance(self, subnet: str, private: str, public: str | None = None, v6=()) -> str:
        self.w._subnet_of[self.id] = subnet
        return self.w.instance(self.id, [self.group], private, public, ipv6=v6)

    def add_route(self, table_id: str, destination: str, target: str) -> None:
        from stockade.domain.routing import Route

        tables = self.w.route_tables
        i = next(k for k, t in enumerate(tables) if t.route_table_id == table_id)
        tables[i] = replace(tables[i], routes=tables[i].routes + (Route(destination, target),))


@pytest.fixture
def a(world) -> Vpc:
    return Vpc(world, 0)


def test_a_public_ip_in_a_private_subnet_is_reachable_neither_way(world, a):
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    assert reasons(snap, Flow(INTERNET, "198.51.100.10", "tcp", 22)) == set()
    assert reasons(snap, Flow("10.0.1.10", INTERNET, "tcp", 443)) == set()
    inbound = Flow(INTERNET, "198.51.100.20", "tcp", 22)
    assert reasons(snap, inbound) == {"NO_RETURN_ROUTE"}
    assert codes(snap, inbound) == ["NO_ROUTE_TO_DESTINATION"]
    outbound = Flow("10.0.2.20", INTERNET, "tcp", 443)
    assert reasons(snap, outbound) == {"NO_ROUTE"}
    (blocker,) = decide(snap, outbound).blockers
    assert blocker.component_id == a.main
    assert blocker.remedy.startswith(f"stockade route-table associate {a.public} ")
    # no table of the VPC routes it: the route to add
    alone = replace(
        snap, route_tables=tuple(t for t in snap.route_tables if t.route_table_id == a.main)
    )
    (blocker,) = decide(alone, outbound).blockers
    assert blocker.remedy == (f"stockade route-table add-route {a.main} 0.0.0.0/0 --target {a.igw}")


def test_an_allowed_flow_shows_the_routes_it_took(world, a):
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    a.instance(a.private_subnet, "10.0.2.20")
    snap = world.snapshot()
    inbound = decide(snap, Flow(INTERNET, "198.51.100.10", "tcp", 22))
    assert inbound.allowed
    (back,) = inbound.routes
    assert (back.leg, back.table_id, back.destination, back.target, back.state) == (
        "return",
        a.public,
        "0.0.0.0/0",
        a.igw,
        "active",
    )
    assert f"route return: {a.public} ({a.public_subnet}): 0.0.0.0/0 → {a.igw}" in explain(inbound)
    local = decide(snap, Flow("10.0.1.10", "10.0.2.20", "tcp", 22))
    assert local.allowed and [(r.leg, r.target) for r in local.routes] == [("forward", "local")]
    assert decide(snap, Flow("10.0.1.10", "10.0.1.10", "tcp", 22)).routes == ()
    assert local.to_dict()["routes"][0]["route_table_id"] == a.public


def test_nat_gateway_out_nothing_in(world, a):
    nat = world.nat(a.public_subnet, public_ip="192.0.2.99")
    a.add_route(a.main, "0.0.0.0/0", nat)
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    assert reasons(snap, Flow("10.0.2.20", INTERNET, "tcp", 443)) == set()
    # to another instance's public IP: seen there as the NAT gateway's address
    via = decide(snap, Flow("10.0.2.20", "198.51.100.10", "tcp", 22))
    assert via.allowed and via.ingress.remote == "192.0.2.99"
    assert [r.leg for r in via.routes] == ["forward", "nat", "return"]
    inbound = decide(snap, Flow(INTERNET, "198.51.100.20", "tcp", 22))
    assert set(names(inbound.reasons)) == {"NO_RETURN_ROUTE"}
    assert "nothing initiated from the internet comes back through a NAT" in explain(inbound)
    # a NAT gateway without an EIP, failed, or whose own subnet has no internet route
    private_nat = replace(snap.nat_gateways[0], public_ip=None, connectivity_type="private")
    assert reasons(
        replace(snap, nat_gateways=(private_nat,)), Flow("10.0.2.20", INTERNET, "tcp", 443)
    ) == {"NAT_NOT_PUBLIC"}
    failed = replace(snap.nat_gateways[0], state=NatGatewayState.FAILED)
    flow = Flow("10.0.2.20", INTERNET, "tcp", 443)
    assert reasons(replace(snap, nat_gateways=(failed,)), flow) == {"BLACKHOLE_ROUTE"}
    assert codes(replace(snap, nat_gateways=(failed,)), flow) == ["BAD_STATE_ROUTE"]
    stranded = replace(snap.nat_gateways[0], subnet_id=a.private_subnet)
    assert reasons(replace(snap, nat_gateways=(stranded,)), flow) == {"NAT_NO_ROUTE"}
    # an RFC 1918 destination is still dropped at the internet gateway
    assert reasons(snap, Flow("10.0.2.20", "172.16.0.1", "tcp", 443)) == {"DESTINATION_RFC1918"}


def test_egress_only_gateway_ipv6_out_not_in(world, a):
    eigw = world.egress_only_gateway(a.id)
    a.add_route(a.main, "::/0", eigw)
    a.instance(a.private_subnet, "10.0.2.20", v6=("2001:db8:0:2::20",))
    snap = world.snapshot()
    assert reasons(snap, Flow("2001:db8:0:2::20", "2001:db8:ffff::1", "tcp", 443)) == set()
    inbound = decide(snap, Flow("2001:db8:ffff::1", "2001:db8:0:2::20", "tcp", 22))
    assert set(names(inbound.reasons)) == {"NO_RETURN_ROUTE"}
    assert "egress-only" in explain(inbound)
    # IPv4 still has no route out of the private subnet
    assert reasons(snap, Flow("10.0.2.20", INTERNET, "tcp", 443)) == {"NO_ROUTE"}


def test_blackholes_name_the_fix(world, a):
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    snap = world.snapshot()
    detached = replace(snap, internet_gateways=(replace(snap.internet_gateways[0], vpc_id=None),))
    flow = Flow("10.0.1.10", INTERNET, "tcp", 443)
    decision = decide(detached, flow)
    assert set(names(decision.reasons)) == {"BLACKHOLE_ROUTE"}
    assert decision.blockers[0].remedy == f"attach {a.igw} to {a.id}"
    assert decision.routes[0].state == "blackhole"
    assert reasons(detached, flow) == {"BLACKHOLE_ROUTE"}
    # from the internet: the VPC has no gateway at all (the return route is not also blamed)
    assert reasons(detached, Flow(INTERNET, "198.51.100.10", "tcp", 22)) == {
        "DESTINATION_VPC_NO_IGW"
    }


def test_appliance_targets_are_reported_not_guessed(world, a):
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    appliance = world.interfaces[-1].eni_id
    a.instance(a.private_subnet, "10.0.2.20")
    a.add_route(a.main, "0.0.0.0/0", appliance)
    snap = world.snapshot()
    flow = Flow("10.0.2.20", INTERNET, "tcp", 443)
    assert reasons(snap, flow) == {"ROUTE_NOT_MODELLED"}
    assert codes(snap, flow) == ["UNSUPPORTED_COMPONENT"]


def test_prefix_list_destinations_are_expanded(world, a):
    listed = world.prefix_list(["203.0.113.0/24"])
    a.add_route(a.main, listed, a.igw)
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    assert reasons(snap, Flow("10.0.2.20", "203.0.113.9", "tcp", 443)) == set()
    assert reasons(snap, Flow("10.0.2.20", "198.51.100.99", "tcp", 443)) == {"NO_ROUTE"}
    assert reasons(snap, Flow("203.0.113.9", "198.51.100.20", "tcp", 22)) == set()
    assert reasons(snap, Flow("198.51.100.99", "198.51.100.20", "tcp", 22)) == {"NO_RETURN_ROUTE"}


@pytest.fixture
def peered(world, a):
    b = Vpc(world, 1, igw=False)
    pcx = world.peering(a.id, b.id)
    a.instance(a.private_subnet, "10.0.2.20")
    b.instance(b.private_subnet, "10.1.2.30")
    a.add_route(a.main, b.cidr, pcx)
    return a, b, pcx


def test_peering_routed_both_ways_carries_private_addresses(world, peered):
    a, b, pcx = peered
    b.add_route(b.main, a.cidr, pcx)
    snap = world.snapshot()
    decision = decide(snap, Flow("10.0.2.20", "10.1.2.30", "tcp", 22))
    assert decision.allowed and str(decision.path) == "peering"
    assert decision.ingress.remote == "10.0.2.20"
    assert [(r.leg, r.target) for r in decision.routes] == [("forward", pcx), ("return", pcx)]
    assert reasons(snap, Flow("10.1.2.30", "10.0.2.20", "tcp", 22)) == set()


def test_peering_needs_the_route_back_and_an_active_connection(world, peered):
    a, b, pcx = peered
    snap = world.snapshot()
    one_way = decide(snap, Flow("10.0.2.20", "10.1.2.30", "tcp", 22))
    assert set(names(one_way.reasons)) == {"NO_RETURN_ROUTE"}
    assert one_way.blockers[0].remedy == (
        f"stockade route-table add-route {b.main} {a.cidr} --target {pcx}"
    )
    # the other way, B has no route to A at all: different VPCs, nothing connects them
    assert reasons(snap, Flow("10.1.2.30", "10.0.2.20", "tcp", 22)) == {"DIFFERENT_VPC"}
    b.add_route(b.main, a.cidr, pcx)
    pending = world.snapshot()
    pending = replace(
        pending, peerings=(replace(pending.peerings[0], status=PeeringStatus.PENDING_ACCEPTANCE),)
    )
    flow = Flow("10.0.2.20", "10.1.2.30", "tcp", 22)
    assert reasons(pending, flow) == {"BLACKHOLE_ROUTE"}
    assert "pending-acceptance" in explain(decide(pending, flow))
    assert reasons(replace(pending, peerings=()), flow) == {"BLACKHOLE_ROUTE"}


def test_no_transit_through_a_peered_vpc(world, peered):
    a, b, pcx = peered
    b.add_route(b.main, "0.0.0.0/0", pcx)  # B tries to use A's internet gateway
    b.add_route(b.main, a.cidr, pcx)
    snap = world.snapshot()
    flow = Flow("10.1.2.30", INTERNET, "tcp", 443)
    assert reasons(snap, flow) == {"PCX_TRANSIT"}
    assert codes(snap, flow) == ["PCX_REQUIRES_ADDRESS_IN_VPC_CIDR"]
    # an address of A's block that no interface holds
    assert reasons(snap, Flow("10.1.2.30", "10.0.9.9", "tcp", 443)) == {"UNKNOWN_IN_VPC"}


def test_a_cross_account_peering_is_decided_over_the_merged_snapshots(world, peered):
    a, b, pcx = peered
    b.add_route(b.main, a.cidr, pcx)
    snap = world.snapshot()
    mine = {a.id}

    def scope(owned: set[str]) -> Snapshot:
        keep = lambda items, key: tuple(x for x in items if key(x) in owned)  # noqa: E731
        return Snapshot(
            vpcs=keep(snap.vpcs, lambda v: v.vpc_id),
            subnets=keep(snap.subnets, lambda s: s.vpc_id),
            internet_gateways=keep(snap.internet_gateways, lambda g: g.vpc_id),
            groups=keep(snap.groups, lambda g: g.vpc_id),
            rules=tuple(
                r
                for r in snap.rules
                if r.group_id in {g.group_id for g in keep(snap.groups, lambda g: g.vpc_id)}
            ),
            interfaces=keep(snap.interfaces, lambda e: e.vpc_id),
            instances=keep(snap.instances, lambda i: i.vpc_id),
            route_tables=keep(snap.route_tables, lambda t: t.vpc_id),
            peerings=snap.peerings,
        )

    ours, theirs = scope(mine), scope({b.id})
    flow = Flow("10.0.2.20", "10.1.2.30", "tcp", 22)
    assert reasons(ours, flow) == {"UNKNOWN_IN_VPC"}  # B's interfaces are not ours to see
    merged = ours.merged(theirs)
    assert decide(merged, flow).allowed
    assert reasons(merged, flow) == set()


def test_exposure_needs_a_route_to_the_gateway(world, a):
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    findings = {f.eni_id: f for f in exposure(world.snapshot())}
    public, private = (findings[e.eni_id] for e in world.interfaces)
    assert public.exposed and not private.exposed
    assert any(
        f"no IPv4 route to internet gateway {a.igw}" in w for w in private.not_reachable_because
    )
    assert {"componentId": a.main, "componentType": "AWS::EC2::RouteTable"} in private.network_path


def test_the_fix_is_an_association_when_a_table_of_the_vpc_already_routes_it(world, a):
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    associate = f"stockade route-table associate {a.public} --subnet {a.private_subnet}"
    (out,) = decide(snap, Flow("10.0.2.20", INTERNET, "tcp", 443)).blockers
    assert out.remedy == associate
    (back,) = decide(snap, Flow(INTERNET, "198.51.100.20", "tcp", 22)).blockers
    assert back.remedy == associate
    # applying it makes both directions work
    tables = tuple(
        replace(
            t,
            associations=t.associations + (replace(t.associations[0], subnet_id=a.private_subnet),),
        )
        if t.route_table_id == a.public
        else t
        for t in snap.route_tables
    )
    fixed = replace(snap, route_tables=tables)
    assert reasons(fixed, Flow("10.0.2.20", INTERNET, "tcp", 443)) == set()
    assert reasons(fixed, Flow(INTERNET, "198.51.100.20", "tcp", 22)) == set()


def test_a_subnet_on_a_table_of_its_own_goes_back_to_the_main_one_by_disassociating(world, a):
    a.add_route(a.main, "0.0.0.0/0", a.igw)
    dark = world.route_table(a.id, [], [a.private_subnet])
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    (blocker,) = decide(snap, Flow("10.0.2.20", INTERNET, "tcp", 443)).blockers
    (association,) = (x.association_id for x in snap.route_table_by_id[dark].associations)
    assert blocker.remedy == f"stockade route-table disassociate {association}"
