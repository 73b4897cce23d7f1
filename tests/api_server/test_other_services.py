"""Calls for services stockade does not serve (issue 14): each SDK gets an error it can
parse, in its own protocol, with a 4xx status (no retries) and a log line — never an EC2
document it cannot read, nor a bare 404. STS GetCallerIdentity stays served."""

from __future__ import annotations

import logging

import pytest
from api_server.api_helpers import client, raw
from botocore.exceptions import ClientError


def _refused(call, *args, **params) -> dict:
    with pytest.raises(ClientError) as info:
        call(*args, **params)
    response = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, response
    assert "stockade serves EC2 and STS GetCallerIdentity only" in response["Error"]["Message"]
    return response["Error"]


@pytest.mark.parametrize(
    ("service", "call", "params", "code"),
    [
        ("iam", "get_user", {}, "InvalidAction"),  # Query protocol
        (
            "sts",
            "assume_role",
            {"RoleArn": "arn:aws:iam::1:role/x", "RoleSessionName": "session"},
            "InvalidAction",
        ),
        ("logs", "describe_log_groups", {}, "UnknownOperationException"),  # JSON 1.1
        ("dynamodb", "list_tables", {}, "UnknownOperationException"),  # JSON 1.0
        ("lambda", "list_layers", {}, "UnknownOperationException"),  # REST-JSON (functions: empty)
        ("s3", "list_buckets", {}, "UnknownOperationException"),  # REST-XML
        ("s3", "get_bucket_policy", {"Bucket": "b"}, "UnknownOperationException"),
        ("route53", "list_hosted_zones", {}, "UnknownOperationException"),
    ],
)
def test_another_services_call_gets_its_protocols_error(
    endpoint, account, caplog, service, call, params, code
):
    other = client(endpoint, account, service)
    with caplog.at_level(logging.WARNING, logger="stockade.api"):
        error = _refused(getattr(other, call), **params)
    assert error["Code"] == code
    assert any(r.getMessage().startswith(f"not served: {service} ") for r in caplog.records), (
        caplog.text
    )


def test_served_calls_are_unchanged(endpoint, account, ec2):
    sts = client(endpoint, account, "sts")
    assert sts.get_caller_identity()["Account"] == account
    assert ec2.describe_vpcs()["Vpcs"]
    # an unknown EC2 action is still EC2's own error
    status, text = raw(endpoint, "Action=DescribeNothing&Version=2016-11-15")
    assert status == 400 and "<Response><Errors><Error><Code>InvalidAction</Code>" in text


def test_verified_mode_answers_other_services_too(verified_endpoint):
    iam = client(verified_endpoint, "AKIDALICE", "iam")
    iam._request_signer._credentials.secret_key = "alice-secret"
    assert _refused(iam.list_roles)["Code"] == "InvalidAction"
