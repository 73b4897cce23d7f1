"""The VPC router forwards by the route tables, on real packets.

Public and private subnets, a removed internet route (both directions), blackholes, a NAT
gateway (the internet sees its address; nothing reaches in), an egress-only gateway (IPv6
out, nothing in) and peering (both sides' routes needed; no transit), plus drift of the
new kernel objects. State is hand-built (:mod:`.routed`); the reconciler is fed snapshots.
"""

from __future__ import annotations

import socket

import pytest

from stockade.dataplane import links, netns
from stockade.dataplane.names import World
from stockade.dataplane.probe import ALLOWED, Listeners, Probe, listen_all, open_socket, run
from stockade.dataplane.reconcile import Reconciler
from stockade.dataplane.routing import Hop
from stockade.domain.peering import PeeringStatus
from stockade.domain.scope import Scope
from stockade.policy import Flow, decide

from .conftest import routing_change
from .echo import echoed_from
from .routed import Routed
from .strategies import OTHER

pytestmark = pytest.mark.root
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5
HOST = "203.0.113.10"
HOST6 = "2001:db8:ff00::10"


def _open(w: Routed, vpc: str) -> str:
    group = w.group(vpc, "open")
    for peer in ("0.0.0.0/0", "::/0"):
        w.rule(group, "in", "-1", None, None, peer)
    w.rule(group, "out", "-1", None, None, "::/0")
    return group


def _public_private() -> tuple[Routed, dict[str, str]]:
    """A VPC with a public subnet (0.0.0.0/0 → its gateway) and a private one (main table:
    local only); an instance with a public IP in each."""
    w = Routed()
    ids: dict[str, str] = {}
    vpc = ids["vpc"] = w.vpc("10.0.0.0/16")
    group = _open(w, vpc)
    ids["public"] = w.subnet(vpc, "10.0.1.0/24")
    ids["web"] = w.instance(vpc, [group], "10.0.1.10", public_ip="198.51.100.20")
    ids["private"] = w.subnet(vpc, "10.0.2.0/24")
    ids["db"] = w.instance(vpc, [group], "10.0.2.10", public_ip="198.51.100.21")
    ids["main"] = w.table(vpc, {}, main=True)
    ids["rtb"] = w.table(vpc, {"0.0.0.0/0": w.igw(vpc)}, [ids["public"]])
    return w, ids


def _both_ways(realised: Reconciler, w: Routed, instance: str, public_ip: str, host: str):
    """(instance → internet host, internet host → instance's public IP) outcomes."""
    ns = realised.world.instance(instance)
    with Listeners() as listeners:
        listeners.tcp(ns, 80)
        listeners.tcp(host, 80)
        return run(
            [Probe(ns, HOST, "tcp", 80), Probe(host, public_ip, "tcp", 80)], TIMEOUT, listeners
        )


def test_a_public_subnet_reaches_the_internet_and_a_private_one_does_not(realised):
    w, ids = _public_private()
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    # The policy engine's verdicts beside the packets: the public instance both ways, the
    # private one (a public IP, but no route to the gateway) neither way.
    for flow, allowed in (
        (Flow("10.0.1.10", HOST, "tcp", port=80), True),
        (Flow(HOST, "198.51.100.20", "tcp", port=80), True),
        (Flow("10.0.2.10", HOST, "tcp", port=80), False),
        (Flow(HOST, "198.51.100.21", "tcp", port=80), False),
    ):
        assert decide(snapshot, flow).allowed is allowed, flow
    with realised.topology.internet.host(HOST) as host:
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["connected"] * 2
        # A public IP in a private subnet: neither direction (the reply has no route out).
        assert _both_ways(realised, w, ids["db"], "198.51.100.21", host) == ["timeout"] * 2
        # Not even one way: a packet that needs no reply (a port-less protocol) is dropped at
        # the router too — nothing enters a subnet that cannot route back to the sender.
        web_ns, db_ns = realised.world.instance(ids["web"]), realised.world.instance(ids["db"])
        with Listeners() as listeners:
            listen_all(listeners, [web_ns, db_ns], raw=[OTHER])
            assert run(
                [
                    Probe(host, "198.51.100.20", str(OTHER), 0),
                    Probe(host, "198.51.100.21", str(OTHER), 0),
                ],
                TIMEOUT,
                listeners,
            ) == ["connected", "timeout"]
    web, db = realised.world.instance(ids["web"]), realised.world.instance(ids["db"])
    with Listeners() as listeners:  # inside the VPC both subnets meet (local routes)
        listeners.tcp(web, 22)
        listeners.tcp(db, 22)
        assert (
            run(
                [Probe(web, "10.0.2.10", "tcp", 22), Probe(db, "10.0.1.10", "tcp", 22)],
                TIMEOUT,
                listeners,
            )
            == ["connected"] * 2
        )


def test_removing_the_internet_route_cuts_new_connections_both_ways_and_adding_it_back_heals(
    realised,
):
    w, ids = _public_private()
    realised.apply_snapshot(w.snapshot())
    applied = realised.routers[ids["vpc"]].applier.current
    with realised.topology.internet.host(HOST) as host:
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["connected"] * 2
        w.routes(ids["rtb"], {})
        realised.apply_snapshot(w.snapshot())
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["timeout"] * 2
        # A route change is routing only: the nftables ruleset stayed as it was.
        assert realised.routers[ids["vpc"]].applier.current == applied
        w.routes(ids["rtb"], {"0.0.0.0/0": w.igw(ids["vpc"])})
        realised.apply_snapshot(w.snapshot())
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["connected"] * 2


def test_a_routing_only_change_sends_routes_and_no_nftables_unless_the_table_is_unknown(
    realised,
):
    w, ids = _public_private()
    realised.apply_snapshot(w.snapshot())
    with realised.topology.internet.host(HOST) as host:
        w.routes(ids["rtb"], {})
        assert routing_change(realised, w.snapshot()).applied == {}  # no nft transaction
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["timeout"] * 2
        realised.forget_kernel()  # (after a failed batch): the table must be rewritten
        w.routes(ids["rtb"], {"0.0.0.0/0": w.igw(ids["vpc"])})
        assert routing_change(realised, w.snapshot()).applied[ids["vpc"]].mode == "full"
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["connected"] * 2


def test_a_more_specific_route_wins_and_a_blackhole_drops(realised):
    w, ids = _public_private()
    w.routes(ids["rtb"], {"0.0.0.0/0": w.igw(ids["vpc"]), "203.0.113.0/28": "nat-0deadbeef0"})
    realised.apply_snapshot(w.snapshot())
    web = realised.world.instance(ids["web"])
    with (
        realised.topology.internet.host(HOST) as near,
        realised.topology.internet.host("203.0.113.100") as far,
        Listeners() as listeners,
    ):
        listeners.tcp(near, 80)
        listeners.tcp(far, 80)
        # 203.0.113.10 is in the /28 to a NAT gateway that does not exist: a blackhole;
        # 203.0.113.100 only matches 0.0.0.0/0.
        assert run(
            [Probe(web, HOST, "tcp", 80), Probe(web, "203.0.113.100", "tcp", 80)],
            TIMEOUT,
            listeners,
        ) == ["timeout", "connected"]


def test_a_route_to_a_detached_gateway_is_a_blackhole(realised):
    w, ids = _public_private()
    realised.apply_snapshot(w.snapshot())
    w.detach_gateway(ids["vpc"])  # its route stays: a blackhole
    realised.apply_snapshot(w.snapshot())
    plan = realised.routers[ids["vpc"]].plan
    (table,) = [t for t in plan.routing.tables if t.route_table_id == ids["rtb"]]
    assert table.by_destination()["0.0.0.0/0"].hop is Hop.DROP
    with realised.topology.internet.host(HOST) as host:
        assert _both_ways(realised, w, ids["web"], "198.51.100.20", host) == ["timeout"] * 2


def _nat_world() -> tuple[Routed, dict[str, str]]:
    w, ids = _public_private()
    ids["nat"] = w.nat_gateway(ids["public"], "10.0.1.5", "198.51.100.50")
    ids["private_rtb"] = w.table(ids["vpc"], {"0.0.0.0/0": ids["nat"]}, [ids["private"]])
    group = w.groups[0].group_id
    w.into(ids["private"])
    ids["app"] = w.instance(ids["vpc"], [group], "10.0.2.20")  # no public IP
    return w, ids


def test_a_nat_gateway_carries_a_private_subnet_out_under_its_own_address(realised):
    w, ids = _nat_world()
    realised.apply_snapshot(w.snapshot())
    app = realised.world.instance(ids["app"])
    with realised.topology.internet.host(HOST) as host:
        assert echoed_from(host, app, HOST, 8080, TIMEOUT) == ["198.51.100.50"]
        # Nothing initiated from the internet reaches in through the NAT gateway's address.
        with Listeners() as listeners:
            listeners.tcp(app, 8080)
            assert run([Probe(host, "198.51.100.50", "tcp", 8080)], TIMEOUT, listeners) == [
                "timeout"
            ]


def test_a_public_ip_behind_a_nat_gateway_neither_answers_nor_speaks(realised):
    """Regression (found by the differential test once it drew NAT gateways): ``db`` has a
    public IP but its subnet sends the internet to the NAT gateway. AWS lets a request in
    to that IP, but the reply leaves by the NAT gateway, under its address: nothing
    connects (the engine's NO_RETURN_ROUTE). The router used to translate the public IP
    1:1 both ways (its flows are untracked: the group is open both ways), so the internet
    got answers. And what ``db`` sends out leaves as the NAT gateway, not as its IP."""
    w, ids = _nat_world()
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    db = realised.world.instance(ids["db"])
    public_ip = "198.51.100.21"
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listen_all(listeners, [db], tcp=[80], udp=[], raw=[1, OTHER], answer=True)
        probes = [
            Probe(host, public_ip, "tcp", 80),
            Probe(host, public_ip, "icmp", 8 << 8, reply=True),
            Probe(host, public_ip, str(OTHER), 0, reply=True),
        ]
        assert run(probes, TIMEOUT, listeners) == ["timeout"] * 3
    for flow in (Flow(HOST, public_ip, "tcp", 80), Flow(HOST, public_ip, "icmp", icmp_type=8)):
        decision = decide(snapshot, flow)
        assert not decision.allowed and "NO_RETURN_ROUTE" in [
            b.reason.name for b in decision.blockers
        ]
    with realised.topology.internet.host(HOST) as host:
        assert echoed_from(host, db, HOST, 8080, TIMEOUT) == ["198.51.100.50"]


def test_a_nat_gateway_carries_tcp_udp_and_icmp_queries_only(realised):
    """A NAT gateway maps TCP, UDP and ICMP queries; the engine and the router agree that
    an ICMP error or echo reply of no connection, or another protocol, goes no further
    (found by the differential test once it drew NAT gateways: the engine let them all
    through, the router dropped the ICMP ones and translated the other protocol)."""
    w, ids = _nat_world()
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    app = realised.world.instance(ids["app"])
    cases = [
        ("tcp", 80, True),
        ("icmp", 8 << 8, True),
        ("icmp", 3 << 8 | 4, False),
        ("icmp", 0, False),
        (str(OTHER), 0, False),
    ]
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listen_all(listeners, [host], tcp=[80], raw=[1, OTHER], answer=True)
        probes = [Probe(app, HOST, p, port, reply=p != "tcp") for p, port, _ in cases]
        outcomes = run(probes, TIMEOUT, listeners)
    for (protocol, port, allowed), outcome in zip(cases, outcomes, strict=True):
        icmp = {"icmp_type": port >> 8, "icmp_code": port & 0xFF} if protocol == "icmp" else {}
        flow = Flow("10.0.2.20", HOST, protocol, port if protocol == "tcp" else None, **icmp)
        decision = decide(snapshot, flow)
        assert decision.allowed == allowed == (outcome in ALLOWED), (flow, outcome)
        if not allowed:
            assert [b.reason.name for b in decision.blockers] == ["NAT_PROTOCOL"]


def test_a_nat_gateway_translates_source_ports_into_1024_to_65535(realised):
    w, ids = _nat_world()
    realised.apply_snapshot(w.snapshot())
    app = realised.world.instance(ids["app"])
    with realised.topology.internet.host(HOST) as host:
        server = open_socket(host, socket.AF_INET, socket.SOCK_STREAM)
        client = open_socket(app, socket.AF_INET, socket.SOCK_STREAM)
        try:
            server.bind((HOST, 8080))
            server.listen(1)
            server.settimeout(TIMEOUT)
            client.settimeout(TIMEOUT)
            client.bind(("10.0.2.20", 999))  # a privileged source port
            client.connect((HOST, 8080))
            conn, (address, port) = server.accept()
            conn.close()
        finally:
            client.close()
            server.close()
    assert address == "198.51.100.50"
    assert 1024 <= port <= 65535


def test_the_nat_path_fails_when_the_nat_gateways_subnet_has_no_internet_route(realised):
    w, ids = _nat_world()
    w.routes(ids["rtb"], {})  # the NAT gateway's (public) subnet loses its internet route
    realised.apply_snapshot(w.snapshot())
    app = realised.world.instance(ids["app"])
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listeners.tcp(host, 80)
        assert run([Probe(app, HOST, "tcp", 80)], TIMEOUT, listeners) == ["timeout"]
    w.routes(ids["rtb"], {"0.0.0.0/0": w.igw(ids["vpc"])})
    realised.apply_snapshot(w.snapshot())
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listeners.tcp(host, 80)
        assert run([Probe(app, HOST, "tcp", 80)], TIMEOUT, listeners) == ["connected"]


def test_an_egress_only_gateway_lets_ipv6_out_and_only_replies_in(realised):
    w = Routed()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:1::/56", igw=False)
    group = _open(w, vpc)
    subnet = w.subnet(vpc, "10.0.1.0/24", "2001:db8:1::/64")
    instance = w.instance(vpc, [group], "10.0.1.10", ipv6=["2001:db8:1::10"])
    eigw = w.egress_only_gateway(vpc)
    w.table(vpc, {"::/0": eigw}, [subnet])
    w.table(vpc, {}, main=True)
    realised.apply_snapshot(w.snapshot())
    ns = realised.world.instance(instance)
    with (
        realised.topology.internet.host(HOST6) as host6,
        realised.topology.internet.host(HOST) as host4,
        Listeners() as listeners,
    ):
        for name in (host6, host4, ns):
            listeners.tcp(name, 80)
        assert run(
            [
                Probe(ns, HOST6, "tcp", 80),  # out: allowed, and its replies come back
                Probe(host6, "2001:db8:1::10", "tcp", 80),  # in: blocked
                Probe(ns, HOST, "tcp", 80),  # IPv4: no internet gateway at all
            ],
            TIMEOUT,
            listeners,
        ) == ["connected", "timeout", "timeout"]


def _peered(status=PeeringStatus.ACTIVE) -> tuple[Routed, dict[str, str]]:
    """VPC A (no internet route) and VPC B (0.0.0.0/0 → its gateway), peered, each routing
    the other's block over the peering."""
    w = Routed()
    ids: dict[str, str] = {}
    a = ids["a_vpc"] = w.vpc("10.0.0.0/16")
    b = ids["b_vpc"] = w.vpc("10.1.0.0/16")
    pcx = ids["pcx"] = w.peering(a, b, status)
    ids["a_subnet"] = w.subnet(a, "10.0.1.0/24")
    ids["a"] = w.instance(a, [_open(w, a)], "10.0.1.10")
    ids["b_subnet"] = w.subnet(b, "10.1.1.0/24")
    ids["b"] = w.instance(b, [_open(w, b)], "10.1.1.10", public_ip="198.51.100.30")
    ids["a_rtb"] = w.table(a, {"10.1.0.0/16": pcx}, main=True)
    ids["b_rtb"] = w.table(b, {"10.0.0.0/16": pcx, "0.0.0.0/0": w.igw(b)}, main=True)
    return w, ids


def _apply_scopes(realised: Reconciler, w: Routed, ids: dict[str, str]) -> None:
    """Each VPC as another account's scope (as the agent applies them: one after the
    other, so the link is made when the second router exists)."""
    realised.apply_snapshot(w.scope_of(ids["a_vpc"]), Scope("111111111111"))
    realised.apply_snapshot(w.scope_of(ids["b_vpc"]), Scope("222222222222"))


def _peer_probe(realised: Reconciler, ids: dict[str, str]) -> list[str]:
    a, b = realised.world.instance(ids["a"]), realised.world.instance(ids["b"])
    with Listeners() as listeners:
        listeners.tcp(a, 5432)
        listeners.tcp(b, 5432)
        return run(
            [Probe(a, "10.1.1.10", "tcp", 5432), Probe(b, "10.0.1.10", "tcp", 5432)],
            TIMEOUT,
            listeners,
        )


def test_an_active_peering_connects_what_both_sides_route(realised):
    w, ids = _peered()
    _apply_scopes(realised, w, ids)
    assert _peer_probe(realised, ids) == ["connected", "connected"]
    # Without B's route back nothing from A enters B's subnet (B's answers would have no
    # way home): not even a packet that needs no answer.
    w.routes(ids["b_rtb"], {"0.0.0.0/0": w.igw(ids["b_vpc"])})
    realised.apply_snapshot(w.scope_of(ids["b_vpc"]), Scope("222222222222"))
    assert _peer_probe(realised, ids) == ["timeout", "timeout"]
    a_ns, b_ns = realised.world.instance(ids["a"]), realised.world.instance(ids["b"])
    with Listeners() as listeners:
        listen_all(listeners, [b_ns], raw=[OTHER])
        assert run([Probe(a_ns, "10.1.1.10", str(OTHER), 0)], TIMEOUT, listeners) == ["timeout"]
    # The peering deleted: its link goes from both routers.
    w.routes(ids["b_rtb"], {"10.0.0.0/16": ids["pcx"], "0.0.0.0/0": w.igw(ids["b_vpc"])})
    w.peerings.clear()
    _apply_scopes(realised, w, ids)
    link = World.peering(ids["pcx"])
    for vpc in (ids["a_vpc"], ids["b_vpc"]):
        with netns.iproute(realised.world.router(vpc)) as ipr:
            assert links.index(ipr, link) is None
    assert _peer_probe(realised, ids) == ["timeout", "timeout"]


def test_a_pending_peering_carries_nothing(realised):
    w, ids = _peered(PeeringStatus.PENDING_ACCEPTANCE)
    _apply_scopes(realised, w, ids)
    assert _peer_probe(realised, ids) == ["timeout", "timeout"]


def test_a_peering_is_no_transit_to_the_peers_internet_gateway(realised):
    w, ids = _peered()
    # A sends everything to the peering; B routes 0.0.0.0/0 to its internet gateway.
    w.routes(ids["a_rtb"], {"0.0.0.0/0": ids["pcx"]})
    _apply_scopes(realised, w, ids)
    a = realised.world.instance(ids["a"])
    b = realised.world.instance(ids["b"])
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listeners.tcp(host, 80)
        listeners.tcp(b, 5432)
        assert run(
            [Probe(a, HOST, "tcp", 80), Probe(a, "10.1.1.10", "tcp", 5432)], TIMEOUT, listeners
        ) == ["timeout", "connected"]
        # B itself is on the internet (the gateway works; only transit does not).
        assert run([Probe(b, HOST, "tcp", 80)], TIMEOUT, listeners) == ["connected"]


def _rule_spec(rule) -> dict:
    return {
        "src": rule.get("FRA_SRC"),
        "src_len": rule["src_len"],
        "table": rule.get("FRA_TABLE"),
        "priority": rule.get("FRA_PRIORITY"),
        "family": socket.AF_INET,
    }


def test_routes_rules_and_peering_links_removed_behind_our_back_are_repaired(realised):
    w, ids = _peered()
    _apply_scopes(realised, w, ids)
    assert realised.verify() == []
    router_a = realised.world.router(ids["a_vpc"])
    router_b = realised.world.router(ids["b_vpc"])
    (table,) = realised.routers[ids["a_vpc"]].plan.routing.tables
    with netns.iproute(router_a) as ipr:
        ipr.route("del", dst="10.1.0.0/16", table=table.number, family=socket.AF_INET)
    (table_b,) = realised.routers[ids["b_vpc"]].plan.routing.tables
    with netns.iproute(router_b) as ipr:
        (rule,) = [
            r for r in ipr.get_rules(family=socket.AF_INET) if r.get("FRA_TABLE") == table_b.number
        ]
        ipr.rule("del", **_rule_spec(rule))
    found = realised.verify()
    assert any("10.1.0.0/16" in line for line in found), found
    assert any("rule from 10.1.1.0/24" in line for line in found), found
    assert realised.verify() == []
    assert _peer_probe(realised, ids) == ["connected", "connected"]
    with netns.iproute(router_a) as ipr:
        ipr.link("del", index=links.index(ipr, World.peering(ids["pcx"])))
    found = realised.verify()
    assert any("peering link" in line for line in found), found
    assert realised.verify() == []
    assert _peer_probe(realised, ids) == ["connected", "connected"]


def test_after_a_restart_the_routing_is_read_back_and_what_went_meanwhile_is_removed(world):
    w, ids = _peered()
    first = Reconciler(world)
    try:
        _apply_scopes(first, w, ids)
    finally:
        first.close()
    # While no agent ran: B got its own table for its subnet, and the peering went.
    w.peerings.clear()
    w.table(ids["b_vpc"], {"0.0.0.0/0": w.igw(ids["b_vpc"])}, [ids["b_subnet"]])
    second = Reconciler(world)
    try:
        _apply_scopes(second, w, ids)
        assert second.verify() == []
        router_b = world.router(ids["b_vpc"])
        with netns.iproute(router_b) as ipr:
            assert links.index(ipr, World.peering(ids["pcx"])) is None
            tables = {r.get("FRA_TABLE") for r in ipr.get_rules(family=socket.AF_INET)} - {
                253,
                254,
                255,
            }
        (table,) = second.routers[ids["b_vpc"]].plan.routing.tables
        assert tables == {table.number}  # the old main table's rule went
        assert _peer_probe(second, ids) == ["timeout", "timeout"]
        with second.topology.internet.host(HOST) as host, Listeners() as listeners:
            listeners.tcp(host, 80)
            b = world.instance(ids["b"])
            assert run([Probe(b, HOST, "tcp", 80)], TIMEOUT, listeners) == ["connected"]
    finally:
        second.close()


def test_ipv6_crosses_an_active_peering_where_both_sides_route_it(realised):
    w = Routed()
    a = w.vpc("10.0.0.0/16", "2001:db8:a::/56", igw=False)
    b = w.vpc("10.1.0.0/16", "2001:db8:b::/56", igw=False)
    pcx = w.peering(a, b)
    w.subnet(a, "10.0.1.0/24", "2001:db8:a::/64")
    x = w.instance(a, [_open(w, a)], "10.0.1.10", ipv6=["2001:db8:a::10"])
    w.subnet(b, "10.1.1.0/24", "2001:db8:b::/64")
    y = w.instance(b, [_open(w, b)], "10.1.1.10", ipv6=["2001:db8:b::10"])
    w.table(a, {"2001:db8:b::/56": pcx}, main=True)
    rtb_b = w.table(b, {"2001:db8:a::/56": pcx}, main=True)
    realised.apply_snapshot(w.snapshot())
    ns_x, ns_y = realised.world.instance(x), realised.world.instance(y)

    def probes() -> list[str]:
        with Listeners() as listeners:
            listeners.tcp(ns_x, 443)
            listeners.tcp(ns_y, 443)
            return run(
                [
                    Probe(ns_x, "2001:db8:b::10", "tcp", 443),
                    Probe(ns_y, "2001:db8:a::10", "tcp", 443),
                    Probe(ns_x, "10.1.1.10", "tcp", 443),  # IPv4 is not routed to the peer
                ],
                TIMEOUT,
                listeners,
            )

    assert probes() == ["connected", "connected", "timeout"]
    w.routes(rtb_b, {})  # B no longer routes A's block back
    realised.apply_snapshot(w.snapshot())
    assert probes() == ["timeout", "timeout", "timeout"]


def test_a_group_reference_across_a_peering_between_accounts_resolves_over_the_merge(realised):
    """A's database admits B's application group by reference; A and B are two accounts'
    scopes. Compiled over A's snapshot alone the reference matches nothing; over A merged
    with B (``Follower.context``) it matches B's instance."""
    w, ids = _peered()
    (a_group,) = [g.group_id for g in w.groups if g.vpc_id == ids["a_vpc"]]
    (b_group,) = [g.group_id for g in w.groups if g.vpc_id == ids["b_vpc"]]
    w.rules = [r for r in w.rules if r.group_id != a_group or r.spec.is_egress]
    w.rule(a_group, "in", "tcp", 5432, 5432, b_group)
    a_scope, b_scope = Scope("111111111111"), Scope("222222222222")
    a_snap, b_snap = w.scope_of(ids["a_vpc"]), w.scope_of(ids["b_vpc"])
    realised.apply_snapshot(a_snap, a_scope)
    realised.apply_snapshot(b_snap, b_scope)
    assert _peer_probe(realised, ids) == ["connected", "timeout"]
    realised.apply_snapshot(a_snap, a_scope, a_snap.merged(b_snap))
    assert _peer_probe(realised, ids) == ["connected", "connected"]


def test_a_route_to_a_middlebox_takes_other_subnets_traffic_but_never_a_subnets_own(realised):
    """A subnet's table sends its own block and another subnet's to an appliance's interface
    (AWS's more specific routing): between two instances of the subnet nothing changes
    (layer 2, no route table); towards the other subnet the packets go to the appliance,
    which here forwards nothing — so they are lost."""
    w = Routed()
    vpc = w.vpc("10.0.0.0/16")
    group = _open(w, vpc)
    inside = w.subnet(vpc, "10.0.1.0/24")
    x = w.instance(vpc, [group], "10.0.1.10")
    y = w.instance(vpc, [group], "10.0.1.11")
    w.subnet(vpc, "10.0.2.0/24")
    z = w.instance(vpc, [group], "10.0.2.10")
    w.subnet(vpc, "10.0.3.0/24")
    appliance = w.eni_of(w.instance(vpc, [group], "10.0.3.10"))
    w.table(vpc, {}, main=True)
    w.table(vpc, {"10.0.1.0/24": appliance, "10.0.2.0/24": appliance}, [inside])
    realised.apply_snapshot(w.snapshot())
    ns = {k: realised.world.instance(v) for k, v in {"x": x, "y": y, "z": z}.items()}
    with Listeners() as listeners:
        for name in ns.values():
            listeners.tcp(name, 22)
        assert run(
            [
                Probe(ns["x"], "10.0.1.11", "tcp", 22),  # same subnet: layer 2
                Probe(ns["x"], "10.0.2.10", "tcp", 22),  # to the appliance, lost there
                Probe(ns["z"], "10.0.1.10", "tcp", 22),  # arrives; x's reply is lost
            ],
            TIMEOUT,
            listeners,
        ) == ["connected", "timeout", "timeout"]
