"""AssignIpv6Addresses / UnassignIpv6Addresses (issue 14): an interface's IPv6 addresses
from its subnet's /64, named or counted, kept in DescribeNetworkInterfaces; every refusal
changes nothing."""

from __future__ import annotations

import ipaddress

import pytest


@pytest.fixture
def ipv6_subnet(ec2) -> tuple[str, ipaddress.IPv6Network]:
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]
    block = ipaddress.IPv6Network(vpc["Ipv6CidrBlockAssociationSet"][0]["Ipv6CidrBlock"])
    first = next(block.subnets(new_prefix=64))
    subnet = ec2.create_subnet(
        VpcId=vpc["VpcId"], CidrBlock="10.6.1.0/24", Ipv6CidrBlock=str(first)
    )["Subnet"]
    return subnet["SubnetId"], first


def _held(ec2, eni_id: str) -> list[str]:
    [eni] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    return [a["Ipv6Address"] for a in eni.get("Ipv6Addresses", [])]


def test_assign_counted_and_named_then_unassign(ec2, ipv6_subnet, rejected):
    subnet_id, block = ipv6_subnet
    eni = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]
    eni_id = eni["NetworkInterfaceId"]
    counted = ec2.assign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6AddressCount=2)
    assert counted["NetworkInterfaceId"] == eni_id
    assert len(set(counted["AssignedIpv6Addresses"])) == 2
    assert all(ipaddress.IPv6Address(a) in block for a in counted["AssignedIpv6Addresses"])
    wanted = str(block.network_address + 0x100)
    named = ec2.assign_ipv6_addresses(
        NetworkInterfaceId=eni_id, Ipv6Addresses=[wanted.upper()]
    )  # given in capitals, kept canonical
    assert named["AssignedIpv6Addresses"] == [wanted]
    assert _held(ec2, eni_id) == [*counted["AssignedIpv6Addresses"], wanted]

    other = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"]
    other_id = other["NetworkInterfaceId"]
    rejected(
        "InvalidIPAddress.InUse",
        ec2.assign_ipv6_addresses,
        NetworkInterfaceId=other_id,
        Ipv6Addresses=[wanted],
    )
    next_64 = str(block.network_address + (1 << 64) + 0x10)  # the VPC's, not the subnet's
    for bad in (next_64, str(block.network_address + 1), "10.6.1.20"):
        rejected(
            "InvalidParameterValue",
            ec2.assign_ipv6_addresses,
            NetworkInterfaceId=other_id,
            Ipv6Addresses=[bad],
        )
    rejected(
        "InvalidParameterCombination",
        ec2.assign_ipv6_addresses,
        NetworkInterfaceId=other_id,
        Ipv6Addresses=[str(block.network_address + 0x200)],
        Ipv6AddressCount=1,
    )
    rejected("MissingParameter", ec2.assign_ipv6_addresses, NetworkInterfaceId=other_id)
    rejected(
        "PrivateIpAddressLimitExceeded",
        ec2.assign_ipv6_addresses,
        NetworkInterfaceId=other_id,
        Ipv6AddressCount=11,
    )
    rejected(
        "InvalidNetworkInterfaceID.NotFound",
        ec2.assign_ipv6_addresses,
        NetworkInterfaceId="eni-0123456789abcdef0",
        Ipv6AddressCount=1,
    )
    assert _held(ec2, other_id) == []

    gone = ec2.unassign_ipv6_addresses(NetworkInterfaceId=eni_id, Ipv6Addresses=[wanted])
    assert gone == {
        "NetworkInterfaceId": eni_id,
        "UnassignedIpv6Addresses": [wanted],
        "ResponseMetadata": gone["ResponseMetadata"],
    }
    assert _held(ec2, eni_id) == counted["AssignedIpv6Addresses"]
    rejected(
        "InvalidParameterValue",
        ec2.unassign_ipv6_addresses,
        NetworkInterfaceId=eni_id,
        Ipv6Addresses=[wanted],
    )
    # the address is free again for another interface
    moved = ec2.assign_ipv6_addresses(NetworkInterfaceId=other_id, Ipv6Addresses=[wanted])
    assert moved["AssignedIpv6Addresses"] == [wanted]


def test_assign_needs_a_subnet_ipv6_block(ec2, vpc_id, rejected):
    subnet_id = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.7.0/24")["Subnet"]["SubnetId"]
    eni_id = ec2.create_network_interface(SubnetId=subnet_id)["NetworkInterface"][
        "NetworkInterfaceId"
    ]
    rejected(
        "InvalidParameterValue",
        ec2.assign_ipv6_addresses,
        NetworkInterfaceId=eni_id,
        Ipv6AddressCount=1,
    )
