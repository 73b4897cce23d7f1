"""VPCs, subnets, internet gateways, regions and zones through boto3."""

from __future__ import annotations

import pytest
from api_server.api_helpers import raw
from botocore.exceptions import ClientError

from stockade.api.model import model_filter_names


def test_vpc_lifecycle_and_ipv6(ec2, rejected):
    vpc = ec2.create_vpc(
        CidrBlock="10.1.0.18/16",
        TagSpecifications=[{"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": "prod"}]}],
    )["Vpc"]
    assert vpc["CidrBlock"] == "10.1.0.0/16" and vpc["IsDefault"] is False
    assert vpc["Tags"] == [{"Key": "Name", "Value": "prod"}]
    assoc = ec2.associate_vpc_cidr_block(VpcId=vpc["VpcId"], AmazonProvidedIpv6CidrBlock=True)
    assert assoc["VpcId"] == vpc["VpcId"]
    block = assoc["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"]
    assert block.startswith("2001:db8") and block.endswith("/56")
    [described] = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"]
    assert described["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"] == block
    [default_sg] = ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}]
    )["SecurityGroups"]
    assert {
        r.get("CidrIpv6")
        for p in default_sg["IpPermissionsEgress"]
        for r in p["Ipv6Ranges"]
        for r in [{"CidrIpv6": r["CidrIpv6"]}]
    } == {"::/0"}
    rejected(
        "CidrLimitExceeded",
        ec2.associate_vpc_cidr_block,
        VpcId=vpc["VpcId"],
        AmazonProvidedIpv6CidrBlock=True,
    )
    rejected(
        "UnsupportedOperation",
        ec2.associate_vpc_cidr_block,
        VpcId=vpc["VpcId"],
        Ipv4IpamPoolId="ipam-pool-0123456789abcdef0",
    )
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    rejected("InvalidVpcID.NotFound", ec2.describe_vpcs, VpcIds=[vpc["VpcId"]])


def test_vpc_errors(ec2, vpc_id, rejected):
    rejected("InvalidVpc.Range", ec2.create_vpc, CidrBlock="10.0.0.0/8")
    rejected("InvalidParameterValue", ec2.create_vpc, CidrBlock="10.0.0.0/33")
    ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)
    for _ in range(3):
        ec2.create_vpc(CidrBlock="10.9.0.0/16")
    rejected("VpcLimitExceeded", ec2.create_vpc, CidrBlock="10.9.0.0/16")


def test_vpc_filters_and_pagination(ec2, vpc_id):
    def ids(*filters):
        return {v["VpcId"] for v in ec2.describe_vpcs(Filters=list(filters))["Vpcs"]}

    assert ids({"Name": "cidr", "Values": ["10.0.0.0/16"]}) == {vpc_id}
    assert ids({"Name": "is-default", "Values": ["false"]}) == {vpc_id}
    assert ids({"Name": "cidr-block-association.cidr-block", "Values": ["172.31.*"]}) != set()
    assert ids({"Name": "cidr-block-association.state", "Values": ["associated"]}) != set()
    assert ids({"Name": "state", "Values": ["available"]}) >= {vpc_id}
    for name in sorted(model_filter_names("DescribeVpcs")):
        ec2.describe_vpcs(Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["*"]}])
    pages = list(ec2.get_paginator("describe_vpcs").paginate(PaginationConfig={"PageSize": 5}))
    assert sum(len(p["Vpcs"]) for p in pages) == 2


def test_subnets(ec2, vpc_id, rejected):
    subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.0.1.0/24",
        AvailabilityZone="us-east-1b",
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": "a"}]}],
    )["Subnet"]
    sid = subnet["SubnetId"]
    assert subnet["AvailableIpAddressCount"] == 251 and subnet["MapPublicIpOnLaunch"] is False
    assert subnet["AvailabilityZone"] == "us-east-1b" and subnet["AvailabilityZoneId"] == "use1-az2"
    ec2.modify_subnet_attribute(SubnetId=sid, MapPublicIpOnLaunch={"Value": True})
    [got] = ec2.describe_subnets(SubnetIds=[sid])["Subnets"]
    assert got["MapPublicIpOnLaunch"] is True
    found = ec2.describe_subnets(
        Filters=[
            {"Name": "map-public-ip-on-launch", "Values": ["true"]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["Subnets"]
    assert [s["SubnetId"] for s in found] == [sid]
    ec2.create_network_interface(SubnetId=sid)
    [got] = ec2.describe_subnets(SubnetIds=[sid])["Subnets"]
    assert got["AvailableIpAddressCount"] == 250
    rejected("InvalidSubnet.Conflict", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.0.1.128/25")
    rejected("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="192.168.0.0/24")
    rejected(
        "InvalidParameterValue",
        ec2.modify_subnet_attribute,
        SubnetId=sid,
        AssignIpv6AddressOnCreation={"Value": True},
    )
    rejected("DependencyViolation", ec2.delete_subnet, SubnetId=sid)
    rejected(
        "InvalidSubnetID.NotFound", ec2.describe_subnets, SubnetIds=["subnet-0123456789abcdef0"]
    )
    for name in sorted(model_filter_names("DescribeSubnets")):
        ec2.describe_subnets(
            Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["1"]}]
        )


def test_internet_gateways(ec2, rejected):
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway(
        TagSpecifications=[
            {"ResourceType": "internet-gateway", "Tags": [{"Key": "Name", "Value": "gw"}]}
        ]
    )["InternetGateway"]
    gid = igw["InternetGatewayId"]
    assert igw["Attachments"] == [] and igw["Tags"] == [{"Key": "Name", "Value": "gw"}]
    ec2.attach_internet_gateway(InternetGatewayId=gid, VpcId=vpc)
    found = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}]
    )["InternetGateways"]
    assert [g["InternetGatewayId"] for g in found] == [gid]
    assert found[0]["Attachments"] == [{"State": "available", "VpcId": vpc}]
    rejected(
        "Resource.AlreadyAssociated", ec2.attach_internet_gateway, InternetGatewayId=gid, VpcId=vpc
    )
    rejected("DependencyViolation", ec2.delete_internet_gateway, InternetGatewayId=gid)
    ec2.detach_internet_gateway(InternetGatewayId=gid, VpcId=vpc)
    rejected("Gateway.NotAttached", ec2.detach_internet_gateway, InternetGatewayId=gid, VpcId=vpc)
    ec2.delete_internet_gateway(InternetGatewayId=gid)
    rejected(
        "InvalidInternetGatewayID.NotFound",
        ec2.describe_internet_gateways,
        InternetGatewayIds=[gid],
    )
    for name in sorted(model_filter_names("DescribeInternetGateways")):
        ec2.describe_internet_gateways(
            Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["*"]}]
        )


def test_regions_and_zones(ec2, rejected):
    regions = ec2.describe_regions()["Regions"]
    assert {
        "RegionName": "eu-west-1",
        "Endpoint": "ec2.eu-west-1.amazonaws.com",
        "OptInStatus": "opt-in-not-required",
    } in regions
    some = ec2.describe_regions(Filters=[{"Name": "region-name", "Values": ["us-*"]}])["Regions"]
    assert {r["RegionName"] for r in some} == {"us-east-1", "us-east-2", "us-west-1", "us-west-2"}
    rejected("InvalidParameterValue", ec2.describe_regions, RegionNames=["mars-1"])
    zones = ec2.describe_availability_zones(ZoneNames=["us-east-1c"])["AvailabilityZones"]
    assert [(z["ZoneName"], z["ZoneId"], z["State"]) for z in zones] == [
        ("us-east-1c", "use1-az3", "available")
    ]
    by_id = ec2.describe_availability_zones(Filters=[{"Name": "zone-id", "Values": ["use1-az1"]}])[
        "AvailabilityZones"
    ]
    assert [z["ZoneName"] for z in by_id] == ["us-east-1a"]
    rejected("InvalidParameterValue", ec2.describe_availability_zones, ZoneNames=["us-east-1z"])


def test_unsupported_attributes_are_refused(ec2, endpoint):
    status, body = raw(
        endpoint,
        "Action=ModifySubnetAttribute&SubnetId=subnet-0123456789abcdef0&EnableDns64.Value=true",
    )
    assert status == 400 and "UnsupportedOperation" in body
    with pytest.raises(ClientError):
        ec2.create_vpc(CidrBlock="10.0.0.0/16", Ipv6Pool="pool")


def test_detach_internet_gateway_refused_while_public_addresses_are_mapped(ec2, rejected):
    """AWS refuses to detach the gateway that translates an Elastic IP of the VPC
    (``DependencyViolation``, "has some mapped public address(es)"); once unmapped it goes."""
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.4.1.0/24")["Subnet"]["SubnetId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    assoc = ec2.associate_address(AllocationId=alloc, NetworkInterfaceId=eni)["AssociationId"]
    error = rejected(
        "DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc
    )
    assert error["Message"] == (
        f"Network {vpc} has some mapped public address(es). Please unmap those public "
        "address(es) before detaching the gateway."
    )
    [still] = ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"]
    assert still["Attachments"] == [{"State": "available", "VpcId": vpc}]
    ec2.disassociate_address(AssociationId=assoc)
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    assert (
        ec2.describe_internet_gateways(InternetGatewayIds=[igw])["InternetGateways"][0][
            "Attachments"
        ]
        == []
    )


def test_detach_internet_gateway_refused_while_an_instance_has_a_public_ip(ec2, rejected):
    """An automatic public IPv4 is mapped by the gateway too: refused until it is gone."""
    vpc = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    ec2.modify_subnet_attribute(SubnetId=subnet, MapPublicIpOnLaunch={"Value": True})
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    [inst] = ec2.run_instances(
        ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet
    )["Instances"]
    assert inst.get("PublicIpAddress")
    rejected("DependencyViolation", ec2.detach_internet_gateway, InternetGatewayId=igw, VpcId=vpc)
    ec2.terminate_instances(InstanceIds=[inst["InstanceId"]])
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
