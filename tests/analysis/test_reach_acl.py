"""``stockade reach`` narrowed by the network ACLs the connections cross, both ways."""

from __future__ import annotations

import dataclasses

from stockade.analysis.reach import parse_ports, parse_source, reach
from stockade.domain.network import Subnet
from stockade.policy.exposure import exposure
from stockade.policy.reasons import Reason

from .builders import ACL, SCOPE, SUBNET, VPC, acl_entry, group_id, with_acl, world

WEB = group_id("web")
IN, OUT = False, True
OPEN = {WEB: [(IN, "tcp", 20, 25, "0.0.0.0/0"), (IN, "tcp", 80, 80, "0.0.0.0/0")]}
ALL_IN = acl_entry(100, IN, "allow", "-1", "0.0.0.0/0")
ALL_OUT = acl_entry(100, OUT, "allow", "-1", "0.0.0.0/0")
OTHER = "subnet-0000000000000000b"


def texts(result) -> list[str]:
    return [r.service.text() for r in result.ranges]


def from_internet(snapshot, ports=None):
    (result,) = [
        r
        for r in reach(
            snapshot,
            parse_source(snapshot, "internet"),
            "a",
            parse_ports(ports or []) if ports else None,
        )
        if r.family == 4
    ]
    return result


def test_an_inbound_deny_takes_its_port_and_names_the_entry():
    snap = with_acl(
        world(OPEN), acl_entry(90, IN, "deny", "6", "0.0.0.0/0", (22, 22)), ALL_IN, ALL_OUT
    )
    result = from_internet(snap)
    assert result.reachable and texts(result) == ["tcp/20-21", "tcp/23-25", "tcp/80"]
    (denial,) = result.acl_denials
    assert denial.code == "SUBNET_ACL_RESTRICTION" and denial.reason is Reason.ACL_REQUEST_DENIED
    assert denial.component_id == ACL and denial.component_type == "network-acl"
    assert denial.message == (
        f"tcp/22 denied by {ACL} inbound #90 deny tcp/22 from 0.0.0.0/0 (subnet {SUBNET})"
    )
    assert result.to_dict()["network_acl_denials"][0]["component"]["id"] == ACL
    # the same answer as exposure's admitted pieces
    (finding,) = exposure(snap)
    admitted = [
        f"tcp/{r.begin}" if r.begin == r.end else f"tcp/{r.begin}-{r.end}"
        for r in finding.open_ranges
        if r.address_family == 4 and r.denied_by_acl is None
    ]
    assert admitted == texts(result)


def test_a_reply_the_acl_denies_leaves_nothing_reachable():
    snap = with_acl(world(OPEN), ALL_IN, acl_entry(100, OUT, "allow", "6", "0.0.0.0/0", (0, 1023)))
    result = from_internet(snap, ["80"])
    assert not result.reachable and result.ranges == ()
    (denial,) = result.acl_denials
    assert denial.reason is Reason.ACL_REPLY_DENIED
    assert "its reply denied by" in denial.message and "outbound #*" in denial.message


def test_ipv6_is_judged_by_the_ipv6_entries():
    snap = with_acl(
        world({WEB: [(IN, "tcp", 443, 443, "::/0")]}),
        acl_entry(101, IN, "allow", "6", "::/0", (443, 443)),
        acl_entry(101, OUT, "allow", "6", "::/0", (1024, 65535)),
    )
    (v6,) = [r for r in reach(snap, parse_source(snap, "internet"), "a") if r.family == 6]
    assert texts(v6) == ["tcp/443"] and v6.acl_denials == ()
    denied = with_acl(
        world({WEB: [(IN, "tcp", 443, 443, "::/0")]}),
        acl_entry(101, IN, "allow", "6", "::/0", (443, 443)),
    )
    (v6,) = [r for r in reach(denied, parse_source(denied, "internet"), "a") if r.family == 6]
    assert v6.ranges == () and v6.acl_denials[0].reason is Reason.ACL_REPLY_DENIED


def _two_subnets(acl_subnets: tuple[str, ...], *entries):
    """Instances a and c in SUBNET, b in OTHER; the custom ACL on ``acl_subnets``."""
    groups = {WEB: [(IN, "-1", -1, -1, "10.0.0.0/16"), (OUT, "-1", -1, -1, "0.0.0.0/0")]}
    snap = world(groups, attached={"a": [WEB], "b": [WEB], "c": [WEB]})
    b = snap.interfaces[1]
    moved = dataclasses.replace(b, subnet_id=OTHER, private_ip="10.0.1.12")
    other = Subnet(OTHER, VPC, SCOPE.account, SCOPE.region, "10.0.1.0/24", "us-east-1a", "use1-az1")
    snap = dataclasses.replace(
        snap,
        subnets=(*snap.subnets, other),
        interfaces=(snap.interfaces[0], moved, snap.interfaces[2]),
        instances=tuple(
            dataclasses.replace(i, subnet_id=OTHER) if i.instance_id.endswith("2") else i
            for i in snap.instances
        ),
    )
    return with_acl(snap, *entries, subnets=acl_subnets)


def test_between_subnets_the_source_subnets_egress_applies_but_not_within_one():
    snap = _two_subnets(
        (SUBNET,), ALL_IN, acl_entry(90, OUT, "deny", "6", "10.0.1.0/24", (22, 22)), ALL_OUT
    )
    source = parse_source(snap, "a")
    (to_b,) = [r for r in reach(snap, source, "b") if r.family == 4]
    assert "tcp/22" not in str(texts(to_b)) and to_b.ranges
    (denial,) = to_b.acl_denials
    assert f"{ACL} outbound #90 deny tcp/22 to 10.0.1.0/24" in denial.message
    (to_c,) = [r for r in reach(snap, source, "c") if r.family == 4]
    assert texts(to_c) == ["all traffic"] and to_c.acl_denials == ()


def test_the_reply_into_the_source_subnet_needs_its_ingress_entry():
    snap = _two_subnets(
        (SUBNET,),
        acl_entry(100, IN, "allow", "6", "10.0.1.0/24", (0, 1023)),  # not the ephemeral ports
        ALL_OUT,
    )
    (to_b,) = [
        r for r in reach(snap, parse_source(snap, "a"), "b", parse_ports(["22"])) if r.family == 4
    ]
    assert to_b.ranges == ()
    (denial,) = to_b.acl_denials
    assert denial.reason is Reason.ACL_REPLY_DENIED and "inbound #*" in denial.message


def test_a_cidr_source_crosses_its_own_subnets_acl_but_none_within_the_destinations():
    deny_ssh_out = acl_entry(90, OUT, "deny", "6", "0.0.0.0/0", (22, 22))
    snap = _two_subnets((OTHER,), ALL_IN, deny_ssh_out, ALL_OUT)  # the ACL filters OTHER
    ports = parse_ports(["22", "80"])
    (from_other,) = [
        r for r in reach(snap, parse_source(snap, "10.0.1.0/28"), "a", ports) if r.family == 4
    ]
    assert texts(from_other) == ["tcp/80"]
    assert "outbound #90 deny tcp/22" in from_other.acl_denials[0].message
    (from_own,) = [
        r for r in reach(snap, parse_source(snap, "10.0.1.0/28"), "b", ports) if r.family == 4
    ]
    assert texts(from_own) == ["tcp/22", "tcp/80"] and from_own.acl_denials == ()
