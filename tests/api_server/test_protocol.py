"""The EC2 Query protocol itself: documents, statuses, GET, health, DryRun, STS, logging."""

from __future__ import annotations

import http.client
import json
import logging
import urllib.request
from urllib.parse import urlencode, urlparse

import boto3
import pytest
from api_server.api_helpers import client, raw
from api_server.serve_process import connect, post_head, read_answer
from botocore.exceptions import ClientError

from stockade.api import actions


def test_health(endpoint):
    with urllib.request.urlopen(f"{endpoint}/health") as response:
        data = json.loads(response.read())
    assert data["status"] == "ok" and isinstance(data["revision"], int)


def test_success_document_shape(endpoint):
    status, body = raw(endpoint, "Action=DescribeVpcs&Version=2016-11-15")
    assert status == 200
    assert '<DescribeVpcsResponse xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">' in body
    assert "<requestId>" in body and "<vpcSet><item>" in body


def test_error_document_uses_request_id_with_capital_id(endpoint):
    status, body = raw(endpoint, "Action=DescribeVpcs&Version=2016-11-15&VpcId.1=vpc-nope")
    assert status == 400
    assert body.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error>')
    assert "<Code>InvalidVpcID.Malformed</Code>" in body and "<RequestID>" in body


def test_get_with_query_string(endpoint):
    status, body = raw(endpoint, "Action=DescribeRegions&Version=2016-11-15", method="GET")
    assert status == 200 and "<regionName>us-east-1</regionName>" in body


@pytest.mark.parametrize(
    "body, code",
    [
        ("Version=2016-11-15", "MissingAction"),
        ("Action=FlyToTheMoon&Version=2016-11-15", "InvalidAction"),
        ("Action=DescribeVpcs&Bogus=1", "UnknownParameter"),
        ("Action=DescribeVpcs&MaxResults=many", "InvalidParameterValue"),
        ("Action=DeleteVpc", "MissingParameter"),
        ("Action=CreateTransitGateway", "UnsupportedOperation"),
        ("Action=DescribeVpcs&MaxResults=1", "InvalidParameterValue"),
        ("Action=DescribeVpcs&NextToken=garbage", "InvalidNextToken"),
        ("Action=DescribeVpcs&Filter.1.Name=color&Filter.1.Value.1=red", "InvalidParameterValue"),
    ],
)
def test_client_errors_are_4xx_documents(endpoint, body, code):
    status, text = raw(endpoint, body)
    assert status == 400, text
    assert f"<Code>{code}</Code>" in text


def test_unknown_filter_message(ec2):
    with pytest.raises(ClientError) as info:
        ec2.describe_security_groups(Filters=[{"Name": "colour", "Values": ["x"]}])
    assert info.value.response["Error"] == {
        "Code": "InvalidParameterValue",
        "Message": "The filter 'colour' is invalid",
    }


def test_dry_run_is_412_after_parameters_parse(ec2, rejected):
    with pytest.raises(ClientError) as info:
        ec2.create_security_group(GroupName="x", Description="d", DryRun=True)
    error = info.value.response
    assert error["Error"]["Code"] == "DryRunOperation"
    assert error["Error"]["Message"] == "Request would have succeeded, but DryRun flag is set."
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]] == ["default"]
    rejected("DryRunOperation", ec2.delete_vpc, VpcId="vpc-0123456789abcdef0", DryRun=True)


def test_dry_run_with_unparseable_parameters_is_the_parse_error(endpoint):
    status, text = raw(endpoint, "Action=DescribeVpcs&DryRun=true&MaxResults=x")
    assert status == 400 and "<Code>InvalidParameterValue</Code>" in text


def test_internal_error_is_a_500_document_and_logged(endpoint, monkeypatch, caplog):
    def boom(call):
        raise RuntimeError("secret detail")

    monkeypatch.setitem(actions.ACTIONS, "DescribeRegions", boom)
    with caplog.at_level(logging.ERROR, logger="stockade.api"):
        status, text = raw(endpoint, "Action=DescribeRegions")
    assert status == 500 and "<Code>InternalError</Code>" in text
    assert "secret detail" not in text and "Traceback" not in text
    assert any("secret detail" in (r.exc_text or "") for r in caplog.records)


def test_one_log_line_per_request(ec2, caplog, account):
    with caplog.at_level(logging.INFO, logger="stockade.api"):
        ec2.describe_vpcs()
    lines = [r.getMessage() for r in caplog.records if r.name == "stockade.api"]
    assert len(lines) == 1
    assert lines[0].startswith(f"DescribeVpcs account={account} region=us-east-1 status=200")
    assert lines[0].endswith("ms")


def test_region_comes_from_the_credential_scope(endpoint, account):
    west = client(endpoint, account, region="eu-west-1")
    zones = west.describe_availability_zones()["AvailabilityZones"]
    assert {z["RegionName"] for z in zones} == {"eu-west-1"}
    west_vpcs = west.describe_vpcs()["Vpcs"]
    east_vpcs = client(endpoint, account).describe_vpcs()["Vpcs"]
    assert {v["VpcId"] for v in west_vpcs}.isdisjoint(v["VpcId"] for v in east_vpcs)


def test_unsigned_requests_use_the_default_scope(endpoint):
    status, body = raw(endpoint, "Action=DescribeAvailabilityZones")
    assert status == 200 and "<zoneName>us-east-1a</zoneName>" in body


def test_sts_get_caller_identity(endpoint, account):
    sts = client(endpoint, account, service="sts")
    identity = sts.get_caller_identity()
    assert identity["Account"] == account
    assert identity["Arn"] == f"arn:aws:iam::{account}:user/{account}"
    other = client(endpoint, "AKIDANYTHING", service="sts").get_caller_identity()
    assert other["Account"] == "123456789012"


def test_aws_endpoint_url_ec2_environment_variable(endpoint, account, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_EC2", endpoint)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", raising=False)
    session = boto3.Session(
        aws_access_key_id=account, aws_secret_access_key="s", region_name="us-east-1"
    )
    ec2 = session.client("ec2")
    assert ec2.meta.endpoint_url == endpoint
    assert ec2.describe_vpcs()["Vpcs"][0]["IsDefault"] is True


def test_huge_body_is_refused_without_a_5xx(endpoint):
    """Refused from its Content-Length, before the body is sent (see test_defences.py)."""
    with connect(endpoint) as sock:
        sock.sendall(post_head(endpoint, {"Content-Length": str(17 * 1024 * 1024)}))
        status, answer = read_answer(sock)
    assert status == 413 and b"<Code>RequestEntityTooLarge</Code>" in answer


def test_unknown_path_is_a_parseable_4xx(endpoint):
    """Another service's REST call: a JSON error its SDK reads, never a bare 404 or a 5xx."""
    status, text = raw(endpoint, "", method="GET", path="/nowhere")
    assert status == 400
    assert '"__type": "UnknownOperationException"' in text


@pytest.mark.parametrize("method", ["OPTIONS", "TRACE"])
def test_other_methods_on_the_endpoint_are_405_with_allow(endpoint, method):
    url = urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request(method, "/", b"Action=DescribeVpcs", {"Content-Length": "19"})
        response = conn.getresponse()
        assert response.status == 405
        assert response.getheader("Allow") == "GET, POST, PUT, DELETE, PATCH, HEAD"
        response.read()
        # the connection stays usable: the next request on it is answered
        conn.request("GET", "/?Action=DescribeRegions&Version=2016-11-15")
        follow = conn.getresponse()
        assert follow.status == 200 and b"<regionName>" in follow.read()
    finally:
        conn.close()


def test_answers_carry_type_and_length(endpoint):
    url = urlparse(endpoint)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
    try:
        conn.request("GET", "/?Action=DescribeRegions&Version=2016-11-15")
        response = conn.getresponse()
        body = response.read()
        assert response.getheader("Content-Type") == "text/xml;charset=UTF-8"
        assert int(response.getheader("Content-Length")) == len(body)
    finally:
        conn.close()


def test_form_encoding_of_odd_values(ec2):
    name = "a&b=c+d (x) é"
    with pytest.raises(ClientError) as info:  # é is not in the allowed character set
        ec2.create_security_group(GroupName=name, Description="d")
    assert info.value.response["Error"]["Code"] == "InvalidParameterValue"
    gid = ec2.create_security_group(GroupName="a&b=c+d (x)", Description="x&y")["GroupId"]
    [group] = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
    assert (group["GroupName"], group["Description"]) == ("a&b=c+d (x)", "x&y")
    assert urlencode({"k": name})  # the client did the encoding; nothing was lost
