"""Run Ansible playbooks against a real ``stockade serve`` inside a loopback-only namespace.

Started by tests/clients/test_ansible.py as ``unshare --net -- python ansible_world.py
REPORT PLAYBOOK...``: the new network namespace has only ``lo``, so the server and every
module Ansible runs share it and no call can leave the machine. The script brings ``lo``
up, serves a fresh store on 127.0.0.1, runs each playbook in turn with Ansible's JSON
callback, then describes what is left, and writes one JSON report for the test to judge
(the test process itself stays in the host's namespace, where the server is unreachable).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

from api_server.api_helpers import client
from api_server.serve_process import serve

ACCOUNT = "123456789012"
PLAYBOOK_TIMEOUT = 180  # x4 playbooks stays inside the test's 840 s


def _task_results(output: dict) -> list[dict]:
    """One row per task: its name and whether it changed or failed (loops folded in)."""
    rows = []
    for play in output.get("plays", []):
        for task in play["tasks"]:
            result = task["hosts"].get("localhost", {})
            items = result.get("results") or [result]
            rows.append(
                {
                    "name": task["task"]["name"],
                    "changed": any(i.get("changed", False) for i in items),
                    "failed": any(i.get("failed", False) for i in items),
                    "msg": " | ".join(str(i.get("msg", "")) for i in items if i.get("failed")),
                    "security_groups": result.get("security_groups"),
                }
            )
    return rows


def _run_playbook(playbook: Path, endpoint: str, home: Path) -> dict:
    env = {
        **os.environ,
        "STOCKADE_ENDPOINT": endpoint,
        "AWS_ACCESS_KEY_ID": ACCOUNT,
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(home / "aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
        "ANSIBLE_HOME": str(home),
        "ANSIBLE_LOCAL_TEMP": str(home / "tmp"),
        "ANSIBLE_STDOUT_CALLBACK": "ansible.posix.json",
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_RETRY_FILES_ENABLED": "0",
        "ANSIBLE_LOCALHOST_WARNING": "0",
        "ANSIBLE_INVENTORY_UNPARSED_WARNING": "0",
    }
    command = [
        str(Path(sys.executable).with_name("ansible-playbook")),
        "-i", "localhost,",
        "-e", f"ansible_python_interpreter={sys.executable}",
        str(playbook),
    ]  # fmt: skip
    # Its own process group, so that a hung run is ended with every module it started.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        stdout, stderr = process.communicate(timeout=PLAYBOOK_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        stderr += f"\nansible-playbook killed after {PLAYBOOK_TIMEOUT} s"
    done = subprocess.CompletedProcess(command, process.returncode, stdout, stderr)
    try:
        output = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        output = {}
    return {
        "playbook": playbook.name,
        "rc": done.returncode,
        "tasks": _task_results(output),
        "stats": output.get("stats", {}).get("localhost", {}),
        "stderr": done.stderr[-3000:],
        "stdout": "" if output else done.stdout[-3000:],
    }


def _remaining(endpoint: str) -> dict:
    """What the account holds after the runs, in the terms the test checks."""
    ec2 = client(endpoint, ACCOUNT)
    live = {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}
    reservations = ec2.describe_instances(Filters=[live])["Reservations"]
    return {
        "vpcs": [(v["VpcId"], v["IsDefault"]) for v in ec2.describe_vpcs()["Vpcs"]],
        "groups": [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]],
        "subnets": [s["DefaultForAz"] for s in ec2.describe_subnets()["Subnets"]],
        "internet_gateways": [
            [a["VpcId"] for a in g["Attachments"]]
            for g in ec2.describe_internet_gateways()["InternetGateways"]
        ],
        "route_tables": [
            any(a["Main"] for a in t["Associations"])
            for t in ec2.describe_route_tables()["RouteTables"]
        ],
        "network_acls": [a["IsDefault"] for a in ec2.describe_network_acls()["NetworkAcls"]],
        "network_interfaces": [
            n["NetworkInterfaceId"] for n in ec2.describe_network_interfaces()["NetworkInterfaces"]
        ],
        "addresses": [a["PublicIp"] for a in ec2.describe_addresses()["Addresses"]],
        "instances": [i["InstanceId"] for r in reservations for i in r["Instances"]],
    }


def main(report: Path, playbooks: list[Path]) -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    with tempfile.TemporaryDirectory(prefix="stk-ansible-") as tmp:
        home = Path(tmp)
        (home / "tmp").mkdir()
        with serve(home) as server:
            runs = [_run_playbook(p, server.url, home) for p in playbooks]
            after = _remaining(server.url)
    report.write_text(json.dumps({"runs": runs, "after": after}, indent=1))


if __name__ == "__main__":
    main(Path(sys.argv[1]), [Path(p) for p in sys.argv[2:]])
