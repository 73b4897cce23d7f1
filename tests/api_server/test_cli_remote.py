"""The stockade CLI with ``--endpoint``: the same flows as tests/cli, through a live server."""

from __future__ import annotations

import json

import pytest
from cli import test_cli as local  # the local-store CLI flows, reused unchanged
from cli import test_gateways_cli as gateways_cli
from cli import test_peering_cli as local_peering
from typer.testing import CliRunner

from stockade.cli.main import app


@pytest.fixture
def run(tmp_path, monkeypatch, endpoint, account):
    """``stockade ...`` acting through the server, as ``account``; no local store is used."""
    monkeypatch.setenv("STOCKADE_ENDPOINT", endpoint)
    monkeypatch.setenv("STOCKADE_ACCOUNT", account)
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "never-created.db"))
    monkeypatch.delenv("AWS_ACCESS_KEY_ID", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    yield invoke
    assert not (tmp_path / "never-created.db").exists()


@pytest.fixture
def vpc(run) -> str:
    return json.loads(run("vpc", "create", "10.0.0.0/16", "--internet-gateway", "--json").stdout)[
        "VpcId"
    ]


def test_group_lifecycle(run, vpc):
    local.test_group_lifecycle_with_services_and_ports(run, vpc)


def test_well_known_service(run, vpc):
    local.test_well_known_services_by_name(run, vpc, "https", "tcp", 443)


def test_errors_are_the_same_one_line(run, vpc):
    local.test_errors_are_one_line_with_the_aws_code(run, vpc)


def test_instances(run, vpc):
    local.test_source_group_by_name_and_instances(run, vpc)


def test_prefix_lists(run):
    local.test_prefix_lists(run)


def test_option_and_account(run, endpoint, ec2, account):
    """``--endpoint`` on the command line; the server sees the CLI's account."""
    result = run("sg", "create", "via-option", "--endpoint", endpoint, "--json")
    gid = json.loads(result.stdout)["GroupId"]
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["OwnerId"] == account
    listed = json.loads(run("sg", "list", "--json").stdout)
    assert gid in {g["GroupId"] for g in listed}


def test_unreachable_server_is_one_line(run):
    result = run("vpc", "list", "--endpoint", "http://127.0.0.1:9", ok=False)
    assert result.exit_code == 1 and "error: Unavailable:" in result.stderr


@pytest.fixture
def v6_vpc(run) -> str:
    created = run("vpc", "create", "10.0.0.0/16", "--ipv6", "--internet-gateway", "--json")
    return json.loads(created.stdout)["VpcId"]


def test_elastic_ips(run, v6_vpc):
    gateways_cli.test_elastic_ip_flow(run, v6_vpc)


def test_nat_and_egress_only_gateways(run, v6_vpc):
    gateways_cli.test_nat_and_egress_only_gateway_flow(run, v6_vpc)


def test_vpc_attributes(run, v6_vpc):
    gateways_cli.test_vpc_attribute_flow(run, v6_vpc)


def test_peering_flows(run, account):
    other = str(int(account) + 500000000000)  # apart from the conftest's accounts
    local_peering.test_peering_between_two_accounts(run, account, other)
    local_peering.test_reject_and_errors(run, other)


def test_a_request_botocore_refuses_to_send_is_the_api_error_not_unavailable(endpoint, account):
    """botocore validates parameters before sending: that is a bad request, not a server
    that cannot be reached."""
    from stockade.domain.errors import AwsError
    from stockade.remote.client import Remote, make_client

    remote = Remote(make_client(endpoint, account, "us-east-1"), account, "us-east-1")
    with pytest.raises(AwsError) as too_few:
        remote.call("describe_vpcs", MaxResults=1)
    assert too_few.value.code == "InvalidParameterValue"
    assert "MaxResults" in too_few.value.message and "\n" not in too_few.value.message
    with pytest.raises(AwsError) as missing:
        remote.call("create_security_group", GroupName="no-description")
    assert missing.value.code == "MissingParameter"
    assert "Description" in missing.value.message
