"""Network interfaces, instances, prefix lists and tags through boto3."""

from __future__ import annotations

import pytest

from stockade.api.model import model_filter_names


@pytest.fixture
def subnet_id(ec2, vpc_id) -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


@pytest.fixture
def sg(ec2, vpc_id) -> str:
    return ec2.create_security_group(GroupName="app", Description="d", VpcId=vpc_id)["GroupId"]


def test_network_interface_lifecycle(ec2, subnet_id, sg, rejected):
    eni = ec2.create_network_interface(
        SubnetId=subnet_id,
        Groups=[sg],
        Description="extra",
        PrivateIpAddress="10.0.1.50",
        ConnectionTrackingSpecification={"TcpEstablishedTimeout": 3600, "UdpTimeout": 60},
        TagSpecifications=[
            {"ResourceType": "network-interface", "Tags": [{"Key": "Name", "Value": "e"}]}
        ],
    )["NetworkInterface"]
    eid = eni["NetworkInterfaceId"]
    assert eni["Groups"] == [{"GroupId": sg, "GroupName": "app"}]
    assert eni["PrivateIpAddress"] == "10.0.1.50" and eni["Status"] == "available"
    assert eni["ConnectionTrackingConfiguration"] == {
        "TcpEstablishedTimeout": 3600,
        "UdpStreamTimeout": 180,
        "UdpTimeout": 60,
    }
    assert eni["TagSet"] == [{"Key": "Name", "Value": "e"}]
    found = ec2.describe_network_interfaces(Filters=[{"Name": "group-id", "Values": [sg]}])
    assert [e["NetworkInterfaceId"] for e in found["NetworkInterfaces"]] == [eid]
    found = ec2.describe_network_interfaces(
        Filters=[{"Name": "addresses.private-ip-address", "Values": ["10.0.1.5?"]}]
    )
    assert [e["NetworkInterfaceId"] for e in found["NetworkInterfaces"]] == [eid]
    default = ec2.describe_security_groups(
        Filters=[
            {"Name": "group-name", "Values": ["default"]},
            {"Name": "vpc-id", "Values": [eni["VpcId"]]},
        ]
    )["SecurityGroups"][0]["GroupId"]
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Groups=[sg, default])
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=eid, ConnectionTrackingSpecification={"UdpStreamTimeout": 120}
    )
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, Description={"Value": "new"})
    ec2.modify_network_interface_attribute(NetworkInterfaceId=eid, SourceDestCheck={"Value": False})
    [got] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eid])["NetworkInterfaces"]
    assert [g["GroupId"] for g in got["Groups"]] == [sg, default]
    assert got["ConnectionTrackingConfiguration"]["UdpStreamTimeout"] == 120
    assert got["Description"] == "new" and got["SourceDestCheck"] is False
    many = [
        ec2.create_security_group(GroupName=f"g{i}", Description="d", VpcId=eni["VpcId"])["GroupId"]
        for i in range(5)
    ]
    error = rejected(
        "SecurityGroupsPerInterfaceLimitExceeded",
        ec2.modify_network_interface_attribute,
        NetworkInterfaceId=eid,
        Groups=[sg, *many],
    )
    assert (
        error["Message"] == "The maximum number of security groups per interface has been reached."
    )
    rejected(
        "InvalidParameterValue",
        ec2.modify_network_interface_attribute,
        NetworkInterfaceId=eid,
        ConnectionTrackingSpecification={"UdpTimeout": 5},
    )
    rejected("DependencyViolation", ec2.delete_security_group, GroupId=sg)
    ec2.delete_network_interface(NetworkInterfaceId=eid)
    rejected(
        "InvalidNetworkInterfaceID.NotFound", ec2.delete_network_interface, NetworkInterfaceId=eid
    )
    rejected(
        "InvalidNetworkInterfaceId.Malformed",
        ec2.describe_network_interfaces,
        NetworkInterfaceIds=["eni-x"],
    )


def test_network_interface_paginator_and_filters(ec2, subnet_id):
    for _ in range(7):
        ec2.create_network_interface(SubnetId=subnet_id)
    pages = list(
        ec2.get_paginator("describe_network_interfaces").paginate(
            Filters=[{"Name": "subnet-id", "Values": [subnet_id]}], PaginationConfig={"PageSize": 5}
        )
    )
    assert [len(p["NetworkInterfaces"]) for p in pages] == [5, 2]
    for name in sorted(model_filter_names("DescribeNetworkInterfaces")):
        ec2.describe_network_interfaces(
            Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["*"]}]
        )


def test_run_describe_and_lifecycle(ec2, subnet_id, sg, rejected):
    ec2.modify_subnet_attribute(SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": True})
    reservation = ec2.run_instances(
        ImageId="ami-anything",
        InstanceType="r6g.large",
        MinCount=2,
        MaxCount=2,
        SubnetId=subnet_id,
        SecurityGroupIds=[sg],
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
            {"ResourceType": "network-interface", "Tags": [{"Key": "role", "Value": "eth0"}]},
        ],
    )
    instances = reservation["Instances"]
    assert len(instances) == 2 and {i["State"]["Name"] for i in instances} == {"pending"}
    assert all(i["SecurityGroups"] == [{"GroupId": sg, "GroupName": "app"}] for i in instances)
    assert (
        all(i["PublicIpAddress"] for i in instances) and instances[0]["InstanceType"] == "r6g.large"
    )
    iid = instances[0]["InstanceId"]
    described = ec2.describe_instances(InstanceIds=[iid])["Reservations"]
    assert described[0]["ReservationId"] == reservation["ReservationId"]
    assert described[0]["Instances"][0]["State"]["Name"] == "running"
    named = ec2.describe_instances(
        Filters=[
            {"Name": "tag:Name", "Values": ["web"]},
            {"Name": "instance.group-id", "Values": [sg]},
        ]
    )
    assert sum(len(r["Instances"]) for r in named["Reservations"]) == 2
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "attachment.instance-id", "Values": [iid]}]
    )["NetworkInterfaces"]
    assert enis[0]["TagSet"] == [{"Key": "role", "Value": "eth0"}]
    stopped = ec2.stop_instances(InstanceIds=[iid])["StoppingInstances"]
    assert stopped[0]["CurrentState"]["Name"] == "stopping"
    state = ec2.describe_instances(Filters=[{"Name": "instance-state-name", "Values": ["stopped"]}])
    assert [i["InstanceId"] for r in state["Reservations"] for i in r["Instances"]] == [iid]
    assert ec2.start_instances(InstanceIds=[iid])["StartingInstances"][0]["CurrentState"] == {
        "Code": 0,
        "Name": "pending",
    }
    other = ec2.create_security_group(
        GroupName="other", Description="d", VpcId=instances[0]["VpcId"]
    )["GroupId"]
    ec2.modify_instance_attribute(InstanceId=iid, Groups=[sg, other])
    groups = ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")["Groups"]
    assert groups == [{"GroupId": sg, "GroupName": "app"}, {"GroupId": other, "GroupName": "other"}]
    rejected(
        "IncorrectInstanceState",  # a type changes only while the instance is stopped
        ec2.modify_instance_attribute,
        InstanceId=iid,
        InstanceType={"Value": "t3.large"},
    )
    ended = ec2.terminate_instances(InstanceIds=[iid])["TerminatingInstances"]
    assert ended[0]["CurrentState"]["Name"] == "shutting-down"
    rejected(
        "InvalidInstanceID.NotFound", ec2.describe_instances, InstanceIds=["i-0123456789abcdef0"]
    )
    for name in sorted(model_filter_names("DescribeInstances")):
        ec2.describe_instances(
            Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["*"]}]
        )
    page = ec2.describe_instances(MaxResults=5)
    assert "NextToken" not in page


def test_run_with_network_interfaces_and_errors(ec2, subnet_id, sg, vpc_id, rejected):
    reservation = ec2.run_instances(
        ImageId="ami-1",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet_id,
                "Groups": [sg],
                "AssociatePublicIpAddress": True,
                "PrivateIpAddress": "10.0.1.99",
                "ConnectionTrackingSpecification": {"TcpEstablishedTimeout": 120},
            }
        ],
    )
    [inst] = reservation["Instances"]
    assert inst["PrivateIpAddress"] == "10.0.1.99" and inst["PublicIpAddress"]
    eni = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]
    attachment = ec2.attach_network_interface(
        NetworkInterfaceId=eni["NetworkInterfaceId"], InstanceId=inst["InstanceId"], DeviceIndex=1
    )
    error = rejected(
        "InvalidInstanceID",
        ec2.modify_instance_attribute,
        InstanceId=inst["InstanceId"],
        Groups=[sg],
    )
    assert "multiple interfaces attached" in error["Message"]
    ec2.detach_network_interface(AttachmentId=attachment["AttachmentId"])
    default_subnet = ec2.describe_subnets(Filters=[{"Name": "default-for-az", "Values": ["true"]}])[
        "Subnets"
    ][0]["SubnetId"]
    error = rejected(
        "InvalidParameter",
        ec2.run_instances,
        ImageId="a",
        MinCount=1,
        MaxCount=1,
        SubnetId=default_subnet,
        SecurityGroupIds=[sg],
    )
    assert error["Message"] == (
        f"Security group {sg} and subnet {default_subnet} belong to different networks."
    )
    error = rejected(
        "InvalidParameterCombination",
        ec2.run_instances,
        ImageId="a",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        SecurityGroups=["app"],
    )
    assert error["Message"] == "The parameter groupName cannot be used with the parameter subnet"
    error = rejected(
        "InvalidGroup.NotFound",
        ec2.run_instances,
        ImageId="a",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        SecurityGroupIds=["sg-0123456789abcdef0"],
    )
    assert error["Message"] == (
        f"The security group 'sg-0123456789abcdef0' does not exist in VPC '{vpc_id}'"
    )
    named = ec2.run_instances(ImageId="a", MinCount=1, MaxCount=1, SecurityGroups=["default"])
    assert named["Instances"][0]["SecurityGroups"][0]["GroupName"] == "default"


def test_prefix_lists(ec2, sg, rejected):
    pl = ec2.create_managed_prefix_list(
        PrefixListName="office",
        MaxEntries=3,
        AddressFamily="IPv4",
        Entries=[{"Cidr": "192.0.2.0/24", "Description": "hq"}],
        TagSpecifications=[{"ResourceType": "prefix-list", "Tags": [{"Key": "a", "Value": "b"}]}],
    )["PrefixList"]
    plid = pl["PrefixListId"]
    assert (pl["Version"], pl["MaxEntries"], pl["Tags"]) == (1, 3, [{"Key": "a", "Value": "b"}])
    modified = ec2.modify_managed_prefix_list(
        PrefixListId=plid, CurrentVersion=1, AddEntries=[{"Cidr": "198.51.100.0/24"}]
    )
    assert modified["PrefixList"]["Version"] == 2
    rejected(
        "PrefixListVersionMismatch",
        ec2.modify_managed_prefix_list,
        PrefixListId=plid,
        CurrentVersion=1,
        AddEntries=[{"Cidr": "203.0.113.0/24"}],
    )
    entries = ec2.get_managed_prefix_list_entries(PrefixListId=plid)["Entries"]
    assert [e["Cidr"] for e in entries] == ["192.0.2.0/24", "198.51.100.0/24"]
    old = ec2.get_managed_prefix_list_entries(PrefixListId=plid, TargetVersion=1)["Entries"]
    assert old == [{"Cidr": "192.0.2.0/24", "Description": "hq"}]
    pages = list(
        ec2.get_paginator("get_managed_prefix_list_entries").paginate(
            PrefixListId=plid, PaginationConfig={"PageSize": 1}
        )
    )
    assert [len(p["Entries"]) for p in pages] == [1, 1]
    for i in range(3):
        ec2.create_managed_prefix_list(PrefixListName=f"p{i}", MaxEntries=1, AddressFamily="IPv6")
    listed = list(
        ec2.get_paginator("describe_managed_prefix_lists").paginate(
            PaginationConfig={"PageSize": 2}
        )
    )
    assert [len(p["PrefixLists"]) for p in listed] == [2, 2]
    named = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["off*"]}]
    )["PrefixLists"]
    assert [p["PrefixListId"] for p in named] == [plid]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "PrefixListIds": [{"PrefixListId": plid}],
            }
        ],
    )
    rejected("DependencyViolation", ec2.delete_managed_prefix_list, PrefixListId=plid)
    rejected(
        "PrefixListMaxEntriesExceeded",
        ec2.modify_managed_prefix_list,
        PrefixListId=plid,
        AddEntries=[{"Cidr": "203.0.113.0/24"}, {"Cidr": "203.0.113.128/25"}],
    )
    rejected(
        "InvalidPrefixListId.NotFound",
        ec2.describe_managed_prefix_lists,
        PrefixListIds=["pl-0123456789abcdef0"],
    )
    other = ec2.describe_managed_prefix_lists(
        Filters=[{"Name": "prefix-list-name", "Values": ["p0"]}]
    )["PrefixLists"][0]["PrefixListId"]
    assert ec2.delete_managed_prefix_list(PrefixListId=other)["PrefixList"]["State"] == (
        "delete-complete"
    )


def test_tags(ec2, sg, rejected):
    [rule] = ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": 1, "ToPort": 1, "IpRanges": [{"CidrIp": "1.0.0.0/8"}]}
        ],
    )["SecurityGroupRules"]
    rid = rule["SecurityGroupRuleId"]
    ec2.create_tags(Resources=[sg, rid], Tags=[{"Key": "Env", "Value": "prod"}, {"Key": "Team"}])
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [sg, rid]}])["Tags"]
    assert sorted(
        (t["ResourceId"], t["ResourceType"], t["Key"], t["Value"]) for t in tags
    ) == sorted(
        [
            (sg, "security-group", "Env", "prod"),
            (sg, "security-group", "Team", ""),
            (rid, "security-group-rule", "Env", "prod"),
            (rid, "security-group-rule", "Team", ""),
        ]
    )
    only = ec2.describe_tags(
        Filters=[
            {"Name": "resource-type", "Values": ["security-group"]},
            {"Name": "key", "Values": ["E*"]},
        ]
    )["Tags"]
    assert [(t["ResourceId"], t["Key"]) for t in only] == [(sg, "Env")]
    ec2.delete_tags(Resources=[sg], Tags=[{"Key": "Env", "Value": "dev"}])  # value differs: kept
    ec2.delete_tags(Resources=[rid])  # no tags: all removed
    left = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [sg, rid]}])["Tags"]
    assert sorted(t["Key"] for t in left) == ["Env", "Team"]
    rejected(
        "InvalidParameterValue",
        ec2.create_tags,
        Resources=[sg],
        Tags=[{"Key": "aws:x", "Value": "y"}],
    )
    rejected(
        "InvalidGroup.NotFound",
        ec2.create_tags,
        Resources=["sg-0123456789abcdef0"],
        Tags=[{"Key": "a", "Value": "b"}],
    )
    rejected(
        "InvalidID", ec2.create_tags, Resources=["nonsense"], Tags=[{"Key": "a", "Value": "b"}]
    )
    rejected(
        "TagLimitExceeded",
        ec2.create_tags,
        Resources=[sg],
        Tags=[{"Key": f"k{i}", "Value": "v"} for i in range(50)],
    )
    pages = list(ec2.get_paginator("describe_tags").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(p["Tags"]) for p in pages) == 2
