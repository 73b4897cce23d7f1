"""Prowler's EC2 security-group and network checks against a seeded stockade, compared with
``stockade audit`` on the same store (the differences, and why, are in docs/prowler.md).

Prowler runs in its own virtualenv (its pinned botocore clashes with ours): ``.ci/run``
installs it and sets ``STOCKADE_PROWLER``; without it the test skips, saying so. Server and
Prowler run inside ``unshare --net`` — a network namespace with only loopback — so nothing
Prowler tries (its version check included) can leave the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
#: Prowler's EC2 security-group and network checks (``prowler aws --list-checks -s ec2 vpc``,
#: those about groups, network ACLs, exposure, subnets and flow logs; not Shodan's, which
#: needs the internet)
CHECKS = [
    f"ec2_securitygroup_allow_ingress_from_internet_to_{suffix}"
    for suffix in (
        "all_ports",
        "any_port",
        "any_port_from_ip",
        "high_risk_tcp_ports",
        "tcp_port_22",
        "tcp_port_3389",
        "tcp_port_mysql_3306",
        "tcp_port_postgres_5432",
        "tcp_port_redis_6379",
        "tcp_port_telnet_23",
    )
] + [
    "ec2_securitygroup_allow_wide_open_public_ipv4",
    "ec2_securitygroup_default_restrict_traffic",
    "ec2_securitygroup_from_launch_wizard",
    "ec2_securitygroup_not_used",
    "ec2_securitygroup_with_many_ingress_egress_rules",
    "ec2_networkacl_allow_ingress_any_port",
    "ec2_networkacl_allow_ingress_tcp_port_22",
    "ec2_networkacl_allow_ingress_tcp_port_3389",
    "ec2_networkacl_unused",
    "ec2_instance_port_ssh_exposed_to_internet",
    "ec2_instance_port_rdp_exposed_to_internet",
    "ec2_instance_public_ip",
    "ec2_elastic_ip_unassigned",
    "vpc_flow_logs_enabled",
    "vpc_subnet_different_az",
    "vpc_subnet_no_public_ip_by_default",
    "vpc_subnet_separate_private_public",
    "vpc_peering_routing_tables_with_least_privilege",
]


def _prowler() -> str:
    for found in (
        os.environ.get("STOCKADE_PROWLER"),
        str(HERE.parents[1] / ".prowler-venv" / "bin" / "prowler"),
        shutil.which("prowler"),
    ):
        if found and os.access(found, os.X_OK):
            return found
    pytest.skip(
        "Prowler is not installed: .ci/run installs it in its own virtualenv and sets "
        "STOCKADE_PROWLER (pip install prowler failed or was not run)"
    )


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> dict:
    prowler = _prowler()
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("needs root and unshare(1) to run Prowler in a loopback-only namespace")
    work = tmp_path_factory.mktemp("prowler")
    harness = [sys.executable, str(HERE / "prowler_world.py"), str(work), prowler, *CHECKS]
    done = subprocess.run(
        ["unshare", "--net", *harness], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    result = json.loads((work / "result.json").read_text())
    result["prowler_log"] = (work / "prowler.log").read_text()
    findings = json.loads((work / "out" / "findings.ocsf.json").read_text())
    audit = subprocess.run(
        [sys.executable, "-m", "stockade.cli.main", "audit", "--db", str(work / "store.db")]
        + ["--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert audit.returncode == 0, audit.stderr
    result["findings"] = findings
    result["audit"] = json.loads(audit.stdout)["findings"]
    return result


def _failed(run: dict, check: str) -> set[str]:
    """Ids of the resources Prowler's ``check`` failed."""
    return {
        f["resources"][0]["uid"].rsplit("/", 1)[-1]
        for f in run["findings"]
        if f["metadata"]["event_code"] == check and f["status_code"] == "FAIL"
    }


def _passed(run: dict, check: str) -> set[str]:
    return {
        f["resources"][0]["uid"].rsplit("/", 1)[-1]
        for f in run["findings"]
        if f["metadata"]["event_code"] == check and f["status_code"] == "PASS"
    }


def _audited(run: dict, *checks: str) -> set[str]:
    return {f["resource"]["id"] for f in run["audit"] if f["check"] in checks}


def test_every_call_prowler_made_was_answered(run):
    assert run["refused"] == {"count": 0, "actions": {}}, run["refused"]
    assert run["prowler_exit"] in (0, 3), run["prowler_log"][-3000:]  # 3: some FAIL
    assert len(run["findings"]) > 50  # the checks really ran over the seeded state


def test_internet_exposed_groups_agree(run):
    """The demo's ``web`` group lets tcp/8080 in from anywhere: both say so."""
    web = run["groups"]["web"]
    assert _failed(run, "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_tcp_ports") == {
        web
    }
    assert _audited(run, "internet-risky-port") == {web}
    ssh = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
    assert _failed(run, ssh) == set() == _audited(run, "internet-admin-port")  # /32 only


def test_network_acls_open_to_the_internet_agree(run):
    """Every ACL allowing all traffic from 0.0.0.0/0 (the default ones and the demo's
    public one): Prowler fails each; stockade's audit names the same ACLs (graded by
    what the groups behind them let through)."""
    any_port = _failed(run, "ec2_networkacl_allow_ingress_any_port")
    assert any_port and any_port == _audited(run, "network-acl-all-ports")
    assert _failed(run, "ec2_networkacl_allow_ingress_tcp_port_22") == _audited(
        run, "network-acl-admin-port"
    )


def test_the_flow_log_resource_satisfies_prowler(run):
    """DescribeFlowLogs{resource-id} answers from the stored flow log of the demo VPC."""
    assert run["vpc_id"] in _passed(run, "vpc_flow_logs_enabled")
    assert run["vpc_id"] not in _failed(run, "vpc_flow_logs_enabled")
