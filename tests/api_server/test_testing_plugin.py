"""The pytest plugin for users (``stockade.testing``), as a user runs it: a test file of
theirs in a pytest subprocess, with ``-p stockade.testing`` and through the entry point."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

USER_TESTS = textwrap.dedent(
    """
    import boto3
    import pytest
    from botocore.exceptions import ClientError

    import stockade.testing


    def test_a_group_with_aws_rules(stockade_server):
        ec2 = stockade_server.ec2
        vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
        group = ec2.create_security_group(GroupName="web", Description="w", VpcId=vpc)["GroupId"]
        rule = [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
                 "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
        with pytest.raises(ClientError) as info:  # AWS's rule: the same rule twice
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=rule)
        assert info.value.response["Error"]["Code"] == "InvalidPermission.Duplicate"


    def test_each_test_gets_a_fresh_store(stockade_ec2):
        groups = stockade_ec2.describe_security_groups()["SecurityGroups"]
        assert {g["GroupName"] for g in groups} == {"default"}


    def test_the_environment_points_the_code_under_test_at_the_server(stockade_server):
        own = boto3.client("ec2")  # what code under test does: no endpoint given
        assert own.meta.endpoint_url == stockade_server.endpoint
        assert own.describe_vpcs()["Vpcs"][0]["IsDefault"] is True
        identity = boto3.client("sts").get_caller_identity()
        assert identity["Account"] == stockade_server.account


    def test_the_context_manager():
        with stockade.testing.server() as ec2:
            assert ec2.meta.endpoint_url.startswith("http://127.0.0.1:")
            with pytest.raises(ClientError) as info:
                ec2.create_vpc(CidrBlock="10.0.0.0/8")  # AWS allows /16 to /28
            assert info.value.response["Error"]["Code"] == "InvalidVpc.Range"
    """
)


def _pytest(tmp_path: Path, *options: str, autoload: bool = True) -> subprocess.CompletedProcess:
    (tmp_path / "test_user_code.py").write_text(USER_TESTS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PYTEST_"))}
    if not autoload:
        env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *options]
    return subprocess.run(
        [*command, "test_user_code.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )


@pytest.mark.parametrize(
    ("options", "autoload"),
    [(("-p", "stockade.testing"), False), ((), True), (("-p", "stockade.testing"), True)],
    ids=["dash-p", "entry-point", "both"],
)
def test_a_users_tests_run_against_a_real_server(tmp_path, options, autoload):
    result = _pytest(tmp_path, *options, autoload=autoload)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 passed" in result.stdout


def test_without_the_plugin_the_fixtures_are_missing(tmp_path):
    """The check above can fail: without the plugin pytest finds no fixture."""
    result = _pytest(tmp_path, autoload=False)
    assert result.returncode != 0
    assert "fixture 'stockade_server' not found" in result.stdout
