"""Security groups through boto3: lifecycle, describe, filters, pagination, waiter, errors."""

from __future__ import annotations

import pytest
from api_server.api_helpers import client, raw
from botocore.exceptions import ClientError

from stockade.api.app import create_app, serving
from stockade.domain.quotas import Quotas

SSH = {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}


def default_vpc(ec2) -> str:
    return ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0][
        "VpcId"
    ]


def test_create_describe_delete(ec2, vpc_id):
    created = ec2.create_security_group(
        GroupName="web",
        Description="web servers",
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "Env", "Value": "p"}]}
        ],
    )
    gid = created["GroupId"]
    assert created["Tags"] == [{"Key": "Env", "Value": "p"}]
    assert created["SecurityGroupArn"].endswith(f":security-group/{gid}")
    [group] = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
    assert group["GroupName"] == "web" and group["Description"] == "web servers"
    assert group["IpPermissions"] == []
    assert group["IpPermissionsEgress"] == [
        {
            "IpProtocol": "-1",
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            "Ipv6Ranges": [],
            "PrefixListIds": [],
            "UserIdGroupPairs": [],
        }
    ]
    deleted = ec2.delete_security_group(GroupId=gid)
    assert deleted["Return"] is True and deleted["GroupId"] == gid
    names = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
    assert "web" not in names


def test_default_group_shape(ec2, vpc_id):
    [group] = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    assert group["Description"] == "default VPC security group"
    [inbound] = group["IpPermissions"]
    assert inbound["IpProtocol"] == "-1" and "FromPort" not in inbound
    assert inbound["UserIdGroupPairs"] == [
        {"GroupId": group["GroupId"], "UserId": group["OwnerId"]}
    ]


def test_name_only_calls_use_the_default_vpc(ec2):
    gid = ec2.create_security_group(GroupName="named", Description="d")["GroupId"]
    [group] = ec2.describe_security_groups(GroupNames=["named"])["SecurityGroups"]
    assert group["GroupId"] == gid and group["VpcId"] == default_vpc(ec2)
    ec2.authorize_security_group_ingress(GroupName="named", IpPermissions=[SSH])
    ec2.delete_security_group(GroupName="named")


def test_create_errors(ec2, vpc_id, rejected):
    ec2.create_security_group(GroupName="web", Description="d", VpcId=vpc_id)
    error = rejected(
        "InvalidGroup.Duplicate",
        ec2.create_security_group,
        GroupName="WEB",
        Description="d",
        VpcId=vpc_id,
    )
    assert error["Message"] == f"The security group 'WEB' already exists for VPC '{vpc_id}'"
    error = rejected(
        "InvalidParameterValue", ec2.create_security_group, GroupName="sg-xyz", Description="d"
    )
    assert error["Message"] == (
        "Value (sg-xyz) for parameter GroupName is invalid. Group names may not be in the "
        "format sg-*."
    )
    error = rejected(
        "InvalidParameterValue", ec2.create_security_group, GroupName="ok", Description="café"
    )
    assert error["Message"] == (
        "Value (café) for parameter GroupDescription is invalid. Character sets beyond ASCII "
        "are not supported."
    )
    rejected(
        "InvalidGroup.Reserved",
        ec2.create_security_group,
        GroupName="default",
        Description="d",
        VpcId=vpc_id,
    )
    rejected(
        "InvalidVpcID.NotFound",
        ec2.create_security_group,
        GroupName="x",
        Description="d",
        VpcId="vpc-0123456789abcdef0",
    )
    rejected(
        "InvalidVpcID.Malformed",
        ec2.create_security_group,
        GroupName="x",
        Description="d",
        VpcId="vpc-zz",
    )
    rejected(
        "InvalidParameterValue",
        ec2.create_security_group,
        GroupName="x",
        Description="d",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "a", "Value": "b"}]}],
    )


def test_create_missing_parameters_from_a_raw_client(endpoint):
    status, body = raw(endpoint, "Action=CreateSecurityGroup&GroupName=x")
    assert status == 400 and "<Code>MissingParameter</Code>" in body


def test_no_default_vpc(ec2, rejected):
    vpc = default_vpc(ec2)
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    [igw] = ec2.describe_internet_gateways()["InternetGateways"]
    ec2.detach_internet_gateway(InternetGatewayId=igw["InternetGatewayId"], VpcId=vpc)
    ec2.delete_vpc(VpcId=vpc)
    error = rejected("VPCIdNotSpecified", ec2.create_security_group, GroupName="x", Description="d")
    assert "No default VPC" in error["Message"]
    assert ec2.create_default_vpc()["Vpc"]["IsDefault"] is True
    rejected("DefaultVpcAlreadyExists", ec2.create_default_vpc)


def test_delete_errors(ec2, vpc_id, rejected):
    [default] = ec2.describe_security_groups(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
    )["SecurityGroups"]
    error = rejected("CannotDelete", ec2.delete_security_group, GroupId=default["GroupId"])
    assert error["Message"] == (
        f'the specified group: "{default["GroupId"]}" name: "default" cannot be deleted by a user'
    )
    a = ec2.create_security_group(GroupName="a", Description="d", VpcId=vpc_id)["GroupId"]
    b = ec2.create_security_group(GroupName="b", Description="d", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=b,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": a}],
            }
        ],
    )
    error = rejected("DependencyViolation", ec2.delete_security_group, GroupId=a)
    assert error["Message"] == f"resource {a} has a dependent object"
    error = rejected(
        "InvalidGroup.NotFound", ec2.delete_security_group, GroupId="sg-0123456789abcdef0"
    )
    assert error["Message"] == "The security group 'sg-0123456789abcdef0' does not exist"
    error = rejected("InvalidGroupId.Malformed", ec2.delete_security_group, GroupId="web")
    assert error["Message"] == 'Invalid id: "web" (expecting "sg-...")'


def test_describe_not_found(ec2, rejected):
    error = rejected(
        "InvalidGroup.NotFound", ec2.describe_security_groups, GroupIds=["sg-0123456789abcdef0"]
    )
    assert error["Message"] == "The security group 'sg-0123456789abcdef0' does not exist"
    error = rejected("InvalidGroup.NotFound", ec2.describe_security_groups, GroupNames=["nope"])
    assert error["Message"] == (
        f"The security group 'nope' does not exist in default VPC '{default_vpc(ec2)}'"
    )
    # a filter never raises not-found
    assert (
        ec2.describe_security_groups(
            Filters=[{"Name": "group-id", "Values": ["sg-0123456789abcdef0"]}]
        )["SecurityGroups"]
        == []
    )


def test_filters_with_wildcards_and_rule_filters(ec2, vpc_id):
    web = ec2.create_security_group(
        GroupName="web-1",
        Description="front",
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "security-group", "Tags": [{"Key": "tier", "Value": "front"}]}
        ],
    )["GroupId"]
    db = ec2.create_security_group(GroupName="db-1", Description="back", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                "Ipv6Ranges": [{"CidrIpv6": "::/0"}],
            }
        ],
    )
    ec2.authorize_security_group_ingress(
        GroupId=db,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": web}],
            }
        ],
    )

    def names(*filters):
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, *filters]
        )["SecurityGroups"]
        return sorted(g["GroupName"] for g in groups)

    assert names({"Name": "group-name", "Values": ["*-1"]}) == ["db-1", "web-1"]
    assert names({"Name": "group-name", "Values": ["w?b-?"]}) == ["web-1"]
    assert names({"Name": "group-name", "Values": ["WEB-1"]}) == []  # case-sensitive
    assert names({"Name": "description", "Values": ["back", "front"]}) == ["db-1", "web-1"]
    assert names({"Name": "tag:tier", "Values": ["front"]}) == ["web-1"]
    assert names({"Name": "tag-key", "Values": ["tier"]}) == ["web-1"]
    assert names({"Name": "ip-permission.cidr", "Values": ["0.0.0.0/0"]}) == ["web-1"]
    assert names({"Name": "ip-permission.ipv6-cidr", "Values": ["::/0"]}) == ["web-1"]
    assert names({"Name": "ip-permission.from-port", "Values": ["5432"]}) == ["db-1"]
    assert names({"Name": "ip-permission.group-id", "Values": [web]}) == ["db-1"]
    assert names({"Name": "ip-permission.group-name", "Values": ["web-*"]}) == ["db-1"]
    assert names({"Name": "egress.ip-permission.protocol", "Values": ["-1"]}) == [
        "db-1",
        "default",
        "web-1",
    ]
    # a group matches when some combination of its rules satisfies all rule filters
    assert names(
        {"Name": "ip-permission.cidr", "Values": ["0.0.0.0/0"]},
        {"Name": "ip-permission.to-port", "Values": ["443"]},
    ) == ["web-1"]
    assert names({"Name": "owner-id", "Values": ["1*"]}) == ["db-1", "default", "web-1"]


def test_every_documented_filter_name_is_accepted(ec2):
    from stockade.api.model import model_filter_names

    for name in sorted(model_filter_names("DescribeSecurityGroups")):
        name = "tag:Name" if name == "tag:" else name
        ec2.describe_security_groups(Filters=[{"Name": name, "Values": ["x*"]}])


def test_pagination_and_paginator(ec2, vpc_id, rejected):
    for i in range(12):
        ec2.create_security_group(GroupName=f"g{i:02}", Description="d", VpcId=vpc_id)
    first = ec2.describe_security_groups(MaxResults=5)
    assert len(first["SecurityGroups"]) == 5 and first["NextToken"]
    pages = list(
        ec2.get_paginator("describe_security_groups").paginate(PaginationConfig={"PageSize": 5})
    )
    ids = [g["GroupId"] for p in pages for g in p["SecurityGroups"]]
    assert len(ids) == len(set(ids)) == 14  # 12 + two default groups
    assert "NextToken" not in pages[-1]
    rejected(
        "InvalidNextToken",
        ec2.describe_security_groups,
        MaxResults=5,
        NextToken=first["NextToken"],
        Filters=[{"Name": "group-name", "Values": ["g*"]}],
    )


def test_security_group_exists_waiter(ec2):
    gid = ec2.create_security_group(GroupName="w", Description="d")["GroupId"]
    ec2.get_waiter("security_group_exists").wait(
        GroupIds=[gid], WaiterConfig={"Delay": 1, "MaxAttempts": 2}
    )
    with pytest.raises(Exception) as info:
        ec2.get_waiter("security_group_exists").wait(
            GroupIds=["sg-0123456789abcdef0"], WaiterConfig={"Delay": 0.1, "MaxAttempts": 2}
        )
    assert "Max attempts exceeded" in str(info.value)


def test_references_and_stale_groups(ec2, vpc_id, account, endpoint):
    a = ec2.create_security_group(GroupName="a", Description="d", VpcId=vpc_id)["GroupId"]
    refs = ec2.describe_security_group_references(GroupId=[a])["SecurityGroupReferenceSet"]
    assert refs == []
    stale = ec2.describe_stale_security_groups(VpcId=vpc_id)
    assert stale["StaleSecurityGroupSet"] == []
    with pytest.raises(ClientError) as info:
        ec2.describe_stale_security_groups(VpcId="vpc-0123456789abcdef0")
    assert info.value.response["Error"]["Code"] == "InvalidVpcID.NotFound"
    pages = ec2.get_paginator("describe_stale_security_groups").paginate(VpcId=vpc_id)
    assert [p["StaleSecurityGroupSet"] for p in pages] == [[]]


def test_group_quota(api_store, account):
    with serving(create_app(api_store, quotas=Quotas(groups_per_region=2))) as url:
        ec2 = client(url, account)
        ec2.create_security_group(GroupName="one", Description="d")  # + the default group
        with pytest.raises(ClientError) as info:
            ec2.create_security_group(GroupName="two", Description="d")
    error = info.value.response["Error"]
    assert error["Code"] == "SecurityGroupLimitExceeded"
    assert error["Message"].startswith("The maximum number of security groups for VPC")


def test_accounts_are_isolated(ec2, endpoint, rejected):
    gid = ec2.create_security_group(GroupName="mine", Description="d")["GroupId"]
    other = client(endpoint, "999999999999")
    with pytest.raises(ClientError) as info:
        other.describe_security_groups(GroupIds=[gid])
    assert info.value.response["Error"]["Code"] == "InvalidGroup.NotFound"
    assert gid not in {g["GroupId"] for g in other.describe_security_groups()["SecurityGroups"]}
    with pytest.raises(ClientError):
        other.delete_security_group(GroupId=gid)
    assert ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
