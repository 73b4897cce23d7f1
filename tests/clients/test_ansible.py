"""Ansible's amazon.aws modules, unchanged, against a real ``stockade serve``.

playbooks/site.yml builds a VPC (with an Amazon IPv6 block), a subnet, an internet gateway,
a route table, a network ACL, two security groups referencing each other, two instances (one
in the default VPC, found with no subnet given), an extra interface and an elastic IP. It
runs twice: the first run must succeed and change every task, the second must change nothing
(the modules decide "no change" from stockade's Describe answers, so any missing or extra
field shows up here).
playbooks/change.yml then changes a group rule, an ACL entry and a subnet attribute, and must
change exactly those. playbooks/teardown.yml removes everything, and the account must be left
with its defaults. (Each ansible-playbook run costs ~20 s, so the suite keeps to these four.)

Everything runs inside ``unshare --net`` (ansible_world.py): a namespace with only loopback,
so no call can leave the machine.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).parent
PLAYBOOKS = HERE / "playbooks"
RUNS = ["site.yml", "site.yml", "change.yml", "teardown.yml"]

pytestmark = pytest.mark.timeout(900)


def _ansible_missing() -> str | None:
    if not Path(sys.executable).with_name("ansible-playbook").exists():
        return "ansible is not installed in this environment (pip install 'ansible>=12,<13')"
    if shutil.which("unshare") is None:
        return "unshare (util-linux) is missing: no loopback-only namespace to run Ansible in"
    return None


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> dict:
    reason = _ansible_missing()
    if reason:
        pytest.skip(reason)
    out = tmp_path_factory.mktemp("ansible") / "report.json"
    tests_dir = str(HERE.parent)
    # A session of its own: if the run hangs, the whole tree (server, ansible-playbook and
    # its modules, all in the namespace) is ended, not just the driver.
    command = ["unshare", "--net", "--", sys.executable, str(HERE / "ansible_world.py"),
               str(out), *(str(PLAYBOOKS / name) for name in RUNS)]  # fmt: skip
    process = subprocess.Popen(
        command,
        env={**_clean_env(), "PYTHONPATH": tests_dir},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        _, stderr = process.communicate(timeout=840)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise
    done = subprocess.CompletedProcess(command, process.returncode, "", stderr)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(out.read_text())


def _clean_env() -> dict[str, str]:
    """The environment without the caller's AWS and Ansible settings (none may leak in)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ANSIBLE_"))}


def _failures(run: dict) -> list[str]:
    failed = [f"{t['name']}: {t['msg']}" for t in run["tasks"] if t["failed"]]
    if run["rc"] != 0 and not failed:
        failed.append(f"rc={run['rc']}: {run['stderr']} {run['stdout']}")
    return failed


def test_first_run_creates_everything(report):
    first = report["runs"][0]
    assert _failures(first) == []
    assert len(first["tasks"]) == 11
    assert [t["name"] for t in first["tasks"] if not t["changed"]] == []


def test_second_run_changes_nothing(report):
    second = report["runs"][1]
    assert _failures(second) == []
    assert [t["name"] for t in second["tasks"] if t["changed"]] == []
    assert second["stats"]["changed"] == 0 and second["stats"]["ok"] == 11


def test_a_change_is_seen_and_applied_exactly(report):
    change = report["runs"][2]
    assert _failures(change) == []
    changed = [t["name"] for t in change["tasks"] if t["changed"]]
    assert changed == [
        "subnet no longer maps public addresses",
        "network acl serves 8080 instead of 80",
        "web group takes ssh from another network",
    ]
    [group] = change["tasks"][-1]["security_groups"]
    ssh = [p for p in group["ip_permissions"] if p["from_port"] == 22]
    assert [r["cidr_ip"] for p in ssh for r in p["ip_ranges"]] == ["203.0.113.0/24"]


def test_teardown_leaves_only_the_defaults(report):
    teardown = report["runs"][3]
    assert _failures(teardown) == []
    deleted = {t["name"] for t in teardown["tasks"] if t["changed"]}
    assert {"terminate the instance", "delete the interface", "delete the vpc"} <= deleted
    after = report["after"]
    [(default_vpc, is_default)] = after["vpcs"]
    assert is_default
    assert after["groups"] == ["default"]
    assert after["subnets"] and all(after["subnets"])  # only the default-for-AZ subnets
    assert after["internet_gateways"] == [[default_vpc]]
    assert after["route_tables"] == [True]  # the default VPC's main table
    assert after["network_acls"] == [True]
    assert after["network_interfaces"] == [] and after["addresses"] == []
    assert after["instances"] == []
