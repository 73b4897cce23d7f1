"""Route selection and the routes every subnet has (real or implied main table)."""

from __future__ import annotations

from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.routing import (
    LOCAL,
    Route,
    RouteOrigin,
    RouteState,
    RouteTable,
    RouteTableAssociation,
    TargetKind,
    route_state,
    select_route,
)
from stockade.domain.state import Snapshot

ROUTES = (
    Route("10.0.0.0/16", LOCAL, RouteOrigin.CREATE_ROUTE_TABLE),
    Route("0.0.0.0/0", "igw-1"),
    Route("10.1.0.0/16", "pcx-1"),
    Route("10.1.2.0/24", "eni-1"),
    Route("::/0", "eigw-1"),
    Route("pl-1", "nat-1"),
)


def test_longest_prefix_wins_and_families_are_separate():
    assert select_route(ROUTES, "10.0.3.4").target == LOCAL
    assert select_route(ROUTES, "10.1.2.9").target == "eni-1"
    assert select_route(ROUTES, "10.1.3.9").target == "pcx-1"
    assert select_route(ROUTES, "198.51.100.7").target == "igw-1"
    assert select_route(ROUTES, "2001:db8::1").target == "eigw-1"
    assert select_route(ROUTES[:1], "2001:db8::1") is None
    assert select_route(ROUTES[:1], "198.51.100.7") is None


def test_prefix_list_routes_match_their_entries_and_lose_ties_to_cidrs():
    lists = {"pl-1": ("203.0.113.0/24", "10.1.2.0/24")}
    assert select_route(ROUTES, "203.0.113.5", lists).target == "nat-1"
    assert select_route(ROUTES, "10.1.2.9", lists).target == "eni-1"  # same /24: CIDR wins
    assert select_route(ROUTES, "203.0.113.5").target == "igw-1"  # list unknown: no match


def test_route_state_is_derived_from_its_target():
    assert route_state(ROUTES[0], "vpc-1", lambda r, v: False) is RouteState.ACTIVE
    assert route_state(ROUTES[1], "vpc-1", lambda r, v: False) is RouteState.BLACKHOLE
    assert route_state(ROUTES[1], "vpc-1", lambda r, v: True) is RouteState.ACTIVE
    assert ROUTES[2].kind is TargetKind.PEERING and ROUTES[5].family is None


def _world(**kw):
    vpc = Vpc("vpc-1", "111122223333", "us-east-1", "10.0.0.0/16", ipv6_cidr_block="2001:db8::/56")
    subnets = (
        Subnet(
            "subnet-a", "vpc-1", vpc.owner_id, vpc.region, "10.0.1.0/24", "us-east-1a", "use1-az1"
        ),
        Subnet(
            "subnet-b", "vpc-1", vpc.owner_id, vpc.region, "10.0.2.0/24", "us-east-1a", "use1-az1"
        ),
    )
    return Snapshot(vpcs=(vpc,), subnets=subnets, **kw)


def test_a_vpc_without_tables_has_the_implied_main_table():
    bare = _world()
    assert [r.target for r in bare.route_table_by_subnet["subnet-a"].routes] == [LOCAL, LOCAL]
    gw = _world(internet_gateways=(InternetGateway("igw-1", "111122223333", "us-east-1", "vpc-1"),))
    table = gw.route_table_by_subnet["subnet-b"]
    assert table.route_table_id == "" and table.is_main
    assert select_route(table.routes, "198.51.100.1").target == "igw-1"
    assert select_route(table.routes, "2001:db8:1::1").target == "igw-1"


def test_explicit_association_beats_the_main_table():
    main = RouteTable(
        "rtb-main",
        "vpc-1",
        "111122223333",
        "us-east-1",
        routes=(Route("10.0.0.0/16", LOCAL),),
        associations=(RouteTableAssociation("rtbassoc-m", main=True),),
    )
    custom = RouteTable(
        "rtb-pub",
        "vpc-1",
        "111122223333",
        "us-east-1",
        routes=(Route("10.0.0.0/16", LOCAL), Route("0.0.0.0/0", "igw-1")),
        associations=(RouteTableAssociation("rtbassoc-a", subnet_id="subnet-a"),),
    )
    snap = _world(route_tables=(main, custom))
    assert snap.route_table_by_subnet["subnet-a"] is custom
    assert snap.route_table_by_subnet["subnet-b"] is main
    merged = snap.merged(Snapshot(route_tables=(custom,)))
    assert len(merged.route_tables) == 2 and merged.route_table_by_subnet["subnet-a"] == custom
