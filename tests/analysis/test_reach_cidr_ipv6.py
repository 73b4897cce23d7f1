"""``stockade reach --from CIDR`` where the CIDR is IPv6 space of another VPC: judged per
part, as the IPv4 case is — not as if the block were its first address.

A block not wholly in the destination's VPC, nor wholly routed back over one peering to
the VPC holding it, is judged host by host (``reach_path.cidr_faces``): each address of it
that an interface of another VPC holds is one path, the engine's own — over a peering
where both subnets route it, else over the internet (IPv6 is never translated, so the
destination sees the host's own address). Per port, reach's answer is then the union of
``decide``'s verdicts on flows from those addresses. A block wholly routed back over a
peering is judged over the peering, as before."""

from __future__ import annotations

import ipaddress

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from policy.conftest import World

from analysis.acl_strategies import ALLOW_ALL, acl_entries, inbound_rules
from analysis.reach_agreement import agree, answer, texts
from stockade.analysis.reach import ReachResult
from stockade.policy.reasons import Reason

A6 = "2001:db8:a::/56"
ROUTED6 = "2001:db8:a:1::/64"  # the subnet of A that routes out (or is routed back)
CLOSED6 = "2001:db8:a:2::/64"  # the subnet of A that is not
HOSTS6 = {"2001:db8:a:1::5", "2001:db8:a:2::5"}
HOSTS4 = {"10.0.1.5", "10.0.2.5"}
TARGET6 = "2001:db8:b::5"
TARGET4 = "10.1.0.5"
ALLOW_BOTH = [*ALLOW_ALL, (101, "in", "allow", "-1", "::/0"), (101, "out", "allow", "-1", "::/0")]


def world(rules, target_acl=ALLOW_BOTH, peered: bool = False, source_acl=None):
    """VPC A (10.0.0.0/16, 2001:db8:a::/56): subnet 1 (10.0.1.0/24, 2001:db8:a:1::/64)
    and subnet 2 (10.0.2.0/24, 2001:db8:a:2::/64), one host in each. VPC B: the target,
    ``rules`` (direction, protocol, from, to, peer) in its group.

    Not ``peered``: only subnet 1 routes ``::/0`` to A's internet gateway; B routes the
    internet to its own. ``peered``: A and B are peered, both of A's subnets route B over
    the peering, but B routes back only subnet 1's blocks (``ROUTED6``, 10.0.1.0/24) over
    it — the rest of A's space goes to B's internet gateway. ``source_acl``: the entries of
    one ACL on both of A's subnets (none: the implied default, allowing all)."""
    w = World()
    a = w.vpc("10.0.0.0/16", A6)
    one = w.subnet(a, "10.0.1.0/24", ROUTED6)
    sources = w.group(a, "sources")
    w.rule(sources, "out", "-1", None, None, "::/0")
    w.instance(a, [sources], "10.0.1.5", ipv6=("2001:db8:a:1::5",))
    two = w.subnet(a, "10.0.2.0/24", CLOSED6)
    w.instance(a, [sources], "10.0.2.5", ipv6=("2001:db8:a:2::5",))
    b = w.vpc("10.1.0.0/16", "2001:db8:b::/56")
    target_sg = w.group(b, "target")
    for rule in rules:
        w.rule(target_sg, *rule)
    target = w.instance(b, [target_sg], TARGET4, ipv6=(TARGET6,))
    internet_b = [("0.0.0.0/0", w.igw_of(b)), ("::/0", w.igw_of(b))]
    if peered:
        pcx = w.peering(a, b)
        to_b = [("10.1.0.0/16", pcx), ("2001:db8:b::/56", pcx)]
        w.route_table(a, to_b, [one, two])
        w.route_table(b, [("10.0.1.0/24", pcx), (ROUTED6, pcx), *internet_b], main=True)
    else:
        w.route_table(a, [("::/0", w.igw_of(a))], [one])
        w.route_table(a, [], [two])
        w.route_table(b, internet_b, main=True)
    w.acl(b, [w._subnet_of[b]], target_acl)
    if source_acl is not None:
        w.acl(a, [one, two], source_acl)
    # the builder's first subnet of A spans the whole VPC; AWS's subnets never overlap
    w.subnets = [s for s in w.subnets if s.cidr_block != "10.0.0.0/16"]
    return w.snapshot(), target


def assert_agree(snapshot, cidr: str, target: str) -> ReachResult:
    """Per port: reach from the CIDR = some held address of it that ``decide`` lets
    through, to the target's address of the CIDR's family."""
    to = TARGET6 if ipaddress.ip_network(cidr).version == 6 else TARGET4
    return agree(snapshot, cidr, target, HOSTS6 | HOSTS4, to)


OPEN6 = [("in", "-1", None, None, "::/0"), ("in", "-1", None, None, "0.0.0.0/0")]


def test_over_the_internet_only_the_subnet_that_routes_out_reaches():
    snapshot, target = world(OPEN6)
    result = assert_agree(snapshot, A6, target)
    assert result.reachable and result.path == "internet"
    result = assert_agree(snapshot, CLOSED6, target)
    assert not result.reachable and result.path == "internet"
    assert Reason.NO_ROUTE in {b.reason for b in result.blockers}
    assert assert_agree(snapshot, ROUTED6, target).reachable


def test_over_the_internet_the_target_group_sees_each_hosts_own_address():
    rules = [("in", "tcp", 22, 22, ROUTED6), ("in", "tcp", 80, 80, CLOSED6)]
    snapshot, target = world(rules)
    result = assert_agree(snapshot, A6, target)
    assert texts(result) == ["tcp/22"]
    assert result.ranges[0].sources == (ROUTED6,)


def test_over_the_internet_an_acl_entry_on_a_sub_range_takes_only_that_part():
    deny_one = [(90, "in", "deny", "tcp", ROUTED6, (22, 22)), *ALLOW_BOTH]
    snapshot, target = world(OPEN6, target_acl=deny_one)
    result = assert_agree(snapshot, A6, target)
    assert "tcp/22" not in texts(result) and "tcp/80" in texts(result)
    assert f"inbound #90 deny tcp/22 from {ROUTED6}" in result.acl_denials[0].message


def test_over_a_peering_routed_back_for_a_sub_range_only_that_part_reaches():
    rules = [("in", "tcp", 22, 22, ROUTED6), ("in", "tcp", 80, 80, CLOSED6)]
    snapshot, target = world(rules, peered=True)
    result = assert_agree(snapshot, A6, target)
    assert result.reachable and result.path == "peering"
    assert texts(result) == ["tcp/22"]
    result = assert_agree(snapshot, CLOSED6, target)
    assert not result.reachable
    assert Reason.NO_RETURN_ROUTE in {b.reason for b in result.blockers}


def test_the_ipv4_twin_of_a_partly_routed_peering_answers_the_same():
    rules = [("in", "tcp", 22, 22, "10.0.1.0/24"), ("in", "tcp", 80, 80, "10.0.2.0/24")]
    snapshot, target = world(rules, peered=True)
    result = assert_agree(snapshot, "10.0.0.0/16", target)
    assert result.reachable and result.path == "peering"
    assert texts(result) == ["tcp/22"]


def test_a_block_wholly_routed_back_over_the_peering_is_judged_over_it_as_before():
    """Every address of the block counts, held or not (a CIDR source is *some* address of
    it): the inbound entries meeting the block, the peering path, no internet."""
    rules = [("in", "tcp", 22, 22, "2001:db8:a:1:8000::/65"), ("in", "tcp", 80, 80, CLOSED6)]
    snapshot, target = world(rules, peered=True)
    result = answer(snapshot, ROUTED6, target)
    assert result.reachable and result.path == "peering" and result.blockers == ()
    assert texts(result) == ["tcp/22"]


#: the addresses and port ranges that matter on these paths
CIDRS6 = [
    "::/0",
    A6,
    ROUTED6,
    CLOSED6,
    "2001:db8:a:1::5/128",
    "2001:db8:a:2::5/128",
    "2001:db8:b::/56",
    f"{TARGET6}/128",
]
PORT_RANGES = [(22, 22), (80, 80), (0, 1023), (1024, 65535), (32768, 60999)]


def acls6():
    """Drawn entries on IPv6 blocks; where the draw ends allowing all, IPv6 too."""
    return acl_entries(CIDRS6, PORT_RANGES, max_entries=4).map(
        lambda entries: entries + ALLOW_BOTH[2:] if ALLOW_ALL[0] in entries else entries
    )


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    inbound_rules(CIDRS6),
    acls6(),
    acls6(),
    st.booleans(),
    st.sampled_from([A6, ROUTED6, CLOSED6, "2001:db8:a:1::5/128", "2001:db8:a:2::5/128"]),
)
def test_reach_from_an_ipv6_cidr_of_another_vpc_agrees_with_decide(
    rules, target_acl, source_acl, peered, cidr
):
    """Host by host, the held addresses' verdicts; a block routed back whole over the
    peering is judged as *some* address of it instead (an entry on one host does not
    decide it), so it is left out here."""
    assume(not (peered and cidr == ROUTED6))
    snapshot, target = world(rules, target_acl, peered, source_acl)
    assert_agree(snapshot, cidr, target)


# A world the services made and stored, asked through `stockade reach --json`.


def _stored_world(path: str) -> dict[str, str]:
    """Dual-stack VPCs (amazon-provided /56s, a /64 per subnet, addresses assigned on
    launch): A (subnets a1, a2) peered with B, whose table routes back over the peering only
    a1's /64 (the rest of its ``::/0`` to its internet gateway); C (c1 routing ``::/0`` to
    its internet gateway, c2 nothing), peered with no one. One instance per subnet; the
    target in B admits tcp/22 from a1 and c1, tcp/80 from a2 and c2. Returns the blocks by
    name and the target's id."""
    from stockade.domain.permissions import IpPermission
    from stockade.service.bundle import Services
    from stockade.service.context import ServiceContext
    from stockade.service.contracts import LaunchRequest, PeeringRequest, RouteRequest
    from stockade.store.sql import SqlStore

    store = SqlStore.open(path)
    services = Services(ServiceContext(store))
    net, routes = services.network, services.route_tables
    names: dict[str, str] = {}
    subnets: dict[str, str] = {}
    vpcs: dict[str, str] = {}
    for vpc_name, cidr, subnet_names in (
        ("A", "10.0.0.0/16", ("a1", "a2")),
        ("B", "10.1.0.0/16", ("b1",)),
        ("C", "10.2.0.0/16", ("c1", "c2")),
    ):
        vpc = net.create_vpc(cidr, amazon_provided_ipv6=True)
        assert vpc.ipv6_cidr_block
        vpcs[vpc_name], names[vpc_name] = vpc.vpc_id, vpc.ipv6_cidr_block
        blocks = ipaddress.ip_network(vpc.ipv6_cidr_block).subnets(new_prefix=64)
        for n, (name, block6) in enumerate(zip(subnet_names, blocks, strict=False), start=1):
            network = cidr.replace(".0.0/16", f".{n}.0/24")
            subnet = net.create_subnet(vpc.vpc_id, network, ipv6_cidr_block=str(block6))
            net.modify_subnet_attribute(subnet.subnet_id, assign_ipv6_address_on_creation=True)
            subnets[name], names[name] = subnet.subnet_id, str(block6)
    gateways = {}
    for vpc_name in ("B", "C"):
        gateways[vpc_name] = net.create_internet_gateway().igw_id
        net.attach_internet_gateway(gateways[vpc_name], vpcs[vpc_name])
    peering = services.peering.create(PeeringRequest(vpcs["A"], vpcs["B"]))
    pcx = peering.vpc_peering_connection_id
    services.peering.accept(pcx)

    def table(vpc_name: str, entries: dict[str, str], members: tuple[str, ...]) -> None:
        table_id = routes.create(vpcs[vpc_name]).table.route_table_id
        for destination, target in entries.items():
            routes.create_route(table_id, RouteRequest.of(destination, target))
        for member in members:
            routes.associate(table_id, subnet_id=subnets[member])

    table("A", {names["B"]: pcx}, ("a1", "a2"))
    table("B", {names["a1"]: pcx, "::/0": gateways["B"]}, ("b1",))
    table("C", {"::/0": gateways["C"]}, ("c1",))  # c2 keeps the main table: local only
    group = services.groups.create("target", "target", vpcs["B"]).group.group_id
    services.rules.authorize(
        group,
        [
            IpPermission("tcp", 22, 22, ipv6_ranges=((names["a1"], None), (names["c1"], None))),
            IpPermission("tcp", 80, 80, ipv6_ranges=((names["a2"], None), (names["c2"], None))),
        ],
    )
    for name, subnet_id in subnets.items():
        groups = (group,) if name == "b1" else ()
        [launched] = services.instances.run(LaunchRequest(subnet_id=subnet_id, group_ids=groups))
        if name == "b1":
            names["target"] = launched.instance.instance_id
    store.close()
    return names


def _reach6(cli, source: str, target: str) -> dict:
    import json

    found = json.loads(cli("reach", "--from", source, "--to", target, "--json").output)
    (result,) = [r for r in found if r["address_family"] == "IPv6"]
    return result


def _stored_texts(result: dict) -> list[str]:
    return [r["text"] for r in result["ranges"]]


def test_stored_peer_block_routed_back_in_part_answers_per_part(cli, tmp_path):
    names = _stored_world(str(tmp_path / "cli.db"))
    whole = _reach6(cli, names["A"], names["target"])
    assert whole["reachable"] and whole["path"] == "peering"
    assert _stored_texts(whole) == ["tcp/22"]
    closed = _reach6(cli, names["a2"], names["target"])
    assert not closed["reachable"]
    assert "NO_RETURN_ROUTE" in {b["reason"] for b in closed["blockers"]}
    routed = _reach6(cli, names["a1"], names["target"])  # routed back whole: as before
    assert routed["reachable"] and routed["path"] == "peering" and routed["blockers"] == []
    assert _stored_texts(routed) == ["tcp/22"]


def test_stored_block_of_an_unpeered_vpc_answers_per_host_over_the_internet(cli, tmp_path):
    names = _stored_world(str(tmp_path / "cli.db"))
    whole = _reach6(cli, names["C"], names["target"])
    assert whole["reachable"] and whole["path"] == "internet"
    assert _stored_texts(whole) == ["tcp/22"]
    assert whole["ranges"][0]["sources"] == [names["c1"]]
    closed = _reach6(cli, names["c2"], names["target"])
    assert not closed["reachable"] and closed["path"] == "internet"
    assert "NO_ROUTE" in {b["reason"] for b in closed["blockers"]}
