"""Request parsing: botocore's EC2Serializer output must parse back to the original params."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.api.model import input_shape, operation_names
from stockade.api.parse import parse_params, parse_request
from stockade.domain.errors import AwsError

from .wire_helpers import synthesize, wire_pairs

TAGS = [{"ResourceType": "security-group", "Tags": [{"Key": "Env", "Value": "prod & test"}]}]

REALISTIC: list[tuple[str, dict]] = [
    (
        "CreateSecurityGroup",
        {
            "GroupName": "web",
            "Description": "web servers",
            "VpcId": "vpc-0a1b2c3d4e5f67890",
            "TagSpecifications": TAGS,
            "DryRun": True,
        },
    ),
    (
        "AuthorizeSecurityGroupIngress",
        {
            "GroupId": "sg-0123456789abcdef0",
            "IpPermissions": [
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [
                        {"CidrIp": "10.0.0.0/16", "Description": "ssh"},
                        {"CidrIp": "192.0.2.0/24"},
                    ],
                    "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
                    "PrefixListIds": [{"PrefixListId": "pl-1234"}],
                    "UserIdGroupPairs": [{"GroupId": "sg-1", "UserId": "123456789012"}],
                },
                {
                    "IpProtocol": "icmp",
                    "FromPort": -1,
                    "ToPort": -1,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                },
            ],
            "TagSpecifications": [
                {"ResourceType": "security-group-rule", "Tags": [{"Key": "k", "Value": "v"}]}
            ],
        },
    ),
    (
        "AuthorizeSecurityGroupEgress",
        {
            "GroupId": "sg-0123456789abcdef0",
            "IpPermissions": [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
        },
    ),
    (
        "AuthorizeSecurityGroupIngress",  # the legacy single-rule form raw clients use
        {
            "GroupName": "default",
            "IpProtocol": "tcp",
            "FromPort": 80,
            "ToPort": 80,
            "CidrIp": "198.51.100.0/24",
            "SourceSecurityGroupOwnerId": "123456789012",
        },
    ),
    (
        "RevokeSecurityGroupIngress",
        {"GroupId": "sg-0123456789abcdef0", "SecurityGroupRuleIds": ["sgr-1", "sgr-2"]},
    ),
    (
        "DescribeSecurityGroups",
        {
            "GroupIds": ["sg-1", "sg-2"],
            "GroupNames": ["web"],
            "Filters": [
                {"Name": "vpc-id", "Values": ["vpc-1", "vpc-2"]},
                {"Name": "tag:Env", "Values": ["prod*"]},
            ],
            "MaxResults": 50,
            "NextToken": "abc==",
        },
    ),
    (
        "DescribeSecurityGroupRules",
        {
            "SecurityGroupRuleIds": ["sgr-0123456789abcdef0"],
            "Filters": [{"Name": "group-id", "Values": ["sg-1"]}],
            "MaxResults": 5,
        },
    ),
    (
        "ModifySecurityGroupRules",
        {
            "GroupId": "sg-1",
            "SecurityGroupRules": [
                {
                    "SecurityGroupRuleId": "sgr-1",
                    "SecurityGroupRule": {
                        "IpProtocol": "tcp",
                        "FromPort": 443,
                        "ToPort": 443,
                        "CidrIpv4": "203.0.113.0/24",
                        "Description": "https",
                    },
                },
                {
                    "SecurityGroupRuleId": "sgr-2",
                    "SecurityGroupRule": {"IpProtocol": "-1", "ReferencedGroupId": "sg-2"},
                },
            ],
        },
    ),
    (
        "CreateManagedPrefixList",
        {
            "PrefixListName": "office",
            "MaxEntries": 10,
            "AddressFamily": "IPv4",
            "Entries": [{"Cidr": "192.0.2.0/24", "Description": "hq"}, {"Cidr": "198.51.100.0/24"}],
            "TagSpecifications": [
                {"ResourceType": "prefix-list", "Tags": [{"Key": "team", "Value": "net"}]}
            ],
            "ClientToken": "tok-1",
        },
    ),
    (
        "ModifyManagedPrefixList",
        {
            "PrefixListId": "pl-1",
            "CurrentVersion": 3,
            "PrefixListName": "office2",
            "AddEntries": [{"Cidr": "203.0.113.0/24", "Description": "new"}],
            "RemoveEntries": [{"Cidr": "192.0.2.0/24"}],
            "MaxEntries": 20,
        },
    ),
    (
        "RunInstances",
        {
            "ImageId": "ami-12345678",
            "InstanceType": "t3.micro",
            "MinCount": 1,
            "MaxCount": 2,
            "SecurityGroupIds": ["sg-1", "sg-2"],
            "SecurityGroups": ["default"],
            "SubnetId": "subnet-1",
            "TagSpecifications": [
                {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "a"}]}
            ],
            "UserData": "IyEvYmluL3NoCg==",
        },
    ),
    (
        "RunInstances",
        {
            "ImageId": "ami-12345678",
            "MinCount": 1,
            "MaxCount": 1,
            "NetworkInterfaces": [
                {
                    "DeviceIndex": 0,
                    "SubnetId": "subnet-1",
                    "Groups": ["sg-1", "sg-3"],
                    "AssociatePublicIpAddress": True,
                    "DeleteOnTermination": False,
                    "ConnectionTrackingSpecification": {
                        "TcpEstablishedTimeout": 3600,
                        "UdpTimeout": 30,
                    },
                },
            ],
        },
    ),
    (
        "ModifyNetworkInterfaceAttribute",
        {
            "NetworkInterfaceId": "eni-1",
            "Groups": ["sg-1", "sg-2"],
            "ConnectionTrackingSpecification": {
                "TcpEstablishedTimeout": 600,
                "UdpStreamTimeout": 120,
                "UdpTimeout": 60,
            },
            "SourceDestCheck": {"Value": False},
            "Description": {"Value": "db"},
        },
    ),
    (
        "ModifyInstanceAttribute",
        {"InstanceId": "i-0123456789abcdef0", "Groups": ["sg-1", "sg-2"]},
    ),
    (
        "ModifyInstanceAttribute",
        {
            "InstanceId": "i-0123456789abcdef0",
            "Attribute": "userData",
            "UserData": {"Value": b"#!/bin/sh\n"},
        },
    ),
    (
        "CreateTags",
        {
            "Resources": ["sg-1", "i-2"],
            "Tags": [{"Key": "Env", "Value": ""}, {"Key": "Owner", "Value": "TeamA"}],
        },
    ),
    (
        "DescribeInstances",
        {
            "InstanceIds": ["i-1"],
            "Filters": [{"Name": "instance-state-name", "Values": ["running", "stopped"]}],
            "MaxResults": 5,
            "NextToken": "t",
        },
    ),
    (
        "CreateVpc",
        {
            "CidrBlock": "10.0.0.0/16",
            "AmazonProvidedIpv6CidrBlock": True,
            "InstanceTenancy": "default",
            "TagSpecifications": [
                {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "main"}]}
            ],
        },
    ),
    (
        "UpdateSecurityGroupRuleDescriptionsIngress",
        {
            "GroupId": "sg-1",
            "SecurityGroupRuleDescriptions": [
                {"SecurityGroupRuleId": "sgr-1", "Description": "ssh from office"}
            ],
        },
    ),
    ("DescribeSecurityGroupReferences", {"GroupId": ["sg-1", "sg-2"]}),
    ("DescribeStaleSecurityGroups", {"VpcId": "vpc-1", "MaxResults": 255}),
    ("ModifySubnetAttribute", {"SubnetId": "subnet-1", "MapPublicIpOnLaunch": {"Value": True}}),
    ("GetManagedPrefixListEntries", {"PrefixListId": "pl-1", "TargetVersion": 2**40}),
    ("DescribeRegions", {"AllRegions": True, "RegionNames": ["us-east-1"]}),
]


@pytest.mark.parametrize(("action", "params"), REALISTIC, ids=[a for a, _ in REALISTIC])
def test_realistic_params_round_trip(action: str, params: dict) -> None:
    assert parse_params(action, wire_pairs(action, params)) == params


def test_wire_names_are_the_ec2_ones() -> None:
    pairs = dict(wire_pairs("AuthorizeSecurityGroupIngress", REALISTIC[1][1]))
    assert pairs["IpPermissions.1.Groups.1.GroupId"] == "sg-1"
    assert pairs["TagSpecification.1.Tag.1.Key"] == "k"
    assert "GroupDescription" in dict(wire_pairs("CreateSecurityGroup", REALISTIC[0][1]))


def test_every_operation_round_trips_synthesized_params() -> None:
    """All ~830 EC2 operations: whatever botocore can send, the parser reads back."""
    checked = 0
    for action in sorted(operation_names()):
        shape = input_shape(action)
        if shape is None:
            continue
        params = synthesize(shape, seed=len(action)) or {}
        assert parse_params(action, wire_pairs(action, params, validate=False)) == params, action
        checked += 1
    assert checked > 700


def test_parse_request_reads_action_and_version() -> None:
    request = parse_request(
        [("Action", "DescribeSecurityGroups"), ("Version", "2016-11-15"), ("GroupId.1", "sg-1")]
    )
    assert request.action == "DescribeSecurityGroups"
    assert request.version == "2016-11-15"
    assert request.params == {"GroupIds": ["sg-1"]}


def test_list_indexes_may_have_gaps_and_are_ordered_by_index() -> None:
    params = {"GroupId.10": "c", "GroupId.2": "b", "GroupId.1": "a"}
    assert parse_params("DescribeSecurityGroups", params) == {"GroupIds": ["a", "b", "c"]}


def test_parse_qs_style_values_and_presign_params_are_accepted() -> None:
    params = {"GroupId.1": ["sg-1"], "X-Amz-Signature": ["ab"], "Action": ["X"]}
    assert parse_params("DescribeSecurityGroups", params) == {"GroupIds": ["sg-1"]}


def test_scalar_conversions() -> None:
    got = parse_params(
        "DescribeSpotPriceHistory",
        {
            "StartTime": "2026-11-28T18:00:00Z",
            "EndTime": "2026-11-28T18:00:00.500+01:00",
            "DryRun": "TRUE",
            "MaxResults": "7",
        },
    )
    assert got["StartTime"] == datetime(2026, 11, 28, 18, tzinfo=UTC)
    assert got["EndTime"] == datetime(2026, 11, 28, 17, 0, 0, 500000, tzinfo=UTC)
    assert got["DryRun"] is True and got["MaxResults"] == 7


def test_empty_value_for_a_list_is_an_empty_list() -> None:
    # the generic query protocol sends "Prefix=" for an empty list; tolerate it
    assert parse_params("DescribeSecurityGroups", {"GroupId": ""}) == {"GroupIds": []}


def _error(action: str, params: dict) -> AwsError:
    with pytest.raises(AwsError) as info:
        parse_params(action, params)
    return info.value


@pytest.mark.parametrize(
    ("action", "params", "code", "needle"),
    [
        ("DescribeSecurityGroups", {"Bogus": "1"}, "UnknownParameter", "Bogus"),
        ("DescribeSecurityGroups", {"GroupIds.1": "sg-1"}, "UnknownParameter", "GroupIds.1"),
        ("DescribeSecurityGroups", {"GroupId.0": "x"}, "UnknownParameter", "GroupId.0"),
        ("DescribeSecurityGroups", {"GroupId.01": "x"}, "UnknownParameter", "GroupId.01"),
        ("DescribeSecurityGroups", {"GroupId.-1": "x"}, "UnknownParameter", "GroupId.-1"),
        ("DescribeSecurityGroups", {"GroupId.x": "x"}, "UnknownParameter", "GroupId.x"),
        ("DescribeSecurityGroups", {"GroupId.99999999999": "x"}, "UnknownParameter", "GroupId"),
        ("DescribeSecurityGroups", {"GroupId..1": "x"}, "UnknownParameter", "GroupId..1"),
        ("DescribeSecurityGroups", {"GroupId.1.Foo": "x"}, "UnknownParameter", "GroupId.1.Foo"),
        ("DescribeSecurityGroups", {"groupId.1": "x"}, "UnknownParameter", "groupId.1"),
        ("DescribeSecurityGroups", {"MaxResults": "ten"}, "InvalidParameterValue", "MaxResults"),
        ("DescribeSecurityGroups", {"MaxResults": "1.0"}, "InvalidParameterValue", "(1.0)"),
        ("DescribeSecurityGroups", {"MaxResults": "٣"}, "InvalidParameterValue", "MaxResults"),
        ("DescribeSecurityGroups", {"MaxResults": "2147483648"}, "InvalidParameterValue", ""),
        ("DescribeSecurityGroups", {"DryRun": "yes"}, "InvalidParameterValue", "DryRun"),
        ("DescribeSecurityGroups", {"DryRun": ""}, "InvalidParameterValue", "DryRun"),
        ("DescribeSecurityGroups", {"Filter.1": "x"}, "InvalidParameterValue", "Filter.1"),
        ("DescribeSecurityGroups", {"GroupId": "sg-1"}, "InvalidParameterValue", "GroupId"),
        (
            "CreateSecurityGroup",
            {"GroupName": "a"},
            "MissingParameter",
            "The request must contain the parameter GroupDescription",
        ),
        (
            "CreateManagedPrefixList",
            {
                "PrefixListName": "p",
                "MaxEntries": "5",
                "AddressFamily": "IPv4",
                "Entry.1.Description": "no cidr",
            },
            "MissingParameter",
            "Entry.1.Cidr",
        ),
        (
            "ModifyManagedPrefixList",
            {"PrefixListId": "pl-1", "CurrentVersion": "1e3"},
            "InvalidParameterValue",
            "CurrentVersion",
        ),
        (
            "ModifyInstanceAttribute",
            {"InstanceId": "i-1", "UserData.Value": "not base64!"},
            "InvalidParameterValue",
            "UserData.Value",
        ),
        ("DescribeSpotPriceHistory", {"StartTime": "yesterday"}, "InvalidParameterValue", ""),
        ("DescribeSecurityGroups", {"GroupId.1": ["a", "b"]}, "InvalidParameterValue", ""),
    ],
)
def test_bad_parameters(action: str, params: dict, code: str, needle: str) -> None:
    error = _error(action, params)
    assert error.code == code
    assert needle in error.message
    assert error.status == 400


def test_missing_and_unknown_action() -> None:
    with pytest.raises(AwsError) as info:
        parse_request({"GroupId.1": "sg-1"})
    assert info.value.code == "MissingAction"
    with pytest.raises(AwsError) as info:
        parse_request({"Action": "DescribeUnicorns"})
    assert info.value.code == "InvalidAction"
    assert "DescribeUnicorns" in info.value.message


def test_action_without_parameters_rejects_any() -> None:
    assert parse_params("DescribeSecurityGroups", {}) == {}
    with pytest.raises(AwsError) as info:
        parse_params("DescribeSecurityGroups", {"Foo.Bar": "x"})
    assert info.value.code == "UnknownParameter"


def test_body_prepared_by_botocore_parses_via_request_pairs() -> None:
    """The exact bytes boto3 sends (its own urlencoding), not our test helper's."""
    import botocore.serialize
    from botocore.awsrequest import AWSRequest

    from stockade.api.model import operation_model
    from stockade.api.parse import request_pairs

    action, params = REALISTIC[1]
    serialized = botocore.serialize.create_serializer("ec2").serialize_to_request(
        params, operation_model(action)
    )
    prepared = AWSRequest(
        method="POST",
        url="http://127.0.0.1:4747/",
        data=serialized["body"],
        headers=serialized["headers"],
    ).prepare()
    body = prepared.body if isinstance(prepared.body, bytes) else prepared.body.encode()
    assert body.startswith(b"Action=")  # urllib3 sends this str as UTF-8 bytes
    request = parse_request(request_pairs(body))
    assert (request.action, request.version, request.params) == (action, "2016-11-15", params)


def test_request_pairs_merges_query_and_body_and_never_crashes() -> None:
    from stockade.api.parse import request_pairs

    pairs = request_pairs(b"GroupId.1=a+b&X=%E2%98%83&bad=%ff", "Action=DescribeSecurityGroups")
    assert pairs == [
        ("Action", "DescribeSecurityGroups"),
        ("GroupId.1", "a b"),
        ("X", "☃"),
        ("bad", "\ufffd"),
    ]
    assert request_pairs(b"", "") == []
    with pytest.raises(AwsError) as info:
        request_pairs(b"&".join([b"a=1"] * 100_001))
    assert info.value.code == "InvalidRequest"


def test_a_name_sent_twice_must_carry_one_value() -> None:
    """In the query and the body: the same value twice is that value, two values are
    refused (request_pairs' answer takes a quicker way to a dict when no name repeats)."""
    from stockade.api.parse import request_pairs

    body = b"Action=DescribeSecurityGroups&GroupId.2=b&GroupId.1=a"
    same = parse_request(request_pairs(body, "GroupId.1=a&Action=DescribeSecurityGroups"))
    assert same.params == {"GroupIds": ["a", "b"]}
    with pytest.raises(AwsError) as info:
        parse_request(request_pairs(body, "GroupId.2=c"))
    assert info.value.code == "InvalidParameterValue"
    assert info.value.message == (
        "Value (b) for parameter GroupId.2 is invalid. The parameter was given more than once."
    )


_FORM_PIECES = [*"aZ09.=&+%-_ ~", "%2", "%41", "%E2%98%83", "%ff", "é", "\x00"]
# ASCII escapes are decoded in the whole text at once, but never the separators
_FORM_PIECES += ["%2F", "%2f", "%26", "%3D", "%3d", "%2B", "%25", "%20", "%7F", "%80", "%0"]
_FORM_TEXT = st.lists(st.sampled_from(_FORM_PIECES), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(text=_FORM_TEXT)
def test_form_fields_are_read_exactly_as_parse_qsl_reads_them(text: str) -> None:
    """The fast field reader decodes only fields that need it; it must agree with
    ``parse_qsl(keep_blank_values=True)`` on everything (empty fields, bare names,
    ``+``, good, bad and cut-off percent-escapes)."""
    from urllib.parse import parse_qsl

    from stockade.api.parse import request_pairs

    assert request_pairs(text.encode()) == parse_qsl(text, keep_blank_values=True)
    assert request_pairs(b"", text) == parse_qsl(text, keep_blank_values=True)
    # the limit is on fields, as parse_qsl's max_num_fields counts them
    request_pairs(b"&".join([b"a=1"] * 100_000))
