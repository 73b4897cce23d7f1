"""Reachability Analyzer's service: analyses answered at once from the policy engine, stored
as they ran (durable, a snapshot), through network ACLs both ways, with the fixes."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stockade.domain.network_insights import PathFilter
from stockade.domain.permissions import IpPermission
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import AnalysisRequest, InsightsPathRequest, LaunchRequest
from stockade.service.contracts import NetworkAclEntryRequest as Entry
from stockade.store.sql import SqlStore

EPHEMERAL = (32768, 60999)


@pytest.fixture
def svc(ctx) -> Services:
    return Services(ctx)


@pytest.fixture
def world(svc):
    """A client in subnet A, a web server in subnet B (tcp/80 open to the VPC)."""
    vpc = svc.network.create_vpc("10.0.0.0/16")
    a = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    b = svc.network.create_subnet(vpc.vpc_id, "10.0.2.0/24")
    web_sg = svc.groups.create("web", "web", vpc.vpc_id).group.group_id
    svc.rules.authorize(
        web_sg, [IpPermission("tcp", 80, 80, ip_ranges=(("10.0.0.0/16", None),))], egress=False
    )
    client_sg = svc.groups.create("client", "client", vpc.vpc_id).group.group_id

    def launch(subnet: str, group: str):
        [detail] = svc.instances.run(LaunchRequest(subnet_id=subnet, group_ids=(group,)))
        return detail

    client = launch(a.subnet_id, client_sg)
    return {
        "vpc": vpc.vpc_id,
        "a": a.subnet_id,
        "b": b.subnet_id,
        "web_sg": web_sg,
        "client": client.instance,
        "client_ip": client.primary.private_ip,
        "web": launch(b.subnet_id, web_sg).instance,
    }


def _custom_acl(svc, world, subnet_key: str, *entries: Entry) -> str:
    """A custom ACL with ``entries`` (and its ``*`` deny) on one subnet of the world."""
    acl = svc.network_acls.create(world["vpc"]).network_acl_id
    for entry in entries:
        svc.network_acls.create_entry(acl, entry)
    [default] = [
        x for x in svc.network_acls.describe() if x.vpc_id == world["vpc"] and x.is_default
    ]
    [association] = [a for a in default.associations if a.subnet_id == world[subnet_key]]
    svc.network_acls.replace_association(association.association_id, acl)
    return acl


def _allow(number: int, egress: bool, ports: tuple[int, int], cidr: str = "0.0.0.0/0") -> Entry:
    return Entry(number, egress, "allow", "6", cidr, port_from=ports[0], port_to=ports[1])


def _run(svc, world, port: int = 80, **path) -> tuple:
    """(the Start answer, the stored analysis) for a client → web path."""
    made = svc.network_insights.create_path(
        InsightsPathRequest(
            source=world["client"].instance_id,
            destination=world["web"].instance_id,
            protocol="tcp",
            destination_port=port,
            **path,
        )
    )
    started = svc.network_insights.start_analysis(AnalysisRequest(made.path_id))
    [stored] = svc.network_insights.describe_analyses([started.analysis_id])
    return started, stored


def _ids(components: list[dict]) -> list[str]:
    return [c["Component"]["Id"] for c in components]


def test_start_answers_running_and_the_stored_analysis_has_succeeded(svc, world):
    started, stored = _run(svc, world)
    assert started.status == "running" and started.result == {}
    assert stored.status == "succeeded" and stored.path_found is True
    assert stored.start_date == started.start_date


def test_the_analysis_is_durable_and_a_snapshot_of_its_time(svc, world, store, ctx):
    _, before = _run(svc, world)
    svc.rules.revoke(
        world["web_sg"],
        [IpPermission("tcp", 80, 80, ip_ranges=(("10.0.0.0/16", None),))],
        egress=False,
    )
    again = svc.network_insights.start_analysis(AnalysisRequest(before.path_id))
    [after] = svc.network_insights.describe_analyses([again.analysis_id])
    assert after.path_found is False
    # the earlier answer is the one it gave then, also through a fresh store object
    reopened = SqlStore.open(store.url.render_as_string(hide_password=False))
    try:
        fresh = Services(ServiceContext(reopened, Scope(), Quotas()))
        [kept] = fresh.network_insights.describe_analyses([before.analysis_id])
    finally:
        reopened.close()
    assert kept.path_found is True and kept.findings == before.findings


def test_custom_acls_appear_on_both_paths_in_packet_order(svc, world):
    out_acl = _custom_acl(
        svc,
        world,
        "a",
        _allow(100, True, (80, 80)),  # the request leaves A
        _allow(100, False, EPHEMERAL),  # the reply enters A
    )
    in_acl = _custom_acl(
        svc,
        world,
        "b",
        _allow(100, False, (80, 80)),  # the request enters B
        _allow(110, True, EPHEMERAL),  # the reply leaves B
    )
    _, stored = _run(svc, world)
    assert stored.path_found is True
    forward = stored.result["ForwardPathComponents"]
    ids = _ids(forward)
    assert ids.index(out_acl) < ids.index(in_acl)
    leaving = forward[ids.index(out_acl)]
    assert leaving["AclRule"] == {
        "Cidr": "0.0.0.0/0",
        "Egress": True,
        "Protocol": "tcp",
        "RuleAction": "allow",
        "PortRange": {"From": 80, "To": 80},
        "RuleNumber": 100,
    }
    assert leaving["Subnet"]["Id"] == world["a"]
    # the route table sits between the two crossings
    table = next(i for i in ids if i.startswith("rtb-"))
    assert ids.index(out_acl) < ids.index(table) < ids.index(in_acl)
    back = stored.result["ReturnPathComponents"]
    rules = {c["Component"]["Id"]: c["AclRule"] for c in back if "AclRule" in c}
    assert rules[in_acl]["RuleNumber"] == 110 and rules[in_acl]["Egress"] is True
    assert rules[out_acl]["PortRange"] == {"From": EPHEMERAL[0], "To": EPHEMERAL[1]}
    assert _ids(back).index(in_acl) < _ids(back).index(out_acl)


def test_an_acl_deny_of_the_request_is_subnet_acl_restriction_with_the_entry_and_fix(svc, world):
    acl = _custom_acl(
        svc,
        world,
        "b",
        Entry(50, False, "deny", "6", "10.0.1.0/24", port_from=80, port_to=80),
        _allow(100, False, (0, 65535)),
        _allow(100, True, (0, 65535)),
    )
    _, stored = _run(svc, world)
    assert stored.path_found is False
    assert "ForwardPathComponents" not in stored.result
    [explanation] = stored.result["Explanations"]
    assert explanation["ExplanationCode"] == "SUBNET_ACL_RESTRICTION"
    assert explanation["Direction"] == "ingress"
    assert explanation["Acl"]["Id"] == acl and explanation["Component"]["Id"] == acl
    assert explanation["AclRule"] == {
        "Cidr": "10.0.1.0/24",
        "Egress": False,
        "Protocol": "tcp",
        "RuleAction": "deny",
        "PortRange": {"From": 80, "To": 80},
        "RuleNumber": 50,
    }
    assert explanation["Subnet"]["Id"] == world["b"]
    assert explanation["PortRanges"] == [{"From": 80, "To": 80}]
    fixes = dict(stored.tags)
    assert fixes["stockade:fix:1"].startswith(f"stockade nacl add-entry {acl} ")
    assert "--ingress" in fixes["stockade:fix:1"] and "--ports 80" in fixes["stockade:fix:1"]


def test_an_acl_without_the_ephemeral_ports_denies_the_reply(svc, world):
    acl = _custom_acl(
        svc,
        world,
        "b",
        _allow(100, False, (80, 80)),
        _allow(100, True, (80, 80)),  # the reply goes to the client's port: not allowed
    )
    _, stored = _run(svc, world)
    assert stored.path_found is False
    [explanation] = stored.result["Explanations"]
    assert explanation["ExplanationCode"] == "SUBNET_ACL_RESTRICTION"
    assert explanation["Direction"] == "egress" and explanation["Acl"]["Id"] == acl
    assert explanation["AclRule"]["RuleAction"] == "deny"  # the * deny
    assert explanation["PortRanges"] == [{"From": EPHEMERAL[0], "To": EPHEMERAL[1]}]
    assert explanation["Addresses"] == [world["client_ip"]]


def test_a_filter_source_port_range_finds_the_client_port_the_acl_allows(svc, world):
    acl = _custom_acl(
        svc, world, "b", _allow(100, False, (80, 80)), _allow(100, True, (40000, 40010))
    )
    made = svc.network_insights.create_path(
        InsightsPathRequest(
            source=world["client"].instance_id,
            destination=world["web"].instance_id,
            protocol="tcp",
            filter_at_source=PathFilter(source_ports=(30000, 50000), destination_ports=(80, 80)),
        )
    )
    started = svc.network_insights.start_analysis(AnalysisRequest(made.path_id))
    [stored] = svc.network_insights.describe_analyses([started.analysis_id])
    assert stored.path_found is True, stored.result
    header = stored.result["ForwardPathComponents"][0]["OutboundHeader"]
    assert header["SourcePortRanges"] == [{"From": 40000, "To": 40000}]
    back = {c["Component"]["Id"]: c for c in stored.result["ReturnPathComponents"]}
    assert back[acl]["AclRule"]["PortRange"] == {"From": 40000, "To": 40010}


def test_a_source_address_not_of_the_source_is_a_warning(svc, world):
    made = svc.network_insights.create_path(
        InsightsPathRequest(
            source=world["client"].instance_id,
            destination=world["web"].instance_id,
            protocol="tcp",
            destination_port=80,
            source_ip="10.0.1.250",
        )
    )
    started = svc.network_insights.start_analysis(AnalysisRequest(made.path_id))
    assert started.warning_message is None  # only the stored analysis carries it
    [stored] = svc.network_insights.describe_analyses([started.analysis_id])
    assert "10.0.1.250 is not an address of" in (stored.warning_message or "")
    assert stored.path_found is True


def test_a_rejected_path_changes_nothing(svc, world, rejected):
    request = InsightsPathRequest(
        source=world["client"].instance_id, destination="i-0123456789abcdef0", protocol="tcp"
    )
    rejected("InvalidInstanceID.NotFound", svc.network_insights.create_path, request)
    rejected(
        "InvalidParameterValue",
        svc.network_insights.create_path,
        replace(request, destination=world["web"].instance_id, protocol="icmp"),
    )
    assert svc.network_insights.describe_paths() == []


def test_through_a_nat_gateway_to_the_internet(svc, world):
    """client (subnet A, private) → NAT gateway (subnet B, public) → internet gateway: the
    NAT subnet's ACL is crossed both ways, in packet order, on both paths."""
    from stockade.service.contracts import RouteRequest

    igw = svc.network.create_internet_gateway().igw_id
    svc.network.attach_internet_gateway(igw, world["vpc"])
    eip = svc.addresses.allocate()
    nat = svc.gateways.create_nat_gateway(world["b"], eip.allocation_id).nat_gateway_id
    private = svc.route_tables.create(world["vpc"]).table.route_table_id
    svc.route_tables.create_route(
        private, RouteRequest(destination_cidr_block="0.0.0.0/0", nat_gateway_id=nat)
    )
    svc.route_tables.associate(private, world["a"])
    [main] = [
        d.table
        for d in svc.route_tables.describe()
        if d.table.vpc_id == world["vpc"] and any(a.main for a in d.table.associations)
    ]
    svc.route_tables.create_route(
        main.route_table_id, RouteRequest(destination_cidr_block="0.0.0.0/0", gateway_id=igw)
    )
    nat_acl = _custom_acl(
        svc, world, "b", _allow(100, False, (0, 65535)), _allow(100, True, (0, 65535))
    )
    made = svc.network_insights.create_path(
        InsightsPathRequest(
            source=world["client"].instance_id,
            destination=igw,
            protocol="tcp",
            destination_port=443,
            destination_ip="203.0.113.80",
        )
    )
    started = svc.network_insights.start_analysis(AnalysisRequest(made.path_id))
    [stored] = svc.network_insights.describe_analyses([started.analysis_id])
    assert stored.path_found is True, stored.result
    forward = _ids(stored.result["ForwardPathComponents"])
    order = [private, nat, nat_acl, main.route_table_id, igw]
    assert [i for i in forward if i in order] == [
        private,
        nat,
        nat_acl,
        nat_acl,
        main.route_table_id,
        igw,
    ]
    assert forward[0] == world["client"].instance_id and forward[-1] == igw
    back = _ids(stored.result["ReturnPathComponents"])
    assert back[0] == igw and back[-1] == world["client"].instance_id
    assert back.count(nat_acl) == 2
    # the NAT subnet's ACL without the NAT's reply ports (1024-65535) blocks the reply
    svc.network_acls.replace_entry(nat_acl, _allow(100, False, (443, 443)))
    again = svc.network_insights.start_analysis(AnalysisRequest(made.path_id))
    [blocked] = svc.network_insights.describe_analyses([again.analysis_id])
    assert blocked.path_found is False
    explanations = blocked.result["Explanations"]
    assert {e["ExplanationCode"] for e in explanations} == {"SUBNET_ACL_RESTRICTION"}
    assert all(e["Acl"]["Id"] == nat_acl for e in explanations)


def test_a_peer_account_destination_is_analysed_over_both_scopes(store):
    """Alice's instance → Bob's instance's private IP over an active cross-account peering:
    the analysis merges Bob's scope (his group, its rule and his route table show on the
    path, with Bob's account in their ARNs)."""
    from stockade.service.contracts import PeeringRequest, RouteRequest

    def services(account: str) -> Services:
        ctx = ServiceContext(store, Scope(account), Quotas())
        with ctx.read():
            pass
        return Services(ctx)

    alice, bob = services("111111111111"), services("222222222222")
    a_vpc = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b_vpc = bob.network.create_vpc("10.2.0.0/16").vpc_id
    a_subnet = alice.network.create_subnet(a_vpc, "10.1.1.0/24").subnet_id
    b_subnet = bob.network.create_subnet(b_vpc, "10.2.1.0/24").subnet_id
    b_sg = bob.groups.create("ssh", "ssh", b_vpc).group.group_id
    bob.rules.authorize(b_sg, [IpPermission("tcp", 22, 22, ip_ranges=(("10.1.0.0/16", None),))])
    [a] = alice.instances.run(LaunchRequest(subnet_id=a_subnet))
    [b] = bob.instances.run(LaunchRequest(subnet_id=b_subnet, group_ids=(b_sg,)))
    pcx = alice.peering.create(PeeringRequest(a_vpc, b_vpc, "222222222222"))
    bob.peering.accept(pcx.vpc_peering_connection_id)
    for side, vpc, peer_cidr in ((alice, a_vpc, "10.2.0.0/16"), (bob, b_vpc, "10.1.0.0/16")):
        [main] = [
            d.table
            for d in side.route_tables.describe()
            if d.table.vpc_id == vpc and any(x.main for x in d.table.associations)
        ]
        side.route_tables.create_route(
            main.route_table_id,
            RouteRequest(
                destination_cidr_block=peer_cidr,
                vpc_peering_connection_id=pcx.vpc_peering_connection_id,
            ),
        )
    made = alice.network_insights.create_path(
        InsightsPathRequest(
            source=a.instance.instance_id,
            destination_ip=b.primary.private_ip,
            protocol="tcp",
            destination_port=22,
        )
    )
    started = alice.network_insights.start_analysis(AnalysisRequest(made.path_id))
    [stored] = alice.network_insights.describe_analyses([started.analysis_id])
    assert stored.path_found is True, stored.result
    forward = {c["Component"]["Id"]: c for c in stored.result["ForwardPathComponents"]}
    assert pcx.vpc_peering_connection_id in forward
    assert forward[b_sg]["SecurityGroupRule"]["Cidr"] == "10.1.0.0/16"
    assert ":222222222222:security-group/" in forward[b_sg]["Component"]["Arn"]
    assert forward[b.instance.instance_id]["Vpc"]["Id"] == b_vpc
    # port 23 is Bob's group's to refuse, named with Bob's interface
    other = alice.network_insights.create_path(
        InsightsPathRequest(
            source=a.instance.instance_id,
            destination_ip=b.primary.private_ip,
            protocol="tcp",
            destination_port=23,
        )
    )
    again = alice.network_insights.start_analysis(AnalysisRequest(other.path_id))
    [denied] = alice.network_insights.describe_analyses([again.analysis_id])
    [explanation] = denied.result["Explanations"]
    assert explanation["ExplanationCode"] == "ENI_SG_RULES_MISMATCH"
    assert explanation["NetworkInterface"]["Id"] == b.primary.eni_id


def test_fix_tags_never_push_an_analysis_past_fifty_tags(svc, world):
    made = svc.network_insights.create_path(
        InsightsPathRequest(
            source=world["client"].instance_id,
            destination=world["web"].instance_id,
            protocol="tcp",
            destination_port=22,  # closed: one blocker, one fix
        )
    )
    for given, fixes in ((49, 1), (50, 0)):
        tags = tuple((f"k{n}", "v") for n in range(given))
        started = svc.network_insights.start_analysis(AnalysisRequest(made.path_id, tags=tags))
        [stored] = svc.network_insights.describe_analyses([started.analysis_id])
        assert stored.path_found is False
        keys = [k for k, _ in stored.tags]
        assert len(keys) == given + fixes
        assert sum(k.startswith("stockade:fix:") for k in keys) == fixes


def test_the_paths_quota(store, world, svc, rejected):
    """1,000 paths a region by default; the code is [UNVERIFIED]."""
    small = Services(ServiceContext(store, Scope(), Quotas(network_insights_paths=2)))
    request = InsightsPathRequest(
        source=world["client"].instance_id, destination=world["web"].instance_id, protocol="tcp"
    )
    small.network_insights.create_path(request)
    small.network_insights.create_path(request)
    rejected("NetworkInsightsPathLimitExceeded", small.network_insights.create_path, request)
    assert len(svc.network_insights.describe_paths()) == 2
