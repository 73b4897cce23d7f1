"""AWS-managed prefix lists through boto3: described, read, used in rules; never changed."""

from __future__ import annotations

S3 = "com.amazonaws.us-east-1.s3"


def _aws_lists(ec2) -> dict[str, dict]:
    found = ec2.describe_managed_prefix_lists(Filters=[{"Name": "owner-id", "Values": ["AWS"]}])
    return {p["PrefixListName"]: p for p in found["PrefixLists"]}


def test_described_with_the_callers_own_lists(ec2):
    own = ec2.create_managed_prefix_list(
        PrefixListName="office", MaxEntries=2, AddressFamily="IPv4"
    )
    aws = _aws_lists(ec2)
    assert set(aws) == {
        S3,
        "com.amazonaws.us-east-1.dynamodb",
        "com.amazonaws.global.cloudfront.origin-facing",
        "com.amazonaws.global.ipv6.cloudfront.origin-facing",
        "com.amazonaws.us-east-1.ec2-instance-connect",
        "com.amazonaws.us-east-1.route53-healthchecks",
    }
    s3 = aws[S3]
    assert s3["OwnerId"] == "AWS" and s3["MaxEntries"] == 1 and s3["AddressFamily"] == "IPv4"
    assert s3["PrefixListArn"] == f"arn:aws:ec2:us-east-1:aws:prefix-list/{s3['PrefixListId']}"
    everything = ec2.describe_managed_prefix_lists()["PrefixLists"]
    assert own["PrefixList"]["PrefixListId"] in {p["PrefixListId"] for p in everything}
    assert len(everything) == 7
    named = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["*cloudfront*"]}]
    )["PrefixLists"]
    assert len(named) == 2
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=s3["PrefixListId"])["Entries"]
    assert entries == [{"Cidr": "198.51.100.128/26"}]


def test_describe_prefix_lists_serves_the_service_lists(ec2, rejected):
    lists = ec2.describe_prefix_lists()["PrefixLists"]
    assert {p["PrefixListName"]: p["Cidrs"] for p in lists} == {
        S3: ["198.51.100.128/26"],
        "com.amazonaws.us-east-1.dynamodb": ["198.51.100.192/27"],
    }
    s3 = next(p for p in lists if p["PrefixListName"] == S3)
    assert ec2.describe_prefix_lists(PrefixListIds=[s3["PrefixListId"]])["PrefixLists"] == [s3]
    by_filter = ec2.describe_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [S3]}])[
        "PrefixLists"
    ]
    assert by_filter == [s3]
    cloudfront = _aws_lists(ec2)["com.amazonaws.global.cloudfront.origin-facing"]
    rejected(
        "InvalidPrefixListId.NotFound",
        ec2.describe_prefix_lists,
        PrefixListIds=[cloudfront["PrefixListId"]],
    )
    rejected("InvalidPrefixListId.Malformed", ec2.describe_prefix_lists, PrefixListIds=["pl-x"])


def test_read_only(ec2, rejected):
    plid = _aws_lists(ec2)[S3]["PrefixListId"]
    error = rejected(
        "UnauthorizedOperation",
        ec2.modify_managed_prefix_list,
        PrefixListId=plid,
        AddEntries=[{"Cidr": "10.0.0.0/8"}],
    )
    assert plid in error["Message"]
    rejected("UnauthorizedOperation", ec2.delete_managed_prefix_list, PrefixListId=plid)
    rejected(
        "UnauthorizedOperation",
        ec2.create_tags,
        Resources=[plid],
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert _aws_lists(ec2)[S3]["Version"] == 1


def test_egress_to_s3s_list(ec2, vpc_id):
    plid = _aws_lists(ec2)[S3]["PrefixListId"]
    gid = ec2.create_security_group(GroupName="app", Description="d", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_egress(
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": plid}],
            }
        ],
    )
    [group] = ec2.describe_security_groups(GroupIds=[gid])["SecurityGroups"]
    assert [p["PrefixListIds"] for p in group["IpPermissionsEgress"] if p.get("PrefixListIds")] == [
        [{"PrefixListId": plid}]
    ]
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    igw = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"][0]["InternetGatewayId"]
    ec2.create_route(RouteTableId=rtb, DestinationPrefixListId=plid, GatewayId=igw)
    [table] = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"]
    assert {r.get("DestinationPrefixListId") for r in table["Routes"]} >= {plid}
