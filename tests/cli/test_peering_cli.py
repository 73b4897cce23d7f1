"""``stockade peering`` on a real store, two accounts (``--account``): request, accept,
list, show, reject, delete, and one-line AWS errors. The flows take their accounts as
arguments, so tests/api_server runs them through a server with fresh accounts."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app

ALICE, BOB = "111111111111", "222222222222"


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def js(result) -> object:
    return json.loads(result.stdout)


def vpc(run, account: str, cidr: str) -> str:
    return js(run("vpc", "create", cidr, "--account", account, "--json"))["VpcId"]


def test_peering_between_two_accounts(run, ALICE: str = ALICE, BOB: str = BOB):  # noqa: N803
    a, b = vpc(run, ALICE, "10.1.0.0/16"), vpc(run, BOB, "10.2.0.0/16")
    created = js(run("peering", "create", "--vpc", a, "--peer-vpc", b, "--peer-account", BOB,
                     "--name", "a-b", "--account", ALICE, "--json"))  # fmt: skip
    pid = created["VpcPeeringConnectionId"]
    assert created["Status"]["Code"] == "pending-acceptance"
    refused = run("peering", "accept", pid, "--account", ALICE, ok=False)
    assert refused.exit_code == 1 and "OperationNotPermitted" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    accepted = run("peering", "accept", pid, "--account", BOB)
    assert f"accepted {pid}: active" in accepted.stdout
    listed = run("peering", "list", "--account", ALICE)
    assert pid in listed.stdout and "a-b" in listed.stdout and "active" in listed.stdout
    shown = run("peering", "show", pid, "--account", BOB)
    assert "10.1.0.0/16" in shown.stdout and "10.2.0.0/16" in shown.stdout
    deleted = js(run("peering", "delete", pid, "--account", BOB, "--json"))
    assert deleted["Status"] == {"Code": "deleted", "Message": f"Deleted by {BOB}"}


def test_reject_and_errors(run, ALICE: str = ALICE):  # noqa: N803
    a, b = vpc(run, ALICE, "10.1.0.0/16"), vpc(run, ALICE, "10.2.0.0/16")
    pid = js(run("peering", "create", "--vpc", a, "--peer-vpc", b, "--account", ALICE,
                 "--json"))["VpcPeeringConnectionId"]  # fmt: skip
    assert "rejected" in run("peering", "reject", pid, "--account", ALICE).stdout
    again = run("peering", "accept", pid, "--account", ALICE, ok=False)
    assert again.exit_code == 1 and "InvalidStateTransition" in again.stderr
    bad = run("peering", "show", "pcx-nope", "--account", ALICE, ok=False)
    assert bad.exit_code == 1 and "InvalidVpcPeeringConnectionId.Malformed" in bad.stderr
    overlap = js(run("peering", "create", "--vpc", a, "--peer-vpc",
                     vpc(run, ALICE, "10.1.0.0/17"), "--account", ALICE, "--json"))  # fmt: skip
    assert overlap["Status"]["Code"] == "failed"
