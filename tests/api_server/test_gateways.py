"""Elastic IPs, NAT gateways, egress-only internet gateways, VPC and account attributes
through boto3 on a real loopback server (waiters and Ansible's calls included)."""

from __future__ import annotations

import pytest

UNKNOWN_ALLOC = "eipalloc-0123456789abcdef0"


def _tags(resource_type: str, **tags: str) -> list[dict]:
    return [
        {"ResourceType": resource_type, "Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}
    ]


def _instance(ec2, **kwargs) -> dict:
    return ec2.run_instances(ImageId="ami-12345678", MinCount=1, MaxCount=1, **kwargs)["Instances"][
        0
    ]


def _described(ec2, instance_id: str) -> dict:
    return ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]


def _public_subnet(ec2, vpc_id: str, cidr: str = "10.0.1.0/24") -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone="us-east-1a")["Subnet"][
        "SubnetId"
    ]


# -- Elastic IPs ----------------------------------------------------------------------------------


def test_elastic_ip_lifecycle(ec2, account, rejected):
    allocated = ec2.allocate_address(Domain="vpc", TagSpecifications=_tags("elastic-ip", Name="e"))
    alloc, public_ip = allocated["AllocationId"], allocated["PublicIp"]
    assert allocated["Domain"] == "vpc" and allocated["NetworkBorderGroup"] == "us-east-1"
    assert allocated["PublicIpv4Pool"] == "amazon"
    instance = _instance(ec2)
    iid = instance["InstanceId"]
    automatic = _described(ec2, iid)["PublicIpAddress"]
    assoc = ec2.associate_address(AllocationId=alloc, InstanceId=iid)["AssociationId"]
    assert assoc.startswith("eipassoc-")

    shown = _described(ec2, iid)
    assert shown["PublicIpAddress"] == public_ip != automatic
    # an instance's interface shows who owns the address (its shape has no allocation ids)
    assert shown["NetworkInterfaces"][0]["Association"]["IpOwnerId"] == account
    eni_id = shown["NetworkInterfaces"][0]["NetworkInterfaceId"]
    [eni] = ec2.describe_network_interfaces(NetworkInterfaceIds=[eni_id])["NetworkInterfaces"]
    assert eni["Association"]["IpOwnerId"] == account
    assert eni["Association"]["AllocationId"] == alloc
    assert eni["Association"]["AssociationId"] == assoc
    assert eni["PrivateIpAddresses"][0]["Association"]["AllocationId"] == alloc

    [address] = ec2.describe_addresses(AllocationIds=[alloc])["Addresses"]
    assert address == {
        "AllocationId": alloc,
        "AssociationId": assoc,
        "Domain": "vpc",
        "InstanceId": iid,
        "NetworkInterfaceId": eni_id,
        "NetworkInterfaceOwnerId": account,
        "PrivateIpAddress": shown["PrivateIpAddress"],
        "PublicIp": public_ip,
        "PublicIpv4Pool": "amazon",
        "NetworkBorderGroup": "us-east-1",
        "Tags": [{"Key": "Name", "Value": "e"}],
    }
    rejected("InvalidIPAddress.InUse", ec2.release_address, AllocationId=alloc)
    ec2.disassociate_address(AssociationId=assoc)
    after = _described(ec2, iid)
    assert after["PublicIpAddress"] not in (public_ip, None)  # a new automatic address
    assert after["NetworkInterfaces"][0]["Association"]["IpOwnerId"] == "amazon"
    rejected("InvalidAssociationID.NotFound", ec2.disassociate_address, AssociationId=assoc)
    ec2.release_address(AllocationId=alloc)
    rejected("InvalidAllocationID.NotFound", ec2.describe_addresses, AllocationIds=[alloc])


def test_elastic_ip_survives_stop_and_start(ec2):
    alloc = ec2.allocate_address(Domain="vpc")
    iid = _instance(ec2)["InstanceId"]
    ec2.associate_address(AllocationId=alloc["AllocationId"], InstanceId=iid)
    ec2.stop_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_stopped").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1})
    assert _described(ec2, iid)["PublicIpAddress"] == alloc["PublicIp"]
    ec2.start_instances(InstanceIds=[iid])
    ec2.get_waiter("instance_running").wait(InstanceIds=[iid], WaiterConfig={"Delay": 1})
    assert _described(ec2, iid)["PublicIpAddress"] == alloc["PublicIp"]
    ec2.terminate_instances(InstanceIds=[iid])
    [address] = ec2.describe_addresses(PublicIps=[alloc["PublicIp"]])["Addresses"]
    assert "AssociationId" not in address and "InstanceId" not in address


def test_ansible_ec2_eip_allocates_with_domain_standard(ec2, rejected):
    """amazon.aws.ec2_eip sends Domain=standard unless in_vpc is set; the address is a VPC
    one, which it then associates by allocation id."""
    allocated = ec2.allocate_address(Domain="standard")
    assert allocated["Domain"] == "vpc" and allocated["AllocationId"].startswith("eipalloc-")
    iid = _instance(ec2)["InstanceId"]
    ec2.associate_address(AllocationId=allocated["AllocationId"], InstanceId=iid)
    found = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [iid]}])
    assert [a["PublicIp"] for a in found["Addresses"]] == [allocated["PublicIp"]]
    rejected("InvalidParameterValue", ec2.allocate_address, Domain="classic")


def test_elastic_ip_errors(ec2, vpc_id, rejected):
    alloc = ec2.allocate_address(Domain="vpc")["AllocationId"]
    first, second = _instance(ec2)["InstanceId"], _instance(ec2)["InstanceId"]
    ec2.associate_address(AllocationId=alloc, InstanceId=first)
    rejected(
        "Resource.AlreadyAssociated",
        ec2.associate_address,
        AllocationId=alloc,
        InstanceId=second,
        AllowReassociation=False,
    )
    rejected(
        "InvalidAllocationID.NotFound",
        ec2.associate_address,
        AllocationId=UNKNOWN_ALLOC,
        InstanceId=first,
    )
    rejected("InvalidAllocationID.NotFound", ec2.release_address, AllocationId=UNKNOWN_ALLOC)
    rejected("InvalidAddress.NotFound", ec2.describe_addresses, PublicIps=["203.0.113.250"])
    rejected(
        "InvalidAssociationID.NotFound",
        ec2.disassociate_address,
        AssociationId="eipassoc-0123456789abcdef0",
    )
    # a VPC without an attached internet gateway cannot take an Elastic IP
    bare = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=bare, CidrBlock="10.5.1.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    spare = ec2.allocate_address(Domain="vpc")["AllocationId"]
    rejected(
        "Gateway.NotAttached", ec2.associate_address, AllocationId=spare, NetworkInterfaceId=eni
    )
    for _ in range(3):
        ec2.allocate_address(Domain="vpc")
    rejected("AddressLimitExceeded", ec2.allocate_address, Domain="vpc")


def test_describe_addresses_filters(ec2):
    one = ec2.allocate_address(Domain="vpc", TagSpecifications=_tags("elastic-ip", env="prod"))
    two = ec2.allocate_address(Domain="vpc")
    iid = _instance(ec2)["InstanceId"]
    ec2.associate_address(AllocationId=two["AllocationId"], InstanceId=iid)

    def ids(*filters):
        found = ec2.describe_addresses(Filters=[{"Name": n, "Values": v} for n, v in filters])
        return {a["AllocationId"] for a in found["Addresses"]}

    assert ids(("tag:env", ["prod"])) == {one["AllocationId"]}
    assert ids(("tag-key", ["env"])) == {one["AllocationId"]}
    assert ids(("instance-id", [iid])) == {two["AllocationId"]}
    assert ids(("public-ip", [one["PublicIp"]])) == {one["AllocationId"]}
    assert ids(("allocation-id", [two["AllocationId"]])) == {two["AllocationId"]}
    assert ids(("domain", ["vpc"])) == {one["AllocationId"], two["AllocationId"]}
    assert ids(("association-id", ["eipassoc-*"])) == {two["AllocationId"]}
    assert ids(("network-border-group", ["us-east-1"])) == {
        one["AllocationId"],
        two["AllocationId"],
    }
    assert ids(("network-interface-id", ["eni-*"]), ("private-ip-address", ["172.31.*"])) == {
        two["AllocationId"]
    }
    assert ids(("network-interface-owner-id", ["000000000000"])) == set()
    described = ec2.describe_instances(
        Filters=[
            {
                "Name": "network-interface.association.allocation-id",
                "Values": [two["AllocationId"]],
            }
        ]
    )
    assert [i["InstanceId"] for r in described["Reservations"] for i in r["Instances"]] == [iid]


# -- NAT gateways ---------------------------------------------------------------------------------


def test_nat_gateway_lifecycle_and_waiter(ec2, vpc_id, rejected):
    subnet = _public_subnet(ec2, vpc_id)
    alloc = ec2.allocate_address(Domain="vpc")
    nat = ec2.create_nat_gateway(
        SubnetId=subnet,
        AllocationId=alloc["AllocationId"],
        TagSpecifications=_tags("natgateway", Name="out"),
        ClientToken="token-1",
    )
    gateway = nat["NatGateway"]
    nat_id = gateway["NatGatewayId"]
    assert nat["ClientToken"] == "token-1"
    assert gateway["State"] == "available" and gateway["VpcId"] == vpc_id
    assert gateway["ConnectivityType"] == "public" and gateway["Tags"] == [
        {"Key": "Name", "Value": "out"}
    ]
    [address] = gateway["NatGatewayAddresses"]
    assert address["AllocationId"] == alloc["AllocationId"]
    assert address["PublicIp"] == alloc["PublicIp"]
    assert address["PrivateIp"].startswith("10.0.1.")
    ec2.get_waiter("nat_gateway_available").wait(
        NatGatewayIds=[nat_id], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    again = ec2.create_nat_gateway(
        SubnetId=subnet, AllocationId=alloc["AllocationId"], ClientToken="token-1"
    )
    assert again["NatGateway"]["NatGatewayId"] == nat_id  # the token makes a retry safe
    [held] = ec2.describe_addresses(AllocationIds=[alloc["AllocationId"]])["Addresses"]
    assert held["NetworkInterfaceId"] == address["NetworkInterfaceId"]
    assert held["PrivateIpAddress"] == address["PrivateIp"]
    rejected(
        "Resource.AlreadyAssociated",
        ec2.create_nat_gateway,
        SubnetId=subnet,
        AllocationId=alloc["AllocationId"],
    )
    rejected("DependencyViolation", ec2.delete_subnet, SubnetId=subnet)
    assert ec2.delete_nat_gateway(NatGatewayId=nat_id)["NatGatewayId"] == nat_id
    ec2.get_waiter("nat_gateway_deleted").wait(
        NatGatewayIds=[nat_id], WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    [deleted] = ec2.describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
    assert deleted["State"] == "deleted" and "DeleteTime" in deleted
    ec2.release_address(AllocationId=alloc["AllocationId"])  # freed by the delete


def test_nat_gateway_errors(ec2, vpc_id, rejected):
    subnet = _public_subnet(ec2, vpc_id)
    rejected("MissingParameter", ec2.create_nat_gateway, SubnetId=subnet)
    rejected(
        "InvalidSubnetID.NotFound",
        ec2.create_nat_gateway,
        SubnetId="subnet-0123456789abcdef0",
        ConnectivityType="private",
    )
    rejected(
        "InvalidAllocationID.NotFound",
        ec2.create_nat_gateway,
        SubnetId=subnet,
        AllocationId=UNKNOWN_ALLOC,
    )
    rejected("NatGatewayNotFound", ec2.delete_nat_gateway, NatGatewayId="nat-0123456789abcdef0")
    rejected(
        "NatGatewayNotFound", ec2.describe_nat_gateways, NatGatewayIds=["nat-0123456789abcdef0"]
    )
    for _ in range(5):
        ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")
    rejected(
        "NatGatewayLimitExceeded",
        ec2.create_nat_gateway,
        SubnetId=subnet,
        ConnectivityType="private",
    )


def test_nat_gateway_filters_and_pages(ec2, vpc_id, rejected):
    subnet = _public_subnet(ec2, vpc_id)
    other = _public_subnet(ec2, vpc_id, "10.0.2.0/24")
    made = [
        ec2.create_nat_gateway(
            SubnetId=s, ConnectivityType="private", TagSpecifications=_tags("natgateway", n=str(i))
        )["NatGateway"]["NatGatewayId"]
        for i, s in enumerate([subnet, subnet, other])
    ]
    ec2.delete_nat_gateway(NatGatewayId=made[2])

    def ids(name, *values):
        found = ec2.describe_nat_gateways(Filter=[{"Name": name, "Values": list(values)}])
        return {n["NatGatewayId"] for n in found["NatGateways"]}

    assert ids("subnet-id", subnet) == set(made[:2])
    assert ids("state", "deleted") == set(made[2:])
    assert ids("vpc-id", vpc_id) == set(made)
    assert ids("nat-gateway-id", made[1]) == {made[1]}
    assert ids("tag:n", "0") == set(made[:1])
    assert ids("tag-key", "n") == set(made)
    rejected(
        "InvalidParameterValue",
        ec2.describe_nat_gateways,
        Filter=[{"Name": "nope", "Values": ["x"]}],
    )
    pages = list(
        ec2.get_paginator("describe_nat_gateways").paginate(PaginationConfig={"PageSize": 5})
    )
    paged = [n["NatGatewayId"] for p in pages for n in p["NatGateways"]]
    assert sorted(paged) == sorted(made)  # pages run in id order, each gateway once


# -- egress-only internet gateways ------------------------------------------------------------


def test_egress_only_internet_gateway(ec2, rejected):
    vpc = ec2.create_vpc(CidrBlock="10.3.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    made = ec2.create_egress_only_internet_gateway(
        VpcId=vpc,
        TagSpecifications=_tags("egress-only-internet-gateway", Name="v6"),
    )["EgressOnlyInternetGateway"]
    eigw = made["EgressOnlyInternetGatewayId"]
    assert made["Attachments"] == [{"State": "attached", "VpcId": vpc}]
    found = ec2.describe_egress_only_internet_gateways(
        Filters=[{"Name": "tag:Name", "Values": ["v6"]}]
    )["EgressOnlyInternetGateways"]
    assert [g["EgressOnlyInternetGatewayId"] for g in found] == [eigw]
    assert (
        ec2.describe_egress_only_internet_gateways(
            Filters=[{"Name": "tag-key", "Values": ["other"]}]
        )["EgressOnlyInternetGateways"]
        == []
    )
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc)
    assert ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw)["ReturnCode"]
    rejected(
        "InvalidEgressOnlyInternetGatewayId.NotFound",
        ec2.describe_egress_only_internet_gateways,
        EgressOnlyInternetGatewayIds=[eigw],
    )
    rejected(
        "InvalidEgressOnlyInternetGatewayId.NotFound",
        ec2.delete_egress_only_internet_gateway,
        EgressOnlyInternetGatewayId=eigw,
    )
    ec2.delete_vpc(VpcId=vpc)


# -- VPC and account attributes ---------------------------------------------------------------


def test_ansible_ec2_vpc_net_reads_and_sets_dns_attributes(ec2, rejected):
    """What amazon.aws.ec2_vpc_net does after CreateVpc: read both DNS attributes, modify
    the one that differs, read it back."""
    vpc = ec2.create_vpc(CidrBlock="10.4.0.0/16")["Vpc"]["VpcId"]
    support = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsSupport")
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    assert support["EnableDnsSupport"] == {"Value": True} and support["VpcId"] == vpc
    assert hostnames["EnableDnsHostnames"] == {"Value": False}
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": True})
    hostnames = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableDnsHostnames")
    assert hostnames["EnableDnsHostnames"] == {"Value": True}
    metrics = ec2.describe_vpc_attribute(VpcId=vpc, Attribute="enableNetworkAddressUsageMetrics")
    assert metrics["EnableNetworkAddressUsageMetrics"] == {"Value": False}
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    default_hostnames = ec2.describe_vpc_attribute(
        VpcId=default["VpcId"], Attribute="enableDnsHostnames"
    )
    assert default_hostnames["EnableDnsHostnames"] == {"Value": True}
    rejected("InvalidParameterValue", ec2.describe_vpc_attribute, VpcId=vpc, Attribute="enableDns")
    rejected(
        "InvalidParameterCombination",
        ec2.modify_vpc_attribute,
        VpcId=vpc,
        EnableDnsHostnames={"Value": True},
        EnableDnsSupport={"Value": True},
    )
    rejected(
        "InvalidVpcID.NotFound",
        ec2.describe_vpc_attribute,
        VpcId="vpc-0123456789abcdef0",
        Attribute="enableDnsSupport",
    )
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsHostnames={"Value": False})
    ec2.modify_vpc_attribute(VpcId=vpc, EnableDnsSupport={"Value": False})
    rejected(
        "InvalidParameterValue",
        ec2.modify_vpc_attribute,
        VpcId=vpc,
        EnableDnsHostnames={"Value": True},
    )


def test_account_attributes(ec2, rejected):
    default = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"][0]
    everything = ec2.describe_account_attributes()["AccountAttributes"]
    values = {
        a["AttributeName"]: [v["AttributeValue"] for v in a["AttributeValues"]] for a in everything
    }
    assert values == {
        "supported-platforms": ["VPC"],
        "default-vpc": [default["VpcId"]],
        "max-instances": ["20"],
        "vpc-max-security-groups-per-interface": ["5"],
        "max-elastic-ips": ["5"],
        "vpc-max-elastic-ips": ["5"],
    }
    [one] = ec2.describe_account_attributes(AttributeNames=["default-vpc"])["AccountAttributes"]
    assert one == {
        "AttributeName": "default-vpc",
        "AttributeValues": [{"AttributeValue": default["VpcId"]}],
    }
    rejected("InvalidParameterValue", ec2.describe_account_attributes, AttributeNames=["nope"])


@pytest.mark.parametrize(
    "args",
    [
        ("describe-addresses",),
        ("describe-nat-gateways",),
        ("describe-egress-only-internet-gateways",),
        ("describe-account-attributes",),
    ],
)
def test_aws_cli_describes(aws, ec2, args):
    import json

    out = json.loads(aws("ec2", *args).stdout)
    assert isinstance(out, dict) and out


# -- as route targets ---------------------------------------------------------------------------


def test_routes_to_nat_and_egress_only_gateways_follow_their_state(ec2, rejected):
    vpc = ec2.create_vpc(CidrBlock="10.6.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.6.1.0/24")["Subnet"]["SubnetId"]
    nat = ec2.create_nat_gateway(SubnetId=subnet, ConnectivityType="private")["NatGateway"]
    eigw = ec2.create_egress_only_internet_gateway(VpcId=vpc)["EgressOnlyInternetGateway"]
    nat_id, eigw_id = nat["NatGatewayId"], eigw["EgressOnlyInternetGatewayId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", NatGatewayId=nat_id)
    ec2.create_route(
        RouteTableId=table, DestinationIpv6CidrBlock="::/0", EgressOnlyInternetGatewayId=eigw_id
    )

    def states() -> dict[str, str]:
        [found] = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
        return {
            r.get("NatGatewayId") or r.get("EgressOnlyInternetGatewayId"): r["State"]
            for r in found["Routes"]
            if r.get("NatGatewayId") or r.get("EgressOnlyInternetGatewayId")
        }

    assert states() == {nat_id: "active", eigw_id: "active"}
    rejected(  # a NAT gateway carries IPv4 only
        "InvalidParameterValue",
        ec2.create_route,
        RouteTableId=table,
        DestinationIpv6CidrBlock="2001:db8::/32",
        NatGatewayId=nat_id,
    )
    rejected(
        "NatGatewayNotFound",
        ec2.create_route,
        RouteTableId=table,
        DestinationCidrBlock="192.0.2.0/24",
        NatGatewayId="nat-0123456789abcdef0",
    )
    other = ec2.create_vpc(CidrBlock="10.7.0.0/16")["Vpc"]["VpcId"]
    other_table = ec2.create_route_table(VpcId=other)["RouteTable"]["RouteTableId"]
    rejected(  # a NAT gateway of another VPC
        "InvalidParameterValue",
        ec2.create_route,
        RouteTableId=other_table,
        DestinationCidrBlock="0.0.0.0/0",
        NatGatewayId=nat_id,
    )
    ec2.delete_nat_gateway(NatGatewayId=nat_id)
    ec2.delete_egress_only_internet_gateway(EgressOnlyInternetGatewayId=eigw_id)
    assert states() == {nat_id: "blackhole", eigw_id: "blackhole"}  # kept, as AWS does
