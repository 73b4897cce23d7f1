"""A port open to the internet in a group but denied by the subnet's network ACL — the
request inbound, or its reply outbound to the client's ephemeral ports — is not exposed:
the audit says so and names the entry."""

from __future__ import annotations

import dataclasses

from stockade.analysis.audit import AuditConfig, audit
from stockade.analysis.findings import Severity
from stockade.domain.instance import InstanceState
from stockade.domain.network import Subnet
from stockade.policy.exposure import exposure

from .builders import ACL, SCOPE, VPC, acl_entry, group_id, with_acl, world

WEB = group_id("web")
IN, OUT = False, True
SSH_V4 = {WEB: [(IN, "tcp", 22, 22, "0.0.0.0/0")]}
ALL_OUT = acl_entry(100, OUT, "allow", "-1", "0.0.0.0/0")
ALL_IN = acl_entry(100, IN, "allow", "-1", "0.0.0.0/0")
OTHER = "subnet-0000000000000000b"


def found(snapshot, check):
    return [f for f in audit([(SCOPE, snapshot)], AuditConfig()) if f.check == check]


def test_without_a_custom_acl_the_port_is_exposed():
    (ssh,) = found(with_acl(world(SSH_V4), ALL_IN, ALL_OUT), "internet-admin-port")
    assert ssh.severity is Severity.CRITICAL
    assert "narrowed_by_network_acl" not in ssh.details
    assert found(with_acl(world(SSH_V4), ALL_IN, ALL_OUT), "public-subnet-admin-port")


def test_an_inbound_deny_before_the_allow_makes_the_port_not_exposed():
    snap = with_acl(
        world(SSH_V4), acl_entry(90, IN, "deny", "6", "0.0.0.0/0", (22, 22)), ALL_IN, ALL_OUT
    )
    (ssh,) = found(snap, "internet-admin-port")
    assert ssh.severity is Severity.INFO
    assert ssh.title.endswith(
        f"but not exposed: denied by {ACL} inbound #90 deny tcp/22 from 0.0.0.0/0"
    )
    assert ssh.details["network_acl_ids"] == [ACL]
    assert found(snap, "public-subnet-admin-port") == []


def test_a_reply_denied_outbound_makes_the_port_not_exposed():
    """Stateless: the request gets in, the reply to the client's port cannot leave."""
    snap = with_acl(
        world(SSH_V4), ALL_IN, acl_entry(100, OUT, "allow", "6", "0.0.0.0/0", (0, 1023))
    )
    (ssh,) = found(snap, "internet-admin-port")
    assert ssh.severity is Severity.INFO
    assert f"its reply denied by {ACL} outbound #* deny all traffic to 0.0.0.0/0" in ssh.title


def test_part_of_the_ephemeral_range_is_not_enough_for_the_reply():
    half = acl_entry(100, OUT, "allow", "6", "0.0.0.0/0", (32768, 50000))
    (ssh,) = found(with_acl(world(SSH_V4), ALL_IN, half), "internet-admin-port")
    assert ssh.severity is Severity.INFO
    whole = acl_entry(100, OUT, "allow", "6", "0.0.0.0/0", (1024, 65535))
    (ssh,) = found(with_acl(world(SSH_V4), ALL_IN, whole), "internet-admin-port")
    assert ssh.severity is Severity.CRITICAL


def test_requests_and_replies_must_pass_for_the_same_internet_address():
    snap = with_acl(
        world(SSH_V4),
        acl_entry(100, IN, "allow", "-1", "0.0.0.0/1"),
        acl_entry(100, OUT, "allow", "-1", "128.0.0.0/1"),
    )
    (ssh,) = found(snap, "internet-admin-port")
    assert ssh.severity is Severity.INFO


def test_a_range_is_narrowed_to_what_the_acl_admits_and_says_so():
    snap = with_acl(
        world({WEB: [(IN, "tcp", 0, 1024, "0.0.0.0/0")]}),
        acl_entry(90, IN, "deny", "6", "0.0.0.0/0", (22, 23)),
        ALL_IN,
        ALL_OUT,
    )
    (ssh,) = found(snap, "internet-admin-port")
    assert ssh.severity is Severity.INFO
    (risky,) = found(snap, "internet-risky-port")  # FTP, SMTP… still open; Telnet is not
    assert risky.severity is Severity.CRITICAL
    shown = [r["text"] for r in risky.details["open"]]
    assert "tcp/20-21" in shown and "tcp/23" not in shown
    assert risky.details["narrowed_by_network_acl"] == (
        f"denied by {ACL} inbound #90 deny tcp/22-23 from 0.0.0.0/0"
    )


def test_all_traffic_open_in_the_group_but_the_acl_admits_the_web_only():
    web_only = [
        acl_entry(100, IN, "allow", "6", "0.0.0.0/0", (443, 443)),
        acl_entry(100, OUT, "allow", "6", "0.0.0.0/0", (1024, 65535)),
    ]
    snap = with_acl(world({WEB: [(IN, "-1", -1, -1, "0.0.0.0/0")]}), *web_only)
    by_check = {f.check: f for f in found(snap, "internet-all-ports")}
    assert by_check["internet-all-ports"].severity is Severity.INFO
    assert "but not exposed" in by_check["internet-all-ports"].title
    assert found(snap, "internet-admin-port")[0].severity is Severity.INFO


def test_ipv6_needs_its_own_entries_both_ways():
    snap = with_acl(
        world({WEB: [(IN, "tcp", 22, 22, "::/0")]}),
        acl_entry(101, IN, "allow", "6", "::/0", (22, 22)),
        ALL_IN,
        ALL_OUT,  # IPv4 only: the IPv6 reply meets the 32768 deny
    )
    (ssh,) = found(snap, "internet-admin-port")
    assert ssh.severity is Severity.INFO
    assert f"its reply denied by {ACL} outbound #* deny all traffic to ::/0" in ssh.title
    both = with_acl(
        world({WEB: [(IN, "tcp", 22, 22, "::/0")]}),
        acl_entry(101, IN, "allow", "6", "::/0", (22, 22)),
        acl_entry(101, OUT, "allow", "-1", "::/0"),
    )
    (ssh,) = found(both, "internet-admin-port")
    assert ssh.severity is Severity.CRITICAL


# -- stockade exposure -----------------------------------------------------------------------


def test_exposure_splits_a_range_at_what_the_acl_denies():
    snap = with_acl(
        world({WEB: [(IN, "tcp", 20, 25, "0.0.0.0/0")]}),
        acl_entry(90, IN, "deny", "6", "0.0.0.0/0", (22, 22)),
        ALL_IN,
        ALL_OUT,
    )
    (finding,) = exposure(snap)
    assert finding.exposed
    ranges = [(r.begin, r.end, r.exposed, r.denied_by_acl) for r in finding.open_ranges]
    denied = f"denied by {ACL} inbound #90 deny tcp/22 from 0.0.0.0/0"
    assert ranges == [(20, 21, True, None), (22, 22, False, denied), (23, 25, True, None)]
    steps = finding.to_dict()["networkReachabilityDetails"][0]["networkPath"]["steps"]
    assert {"componentId": ACL, "componentType": "AWS::EC2::NetworkAcl"} in steps


def test_exposure_of_a_port_whose_reply_is_denied_is_none():
    snap = with_acl(world(SSH_V4), ALL_IN, acl_entry(100, OUT, "allow", "6", "0.0.0.0/0", (80, 80)))
    (finding,) = exposure(snap)
    assert not finding.exposed and finding.status == "would-be-exposed"
    (ssh,) = finding.open_ranges
    assert (
        ssh.denied_by_acl == f"its reply denied by {ACL} outbound #* deny all traffic to 0.0.0.0/0"
    )
    assert any("tcp/22 (IPv4) its reply denied" in w for w in finding.not_reachable_because)
    assert exposure(with_acl(world(SSH_V4), ALL_IN, ALL_OUT))[0].exposed


def test_a_group_is_graded_by_the_members_its_acls_let_the_internet_reach():
    """On a (running, its subnet's ACL denies SSH) and b (stopped, another subnet whose
    default ACL admits it): exposed through b only, so high (one start away), not critical."""
    snap = world(SSH_V4, attached={"a": [WEB], "b": [WEB]})
    b_eni, b_instance = snap.interfaces[1], snap.instances[1]
    snap = dataclasses.replace(
        snap,
        subnets=(
            *snap.subnets,
            Subnet(OTHER, VPC, SCOPE.account, SCOPE.region, "10.0.1.0/24", "us-east-1a", "z"),
        ),
        interfaces=(
            snap.interfaces[0],
            dataclasses.replace(b_eni, subnet_id=OTHER, private_ip="10.0.1.12"),
        ),
        instances=(
            snap.instances[0],
            dataclasses.replace(b_instance, subnet_id=OTHER, state=InstanceState.STOPPED),
        ),
    )
    denied = acl_entry(90, IN, "deny", "6", "0.0.0.0/0", (22, 22))
    (ssh,) = found(with_acl(snap, denied, ALL_IN, ALL_OUT), "internet-admin-port")
    assert ssh.severity is Severity.HIGH and "is stopped" in ssh.details["exposure"]
    (ssh,) = found(with_acl(snap, ALL_IN, ALL_OUT), "internet-admin-port")
    assert ssh.severity is Severity.CRITICAL  # a, running, is exposed again
