"""Security group rules through boto3: authorize, revoke, modify, descriptions, describe."""

from __future__ import annotations

import pytest
from api_server.api_helpers import raw
from botocore.exceptions import ClientError


def tcp(port, *cidrs, desc=None, groups=(), pls=()):
    perm = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    if cidrs:
        perm["IpRanges"] = [{"CidrIp": c, **({"Description": desc} if desc else {})} for c in cidrs]
    if groups:
        perm["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
    if pls:
        perm["PrefixListIds"] = [{"PrefixListId": p} for p in pls]
    return perm


@pytest.fixture
def gid(ec2, vpc_id) -> str:
    return ec2.create_security_group(GroupName="web", Description="d", VpcId=vpc_id)["GroupId"]


def test_authorize_returns_one_rule_per_peer(ec2, gid):
    result = ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "6",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [
                    {"CidrIp": "10.0.0.5/16", "Description": "office"},
                    {"CidrIp": "192.0.2.0/24"},
                ],
                "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
            }
        ],
        TagSpecifications=[
            {"ResourceType": "security-group-rule", "Tags": [{"Key": "k", "Value": "v"}]}
        ],
    )
    assert result["Return"] is True
    rules = result["SecurityGroupRules"]
    assert [(r["IpProtocol"], r.get("CidrIpv4"), r.get("CidrIpv6")) for r in rules] == [
        ("tcp", "10.0.0.0/16", None),
        ("tcp", "192.0.2.0/24", None),
        ("tcp", None, "2001:db8::/32"),
    ]
    assert rules[0]["Description"] == "office" and rules[0]["Tags"] == [{"Key": "k", "Value": "v"}]
    assert all(r["SecurityGroupRuleId"].startswith("sgr-") and not r["IsEgress"] for r in rules)
    [group] = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
    [perm] = group["IpPermissions"]
    assert perm["IpRanges"] == [
        {"CidrIp": "10.0.0.0/16", "Description": "office"},
        {"CidrIp": "192.0.2.0/24"},
    ]


def test_authorize_errors(ec2, gid, vpc_id, rejected):
    rejected(
        "InvalidParameterValue",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(22, "10.0.0.0/8", "10.0.0.0/8")],
    )
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")])
    rejected(
        "InvalidPermission.Duplicate",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(22, "10.1.2.3/8", "192.0.2.0/24")],
    )  # all or nothing
    error = rejected(
        "InvalidParameterValue",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "tcp", "IpRanges": [{"CidrIp": "1.0.0.0/8"}]}],
    )
    assert error["Message"] == (
        "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange."
    )
    error = rejected(
        "InvalidPermission.Malformed",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(-1, "1.0.0.0/8")],
    )
    assert error["Message"] == "TCP/UDP port (-1) out of range"
    error = rejected(
        "InvalidParameterValue",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(80, "::/0")],
    )
    assert error["Message"] == "CIDR block ::/0 is malformed"
    rejected(
        "InvalidGroup.NotFound",
        ec2.authorize_security_group_ingress,
        GroupId="sg-0123456789abcdef0",
        IpPermissions=[tcp(80, "1.0.0.0/8")],
    )
    error = rejected(
        "InvalidGroup.NotFound",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(80, groups=["sg-0123456789abcdef0"])],
    )
    assert error["Message"] == "The security group 'sg-0123456789abcdef0' does not exist"
    other = ec2.create_security_group(GroupName="elsewhere", Description="d")["GroupId"]
    error = rejected(
        "InvalidGroup.NotFound",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(80, groups=[other])],
    )
    assert error["Message"] == "You have specified two resources that belong to different networks."
    error = rejected(
        "InvalidParameterValue",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 1,
                "ToPort": 2,
                "UserIdGroupPairs": [{"GroupName": "elsewhere"}],
            }
        ],
    )
    assert "You may not reference Amazon VPC security groups by name" in error["Message"]
    rejected(
        "InvalidPrefixListId.NotFound",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(80, pls=["pl-0123456789abcdef0"])],
    )
    rejected(
        "InvalidPrefixListId.Malformed",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(80, pls=["list"])],
    )
    rejected(
        "InvalidParameterValue",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[{"IpProtocol": "gre", "IpRanges": [{"CidrIp": "1.0.0.0/8"}]}],
    )


def test_missing_source_group_from_a_raw_client(endpoint, ec2, gid):
    body = (
        f"Action=AuthorizeSecurityGroupIngress&GroupId={gid}&IpPermissions.1.IpProtocol=tcp"
        "&IpPermissions.1.FromPort=1&IpPermissions.1.ToPort=2&IpPermissions.1.Groups.1.UserId=1"
    )
    ec2_account = ec2._request_signer._credentials.access_key
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    request = AWSRequest(
        "POST",
        endpoint + "/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )
    SigV4Auth(Credentials(ec2_account, "s"), "ec2", "us-east-1").add_auth(request)
    status, text = raw(endpoint, body, headers=dict(request.headers))
    assert status == 400 and "<Message>Source group ID missing.</Message>" in text


def test_rule_quota(ec2, gid, rejected):
    perms = [tcp(p, "10.0.0.0/8") for p in range(1, 61)]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=perms)
    error = rejected(
        "RulesPerSecurityGroupLimitExceeded",
        ec2.authorize_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(61, "10.0.0.0/8")],
    )
    assert error["Message"] == "The maximum number of rules per security group has been reached."
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[tcp(61, "::/0")]
        and [
            {
                "IpProtocol": "tcp",
                "FromPort": 61,
                "ToPort": 61,
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
        ],
    )


def test_egress_and_legacy_parameters(ec2, gid):
    egress = ec2.authorize_security_group_egress(GroupId=gid, IpPermissions=[tcp(443, "0.0.0.0/0")])
    assert egress["SecurityGroupRules"][0]["IsEgress"] is True
    legacy = ec2.authorize_security_group_ingress(
        GroupId=gid, IpProtocol="udp", FromPort=53, ToPort=53, CidrIp="10.0.0.0/8"
    )
    [rule] = legacy["SecurityGroupRules"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["CidrIpv4"]) == ("udp", 53, "10.0.0.0/8")
    ec2.revoke_security_group_ingress(
        GroupId=gid, IpProtocol="udp", FromPort=53, ToPort=53, CidrIp="10.0.0.0/8"
    )


def test_legacy_source_group_name_grants_tcp_udp_icmp(ec2):
    target = ec2.create_security_group(GroupName="target", Description="d")["GroupId"]
    ec2.create_security_group(GroupName="source", Description="d")
    rules = ec2.authorize_security_group_ingress(GroupId=target, SourceSecurityGroupName="source")
    assert sorted(r["IpProtocol"] for r in rules["SecurityGroupRules"]) == ["icmp", "tcp", "udp"]


def test_revoke_by_properties_and_by_id(ec2, gid, rejected):
    rules = ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8", desc="ssh"), tcp(80, "0.0.0.0/0")]
    )["SecurityGroupRules"]
    revoked = ec2.revoke_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")])
    assert revoked["Return"] is True
    assert [r["SecurityGroupRuleId"] for r in revoked["RevokedSecurityGroupRules"]] == [
        rules[0]["SecurityGroupRuleId"]
    ]
    assert "UnknownIpPermissions" not in revoked
    error = rejected(
        "InvalidPermission.NotFound",
        ec2.revoke_security_group_ingress,
        GroupId=gid,
        IpPermissions=[tcp(80, "0.0.0.0/0"), tcp(22, "10.0.0.0/8")],
    )
    assert error["Message"] == "The specified rule does not exist in this security group."
    rejected(
        "InvalidSecurityGroupRuleId.NotFound",
        ec2.revoke_security_group_ingress,
        GroupId=gid,
        SecurityGroupRuleIds=[rules[1]["SecurityGroupRuleId"], "sgr-0123456789abcdef0"],
    )
    rejected(
        "InvalidSecurityGroupRuleId.Malformed",
        ec2.revoke_security_group_ingress,
        GroupId=gid,
        SecurityGroupRuleIds=["rule-1"],
    )
    by_id = ec2.revoke_security_group_ingress(
        GroupId=gid, SecurityGroupRuleIds=[rules[1]["SecurityGroupRuleId"]]
    )
    assert by_id["RevokedSecurityGroupRules"][0]["CidrIpv4"] == "0.0.0.0/0"


def test_revoke_in_the_default_vpc_reports_unknown_permissions(ec2):
    gid = ec2.create_security_group(GroupName="dv", Description="d")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")])
    result = ec2.revoke_security_group_ingress(
        GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8"), tcp(25, "10.0.0.0/8")]
    )
    assert len(result["RevokedSecurityGroupRules"]) == 1
    assert result["UnknownIpPermissions"] == [
        {
            "IpProtocol": "tcp",
            "FromPort": 25,
            "ToPort": 25,
            "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [],
        }
    ]


def test_modify_rules(ec2, gid, rejected):
    [rule] = ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8")]
    )["SecurityGroupRules"]
    rid = rule["SecurityGroupRuleId"]
    assert ec2.modify_security_group_rules(
        GroupId=gid,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rid,
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 2222,
                    "ToPort": 2222,
                    "CidrIpv4": "192.0.2.0/24",
                    "Description": "moved",
                },
            }
        ],
    )["Return"]
    [after] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"]
    assert (after["FromPort"], after["CidrIpv4"], after["Description"]) == (
        2222,
        "192.0.2.0/24",
        "moved",
    )
    error = rejected(
        "InvalidParameterValue",
        ec2.modify_security_group_rules,
        GroupId=gid,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": rid,
                "SecurityGroupRule": {
                    "IpProtocol": "tcp",
                    "FromPort": 1,
                    "ToPort": 1,
                    "CidrIpv6": "::/0",
                },
            }
        ],
    )
    assert "You may not specify an IPv6 CIDR for an existing IPv4 CIDR rule" in error["Message"]
    rejected(
        "InvalidSecurityGroupRuleId.NotFound",
        ec2.modify_security_group_rules,
        GroupId=gid,
        SecurityGroupRules=[
            {
                "SecurityGroupRuleId": "sgr-0123456789abcdef0",
                "SecurityGroupRule": {"IpProtocol": "-1", "CidrIpv4": "1.0.0.0/8"},
            }
        ],
    )


def test_update_descriptions(ec2, gid, rejected):
    [rule] = ec2.authorize_security_group_ingress(
        GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8", desc="old")]
    )["SecurityGroupRules"]
    ec2.update_security_group_rule_descriptions_ingress(
        GroupId=gid, IpPermissions=[tcp(22, "10.0.0.0/8", desc="new")]
    )
    got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    assert got["SecurityGroupRules"][0]["Description"] == "new"
    ec2.update_security_group_rule_descriptions_ingress(
        GroupId=gid,
        SecurityGroupRuleDescriptions=[
            {"SecurityGroupRuleId": rule["SecurityGroupRuleId"], "Description": "by id"}
        ],
    )
    got = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rule["SecurityGroupRuleId"]])
    assert got["SecurityGroupRules"][0]["Description"] == "by id"
    [egress] = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])[
        "SecurityGroupRules"
    ][:1]
    ec2.update_security_group_rule_descriptions_egress(
        GroupId=gid,
        SecurityGroupRuleDescriptions=[
            {"SecurityGroupRuleId": egress["SecurityGroupRuleId"], "Description": "out"}
        ],
    )
    error = rejected(
        "InvalidParameterValue",
        ec2.update_security_group_rule_descriptions_ingress,
        GroupId=gid,
        IpPermissions=[
            {"IpProtocol": "-1", "FromPort": 1, "ToPort": 1, "IpRanges": [{"CidrIp": "1.0.0.0/8"}]}
        ],
    )
    assert error["Message"] == "When protocol is ALL, you cannot specify from-port."
    rejected(
        "InvalidPermission.NotFound",
        ec2.update_security_group_rule_descriptions_ingress,
        GroupId=gid,
        IpPermissions=[tcp(23, "10.0.0.0/8", desc="x")],
    )


def test_describe_rules_filters_paging_and_errors(ec2, gid, rejected):
    ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[tcp(p, "10.0.0.0/8") for p in range(1, 9)],
        TagSpecifications=[
            {"ResourceType": "security-group-rule", "Tags": [{"Key": "team", "Value": "blue"}]}
        ],
    )
    rules = ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])[
        "SecurityGroupRules"
    ]
    assert len(rules) == 9  # 8 + the default egress rule
    tagged = ec2.describe_security_group_rules(Filters=[{"Name": "tag:team", "Values": ["bl*"]}])[
        "SecurityGroupRules"
    ]
    assert len(tagged) == 8
    paginator = ec2.get_paginator("describe_security_group_rules")
    pages = list(
        paginator.paginate(
            Filters=[{"Name": "group-id", "Values": [gid]}], PaginationConfig={"PageSize": 5}
        )
    )
    assert [len(p["SecurityGroupRules"]) for p in pages] == [5, 4]
    assert (
        ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": ["sg-0123456789abcdef0"]}]
        )["SecurityGroupRules"]
        == []
    )
    rejected(
        "InvalidGroupId.Malformed",
        ec2.describe_security_group_rules,
        Filters=[{"Name": "group-id", "Values": ["web"]}],
    )
    error = rejected(
        "InvalidSecurityGroupRuleId.NotFound",
        ec2.describe_security_group_rules,
        SecurityGroupRuleIds=["sgr-0123456789abcdef0"],
    )
    assert error["Message"] == "The security group rule ID 'sgr-0123456789abcdef0' does not exist"
    rejected(
        "InvalidSecurityGroupRuleId.Malformed",
        ec2.describe_security_group_rules,
        SecurityGroupRuleIds=["nope"],
    )


def test_rules_of_another_account_stay_hidden(ec2, gid, endpoint):
    from api_server.api_helpers import client

    other = client(endpoint, "999999999998")
    assert (
        other.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [gid]}])[
            "SecurityGroupRules"
        ]
        == []
    )
    with pytest.raises(ClientError) as info:
        other.authorize_security_group_ingress(GroupId=gid, IpPermissions=[tcp(1, "1.0.0.0/8")])
    assert info.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
