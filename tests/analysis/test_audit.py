"""``stockade audit``: checks as interval intersections, graded by exposure; SARIF; CI gate."""

from __future__ import annotations

import dataclasses
import json

import pytest

from stockade.analysis.audit import AuditConfig, audit, fails
from stockade.analysis.findings import CHECKS, Severity
from stockade.analysis.intervals import Rect, rect_covered
from stockade.analysis.sarif import to_sarif
from stockade.domain.risky_ports import parse_ports
from stockade.policy.effective import effective_policies

from .builders import SCOPE, group_id, rule_id, world
from .conftest import FIXTURES, MAIN, PEER, SG, snapshot_of

WEB = group_id("web")
IN = False


def run(snapshot, **config):
    return audit([(SCOPE, snapshot)], AuditConfig(**config))


def checks(findings, check):
    return [f for f in findings if f.check == check]


# -- regression tests for the misses of well-known auditors -------------------------------


def test_a_range_covering_ssh_raises_the_ssh_finding():
    """ScoutSuite compares ports as strings: tcp 0-1024 from anywhere slips through."""
    found = checks(run(world({WEB: [(IN, "tcp", 0, 1024, "0.0.0.0/0")]})), "internet-admin-port")
    assert [f.title.split(" open")[0] for f in found] == ["tcp/22 (SSH)"]
    assert found[0].rule_ids == (rule_id(WEB, 0),)


@pytest.mark.parametrize("port, service", [(1433, "MS SQL Server"), (9200, "Elasticsearch")])
def test_single_port_database_rules_are_caught(port, service):
    """Steampipe requires the rule to span 1433-1434 / 9200-9300: single ports slip."""
    found = checks(run(world({WEB: [(IN, "tcp", port, port, "0.0.0.0/0")]})), "internet-risky-port")
    assert len(found) == 1 and service in found[0].title
    assert found[0].details["open"] == [
        {"protocol": "tcp", "from_port": port, "to_port": port, "text": f"tcp/{port}"}
    ]


def test_prefix_lists_and_split_cidrs_are_expanded():
    """No auditor expands prefix lists; two half-internet CIDRs are the whole internet."""
    snap = world(
        {
            WEB: [
                (IN, "tcp", 3389, 3389, "pl-00000000000000001"),
                (IN, "tcp", 22, 22, "0.0.0.0/1"),
                (IN, "tcp", 22, 22, "128.0.0.0/1"),
            ]
        },
        prefix_lists={"pl-00000000000000001": ["0.0.0.0/0"]},
    )
    titles = sorted(f.title for f in checks(run(snap), "internet-admin-port"))
    assert titles[0].startswith("tcp/22 (SSH)") and titles[1].startswith("tcp/3389 (RDP)")


def test_ipv6_is_checked_too():
    found = checks(run(world({WEB: [(IN, "tcp", 22, 22, "::/0")]})), "internet-admin-port")
    assert found and found[0].details["families"] == ["IPv6"]


def test_private_sources_are_not_the_internet():
    assert not checks(run(world({WEB: [(IN, "-1", -1, -1, "10.0.0.0/8")]})), "internet-all-ports")


def test_all_traffic_and_all_ports():
    all_traffic = checks(run(world({WEB: [(IN, "-1", -1, -1, "0.0.0.0/0")]})), "internet-all-ports")
    assert all_traffic[0].title.startswith("all traffic")
    tcp = checks(
        run(
            world(
                {
                    WEB: [
                        (IN, "tcp", 0, 40000, "0.0.0.0/0"),
                        (IN, "tcp", 40001, 65535, "::/0"),
                        (IN, "tcp", 40001, 65535, "0.0.0.0/0"),
                    ]
                }
            )
        ),
        "internet-all-ports",
    )
    assert tcp[0].title.startswith("all TCP ports") and tcp[0].details["families"] == ["IPv4"]


def test_the_combination_of_groups_is_caught_on_the_interface():
    other = group_id("app")
    snap = world(
        {WEB: [(IN, "tcp", 22, 22, "0.0.0.0/1")], other: [(IN, "tcp", 22, 22, "128.0.0.0/1")]}
    )
    found = checks(run(snap), "internet-admin-port")
    assert [f.resource_type for f in found] == ["network-interface"]
    assert "combination of its groups" in found[0].title


@pytest.mark.parametrize(
    "public, gateway, attached, severity",
    [
        (True, True, None, Severity.CRITICAL),
        (True, False, None, Severity.HIGH),
        (False, True, None, Severity.MEDIUM),
        (True, True, {}, Severity.LOW),
    ],
)
def test_severity_is_graded_by_exposure(public, gateway, attached, severity):
    snap = world(
        {WEB: [(IN, "tcp", 22, 22, "0.0.0.0/0")]}, public=public, gateway=gateway, attached=attached
    )
    assert checks(run(snap), "internet-admin-port")[0].severity is severity


def test_wide_public_cidrs_but_not_private_or_narrow_ones():
    snap = world(
        {
            WEB: [
                (IN, "tcp", 443, 443, "198.51.0.0/16"),
                (IN, "tcp", 443, 443, "10.0.0.0/8"),
                (IN, "tcp", 443, 443, "203.0.113.0/24"),
            ]
        }
    )
    found = checks(run(snap), "wide-public-cidr")
    assert found[0].details["cidrs"] == ["198.51.0.0/16"]
    assert found[0].severity is Severity.HIGH  # capped


def test_configurable_port_lists_and_rule_limit():
    snap = world(
        {WEB: [(IN, "tcp", 8443, 8443, "0.0.0.0/0"), (IN, "tcp", 1433, 1433, "0.0.0.0/0")]}
    )
    found = checks(run(snap, risky_ports=parse_ports("tcp/8000-9000")), "internet-risky-port")
    assert found[0].details["services"] == ["tcp/8000-9000"]
    assert checks(run(snap, max_rules=1), "too-many-rules")


# -- redundancy -------------------------------------------------------------------------------


def test_redundant_and_shadowed_rules_can_be_removed_together(snap):
    """Removing every reported rule and redundant group leaves every interface's policy
    exactly as it was (compared as unions of rectangles, both ways)."""
    findings = audit([(MAIN, snap)])
    gone = {
        r for f in findings if f.check in ("redundant-rule", "shadowed-rule") for r in f.rule_ids
    }
    dropped = {f.resource_id for f in findings if f.check == "redundant-group"}
    assert gone and dropped == {SG["web-old"]}
    after = dataclasses.replace(
        snap,
        rules=tuple(r for r in snap.rules if r.rule_id not in gone),
        interfaces=tuple(
            dataclasses.replace(
                e, group_ids=tuple(g for g in e.group_ids if g not in dropped) or e.group_ids
            )
            for e in snap.interfaces
        ),
    )
    before_p, after_p = effective_policies(snap), effective_policies(after)
    for eni_id, policy in before_p.items():
        for side in ("ingress", "egress"):
            old = [Rect.of(e) for e in getattr(policy, side)]
            new = [Rect.of(e) for e in getattr(after_p[eni_id], side)]
            assert all(rect_covered(r, [o for o in new if o.family == r.family]) for r in old)
            assert all(rect_covered(r, [o for o in old if o.family == r.family]) for r in new)


def test_fixture_findings(store):
    snaps = [(s, snapshot_of(store, s)) for s in (MAIN, PEER)]
    findings = audit(snaps)
    by = {(f.check, f.resource_id) for f in findings}
    assert ("internet-admin-port", SG["web"]) in by  # tcp 0-1024 from 0.0.0.0/0
    assert ("internet-admin-port", SG["admin"]) in by  # RDP via a prefix list of 0.0.0.0/0
    assert ("internet-risky-port", SG["db"]) in by  # single-port 1433 and 9200 (IPv6)
    assert ("default-group-has-rules", SG["default"]) in by
    assert ("default-group-in-use", SG["default"]) in by
    assert ("unused-group", SG["unused-tools"]) in by
    assert ("stale-reference", SG["partner"]) in by
    assert ("unknown-reference", SG["partner"]) in by  # another account, not imported
    assert ("redundant-group", SG["web-old"]) in by
    assert ("rule-without-description", SG["db"]) in by
    # referenced from another imported account: not unused
    assert ("unused-group", "sg-0b0b0b0b0b0b0b0b1") not in by
    web = next(
        f for f in findings if f.check == "internet-admin-port" and f.resource_id == SG["web"]
    )
    assert web.severity is Severity.CRITICAL and "internet gateway" in web.details["exposure"]
    rdp = next(
        f for f in findings if f.check == "internet-admin-port" and f.resource_id == SG["admin"]
    )
    assert rdp.severity is Severity.MEDIUM  # db1 and the spare interface are private


def test_fail_on_threshold():
    findings = run(world({WEB: [(IN, "tcp", 22, 22, "0.0.0.0/0")]}, public=False))
    assert fails(findings, Severity.MEDIUM) and not fails(findings, Severity.HIGH)
    assert not fails(findings, None)


# -- SARIF ---------------------------------------------------------------------------------------


def test_sarif_structure(snap):
    findings = audit([(MAIN, snap)])
    doc = to_sarif(findings)
    assert doc["version"] == "2.1.0" and doc["$schema"].endswith("sarif-2.1.0.json")
    (run_,) = doc["runs"]
    driver = run_["tool"]["driver"]
    assert driver["name"] == "stockade"
    ids = [r["id"] for r in driver["rules"]]
    assert ids == list(CHECKS) and len(set(ids)) == len(ids)
    for rule in driver["rules"]:
        assert rule["shortDescription"]["text"] and rule["defaultConfiguration"]["level"] in (
            "error",
            "warning",
            "note",
        )
    assert len(run_["results"]) == len(findings)
    for result in run_["results"]:
        assert ids[result["ruleIndex"]] == result["ruleId"]
        assert result["level"] in ("error", "warning", "note", "none")
        assert result["message"]["text"]
        (location,) = result["locations"]
        logical = location["logicalLocations"][0]
        assert logical["fullyQualifiedName"].startswith("arn:aws:ec2:us-east-1:111122223333:")
        assert result["partialFingerprints"]
    json.dumps(doc)  # serialisable


# -- the command -------------------------------------------------------------------------------


def test_cli_audit_formats_and_gate(cli):
    cli("import", "aws", FIXTURES)
    table = cli("audit").stdout
    assert "internet-admin-port" in table and "critical" in table
    data = json.loads(cli("audit", "--format", "json").stdout)
    assert data["summary"]["critical"] >= 1 and {s["account"] for s in data["scopes"]} == {
        MAIN.account,
        PEER.account,
    }
    assert json.loads(cli("audit", "--format", "sarif").stdout)["version"] == "2.1.0"
    cli("audit", "--fail-on", "critical", code=1)
    cli("audit", "--fail-on", "critical", "--account", PEER.account)  # only low findings
    only_peer = json.loads(cli("audit", "--format", "json", "--account", PEER.account).stdout)
    assert {f["resource"]["account"] for f in only_peer["findings"]} == {PEER.account}
    cli("audit", "--fail-on", "urgent", code=1)
    cli("audit", "--risky-ports", "tcp/99999", code=1)


def test_a_self_reference_does_not_make_a_group_used():
    lonely = group_id("lonely")
    snap = world(
        {WEB: [(IN, "tcp", 443, 443, "0.0.0.0/0")], lonely: [(IN, "-1", -1, -1, lonely)]},
        attached={"a": [WEB]},
    )
    assert [f.resource_id for f in checks(run(snap), "unused-group")] == [lonely]
