"""Terraform's and Ansible's exact call sequences (shared/reference/iac-clients.md §2, §4),
replayed with boto3 where the real client cannot be installed offline.

Each step reads only what the client reads, the way it reads it (unguarded keys indexed
directly), so a missing field or a refused call fails here as it fails the client.
"""

from __future__ import annotations

import uuid

import pytest

FAST = {"Delay": 1, "MaxAttempts": 10}


@pytest.fixture
def subnet_id(ec2, vpc_id) -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


def _terraform_read(ec2, iid: str) -> dict:
    """``resourceInstanceRead``: everything one plan asks about one instance."""
    [inst] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
    assert inst["State"]["Name"] != "terminated"
    primary = next(n for n in inst["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0)
    [kind] = ec2.describe_instance_types(InstanceTypes=[inst["InstanceType"]])["InstanceTypes"]
    launch_template = ec2.describe_tags(
        Filters=[
            {"Name": "resource-id", "Values": [iid]},
            {"Name": "key", "Values": ["aws:ec2launchtemplate:id"]},
        ]
    )["Tags"]
    volume_ids = [m["Ebs"]["VolumeId"] for m in inst["BlockDeviceMappings"]]
    volumes = ec2.describe_volumes(VolumeIds=volume_ids)["Volumes"]
    [vpc] = ec2.describe_vpcs(VpcIds=[inst["VpcId"]])["Vpcs"]
    attributes = {
        name: ec2.describe_instance_attribute(InstanceId=iid, Attribute=name)
        for name in (
            "instanceInitiatedShutdownBehavior",
            "disableApiStop",
            "disableApiTermination",
            "userData",
        )
    }
    credits = None
    if kind["BurstablePerformanceSupported"]:
        [credits] = ec2.describe_instance_credit_specifications(InstanceIds=[iid])[
            "InstanceCreditSpecifications"
        ]
    return {
        "type": inst["InstanceType"],
        "cores": kind["VCpuInfo"]["DefaultCores"],
        "threads": kind["VCpuInfo"]["DefaultThreadsPerCore"],
        "eni": primary["NetworkInterfaceId"],
        "groups": sorted(g["GroupId"] for g in primary["Groups"]),
        "public_ip": "Association" in primary,
        "launch_template": launch_template,
        "root": [(v["VolumeId"], v["Size"], v["VolumeType"], v["Encrypted"]) for v in volumes],
        "default_vpc": vpc["IsDefault"],
        "shutdown": attributes["instanceInitiatedShutdownBehavior"][
            "InstanceInitiatedShutdownBehavior"
        ]["Value"],
        "stop_protection": attributes["disableApiStop"]["DisableApiStop"]["Value"],
        "termination_protection": attributes["disableApiTermination"]["DisableApiTermination"][
            "Value"
        ],
        "user_data": attributes["userData"].get("UserData", {}).get("Value"),
        "credits": credits and credits["CpuCredits"],
    }


def test_terraform_aws_instance_lifecycle(ec2, subnet_id, vpc_id):
    sg = ec2.create_security_group(GroupName="tf", Description="Managed by Terraform", VpcId=vpc_id)
    other = ec2.create_security_group(GroupName="tf2", Description="d", VpcId=vpc_id)
    [image] = ec2.describe_images(ImageIds=["ami-0abcdef1234567890"])["Images"]  # block devices
    assert image["RootDeviceName"] == "/dev/xvda"
    reservation = ec2.run_instances(
        ImageId=image["ImageId"],
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        ClientToken=str(uuid.uuid4()),
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet_id,
                "Groups": [sg["GroupId"]],
                "AssociatePublicIpAddress": True,
            }
        ],
        CreditSpecification={"CpuCredits": "unlimited"},
        TagSpecifications=[
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "web"}]},
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "web"}]},
        ],
    )
    iid = reservation["Instances"][0]["InstanceId"]
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    first = _terraform_read(ec2, iid)
    assert first == _terraform_read(ec2, iid)  # every plan sees the same: no diff
    assert first["type"] == "t3.micro" and (first["cores"], first["threads"]) == (1, 2)
    assert first["groups"] == [sg["GroupId"]] and first["public_ip"]
    assert first["launch_template"] == [] and first["default_vpc"] is False
    assert first["root"][0][1:] == (8, "gp3", False)
    assert (first["shutdown"], first["stop_protection"], first["termination_protection"]) == (
        "stop",
        False,
        False,
    )
    assert first["user_data"] is None and first["credits"] == "unlimited"
    # update: the groups through the primary interface; the type through stop/modify/start
    ec2.modify_network_interface_attribute(
        NetworkInterfaceId=first["eni"], Groups=[sg["GroupId"], other["GroupId"]]
    )
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig=FAST)
    ec2.modify_instance_attribute(InstanceId=iid, InstanceType={"Value": "m5.large"})
    ec2.start_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    updated = _terraform_read(ec2, iid)
    assert updated["type"] == "m5.large" and updated["credits"] is None
    assert updated["groups"] == sorted([sg["GroupId"], other["GroupId"]])
    assert updated["root"] == first["root"]
    # destroy
    ec2.modify_instance_attribute(InstanceId=iid, DisableApiTermination={"Value": False})
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=FAST)
    assert (
        ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [iid]}])[
            "Volumes"
        ]
        == []
    )


def test_terraform_aws_vpc_read(ec2):
    vpc = ec2.create_vpc(
        CidrBlock="10.7.0.0/16",
        InstanceTenancy="default",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "tf"}]}],
    )["Vpc"]
    vpc_id = vpc["VpcId"]
    ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id], WaiterConfig=FAST)
    for _ in range(2):  # every plan
        [described] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        assert described["OwnerId"]
        values = {
            name: ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute=name)[
                name[:1].upper() + name[1:]
            ]["Value"]
            for name in (
                "enableDnsHostnames",
                "enableDnsSupport",
                "enableNetworkAddressUsageMetrics",
            )
        }
        assert values == {
            "enableDnsHostnames": False,
            "enableDnsSupport": True,
            "enableNetworkAddressUsageMetrics": False,
        }
        in_vpc = {"Name": "vpc-id", "Values": [vpc_id]}
        acls = ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}, in_vpc])
        tables = ec2.describe_route_tables(
            Filters=[{"Name": "association.main", "Values": ["true"]}, in_vpc]
        )
        groups = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": ["default"]}, in_vpc]
        )
        assert len(acls["NetworkAcls"]) == len(tables["RouteTables"]) == 1
        assert len(groups["SecurityGroups"]) == 1
        endpoints = ec2.describe_vpc_endpoints(Filters=[in_vpc])["VpcEndpoints"]
        assert endpoints == []
    ec2.delete_vpc(VpcId=vpc_id)


def test_ansible_ec2_vpc_net_lookup_create_rerun(ec2):
    """``ec2_vpc_net``: looked up by Name tag and ``cidr-block`` (the filter that failed)."""

    def lookup() -> list[dict]:
        return ec2.describe_vpcs(
            Filters=[
                {"Name": "tag:Name", "Values": ["ansible-net"]},
                {"Name": "cidr-block", "Values": ["10.8.0.0/16"]},
            ]
        )["Vpcs"]

    assert lookup() == []
    created = ec2.create_vpc(
        CidrBlock="10.8.0.0/16",
        InstanceTenancy="default",
        TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "ansible-net"}]}
        ],
    )["Vpc"]
    assert [a["CidrBlock"] for a in created["CidrBlockAssociationSet"]] == ["10.8.0.0/16"]
    vpc_id = created["VpcId"]
    ec2.get_waiter("vpc_exists").wait(VpcIds=[vpc_id], WaiterConfig=FAST)
    ec2.get_waiter("vpc_available").wait(VpcIds=[vpc_id], WaiterConfig=FAST)
    support = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert support["EnableDnsSupport"]["Value"] and not hostnames["EnableDnsHostnames"]["Value"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"]["Value"] is True
    # the second run finds exactly the one VPC, so nothing changes
    assert [v["VpcId"] for v in lookup()] == [vpc_id]
    ec2.delete_vpc(VpcId=vpc_id)
    assert lookup() == []


def test_ansible_ec2_instance_without_subnet(ec2):
    """``ec2_instance`` with no subnet: the default VPC by ``isDefault``, its default
    subnets, the launch, ``DescribeInstanceStatus`` and the attribute diff."""
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    subnets = ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc["VpcId"]]},
            {"Name": "state", "Values": ["available"]},
            {"Name": "default-for-az", "Values": ["true"]},
        ]
    )["Subnets"]
    assert subnets
    groups = ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
    default_sg = next(g for g in groups["SecurityGroups"] if g["GroupName"] == "default")
    launched = ec2.run_instances(
        ImageId="ami-0123456789abcdef0",
        InstanceType="t3.micro",
        MinCount=1,
        MaxCount=1,
        ClientToken=str(uuid.uuid4()),
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnets[0]["SubnetId"],
                "Groups": [default_sg["GroupId"]],
                "DeleteOnTermination": True,
            }
        ],
        TagSpecifications=[
            {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "a"}]},
            {"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "a"}]},
        ],
    )["Instances"][0]
    iid = launched["InstanceId"]
    assert launched["NetworkInterfaces"] and "SourceDestCheck" in launched
    ec2.get_waiter("instance_exists").wait(InstanceIds=[iid], WaiterConfig=FAST)
    statuses = ec2.describe_instance_status(InstanceIds=[iid], IncludeAllInstances=True)
    assert [s["InstanceId"] for s in statuses["InstanceStatuses"]] == [iid]
    current = {
        "instanceType": ec2.describe_instance_attribute(InstanceId=iid, Attribute="instanceType")[
            "InstanceType"
        ]["Value"],
        "disableApiTermination": ec2.describe_instance_attribute(
            InstanceId=iid, Attribute="disableApiTermination"
        )["DisableApiTermination"]["Value"],
        "ebsOptimized": ec2.describe_instance_attribute(InstanceId=iid, Attribute="ebsOptimized")[
            "EbsOptimized"
        ]["Value"],
        "groupSet": [
            g["GroupId"]
            for g in ec2.describe_instance_attribute(InstanceId=iid, Attribute="groupSet")["Groups"]
        ],
    }
    assert current == {
        "instanceType": "t3.micro",
        "disableApiTermination": False,
        "ebsOptimized": True,
        "groupSet": [default_sg["GroupId"]],
    }
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig=FAST)
    ec2.get_waiter("instance_status_ok").wait(InstanceIds=[iid], WaiterConfig=FAST)
    ec2.terminate_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_terminated").wait(InstanceIds=[iid], WaiterConfig=FAST)
