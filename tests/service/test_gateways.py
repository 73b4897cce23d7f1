"""NAT gateways, egress-only internet gateways, their route-target rules, and the VPC and
account attributes."""

from __future__ import annotations

import pytest

from stockade.domain.quotas import Quotas
from stockade.domain.route_targets import usable_in
from stockade.domain.routing import NatGatewayState, Route, RouteState, route_state
from stockade.service.addresses import AddressService
from stockade.service.context import ServiceContext
from stockade.service.gateways import GatewayService
from stockade.service.interfaces import InterfaceService
from stockade.service.network import NetworkService
from stockade.service.route_targets import TARGETS
from stockade.service.tags import TagService
from stockade.service.vpc_attributes import VpcAttributeService

UNKNOWN_NAT = "nat-0123456789abcdef0"


@pytest.fixture
def gw(ctx):
    return GatewayService(ctx)


@pytest.fixture
def net(ctx):
    return NetworkService(ctx)


@pytest.fixture
def public_vpc(net):
    """A VPC with an attached internet gateway and one /28 subnet (11 usable addresses)."""
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/28", "us-east-1a")
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    return vpc, subnet


def test_public_nat_gateway_takes_a_private_ip_and_the_elastic_ip(ctx, gw, public_vpc):
    vpc, subnet = public_vpc
    eips = AddressService(ctx)
    eip = eips.allocate()
    nat = gw.create_nat_gateway(subnet.subnet_id, eip.allocation_id, tags=[("Name", "n")])
    assert nat.state is NatGatewayState.AVAILABLE and nat.connectivity_type == "public"
    assert nat.vpc_id == vpc.vpc_id and nat.public_ip == eip.public_ip
    assert nat.tags == (("Name", "n"),)
    assert nat.network_interface_id.startswith("eni-")
    [held] = eips.describe()
    assert held.nat_gateway_id == nat.nat_gateway_id and held.association_id
    assert held.private_ip == nat.private_ip and held.instance_id is None
    # the gateway's private address is never handed out to an interface
    interfaces = InterfaceService(ctx)
    taken = {interfaces.create(subnet.subnet_id).private_ip for _ in range(10)}
    assert nat.private_ip not in taken
    assert NetworkService(ctx).available_ip_counts([subnet.subnet_id])[subnet.subnet_id] == 0
    assert gw.describe_nat_gateways([nat.nat_gateway_id]) == [nat]


def test_private_nat_gateway_and_a_chosen_address(gw, public_vpc, rejected):
    _, subnet = public_vpc
    nat = gw.create_nat_gateway(
        subnet.subnet_id, connectivity_type="private", private_ip="10.0.1.9"
    )
    assert nat.private_ip == "10.0.1.9" and nat.public_ip is None and nat.allocation_id is None
    rejected(
        "InvalidIPAddress.InUse",
        gw.create_nat_gateway,
        subnet.subnet_id,
        connectivity_type="private",
        private_ip="10.0.1.9",
    )


def test_delete_frees_the_elastic_ip_and_keeps_the_gateway_visible(ctx, gw, net, public_vpc):
    _, subnet = public_vpc
    eips = AddressService(ctx)
    eip = eips.allocate()
    nat = gw.create_nat_gateway(subnet.subnet_id, eip.allocation_id)
    assert gw.delete_nat_gateway(nat.nat_gateway_id) == nat.nat_gateway_id
    [deleted] = gw.describe_nat_gateways()
    assert deleted.state is NatGatewayState.DELETED and deleted.delete_time
    assert not eips.describe()[0].is_associated
    eips.release(eip.allocation_id)  # free again
    assert gw.delete_nat_gateway(nat.nat_gateway_id) == nat.nat_gateway_id  # no change
    net.delete_subnet(subnet.subnet_id)  # a deleted gateway holds nothing


def test_nat_gateway_errors(ctx, gw, net, public_vpc, rejected):
    vpc, subnet = public_vpc
    eips = AddressService(ctx)
    eip = eips.allocate()
    rejected("MissingParameter", gw.create_nat_gateway, subnet.subnet_id)
    rejected("MissingParameter", gw.create_nat_gateway, None, eip.allocation_id)
    rejected(
        "InvalidSubnetID.NotFound",
        gw.create_nat_gateway,
        "subnet-0123456789abcdef0",
        eip.allocation_id,
    )
    rejected(
        "InvalidAllocationID.NotFound",
        gw.create_nat_gateway,
        subnet.subnet_id,
        "eipalloc-0123456789abcdef0",
    )
    rejected(
        "InvalidParameterValue",
        gw.create_nat_gateway,
        subnet.subnet_id,
        eip.allocation_id,
        connectivity_type="carrier",
    )
    rejected(
        "InvalidParameterCombination",
        gw.create_nat_gateway,
        subnet.subnet_id,
        eip.allocation_id,
        connectivity_type="private",
    )
    rejected("NatGatewayNotFound", gw.delete_nat_gateway, UNKNOWN_NAT)
    rejected("NatGatewayNotFound", gw.describe_nat_gateways, [UNKNOWN_NAT])
    rejected("InvalidNatGatewayID.Malformed", gw.describe_nat_gateways, ["nat-zz"])
    gw.create_nat_gateway(subnet.subnet_id, eip.allocation_id)
    rejected(
        "Resource.AlreadyAssociated", gw.create_nat_gateway, subnet.subnet_id, eip.allocation_id
    )
    rejected("DependencyViolation", net.delete_subnet, subnet.subnet_id)
    # the address a NAT gateway holds is not the account's to move or free
    held = eips.describe()[0]
    rejected("OperationNotPermitted", eips.disassociate, held.association_id)
    rejected("InvalidIPAddress.InUse", eips.release, held.allocation_id)


def test_public_nat_gateway_needs_an_internet_gateway(ctx, gw, net, rejected):
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    eip = AddressService(ctx).allocate()
    rejected("Gateway.NotAttached", gw.create_nat_gateway, subnet.subnet_id, eip.allocation_id)
    assert gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private").state == "available"


def test_nat_gateways_per_zone_quota(gw, net, public_vpc, rejected):
    vpc, subnet = public_vpc
    other_zone = net.create_subnet(vpc.vpc_id, "10.0.2.0/24", "us-east-1b")
    made = [gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private") for _ in range(5)]
    rejected(
        "NatGatewayLimitExceeded",
        gw.create_nat_gateway,
        subnet.subnet_id,
        connectivity_type="private",
    )
    gw.create_nat_gateway(other_zone.subnet_id, connectivity_type="private")  # another zone
    gw.delete_nat_gateway(made[0].nat_gateway_id)  # a deleted one no longer counts
    gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private")


def test_client_token_makes_create_idempotent(gw, public_vpc):
    _, subnet = public_vpc
    first = gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private", client_token="t1")
    again = gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private", client_token="t1")
    assert again.nat_gateway_id == first.nat_gateway_id
    assert len(gw.describe_nat_gateways()) == 1


def test_egress_only_internet_gateways(gw, net, rejected):
    vpc = net.create_vpc("10.0.0.0/16", amazon_provided_ipv6=True)
    eigw = gw.create_egress_only_internet_gateway(vpc.vpc_id, tags=[("k", "v")])
    assert eigw.vpc_id == vpc.vpc_id and eigw.tags == (("k", "v"),)
    assert eigw.egress_only_internet_gateway_id.startswith("eigw-")
    assert gw.describe_egress_only_internet_gateways() == [eigw]
    rejected("Resource.AlreadyAssociated", gw.create_egress_only_internet_gateway, vpc.vpc_id)
    rejected(
        "InvalidVpcID.NotFound", gw.create_egress_only_internet_gateway, "vpc-0123456789abcdef0"
    )
    rejected("DependencyViolation", net.delete_vpc, vpc.vpc_id)
    gw.delete_egress_only_internet_gateway(eigw.egress_only_internet_gateway_id)
    rejected(
        "InvalidEgressOnlyInternetGatewayId.NotFound",
        gw.delete_egress_only_internet_gateway,
        eigw.egress_only_internet_gateway_id,
    )
    rejected(
        "InvalidEgressOnlyInternetGatewayId.Malformed",
        gw.describe_egress_only_internet_gateways,
        ["eigw-nope"],
    )
    net.delete_vpc(vpc.vpc_id)


def test_gateways_are_in_the_snapshot(ctx, gw, public_vpc):
    vpc, subnet = public_vpc
    eip = AddressService(ctx).allocate()
    nat = gw.create_nat_gateway(subnet.subnet_id, eip.allocation_id)
    eigw = gw.create_egress_only_internet_gateway(vpc.vpc_id)
    with ctx.read() as tx:
        snap = tx.snapshot()
    assert snap.nat_gateways == (nat,)
    assert snap.egress_only_internet_gateways == (eigw,)
    assert [e.nat_gateway_id for e in snap.elastic_ips] == [nat.nat_gateway_id]


def test_route_targets_follow_the_gateway_state(ctx, gw, net, public_vpc, rejected):
    vpc, subnet = public_vpc
    nat = gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private")
    eigw = gw.create_egress_only_internet_gateway(vpc.vpc_id)
    to_nat = Route("0.0.0.0/0", nat.nat_gateway_id)
    to_eigw = Route("::/0", eigw.egress_only_internet_gateway_id)
    other_vpc = net.create_vpc("10.1.0.0/16")

    def views(tx):
        return (tx, tx.snapshot())

    with ctx.read() as tx:
        lookup_nat = TARGETS["nat"]
        assert lookup_nat(tx, nat.nat_gateway_id) == nat
        for view in views(tx):
            usable = usable_in(view)
            assert route_state(to_nat, vpc.vpc_id, usable) is RouteState.ACTIVE
            assert route_state(to_eigw, vpc.vpc_id, usable) is RouteState.ACTIVE
            assert route_state(to_nat, other_vpc.vpc_id, usable) is RouteState.BLACKHOLE
            assert route_state(to_eigw, other_vpc.vpc_id, usable) is RouteState.BLACKHOLE
    gw.delete_nat_gateway(nat.nat_gateway_id)
    gw.delete_egress_only_internet_gateway(eigw.egress_only_internet_gateway_id)
    with ctx.read() as tx:
        for view in views(tx):
            usable = usable_in(view)
            assert route_state(to_nat, vpc.vpc_id, usable) is RouteState.BLACKHOLE
            assert route_state(to_eigw, vpc.vpc_id, usable) is RouteState.BLACKHOLE
        lookup_eigw = TARGETS["eigw"]
        rejected(
            "InvalidEgressOnlyInternetGatewayId.NotFound",
            lookup_eigw,
            tx,
            eigw.egress_only_internet_gateway_id,
        )


# -- VPC and account attributes -----------------------------------------------------------------


@pytest.fixture
def attrs(ctx):
    return VpcAttributeService(ctx)


def test_vpc_attribute_defaults(net, attrs):
    default = next(v for v in net.list_vpcs() if v.is_default)
    other = net.create_vpc("10.0.0.0/16")
    expected = {
        default.vpc_id: (True, True, False),
        other.vpc_id: (True, False, False),
    }
    for vpc_id, values in expected.items():
        got = tuple(
            attrs.describe_vpc_attribute(vpc_id, name)
            for name in (
                "enableDnsSupport",
                "enableDnsHostnames",
                "enableNetworkAddressUsageMetrics",
            )
        )
        assert got == values


def test_modify_vpc_attribute_one_at_a_time(net, attrs, rejected):
    vpc = net.create_vpc("10.0.0.0/16").vpc_id
    attrs.modify_vpc_attribute(vpc, enable_dns_hostnames=True)
    assert attrs.describe_vpc_attribute(vpc, "enableDnsHostnames") is True
    attrs.modify_vpc_attribute(vpc, enable_network_address_usage_metrics=True)
    assert attrs.describe_vpc_attribute(vpc, "enableNetworkAddressUsageMetrics") is True
    rejected(
        "InvalidParameterCombination",
        attrs.modify_vpc_attribute,
        vpc,
        enable_dns_support=True,
        enable_dns_hostnames=True,
    )
    rejected("MissingParameter", attrs.modify_vpc_attribute, vpc)
    attrs.modify_vpc_attribute(vpc, enable_dns_hostnames=False)
    attrs.modify_vpc_attribute(vpc, enable_dns_support=False)
    rejected("InvalidParameterValue", attrs.modify_vpc_attribute, vpc, enable_dns_hostnames=True)
    assert net.get_vpc(vpc).enable_dns_support is False  # the store keeps it
    rejected("InvalidParameterValue", attrs.describe_vpc_attribute, vpc, "enableDns")
    rejected("MissingParameter", attrs.describe_vpc_attribute, vpc, None)
    rejected(
        "InvalidVpcID.NotFound",
        attrs.describe_vpc_attribute,
        "vpc-0123456789abcdef0",
        "enableDnsSupport",
    )


def test_account_attributes(ctx, store, net, attrs, rejected):
    default = next(v for v in net.list_vpcs() if v.is_default)
    values = attrs.describe_account_attributes()
    assert values == {
        "supported-platforms": ["VPC"],
        "default-vpc": [default.vpc_id],
        "max-instances": ["20"],
        "vpc-max-security-groups-per-interface": [str(ctx.quotas.groups_per_interface)],
        "max-elastic-ips": ["5"],
        "vpc-max-elastic-ips": ["5"],
    }
    assert attrs.describe_account_attributes(["default-vpc"]) == {"default-vpc": [default.vpc_id]}
    rejected("InvalidParameterValue", attrs.describe_account_attributes, ["max-everything"])
    tuned = VpcAttributeService(
        ServiceContext(store, ctx.scope, Quotas(groups_per_interface=10, rules_per_group=60))
    )
    assert tuned.describe_account_attributes(["vpc-max-security-groups-per-interface"]) == {
        "vpc-max-security-groups-per-interface": ["10"]
    }


def test_account_without_a_default_vpc(net, attrs):
    default = next(v for v in net.list_vpcs() if v.is_default)
    for subnet in net.list_subnets():
        net.delete_subnet(subnet.subnet_id)
    [igw] = net.list_internet_gateways()
    net.detach_internet_gateway(igw.igw_id, default.vpc_id)
    net.delete_vpc(default.vpc_id)
    assert attrs.describe_account_attributes(["default-vpc"]) == {"default-vpc": ["none"]}


def test_gateways_and_addresses_take_tags(ctx, gw, public_vpc, rejected):
    vpc, subnet = public_vpc
    eip = AddressService(ctx).allocate()
    nat = gw.create_nat_gateway(subnet.subnet_id, connectivity_type="private")
    eigw = gw.create_egress_only_internet_gateway(vpc.vpc_id)
    ids = [eip.allocation_id, nat.nat_gateway_id, eigw.egress_only_internet_gateway_id]
    tags = TagService(ctx)
    tags.create_tags(ids, [("team", "net")])
    assert AddressService(ctx).describe()[0].tags == (("team", "net"),)
    assert gw.describe_nat_gateways()[0].tags == (("team", "net"),)
    assert gw.describe_egress_only_internet_gateways()[0].tags == (("team", "net"),)
    tags.delete_tags(ids)
    assert gw.describe_nat_gateways()[0].tags == ()
    rejected("NatGatewayNotFound", tags.create_tags, [UNKNOWN_NAT], [("a", "b")])
