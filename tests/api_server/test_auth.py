"""``--auth FILE``: SigV4 verified, 401 for bad or missing signatures, accounts isolated."""

from __future__ import annotations

import boto3
import botocore
import pytest
from api_server.api_helpers import raw
from botocore.config import Config
from botocore.exceptions import ClientError

from stockade.api.auth import AuthConfig


def signed(endpoint: str, key: str, secret: str, **config):
    return boto3.client(
        "ec2",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key=secret,
        config=Config(retries={"max_attempts": 1, "mode": "standard"}, **config),
    )


def test_good_key_works_and_maps_to_its_account(verified_endpoint):
    ec2 = signed(verified_endpoint, "AKIDALICE", "alice-secret")
    [vpc] = ec2.describe_vpcs()["Vpcs"]
    assert vpc["OwnerId"] == "111111111111"
    sts = boto3.client(
        "sts",
        endpoint_url=verified_endpoint,
        region_name="us-east-1",
        aws_access_key_id="AKIDALICE",
        aws_secret_access_key="alice-secret",
    )
    assert sts.get_caller_identity()["Account"] == "111111111111"


@pytest.mark.parametrize("key, secret", [("AKIDALICE", "wrong"), ("AKIDNOBODY", "x")])
def test_bad_credentials_are_401_auth_failure(verified_endpoint, key, secret):
    with pytest.raises(ClientError) as info:
        signed(verified_endpoint, key, secret).describe_vpcs()
    response = info.value.response
    assert response["Error"]["Code"] == "AuthFailure"
    assert response["Error"]["Message"] == (
        "AWS was not able to validate the provided access credentials"
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 401


def test_unsigned_requests_are_401(verified_endpoint):
    unsigned = signed(verified_endpoint, "x", "y", signature_version=botocore.UNSIGNED)
    with pytest.raises(ClientError) as info:
        unsigned.describe_vpcs()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 401
    status, body = raw(verified_endpoint, "Action=DescribeVpcs")
    assert status == 401 and "<Code>AuthFailure</Code>" in body
    status, body = raw(
        verified_endpoint,
        "Action=DescribeVpcs",
        headers={"Authorization": "AWS4-HMAC-SHA256 garbage"},
    )
    assert status == 401


def test_two_accounts_are_isolated(verified_endpoint):
    alice = signed(verified_endpoint, "AKIDALICE", "alice-secret")
    bob = signed(verified_endpoint, "AKIDBOB", "bob-secret")
    gid = alice.create_security_group(GroupName="private", Description="d")["GroupId"]
    assert gid not in {g["GroupId"] for g in bob.describe_security_groups()["SecurityGroups"]}
    for call in (
        lambda: bob.describe_security_groups(GroupIds=[gid]),
        lambda: bob.delete_security_group(GroupId=gid),
        lambda: bob.create_tags(Resources=[gid], Tags=[{"Key": "a", "Value": "b"}]),
    ):
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
    assert alice.describe_security_groups(GroupIds=[gid])["SecurityGroups"][0]["Tags"] == []


def test_auth_file_errors_are_reported(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"AKID": {"secret": "s", "account": "12"}}')
    with pytest.raises(ValueError, match="12 digits"):
        AuthConfig.load(bad)
    with pytest.raises(ValueError, match="cannot read"):
        AuthConfig.load(tmp_path / "missing.json")


def test_the_aws_cli_signs_correctly(verified_endpoint, aws):
    result = aws(
        "ec2",
        "describe-vpcs",
        endpoint_url=False,
        extra_env={
            "AWS_ENDPOINT_URL_EC2": verified_endpoint,
            "AWS_ACCESS_KEY_ID": "AKIDBOB",
            "AWS_SECRET_ACCESS_KEY": "bob-secret",
        },
    )
    assert '"OwnerId": "222222222222"' in result.stdout
    bad = aws(
        "ec2",
        "describe-vpcs",
        ok=False,
        endpoint_url=False,
        extra_env={
            "AWS_ENDPOINT_URL_EC2": verified_endpoint,
            "AWS_ACCESS_KEY_ID": "AKIDBOB",
            "AWS_SECRET_ACCESS_KEY": "nope",
        },
    )
    assert "(AuthFailure)" in bad.stderr
