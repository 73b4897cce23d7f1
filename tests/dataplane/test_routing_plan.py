"""The routing plan (pure): route tables resolved to what the router does.

The kernel's longest-prefix match over a resolved table must give, for every address, the
hop the domain's own rules give (``select_route`` then ``route_state`` and the target), so
the property test below emulates the kernel lookup on the plan and compares.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.dataplane.plan import plan_world
from stockade.dataplane.routing import Hop, KernelTable, table_numbers
from stockade.domain.peering import PeeringStatus
from stockade.domain.routing import RouteState, TargetKind, route_state, select_route

from .routed import Routed

DESTINATIONS = [
    "0.0.0.0/0",
    "10.0.0.0/8",
    "10.1.0.0/16",
    "10.1.2.0/24",
    "203.0.113.0/24",
    "203.0.113.128/25",
    "198.51.100.0/24",
    "::/0",
    "2001:db8::/32",
]
ADDRESSES = [
    "10.0.1.9",
    "10.1.0.5",
    "10.1.2.3",
    "10.2.0.1",
    "203.0.113.10",
    "203.0.113.200",
    "198.51.100.7",
    "192.0.2.1",
    "2001:db8:ff00::10",
    "2001:db8:0:100::9",
    "2600::1",
]


def _world() -> tuple[Routed, dict[str, str]]:
    """VPC A (10.0.0.0/16, gateway attached, a NAT gateway in a public subnet, an
    egress-only gateway) peered (active) with B (10.1.0.0/16) and (pending) with C."""
    w = Routed()
    ids: dict[str, str] = {}
    a = ids["a"] = w.vpc("10.0.0.0/16", "2001:db8:0:100::/56")
    b = ids["b"] = w.vpc("10.1.0.0/16")
    c = ids["c"] = w.vpc("10.2.0.0/16")
    group = w.group(a, "g")
    ids["public"] = w.subnet(a, "10.0.0.0/24")
    ids["subnet"] = w.subnet(a, "10.0.1.0/24", "2001:db8:0:100::/64")
    ids["eni"] = w.eni_of(w.instance(a, [group], "10.0.1.9", ipv6=["2001:db8:0:100::9"]))
    ids["igw"] = w.igw(a)
    ids["nat"] = w.nat_gateway(ids["public"], "10.0.0.5", "198.51.100.50")
    ids["eigw"] = w.egress_only_gateway(a)
    ids["pcx"] = w.peering(a, b)
    ids["pending"] = w.peering(a, c, PeeringStatus.PENDING_ACCEPTANCE)
    w.table(a, {"0.0.0.0/0": ids["igw"]}, [ids["public"]], main=True)
    return w, ids


TARGETS = ["igw", "igw-0000000000000dead", "nat", "nat-0000000000000dead", "eigw", "pcx"]
TARGETS += ["pending", "eni", "eni-0000000000000dead", "vgw-0000000000000dead"]


def _kernel_hop(table: KernelTable, address: str) -> Hop:
    """What the kernel does with ``address`` in this table: its longest-prefix match."""
    addr = ipaddress.ip_address(address)
    best = max(
        (r for r in table.routes if addr in ipaddress.ip_network(r.destination)),
        key=lambda r: ipaddress.ip_network(r.destination).prefixlen,
    )
    return best.hop


def _expected(table, nat_table, address: str, ids) -> Hop:
    route = select_route(table.routes, address)
    if route is None:
        return Hop.DROP
    usable = {ids[k] for k in ("igw", "nat", "eigw", "pcx", "eni")}
    if route_state(route, ids["a"], lambda r, _v: r.target in usable) is RouteState.BLACKHOLE:
        return Hop.DROP
    family = ipaddress.ip_address(address).version
    kind = route.kind
    if kind is TargetKind.LOCAL:
        return Hop.LOCAL
    if kind is TargetKind.INTERNET_GATEWAY:
        return Hop.INTERNET
    if kind is TargetKind.NAT_GATEWAY:  # then the NAT gateway's subnet's table
        onward = select_route(nat_table.routes, address)
        return Hop.NAT if family == 4 and onward and onward.target == ids["igw"] else Hop.DROP
    if kind is TargetKind.EGRESS_ONLY_INTERNET_GATEWAY:
        return Hop.EGRESS_ONLY if family == 6 else Hop.DROP
    if kind is TargetKind.PEERING:  # only into the peer's block
        inside = ipaddress.ip_address(address) in ipaddress.ip_network("10.1.0.0/16")
        return Hop.PEERING if inside else Hop.DROP
    return Hop.INTERFACE


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(DESTINATIONS), st.sampled_from(TARGETS), min_size=1, max_size=6)
)
def test_the_kernel_lookup_on_the_plan_is_the_domains_route_selection(routes):
    w, ids = _world()
    rtb = w.table(ids["a"], {d: ids.get(t, t) for d, t in routes.items()}, [ids["subnet"]])
    snapshot = w.snapshot()
    plan = plan_world(snapshot)[ids["a"]]
    (table,) = [t for t in plan.routing.tables if t.route_table_id == rtb]
    domain_table = snapshot.route_table_by_id[rtb]
    for address in ADDRESSES:
        expected = _expected(domain_table, w.tables[0], address, ids)
        assert _kernel_hop(table, address) is expected, (address, routes)


def test_each_subnet_block_selects_its_tables_kernel_table():
    w, ids = _world()
    rtb = w.table(ids["a"], {"0.0.0.0/0": ids["nat"]}, [ids["subnet"]])
    plan = plan_world(w.snapshot())[ids["a"]]
    numbers = {t.route_table_id: t.number for t in plan.routing.tables}
    assert set(plan.routing.sources) == {
        ("10.0.0.0/24", numbers[w.tables[0].route_table_id]),
        ("10.0.1.0/24", numbers[rtb]),
        ("2001:db8:0:100::/64", numbers[rtb]),
    }
    assert plan.routing.nat_gateways == ((1, "198.51.100.50"),)
    assert plan.routing.egress_only_gateway


def test_a_nat_gateway_without_an_internet_route_in_its_subnet_or_a_public_ip_drops():
    w, ids = _world()
    rtb = w.table(ids["a"], {"0.0.0.0/0": ids["nat"]}, [ids["subnet"]])
    w.routes(w.tables[0].route_table_id, {})  # the NAT gateway's subnet: no internet route
    (table,) = [
        t for t in plan_world(w.snapshot())[ids["a"]].routing.tables if t.route_table_id == rtb
    ]
    assert table.by_destination()["0.0.0.0/0"].hop is Hop.DROP
    w, ids = _world()
    private = w.nat_gateway(ids["public"], "10.0.0.6", None)  # a private NAT gateway
    rtb = w.table(ids["a"], {"0.0.0.0/0": private}, [ids["subnet"]])
    (table,) = [
        t for t in plan_world(w.snapshot())[ids["a"]].routing.tables if t.route_table_id == rtb
    ]
    assert table.by_destination()["0.0.0.0/0"].hop is Hop.DROP


def test_a_peering_route_carries_only_the_peers_block_and_yields_to_longer_routes():
    w, ids = _world()
    rtb = w.table(ids["a"], {"0.0.0.0/0": ids["pcx"]}, [ids["subnet"]])
    (table,) = [
        t for t in plan_world(w.snapshot())[ids["a"]].routing.tables if t.route_table_id == rtb
    ]
    routes = table.by_destination()
    assert routes["10.1.0.0/16"].hop is Hop.PEERING
    assert routes["0.0.0.0/0"].hop is Hop.DROP
    # A longer route that covers the peer's block is what AWS selects there.
    w.routes(rtb, {"0.0.0.0/0": ids["pcx"], "10.0.0.0/8": ids["igw"]})
    (table,) = [
        t for t in plan_world(w.snapshot())[ids["a"]].routing.tables if t.route_table_id == rtb
    ]
    assert "10.1.0.0/16" not in table.by_destination()
    assert _kernel_hop(table, "10.1.2.3") is Hop.INTERNET


def test_a_prefix_list_route_expands_and_a_cidr_route_of_the_same_destination_wins():
    w, ids = _world()
    plist = w.prefix_list(["203.0.113.0/24", "192.0.2.0/24"])
    rtb = w.table(ids["a"], {plist: ids["igw"], "203.0.113.0/24": ids["nat"]}, [ids["subnet"]])
    (table,) = [
        t for t in plan_world(w.snapshot())[ids["a"]].routing.tables if t.route_table_id == rtb
    ]
    routes = table.by_destination()
    assert routes["192.0.2.0/24"].hop is Hop.INTERNET
    assert routes["203.0.113.0/24"].hop is Hop.NAT


def test_a_tables_kernel_number_stays_while_other_tables_come_and_go():
    first = table_numbers("vpc-1", ["rtb-a", "rtb-b"])
    second = table_numbers("vpc-1", ["rtb-a", "rtb-b", "rtb-c"])
    assert second["rtb-a"] == first["rtb-a"] and second["rtb-b"] == first["rtb-b"]
    assert len(set(second.values())) == 3
