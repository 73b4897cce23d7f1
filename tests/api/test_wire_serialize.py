"""Response serialisation: botocore's own parser must read our documents back unchanged."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import UTC, datetime

import pytest

from stockade.api.model import EC2_NAMESPACE, operation_names, output_shape
from stockade.api.serialize import (
    error_document,
    format_timestamp,
    generated_source,
    serialize_error,
    serialize_response,
)
from stockade.domain.errors import AwsError, dry_run, not_found

from .wire_helpers import botocore_parse, synthesize

OWNER = "123456789012"


def group(i: int, rules: int = 3) -> dict:
    gid = f"sg-{i:017x}"
    ingress = [
        {
            "IpProtocol": "tcp",
            "FromPort": 22,
            "ToPort": 22,
            "UserIdGroupPairs": [
                {"GroupId": "sg-0fedcba9876543210", "UserId": OWNER, "Description": "from bastion"}
            ],
            "IpRanges": [{"CidrIp": "10.0.0.0/16", "Description": "ssh"}],
            "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
            "PrefixListIds": [{"PrefixListId": "pl-0123456789abcdef0", "Description": "office"}],
        },
        {
            "IpProtocol": "tcp",
            "FromPort": 443,
            "ToPort": 443,
            "UserIdGroupPairs": [],
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
        },
    ][: max(rules - 1, 0)]
    return {
        "GroupId": gid,
        "GroupName": f"web-{i}",
        "Description": "web servers & <friends>",
        "OwnerId": OWNER,
        "VpcId": "vpc-0a1b2c3d4e5f67890",
        "SecurityGroupArn": f"arn:aws:ec2:us-east-1:{OWNER}:security-group/{gid}",
        "IpPermissions": ingress,
        "IpPermissionsEgress": [
            {
                "IpProtocol": "-1",
                "UserIdGroupPairs": [],
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [],
                "PrefixListIds": [],
            }
        ],
        "Tags": [{"Key": "Env", "Value": "prod"}, {"Key": "Name", "Value": "é ☃"}],
    }


RULE = {
    "SecurityGroupRuleId": "sgr-0123456789abcdef0",
    "GroupId": "sg-1",
    "GroupOwnerId": OWNER,
    "IsEgress": False,
    "IpProtocol": "tcp",
    "FromPort": 22,
    "ToPort": 22,
    "CidrIpv4": "10.0.0.0/16",
    "Description": "ssh",
    "Tags": [{"Key": "k", "Value": "v"}],
    "SecurityGroupRuleArn": f"arn:aws:ec2:us-east-1:{OWNER}:security-group-rule/sgr-1",
}
REF_RULE = {
    "SecurityGroupRuleId": "sgr-2",
    "GroupId": "sg-1",
    "GroupOwnerId": OWNER,
    "IsEgress": True,
    "IpProtocol": "-1",
    "FromPort": -1,
    "ToPort": -1,
    "Tags": [],
    "ReferencedGroupInfo": {"GroupId": "sg-2", "UserId": OWNER},
}
LAUNCH = datetime(2026, 11, 28, 18, 0, 0, 250000, tzinfo=UTC)
RESERVATION = {
    "ReservationId": "r-0123456789abcdef0",
    "OwnerId": OWNER,
    "Groups": [{"GroupId": "sg-1", "GroupName": "web"}],
    "Instances": [
        {
            "InstanceId": "i-0123456789abcdef0",
            "ImageId": "ami-12345678",
            "InstanceType": "t3.micro",
            "LaunchTime": LAUNCH,
            "AmiLaunchIndex": 0,
            "State": {"Code": 16, "Name": "running"},
            "Placement": {"AvailabilityZone": "us-east-1a", "Tenancy": "default"},
            "PrivateIpAddress": "10.0.1.10",
            "SubnetId": "subnet-1",
            "VpcId": "vpc-1",
            "SecurityGroups": [{"GroupId": "sg-1", "GroupName": "web"}],
            "SourceDestCheck": True,
            "EbsOptimized": False,
            "Tags": [],
            "NetworkInterfaces": [
                {
                    "NetworkInterfaceId": "eni-1",
                    "SubnetId": "subnet-1",
                    "VpcId": "vpc-1",
                    "Groups": [{"GroupId": "sg-1", "GroupName": "web"}],
                    "Attachment": {
                        "AttachmentId": "eni-attach-1",
                        "DeviceIndex": 0,
                        "Status": "attached",
                        "AttachTime": LAUNCH,
                        "DeleteOnTermination": True,
                    },
                    "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.10", "Primary": True}],
                    "Ipv6Addresses": [],
                    "ConnectionTrackingConfiguration": {
                        "TcpEstablishedTimeout": 432000,
                        "UdpStreamTimeout": 180,
                        "UdpTimeout": 30,
                    },
                }
            ],
        }
    ],
}

RESPONSES: list[tuple[str, dict]] = [
    (
        "DescribeSecurityGroups",
        {"SecurityGroups": [group(1), group(2, rules=1)], "NextToken": "c3RrMQ=="},
    ),
    ("DescribeSecurityGroups", {"SecurityGroups": []}),
    ("DescribeSecurityGroupRules", {"SecurityGroupRules": [RULE, REF_RULE]}),
    (
        "CreateSecurityGroup",
        {
            "GroupId": "sg-1",
            "Tags": [{"Key": "a", "Value": ""}],
            "SecurityGroupArn": "arn:aws:ec2:::security-group/sg-1",
        },
    ),
    ("AuthorizeSecurityGroupIngress", {"Return": True, "SecurityGroupRules": [RULE]}),
    (
        "RevokeSecurityGroupIngress",
        {
            "Return": True,
            "UnknownIpPermissions": [
                {
                    "IpProtocol": "udp",
                    "FromPort": 53,
                    "ToPort": 53,
                    "IpRanges": [{"CidrIp": "192.0.2.0/24"}],
                }
            ],
        },
    ),
    ("ModifySecurityGroupRules", {"Return": False}),
    ("DeleteSecurityGroup", {"Return": True, "GroupId": "sg-1"}),
    ("RunInstances", RESERVATION),
    ("DescribeInstances", {"Reservations": [RESERVATION, RESERVATION]}),
    (
        "CreateManagedPrefixList",
        {
            "PrefixList": {
                "PrefixListId": "pl-1",
                "AddressFamily": "IPv4",
                "State": "create-in-progress",
                "PrefixListName": "office",
                "MaxEntries": 10,
                "Version": 1,
                "OwnerId": OWNER,
                "Tags": [{"Key": "team", "Value": "net"}],
            }
        },
    ),
    (
        "GetManagedPrefixListEntries",
        {"Entries": [{"Cidr": "192.0.2.0/24", "Description": "x"}, {"Cidr": "198.51.100.0/24"}]},
    ),
    (
        "CreateVpc",
        {
            "Vpc": {
                "VpcId": "vpc-1",
                "CidrBlock": "10.0.0.0/16",
                "State": "pending",
                "IsDefault": False,
                "OwnerId": OWNER,
                "Ipv6CidrBlockAssociationSet": [
                    {
                        "AssociationId": "vpc-cidr-assoc-1",
                        "Ipv6CidrBlock": "2001:db8:1::/56",
                        "Ipv6CidrBlockState": {"State": "associated"},
                    }
                ],
                "CidrBlockAssociationSet": [
                    {
                        "AssociationId": "vpc-cidr-assoc-2",
                        "CidrBlock": "10.0.0.0/16",
                        "CidrBlockState": {"State": "associated"},
                    }
                ],
            }
        },
    ),
    ("DescribeInstanceAttribute", {"InstanceId": "i-1", "Groups": [{"GroupId": "sg-1"}]}),
    (
        "DescribeStaleSecurityGroups",
        {
            "StaleSecurityGroupSet": [
                {
                    "GroupId": "sg-1",
                    "VpcId": "vpc-1",
                    "StaleIpPermissions": [
                        {
                            "IpProtocol": "tcp",
                            "FromPort": 1,
                            "ToPort": 2,
                            "IpRanges": ["10.0.0.0/8"],
                            "UserIdGroupPairs": [{"GroupId": "sg-9", "PeeringStatus": "deleted"}],
                        }
                    ],
                }
            ]
        },
    ),
    (
        "DescribeTags",
        {
            "Tags": [
                {
                    "Key": "Env",
                    "Value": "prod",
                    "ResourceId": "sg-1",
                    "ResourceType": "security-group",
                }
            ]
        },
    ),
]


@pytest.mark.parametrize(("action", "data"), RESPONSES, ids=[a for a, _ in RESPONSES])
def test_realistic_responses_round_trip_through_botocore(action: str, data: dict) -> None:
    parsed = botocore_parse(action, serialize_response(action, data, "req-1"))
    assert parsed.pop("ResponseMetadata")["RequestId"] == "req-1"
    assert parsed == data


def test_document_shape_matches_aws() -> None:
    body = serialize_response("DescribeSecurityGroups", {"SecurityGroups": [group(1)]}, "r-1")
    text = body.decode()
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(body)
    ns = "{" + EC2_NAMESPACE + "}"
    assert root.tag == f"{ns}DescribeSecurityGroupsResponse"
    assert root[0].tag == f"{ns}requestId" and root[0].text == "r-1"
    info = root.find(f"{ns}securityGroupInfo")
    item = info.find(f"{ns}item")
    assert item.find(f"{ns}groupDescription").text == "web servers & <friends>"
    assert "web servers &amp; &lt;friends&gt;" in text
    perm = item.find(f"{ns}ipPermissions").find(f"{ns}item")
    assert perm.find(f"{ns}groups/{ns}item/{ns}groupId").text == "sg-0fedcba9876543210"
    assert "<ipPermissionsEgress><item><ipProtocol>-1</ipProtocol><groups/><ipRanges>" in text


def test_absent_and_none_members_are_left_out() -> None:
    body = serialize_response("CreateSecurityGroup", {"GroupId": "sg-1", "Tags": None}, "r")
    assert b"tagSet" not in body and b"<groupId>sg-1</groupId>" in body


def test_action_without_output_shape_answers_return_true() -> None:
    assert output_shape("CreateTags") is None
    body = serialize_response("CreateTags", None, "r")
    assert b"<return>true</return>" in body
    parsed = botocore_parse("CreateTags", body)
    assert list(parsed) == ["ResponseMetadata"] and parsed["ResponseMetadata"]["RequestId"] == "r"


def test_scalars_are_formatted_like_aws() -> None:
    assert format_timestamp(datetime(2026, 11, 28, 18, 0, tzinfo=UTC)) == "2026-11-28T18:00:00.000Z"
    assert format_timestamp(datetime(2026, 11, 28, 18, 0, 0, 999999)) == "2026-11-28T18:00:00.999Z"
    body = serialize_response(
        "DescribeSecurityGroupRules",
        {"SecurityGroupRules": [{"IsEgress": True, "FromPort": 22, "GroupId": "x\x00\ud800\r"}]},
        "r",
    )
    assert b"<fromPort>22</fromPort>" in body and b"<isEgress>true</isEgress>" in body
    parsed = botocore_parse("DescribeSecurityGroupRules", body)
    assert parsed["SecurityGroupRules"][0]["GroupId"] == "x\ufffd\ufffd\r"


def test_every_operation_round_trips_synthesized_responses() -> None:
    """All ~830 EC2 operations: botocore reads back what we write, for every output shape."""
    checked = 0
    for action in sorted(operation_names()):
        shape = output_shape(action)
        if shape is None:
            continue
        data = synthesize(shape, seed=len(action)) or {}
        parsed = botocore_parse(action, serialize_response(action, data, "rid"))
        parsed.pop("ResponseMetadata")
        assert parsed == data, action
        checked += 1
    assert checked > 700


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (not_found("sg", "sg-nope"), 400),
        (dry_run(), 412),
        (
            AwsError("AuthFailure", "AWS was not able to validate the provided access credentials"),
            401,
        ),
        (AwsError("InvalidParameterValue", "bad <value> & 'quotes' ☃"), 400),
    ],
)
def test_error_documents_parse_in_botocore(error: AwsError, status: int) -> None:
    got_status, body = serialize_error(error, "req-err")
    assert got_status == status
    assert b"<RequestID>req-err</RequestID>" in body
    parsed = botocore_parse("DescribeSecurityGroups", body, status=got_status)
    assert parsed["Error"] == {"Code": error.code, "Message": error.message}
    assert parsed["ResponseMetadata"]["RequestId"] == "req-err"


def test_error_document_through_a_real_boto3_client() -> None:
    """The full client path: status + body become ClientError with code, message, status."""
    import boto3
    from botocore.exceptions import ClientError
    from botocore.stub import Stubber  # noqa: F401  (ensures botocore testing helpers exist)

    client = boto3.client(
        "ec2",
        region_name="us-east-1",
        aws_access_key_id="a",
        aws_secret_access_key="b",
        endpoint_url="http://127.0.0.1:9",
    )
    status, body = serialize_error(not_found("sg", "sg-nope"), "req-x")

    def respond(request, **_):
        from botocore.awsrequest import AWSResponse

        class Raw:
            def stream(self, **_):
                yield body

        return AWSResponse(request.url, status, {"Content-Type": "text/xml"}, Raw())

    client.meta.events.register_first("before-send.ec2.*", respond)
    with pytest.raises(ClientError) as info:
        client.describe_security_groups(GroupIds=["sg-nope"])
    err = info.value.response
    assert err["Error"]["Code"] == "InvalidGroup.NotFound"
    assert err["Error"]["Message"] == "The security group 'sg-nope' does not exist"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["ResponseMetadata"]["RequestId"] == "req-x"


def test_error_document_text() -> None:
    assert error_document("A", "b & c", "r") == (
        b'<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>A</Code>'
        b"<Message>b &amp; c</Message></Error></Errors><RequestID>r</RequestID></Response>"
    )


def test_generated_source_is_readable() -> None:
    source = generated_source("DescribeSecurityGroups")
    assert "'<ipPermissions>'" in source and "'<groups>'" in source


def test_describe_2500_groups_serializes_whole() -> None:
    """2,500 groups x 3 rules come out whole (their speed is measured in bench/api.py:
    describe_security_groups_2500_server_side)."""
    data = json.loads(json.dumps({"SecurityGroups": [group(i) for i in range(2500)]}))
    body = serialize_response("DescribeSecurityGroups", data, "r")
    text = body.decode() if isinstance(body, bytes) else body
    assert all(f"<groupId>sg-{i:017x}</groupId>" in text for i in range(2500))
