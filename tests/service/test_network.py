"""VPCs, subnets, internet gateways and the default VPC."""

from __future__ import annotations

import pytest

from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.service.groups import GroupService
from stockade.service.instances import InstanceService
from stockade.service.network import NetworkService


@pytest.fixture
def net(ctx):
    return NetworkService(ctx)


def test_default_vpc_is_created_on_first_use(ctx, net):
    [vpc] = net.list_vpcs()
    assert vpc.is_default and vpc.cidr_block == "172.31.0.0/16"
    subnets = net.list_subnets()
    assert [s.cidr_block for s in subnets][:3] == [
        "172.31.0.0/20",
        "172.31.16.0/20",
        "172.31.32.0/20",
    ]
    assert [s.availability_zone for s in subnets] == [f"us-east-1{c}" for c in "abcdef"]
    assert all(s.default_for_az and s.map_public_ip_on_launch for s in subnets)
    [igw] = net.list_internet_gateways()
    assert igw.vpc_id == vpc.vpc_id
    assert [d.group.name for d in GroupService(ctx).describe()] == ["default"]


def test_each_account_and_region_has_its_own_default_vpc(ctx, store):
    other = ServiceContext(store, Scope("210987654321", "eu-west-1"))
    [vpc] = NetworkService(other).list_vpcs()
    assert vpc.owner_id == "210987654321" and vpc.region == "eu-west-1"
    assert len(NetworkService(other).list_subnets()) == 3
    assert vpc.vpc_id not in [v.vpc_id for v in NetworkService(ctx).list_vpcs()]


def test_accounts_are_isolated(ctx, store, rejected):
    gid = GroupService(ctx).create("web", "d").group.group_id
    other = GroupService(ServiceContext(store, Scope("210987654321")))
    assert [d.group.name for d in other.describe()] == ["default"]  # first use: its own VPC
    rejected("InvalidGroup.NotFound", other.describe, [gid])
    rejected("InvalidGroup.NotFound", other.delete, gid)


def test_create_default_vpc_when_one_exists(net, rejected):
    rejected("DefaultVpcAlreadyExists", net.create_default_vpc)


@pytest.mark.parametrize(
    "cidr, code",
    [
        ("10.0.0.0/15", "InvalidVpc.Range"),
        ("10.0.0.0/29", "InvalidVpc.Range"),
        ("10.0.0.0", "InvalidParameterValue"),
        ("", "MissingParameter"),
    ],
)
def test_vpc_cidr_limits(net, rejected, cidr, code):
    rejected(code, net.create_vpc, cidr)


def test_vpc_cidr_is_canonicalised(net):
    assert net.create_vpc("100.68.0.18/18").cidr_block == "100.68.0.0/18"


def test_vpc_quota(net, rejected):
    for i in range(4):  # the default VPC is the fifth
        net.create_vpc(f"10.{i}.0.0/16")
    rejected("VpcLimitExceeded", net.create_vpc, "10.9.0.0/16")


def test_ipv6_vpc_and_subnet(net, rejected):
    vpc = net.create_vpc("10.0.0.0/16", amazon_provided_ipv6=True)
    assert vpc.ipv6_cidr_block.startswith("2001:db8:") and vpc.ipv6_cidr_block.endswith("/56")
    block = vpc.ipv6_cidr_block.replace("/56", "/64")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24", ipv6_cidr_block=block)
    assert subnet.ipv6_cidr_block == block
    rejected(
        "InvalidSubnet.Range",
        net.create_subnet,
        vpc.vpc_id,
        "10.0.2.0/24",
        ipv6_cidr_block="2001:db8:ffff::/64",
    )
    rejected("CidrLimitExceeded", net.associate_ipv6_block, vpc.vpc_id)


def test_subnet_rules(net, rejected):
    vpc = net.create_vpc("10.0.0.0/16")
    net.create_subnet(vpc.vpc_id, "10.0.1.0/24", "us-east-1b")
    rejected("InvalidSubnet.Range", net.create_subnet, vpc.vpc_id, "10.1.0.0/24")
    rejected("InvalidSubnet.Conflict", net.create_subnet, vpc.vpc_id, "10.0.1.128/25")
    rejected("InvalidSubnet.Range", net.create_subnet, vpc.vpc_id, "10.0.0.0/29")
    rejected("InvalidParameterValue", net.create_subnet, vpc.vpc_id, "10.0.2.0/24", "mars-1a")
    rejected("InvalidVpcID.NotFound", net.create_subnet, "vpc-0123456789abcdef0", "10.0.2.0/24")


def test_vpc_with_dependencies_cannot_be_deleted(ctx, net, rejected):
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    err = rejected("DependencyViolation", net.delete_vpc, vpc.vpc_id)
    assert "has dependencies" in err.message
    net.delete_subnet(subnet.subnet_id)
    gid = GroupService(ctx).create("web", "d", vpc.vpc_id).group.group_id
    rejected("DependencyViolation", net.delete_vpc, vpc.vpc_id)
    GroupService(ctx).delete(gid)
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    rejected("DependencyViolation", net.delete_vpc, vpc.vpc_id)
    net.detach_internet_gateway(igw.igw_id, vpc.vpc_id)
    net.delete_vpc(vpc.vpc_id)  # the default group goes with it
    assert vpc.vpc_id not in [d.group.vpc_id for d in GroupService(ctx).describe()]


def test_subnet_with_interfaces_cannot_be_deleted(ctx, net, rejected):
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    InstanceService(ctx).run(LaunchRequest(subnet_id=subnet.subnet_id))
    rejected("DependencyViolation", net.delete_subnet, subnet.subnet_id)


def test_internet_gateway_attachment_rules(net, rejected):
    vpc = net.create_vpc("10.0.0.0/16")
    a, b = net.create_internet_gateway(), net.create_internet_gateway()
    net.attach_internet_gateway(a.igw_id, vpc.vpc_id)
    rejected("Resource.AlreadyAssociated", net.attach_internet_gateway, a.igw_id, vpc.vpc_id)
    rejected("Resource.AlreadyAssociated", net.attach_internet_gateway, b.igw_id, vpc.vpc_id)
    rejected("DependencyViolation", net.delete_internet_gateway, a.igw_id)
    rejected("Gateway.NotAttached", net.detach_internet_gateway, b.igw_id, vpc.vpc_id)
    net.detach_internet_gateway(a.igw_id, vpc.vpc_id)
    net.delete_internet_gateway(a.igw_id)
    rejected("InvalidInternetGatewayID.NotFound", net.delete_internet_gateway, a.igw_id)
