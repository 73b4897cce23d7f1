"""``stockade exposure``, ``reach`` and ``audit`` on the seed scenario once a network ACL
denies HTTP into the public subnet: web's port 80 is open in its group but not exposed."""

from __future__ import annotations

import json

from cli.test_check import seeded  # noqa: F401 - the seed scenario in a real store
from typer.testing import CliRunner

from stockade.cli.main import app


def cli(*args: str) -> str:
    result = CliRunner().invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.stdout


def _deny_http(seed) -> str:
    acl = json.loads(cli("nacl", "create", "--vpc", seed.vpc_id, "--json"))["NetworkAclId"]
    cli(
        "nacl",
        "add-entry",
        acl,
        "90",
        "--cidr",
        "0.0.0.0/0",
        "--protocol",
        "tcp",
        "--ports",
        "80",
        "--action",
        "deny",
    )
    cli("nacl", "add-entry", acl, "100", "--cidr", "0.0.0.0/0", "--protocol", "-1")
    cli("nacl", "add-entry", acl, "100", "--egress", "--cidr", "0.0.0.0/0", "--protocol", "-1")
    cli("nacl", "associate", acl, "--subnet", seed.subnet_id)
    return acl


def test_exposure_and_reach_leave_out_what_the_acl_denies(seeded):  # noqa: F811
    ctx, seed = seeded
    before = json.loads(cli("reach", "--from", "internet", "--to", "web", "--json"))
    assert any(r["text"] == "tcp/80" for v in before for r in v["ranges"])
    acl = _deny_http(seed)
    [web] = [
        f
        for f in json.loads(cli("exposure", "--all", "--json"))
        if f["resource"]["instance_id"] == seed.instances["web"]
    ]
    http = [
        d
        for d in web["networkReachabilityDetails"]
        if d["openPortRange"] == {"begin": 80, "end": 80}
    ]
    assert http and not http[0]["exposed"]
    assert (
        http[0]["deniedByNetworkAcl"] == f"denied by {acl} inbound #90 deny tcp/80 from 0.0.0.0/0"
    )
    assert "tcp/80 (denied by network ACL)" in cli("exposure", "--all")
    after = json.loads(cli("reach", "--from", "internet", "--to", "web", "--json"))
    v4 = next(r for r in after if r["address_family"] == "IPv4")
    assert "tcp/80" not in [r["text"] for r in v4["ranges"]]
    [denial] = v4["network_acl_denials"]
    assert denial["explanation_code"] == "SUBNET_ACL_RESTRICTION"
    assert "tcp/80 denied by" in denial["message"] and "#90" in denial["message"]
    assert "SUBNET_ACL_RESTRICTION: tcp/80 denied by" in cli(
        "reach", "--from", "internet", "--to", "web"
    )


def test_audit_reports_the_acls_and_sarif_carries_them(seeded):  # noqa: F811
    ctx, seed = seeded
    acl = _deny_http(seed)
    found = json.loads(cli("audit", "--format", "json"))
    findings = found["findings"] if isinstance(found, dict) else found
    mine = [f for f in findings if f["resource"]["id"] == acl]
    assert {f["check"] for f in mine} == {"network-acl-admin-port", "network-acl-all-ports"}
    sarif = json.loads(cli("audit", "--format", "sarif"))
    assert any(r["ruleId"].startswith("network-acl-") for r in sarif["runs"][0]["results"])
