"""The audit and ``reach`` follow the route tables: a public subnet (its table routes to
an attached internet gateway) with administration ports open is one finding on the subnet;
a private subnet is not; a CIDR inside a peered VPC is reached over the peering."""

from __future__ import annotations

from dataclasses import replace

from stockade.analysis.audit import AuditConfig, audit
from stockade.analysis.findings import Severity
from stockade.analysis.reach import parse_source, reach
from stockade.domain.instance import InstanceState
from stockade.domain.network import Vpc
from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.routing import LOCAL, Route, RouteTable, RouteTableAssociation

from .builders import SCOPE, SUBNET, VPC, group_id, world

WEB = group_id("web")
IGW = "igw-0000000000000000a"
PCX = "pcx-0000000000000000a"
PEER_VPC = "vpc-0000000000000000b"


def table(*routes: tuple[str, str]) -> RouteTable:
    rows = (Route("10.0.0.0/16", LOCAL), *(Route(d, t) for d, t in routes))
    association = RouteTableAssociation("rtbassoc-0000000000000000a", main=True)
    return RouteTable(
        "rtb-0000000000000000a", VPC, SCOPE.account, SCOPE.region, rows, (association,)
    )


def findings(snapshot, check="public-subnet-admin-port"):
    return [f for f in audit([(SCOPE, snapshot)], AuditConfig()) if f.check == check]


def ssh_open(**kwargs):
    return world({WEB: [(False, "tcp", 22, 22, "0.0.0.0/0")]}, **kwargs)


def test_a_public_subnet_with_ssh_open_is_one_finding_on_the_subnet():
    snap = replace(
        ssh_open(attached={"a": [WEB], "b": [WEB]}), route_tables=(table(("0.0.0.0/0", IGW)),)
    )
    (finding,) = findings(snap)
    assert finding.resource_id == SUBNET and finding.resource_type == "subnet"
    assert finding.severity is Severity.CRITICAL
    assert finding.arn.endswith(f":subnet/{SUBNET}")
    assert f"0.0.0.0/0 → {IGW}" in finding.title
    assert [i["ports"] for i in finding.details["interfaces"]] == [["tcp/22 (SSH)"]] * 2
    assert finding.details["route_table_id"] == "rtb-0000000000000000a"


def test_graded_as_its_most_exposed_interface():
    stopped = replace(
        ssh_open(state=InstanceState.STOPPED), route_tables=(table(("0.0.0.0/0", IGW)),)
    )
    assert findings(stopped)[0].severity is Severity.HIGH
    private_only = replace(ssh_open(public=False), route_tables=(table(("0.0.0.0/0", IGW)),))
    assert findings(private_only)[0].severity is Severity.MEDIUM


def test_a_private_subnet_is_not_a_public_subnet_finding_and_grades_lower():
    snap = replace(ssh_open(), route_tables=(table(),))
    assert findings(snap) == []
    (group,) = findings(snap, "internet-admin-port")
    assert group.severity is Severity.HIGH  # a public IP, but no route: one step away
    assert "has no IPv4 route to internet gateway" in group.details["exposure"]
    routed = replace(ssh_open(), route_tables=(table(("0.0.0.0/0", IGW)),))
    assert findings(routed, "internet-admin-port")[0].severity is Severity.CRITICAL


def test_reach_from_a_peered_cidr_goes_over_the_peering():
    side = lambda vpc, cidr: PeeringSide(vpc, SCOPE.account, SCOPE.region, (cidr,))  # noqa: E731
    peering = VpcPeeringConnection(
        PCX, side(VPC, "10.0.0.0/16"), side(PEER_VPC, "10.9.0.0/16"), PeeringStatus.ACTIVE, ""
    )
    base = world({WEB: [(False, "tcp", 22, 22, "10.9.0.0/16")]})
    peer_vpc = Vpc(PEER_VPC, SCOPE.account, SCOPE.region, "10.9.0.0/16")
    snap = replace(
        base,
        vpcs=base.vpcs + (peer_vpc,),
        route_tables=(table(("10.9.0.0/16", PCX)),),
        peerings=(peering,),
    )
    (result,) = reach(snap, parse_source(snap, "10.9.1.0/24"))
    assert result.path == "peering" and result.reachable
    pending = replace(snap, peerings=(replace(peering, status=PeeringStatus.PENDING_ACCEPTANCE),))
    (blocked,) = reach(pending, parse_source(pending, "10.9.1.0/24"))
    assert not blocked.reachable
    assert [b.code for b in blocked.blockers] == ["BAD_STATE_ROUTE"]
    unrouted = replace(snap, route_tables=(table(),))
    (outside,) = reach(unrouted, parse_source(unrouted, "10.9.1.0/24"))
    assert outside.path == "internet" and not outside.reachable


def test_reach_and_exposure_agree_on_a_subnet_routing_only_part_of_the_internet():
    from stockade.policy.exposure import exposure

    snap = replace(ssh_open(), route_tables=(table(("192.0.2.0/24", IGW)),))
    (found,) = exposure(snap)
    assert found.exposed
    (result,) = reach(snap, parse_source(snap, "internet"))
    assert result.reachable and result.path == "internet"
    private = replace(ssh_open(), route_tables=(table(),))
    assert not exposure(private)[0].exposed
    (blocked,) = reach(private, parse_source(private, "internet"))
    assert not blocked.reachable
    assert [b.code for b in blocked.blockers] == ["NO_ROUTE_TO_DESTINATION"]


def test_a_reference_to_a_group_of_another_vpc_is_stale_without_an_active_peering():
    """The audit judges a cross-VPC reference by the one rule of domain/group_references:
    live while an active peering joins the VPCs, stale (matching nothing) otherwise."""
    side = lambda vpc, cidr: PeeringSide(vpc, SCOPE.account, SCOPE.region, (cidr,))  # noqa: E731
    app = group_id("app")
    base = world({WEB: [(False, "tcp", 5432, 5432, app)], app: []})
    peer_vpc = Vpc(PEER_VPC, SCOPE.account, SCOPE.region, "10.9.0.0/16")
    groups = tuple(replace(g, vpc_id=PEER_VPC) if g.group_id == app else g for g in base.groups)
    unpeered = replace(base, vpcs=base.vpcs + (peer_vpc,), groups=groups)
    (stale,) = [f for f in findings(unpeered, "stale-reference") if f.resource_id == WEB]
    assert f"which no active peering joins to {VPC}" in stale.title
    peering = VpcPeeringConnection(
        PCX, side(VPC, "10.0.0.0/16"), side(PEER_VPC, "10.9.0.0/16"), PeeringStatus.ACTIVE, ""
    )
    peered = replace(unpeered, peerings=(peering,))
    assert [f for f in findings(peered, "stale-reference") if f.resource_id == WEB] == []
