"""A VPC's and a subnet's blocks after creation (issue 14): the IPv6 block disassociated,
a subnet's /64 associated and disassociated, the primary IPv4 block kept, and
ModifyVpcTenancy; every refusal changes nothing."""

from __future__ import annotations

import ipaddress


def _vpc_with_ipv6(ec2) -> tuple[str, str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.8.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    [assoc] = vpc["Ipv6CidrBlockAssociationSet"]
    return vpc["VpcId"], assoc["Ipv6CidrBlock"], assoc["AssociationId"]


def _local_destinations(ec2, vpc_id: str) -> set[str]:
    [main] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    return {
        r.get("DestinationCidrBlock") or r.get("DestinationIpv6CidrBlock")
        for r in main["Routes"]
        if r["GatewayId"] == "local"
    }


def test_subnet_ipv6_block_associated_then_disassociated(ec2, rejected):
    vpc_id, block, _ = _vpc_with_ipv6(ec2)
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.8.1.0/24")["Subnet"]["SubnetId"]
    first, second = list(ipaddress.IPv6Network(block).subnets(new_prefix=64))[:2]
    answer = ec2.associate_subnet_cidr_block(SubnetId=subnet, Ipv6CidrBlock=str(first))
    association = answer["Ipv6CidrBlockAssociation"]
    assert answer["SubnetId"] == subnet
    assert association["Ipv6CidrBlock"] == str(first)
    assert association["Ipv6CidrBlockState"] == {"State": "associated"}
    [described] = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
    assert described["Ipv6CidrBlockAssociationSet"] == [association]

    rejected(
        "CidrLimitExceeded",
        ec2.associate_subnet_cidr_block,
        SubnetId=subnet,
        Ipv6CidrBlock=str(second),
    )
    other = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.8.2.0/24")["Subnet"]["SubnetId"]
    rejected(
        "InvalidSubnet.Conflict",
        ec2.associate_subnet_cidr_block,
        SubnetId=other,
        Ipv6CidrBlock=str(first),
    )
    for outside in ("2001:db8::/64", str(ipaddress.IPv6Network(block).supernet(new_prefix=48))):
        rejected(
            "InvalidSubnet.Range",
            ec2.associate_subnet_cidr_block,
            SubnetId=other,
            Ipv6CidrBlock=outside,
        )
    rejected(
        "InvalidSubnetID.NotFound",
        ec2.associate_subnet_cidr_block,
        SubnetId="subnet-0123456789abcdef0",
        Ipv6CidrBlock=str(second),
    )

    gone = ec2.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"])
    assert gone["SubnetId"] == subnet
    assert gone["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"] == str(first)
    assert gone["Ipv6CidrBlockAssociation"]["Ipv6CidrBlockState"]["State"] == "disassociating"
    [described] = ec2.describe_subnets(SubnetIds=[subnet])["Subnets"]
    assert described.get("Ipv6CidrBlockAssociationSet", []) == []
    rejected(
        "InvalidSubnetCidrBlockAssociationID.NotFound",
        ec2.disassociate_subnet_cidr_block,
        AssociationId=association["AssociationId"],
    )
    # the /64 is free again, for this subnet or another
    ec2.associate_subnet_cidr_block(SubnetId=other, Ipv6CidrBlock=str(first))


def test_subnet_ipv6_block_kept_while_an_interface_holds_an_address(ec2, rejected):
    vpc_id, block, _ = _vpc_with_ipv6(ec2)
    first = next(ipaddress.IPv6Network(block).subnets(new_prefix=64))
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.8.1.0/24", Ipv6CidrBlock=str(first))[
        "Subnet"
    ]
    [association] = subnet["Ipv6CidrBlockAssociationSet"]
    eni = ec2.create_network_interface(SubnetId=subnet["SubnetId"], Ipv6AddressCount=1)
    rejected(
        "DependencyViolation",
        ec2.disassociate_subnet_cidr_block,
        AssociationId=association["AssociationId"],
    )
    ec2.delete_network_interface(NetworkInterfaceId=eni["NetworkInterface"]["NetworkInterfaceId"])
    ec2.disassociate_subnet_cidr_block(AssociationId=association["AssociationId"])


def test_vpc_ipv6_block_disassociated_with_its_local_route(ec2, rejected):
    vpc_id, block, association_id = _vpc_with_ipv6(ec2)
    assert block in _local_destinations(ec2, vpc_id)
    subnet = ec2.create_subnet(
        VpcId=vpc_id,
        CidrBlock="10.8.1.0/24",
        Ipv6CidrBlock=str(next(ipaddress.IPv6Network(block).subnets(new_prefix=64))),
    )["Subnet"]
    error = rejected(
        "InvalidCidrBlock.InUse", ec2.disassociate_vpc_cidr_block, AssociationId=association_id
    )
    assert block in error["Message"]
    [subnet_association] = subnet["Ipv6CidrBlockAssociationSet"]
    ec2.disassociate_subnet_cidr_block(AssociationId=subnet_association["AssociationId"])

    answer = ec2.disassociate_vpc_cidr_block(AssociationId=association_id)
    assert answer["VpcId"] == vpc_id
    assert answer["Ipv6CidrBlockAssociation"]["AssociationId"] == association_id
    assert answer["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"] == block
    [vpc] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert vpc.get("Ipv6CidrBlockAssociationSet", []) == []
    assert _local_destinations(ec2, vpc_id) == {"10.8.0.0/16"}
    rejected(
        "InvalidVpcCidrBlockAssociationID.NotFound",
        ec2.disassociate_vpc_cidr_block,
        AssociationId=association_id,
    )
    # a new block can be had again
    again = ec2.associate_vpc_cidr_block(VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
    assert again["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"] in _local_destinations(ec2, vpc_id)


def test_primary_ipv4_block_cannot_be_disassociated(ec2, rejected):
    vpc = ec2.create_vpc(CidrBlock="10.9.0.0/16")["Vpc"]
    [primary] = vpc["CidrBlockAssociationSet"]
    rejected(
        "OperationNotPermitted",
        ec2.disassociate_vpc_cidr_block,
        AssociationId=primary["AssociationId"],
    )
    [still] = ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])["Vpcs"]
    assert still["CidrBlockAssociationSet"] == [primary]


def test_modify_vpc_tenancy_only_to_default(ec2, rejected):
    vpc_id = ec2.create_vpc(CidrBlock="10.10.0.0/16", InstanceTenancy="dedicated")["Vpc"]["VpcId"]
    rejected(
        "InvalidParameterValue",
        ec2.modify_vpc_tenancy,
        VpcId=vpc_id,
        InstanceTenancy="dedicated",
    )
    rejected(
        "InvalidVpcID.NotFound",
        ec2.modify_vpc_tenancy,
        VpcId="vpc-0123456789abcdef0",
        InstanceTenancy="default",
    )
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["InstanceTenancy"] == "dedicated"
    assert ec2.modify_vpc_tenancy(VpcId=vpc_id, InstanceTenancy="default")["ReturnValue"] is True
    assert ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"][0]["InstanceTenancy"] == "default"
