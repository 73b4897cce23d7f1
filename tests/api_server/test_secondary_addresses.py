"""Assign/UnassignPrivateIpAddresses through boto3, and how interfaces and instances show them."""

from __future__ import annotations


def _subnet(ec2, vpc_id: str) -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


def _addresses(ec2, eni_id: str) -> list[tuple[bool, str]]:
    [eni] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    return [(a["Primary"], a["PrivateIpAddress"]) for a in eni["PrivateIpAddresses"]]


def test_assign_and_unassign(ec2, vpc_id, rejected):
    subnet = _subnet(ec2, vpc_id)
    eni = ec2.create_network_interface(SubnetId=subnet, PrivateIpAddress="10.0.1.10")[
        "NetworkInterface"
    ]["NetworkInterfaceId"]
    named = ec2.assign_private_ip_addresses(
        NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.20", "10.0.1.21"]
    )
    assert named["NetworkInterfaceId"] == eni
    assert named["AssignedPrivateIpAddresses"] == [
        {"PrivateIpAddress": "10.0.1.20"},
        {"PrivateIpAddress": "10.0.1.21"},
    ]
    counted = ec2.assign_private_ip_addresses(
        NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=1
    )
    assert counted["AssignedPrivateIpAddresses"] == [{"PrivateIpAddress": "10.0.1.4"}]
    assert _addresses(ec2, eni) == [
        (True, "10.0.1.10"),
        (False, "10.0.1.20"),
        (False, "10.0.1.21"),
        (False, "10.0.1.4"),
    ]
    found = ec2.describe_network_interfaces(
        Filters=[{"Name": "addresses.private-ip-address", "Values": ["10.0.1.21"]}]
    )["NetworkInterfaces"]
    assert [e["NetworkInterfaceId"] for e in found] == [eni]
    ec2.unassign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.20"])
    assert [a for p, a in _addresses(ec2, eni) if not p] == ["10.0.1.21", "10.0.1.4"]

    rejected(
        "InvalidIPAddress.InUse",
        ec2.assign_private_ip_addresses,
        NetworkInterfaceId=eni,
        PrivateIpAddresses=["10.0.1.21"],
    )
    rejected(
        "InvalidParameterValue",
        ec2.assign_private_ip_addresses,
        NetworkInterfaceId=eni,
        PrivateIpAddresses=["10.0.9.9"],
    )
    rejected(
        "PrivateIpAddressLimitExceeded",
        ec2.assign_private_ip_addresses,
        NetworkInterfaceId=eni,
        SecondaryPrivateIpAddressCount=8,
    )
    rejected(
        "InvalidParameterValue",
        ec2.unassign_private_ip_addresses,
        NetworkInterfaceId=eni,
        PrivateIpAddresses=["10.0.1.10"],
    )
    rejected(
        "InvalidNetworkInterfaceID.NotFound",
        ec2.assign_private_ip_addresses,
        NetworkInterfaceId="eni-0123456789abcdef0",
        SecondaryPrivateIpAddressCount=1,
    )


def test_instances_show_secondary_addresses(ec2, vpc_id):
    subnet = _subnet(ec2, vpc_id)
    [instance] = ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, SubnetId=subnet)[
        "Instances"
    ]
    eni = instance["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ec2.assign_private_ip_addresses(NetworkInterfaceId=eni, PrivateIpAddresses=["10.0.1.77"])
    [reservation] = ec2.describe_instances(InstanceIds=[instance["InstanceId"]])["Reservations"]
    [shown] = reservation["Instances"][0]["NetworkInterfaces"]
    assert [(a["Primary"], a["PrivateIpAddress"]) for a in shown["PrivateIpAddresses"]] == [
        (True, instance["PrivateIpAddress"]),
        (False, "10.0.1.77"),
    ]


def test_run_instances_with_secondary_addresses(ec2, vpc_id, rejected):
    subnet = _subnet(ec2, vpc_id)
    [counted] = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {"DeviceIndex": 0, "SubnetId": subnet, "SecondaryPrivateIpAddressCount": 2}
        ],
    )["Instances"]
    addresses = counted["NetworkInterfaces"][0]["PrivateIpAddresses"]
    assert [(a["Primary"], a["PrivateIpAddress"]) for a in addresses] == [
        (True, "10.0.1.4"),
        (False, "10.0.1.5"),
        (False, "10.0.1.6"),
    ]
    [named] = ec2.run_instances(
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet,
                "PrivateIpAddresses": [
                    {"PrivateIpAddress": "10.0.1.30", "Primary": True},
                    {"PrivateIpAddress": "10.0.1.31", "Primary": False},
                ],
            }
        ],
    )["Instances"]
    assert named["PrivateIpAddress"] == "10.0.1.30"
    eni = named["NetworkInterfaces"][0]["NetworkInterfaceId"]
    assert _addresses(ec2, eni) == [(True, "10.0.1.30"), (False, "10.0.1.31")]
    before = len(ec2.describe_instances()["Reservations"])
    rejected(
        "InvalidIPAddress.InUse",
        ec2.run_instances,
        ImageId="ami-12345678",
        MinCount=1,
        MaxCount=1,
        NetworkInterfaces=[
            {
                "DeviceIndex": 0,
                "SubnetId": subnet,
                "PrivateIpAddresses": [{"PrivateIpAddress": "10.0.1.31", "Primary": False}],
            }
        ],
    )
    assert len(ec2.describe_instances()["Reservations"]) == before


def test_create_network_interface_with_secondary_addresses(ec2, vpc_id, rejected):
    subnet = _subnet(ec2, vpc_id)
    counted = ec2.create_network_interface(SubnetId=subnet, SecondaryPrivateIpAddressCount=2)
    eni = counted["NetworkInterface"]["NetworkInterfaceId"]
    assert _addresses(ec2, eni) == [(True, "10.0.1.4"), (False, "10.0.1.5"), (False, "10.0.1.6")]
    named = ec2.create_network_interface(
        SubnetId=subnet,
        PrivateIpAddresses=[
            {"PrivateIpAddress": "10.0.1.40", "Primary": True},
            {"PrivateIpAddress": "10.0.1.41"},
        ],
    )["NetworkInterface"]
    assert named["PrivateIpAddress"] == "10.0.1.40"
    assert [(a["Primary"], a["PrivateIpAddress"]) for a in named["PrivateIpAddresses"]] == [
        (True, "10.0.1.40"),
        (False, "10.0.1.41"),
    ]
    before = len(ec2.describe_network_interfaces()["NetworkInterfaces"])
    rejected(
        "PrivateIpAddressLimitExceeded",
        ec2.create_network_interface,
        SubnetId=subnet,
        SecondaryPrivateIpAddressCount=10,  # 11 addresses with the primary
    )
    rejected(
        "InvalidIPAddress.InUse",
        ec2.create_network_interface,
        SubnetId=subnet,
        PrivateIpAddresses=[{"PrivateIpAddress": "10.0.1.41"}],
    )
    assert len(ec2.describe_network_interfaces()["NetworkInterfaces"]) == before
