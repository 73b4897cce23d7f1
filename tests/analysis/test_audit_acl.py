"""Network ACL audit checks: Prowler's, but after first match and graded by use."""

from __future__ import annotations

import json

from stockade.analysis.audit import AuditConfig, audit
from stockade.analysis.findings import Severity
from stockade.analysis.sarif import to_sarif

from .builders import ACL, SCOPE, acl_entry, group_id, with_acl, world

WEB = group_id("web")
IN = False
SSH_OPEN = {WEB: [(IN, "tcp", 22, 22, "0.0.0.0/0"), (IN, "tcp", 3389, 3389, "::/0")]}


def acl_checks(snapshot, check="network-acl-admin-port", acl_id=ACL):
    found = audit([(SCOPE, snapshot)], AuditConfig())
    return [f for f in found if f.check == check and f.resource_id == acl_id]


def ssh(findings):
    return [f for f in findings if f.title.startswith("tcp/22 (SSH)")]


def test_an_acl_admitting_ssh_from_the_internet_is_reported_with_its_entry():
    snap = with_acl(world(SSH_OPEN), acl_entry(100, IN, "allow", "6", "0.0.0.0/0", (22, 22)))
    (found,) = ssh(acl_checks(snap))
    assert found.severity is Severity.MEDIUM  # Prowler's grade: a group opens it too
    assert "open to the internet (IPv4)" in found.title and "inbound #100" in found.title
    assert found.rule_ids == (f"{ACL}/ingress/100",)
    assert found.details["opened_by_security_groups_on"] == ["eni-00000000000000001"]
    assert found.resource_type == "network-acl"


def test_an_allow_list_of_some_internet_addresses_is_not_reported():
    snap = with_acl(world(SSH_OPEN), acl_entry(100, IN, "allow", "6", "203.0.113.0/24", (22, 22)))
    assert acl_checks(snap) == []


def test_a_deny_before_the_allow_hides_the_port():
    snap = with_acl(
        world(SSH_OPEN),
        acl_entry(90, IN, "deny", "6", "0.0.0.0/0", (22, 22)),
        acl_entry(100, IN, "allow", "-1", "0.0.0.0/0"),
    )
    found = acl_checks(snap)
    assert ssh(found) == []
    assert [f.title.split(" open")[0] for f in found] == ["tcp/3389 (RDP)"]
    # all traffic is no longer open (22 is denied), all UDP ports still are
    (wide,) = acl_checks(snap, "network-acl-all-ports")
    assert wide.title.startswith("all UDP ports open to the internet (IPv4)")


def test_an_allow_for_the_internet_behind_a_partial_deny_is_reported_as_partial():
    snap = with_acl(
        world(SSH_OPEN),
        acl_entry(90, IN, "deny", "6", "198.51.100.0/24", (22, 22)),
        acl_entry(100, IN, "allow", "6", "0.0.0.0/0", (22, 22)),
    )
    (found,) = ssh(acl_checks(snap))
    assert "open to part of the internet (IPv4)" in found.title
    assert "#90 denies 198.51.100.0/24" in found.title
    assert found.details["internet"] == "partial"
    assert found.severity is Severity.LOW  # a step below medium


def test_two_half_internet_allows_are_the_whole_internet():
    """Prowler looks for the string 0.0.0.0/0 and misses these."""
    snap = with_acl(
        world(SSH_OPEN),
        acl_entry(100, IN, "allow", "6", "0.0.0.0/1", (22, 22)),
        acl_entry(110, IN, "allow", "6", "128.0.0.0/1", (0, 1024)),
    )
    (found,) = ssh(acl_checks(snap))
    assert "open to the internet (IPv4)" in found.title
    assert found.rule_ids == (f"{ACL}/ingress/100", f"{ACL}/ingress/110")


def test_ipv6_entries_are_their_own_family():
    rdp = [
        acl_entry(100, IN, "allow", "6", "::/0", (3389, 3389)),
        acl_entry(110, IN, "allow", "6", "0.0.0.0/0", (3389, 3389)),
    ]
    found = acl_checks(with_acl(world(SSH_OPEN), *rdp))
    assert [f.details["families"] for f in found] == [["IPv4", "IPv6"]]
    denied_v6 = [acl_entry(90, IN, "deny", "-1", "::/0"), *rdp]
    (found,) = acl_checks(with_acl(world(SSH_OPEN), *denied_v6))
    assert found.details["families"] == ["IPv4"]


def test_defence_in_depth_and_unassociated_acls_grade_lower():
    closed = world({WEB: [(IN, "tcp", 443, 443, "0.0.0.0/0")]})
    entries = [acl_entry(100, IN, "allow", "6", "0.0.0.0/0", (0, 65535))]
    (found,) = ssh(acl_checks(with_acl(closed, *entries)))
    assert found.severity is Severity.LOW
    assert "no security group opens it to the internet" in found.title
    (idle,) = ssh(acl_checks(with_acl(world(SSH_OPEN), *entries, subnets=())))
    assert idle.severity is Severity.INFO and "associated with no subnet" in idle.title


def test_the_default_acl_admits_all_traffic_and_sarif_carries_the_findings():
    snap = with_acl(world(SSH_OPEN), subnets=())  # the default ACL filters the subnet
    (wide,) = acl_checks(snap, "network-acl-all-ports", "acl-00000000000000def")
    assert wide.severity is Severity.HIGH
    assert wide.title.startswith("all traffic open to the internet (IPv4, IPv6)")
    sarif = json.loads(json.dumps(to_sarif(audit([(SCOPE, snap)], AuditConfig()))))
    run = sarif["runs"][0]
    assert "network-acl-all-ports" in [r["id"] for r in run["tool"]["driver"]["rules"]]
    result = next(r for r in run["results"] if r["ruleId"] == "network-acl-all-ports")
    assert "network-acl/acl-00000000000000def" in json.dumps(result)
