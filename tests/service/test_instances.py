"""Instances and interfaces: launch, lifecycle, addresses and group sets."""

from __future__ import annotations

import ipaddress

import pytest

from stockade.domain.instance import InstanceState
from stockade.domain.quotas import Quotas
from stockade.service.context import ServiceContext
from stockade.service.contracts import InterfaceSpec, LaunchRequest, TrackingRequest
from stockade.service.groups import GroupService
from stockade.service.instances import InstanceService
from stockade.service.interfaces import InterfaceService
from stockade.service.network import NetworkService


@pytest.fixture
def subnet(ctx):
    net = NetworkService(ctx)
    vpc = net.create_vpc("10.0.0.0/16")
    return net.create_subnet(vpc.vpc_id, "10.0.1.0/24")


@pytest.fixture
def instances(ctx):
    return InstanceService(ctx)


def _groups(ctx, subnet, n):
    return [GroupService(ctx).create(f"g{i}", "d", subnet.vpc_id).group.group_id for i in range(n)]


def test_launch_defaults(ctx, subnet, instances):
    [d] = instances.run(LaunchRequest(subnet_id=subnet.subnet_id))
    default = GroupService(ctx).find("default", subnet.vpc_id).group.group_id
    assert d.group_ids == (default,)
    assert d.instance.state is InstanceState.RUNNING
    assert d.primary.private_ip == "10.0.1.4"  # .0-.3 and .255 are reserved
    assert d.primary.public_ip is None  # the subnet does not map public IPs


def test_launch_into_default_vpc_gets_a_public_ip(instances):
    [d] = instances.run(LaunchRequest())
    assert d.primary.public_ip and ipaddress.ip_address(
        d.primary.public_ip
    ) in ipaddress.ip_network("192.0.2.0/24")
    assert d.primary.private_ip.startswith("172.31.")


def test_several_instances_get_distinct_addresses(ctx, subnet, instances):
    launched = instances.run(
        LaunchRequest(
            subnet_id=subnet.subnet_id, min_count=3, max_count=3, associate_public_ip=True
        )
    )
    assert len({d.primary.private_ip for d in launched}) == 3
    assert len({d.primary.public_ip for d in launched}) == 3


def test_groups_must_be_in_the_subnets_vpc(ctx, subnet, instances, rejected):
    other = GroupService(ctx).create("elsewhere", "d").group.group_id  # default VPC
    err = rejected(
        "InvalidParameter",
        instances.run,
        LaunchRequest(subnet_id=subnet.subnet_id, group_ids=(other,)),
    )
    assert (
        err.message
        == f"Security group {other} and subnet {subnet.subnet_id} belong to different networks."
    )
    rejected(
        "InvalidGroup.NotFound",
        instances.run,
        LaunchRequest(subnet_id=subnet.subnet_id, group_ids=("sg-0123456789abcdef0",)),
    )


def test_group_names_with_subnet_are_rejected(subnet, instances, rejected):
    rejected(
        "InvalidParameterCombination",
        instances.run,
        LaunchRequest(subnet_id=subnet.subnet_id, group_names=("default",)),
    )


def test_group_names_in_default_vpc(ctx, instances):
    gid = GroupService(ctx).create("web", "d").group.group_id
    [d] = instances.run(LaunchRequest(group_names=("web",)))
    assert d.group_ids == (gid,)


def test_groups_per_interface_quota(ctx, subnet, instances, rejected):
    gids = _groups(ctx, subnet, 6)
    rejected(
        "SecurityGroupsPerInstanceLimitExceeded",
        instances.run,
        LaunchRequest(subnet_id=subnet.subnet_id, group_ids=tuple(gids)),
    )
    [d] = instances.run(LaunchRequest(subnet_id=subnet.subnet_id, group_ids=tuple(gids[:5])))
    eni = d.primary.eni_id
    err = rejected(
        "SecurityGroupsPerInterfaceLimitExceeded",
        InterfaceService(ctx).modify_attribute,
        eni,
        group_ids=gids,
    )
    assert err.message == "The maximum number of security groups per interface has been reached."
    raised = ServiceContext(
        ctx.store, ctx.scope, Quotas(groups_per_interface=16, rules_per_group=60)
    )
    with pytest.raises(ValueError):
        Quotas(groups_per_interface=17)
    with pytest.raises(ValueError):
        Quotas(groups_per_interface=10, rules_per_group=101)
    InterfaceService(raised).modify_attribute(eni, group_ids=gids)


def test_replacing_groups_of_a_running_instance(ctx, subnet, instances, rejected):
    a, b = _groups(ctx, subnet, 2)
    [d] = instances.run(LaunchRequest(subnet_id=subnet.subnet_id, group_ids=(a,)))
    iid = d.instance.instance_id
    assert instances.modify_groups(iid, [b, a]).group_ids == (b, a)
    rejected("MissingParameter", instances.modify_groups, iid, [])
    elsewhere = GroupService(ctx).create("x", "d").group.group_id
    rejected("InvalidParameter", instances.modify_groups, iid, [elsewhere])
    InterfaceService(ctx).attach(InterfaceService(ctx).create(subnet.subnet_id).eni_id, iid, 1)
    err = rejected("InvalidInstanceID", instances.modify_groups, iid, [a])
    assert "multiple interfaces attached" in err.message


def test_lifecycle(ctx, instances, rejected):
    [d] = instances.run(LaunchRequest())
    iid, first_ip = d.instance.instance_id, d.primary.public_ip
    [change] = instances.stop([iid])
    assert (change.previous, change.current) == (InstanceState.RUNNING, InstanceState.STOPPING)
    stopped = instances.get(iid)
    assert stopped.instance.state is InstanceState.STOPPED and stopped.primary.public_ip is None
    assert instances.stop([iid])[0].current is InstanceState.STOPPED  # idempotent
    [change] = instances.start([iid])
    assert change.current is InstanceState.PENDING
    assert instances.get(iid).primary.public_ip is not None
    assert first_ip  # (a new address may or may not equal the old one)
    [change] = instances.terminate([iid])
    assert change.current is InstanceState.SHUTTING_DOWN
    gone = instances.get(iid)
    assert gone.instance.state is InstanceState.TERMINATED and gone.interfaces == ()
    rejected("IncorrectInstanceState", instances.start, [iid])
    rejected("IncorrectInstanceState", instances.stop, [iid])


def test_transitions_are_all_or_nothing(ctx, instances, rejected):
    [d] = instances.run(LaunchRequest())
    rejected(
        "InvalidInstanceID.NotFound",
        instances.stop,
        [d.instance.instance_id, "i-0123456789abcdef0"],
    )
    assert instances.get(d.instance.instance_id).instance.state is InstanceState.RUNNING
    rejected("InvalidInstanceID.Malformed", instances.stop, ["web"])


def test_launch_with_interface_specs_and_tracking(ctx, subnet, instances, rejected):
    a, b = _groups(ctx, subnet, 2)
    spec = InterfaceSpec(
        0,
        subnet.subnet_id,
        (a, b),
        True,
        tracking=TrackingRequest(tcp_established_timeout=3600, udp_timeout=60),
    )
    [d] = instances.run(LaunchRequest(interfaces=(spec,)))
    ct = d.primary.connection_tracking
    assert (ct.tcp_established_timeout, ct.udp_timeout, ct.udp_stream_timeout) == (3600, 60, 180)
    assert d.group_ids == (a, b) and d.primary.public_ip
    rejected(
        "InvalidParameterCombination",
        instances.run,
        LaunchRequest(interfaces=(spec,), group_ids=(a,)),
    )
    bad = InterfaceSpec(0, subnet.subnet_id, tracking=TrackingRequest(udp_timeout=61))
    rejected("InvalidParameterValue", instances.run, LaunchRequest(interfaces=(bad,)))


def test_interfaces(ctx, subnet, rejected):
    enis = InterfaceService(ctx)
    eni = enis.create(subnet.subnet_id, private_ip="10.0.1.50")
    assert eni.private_ip == "10.0.1.50" and eni.status == "available"
    rejected("InvalidIPAddress.InUse", enis.create, subnet.subnet_id, private_ip="10.0.1.50")
    rejected("InvalidParameterValue", enis.create, subnet.subnet_id, private_ip="10.0.1.1")
    rejected(
        "InvalidParameterCombination",
        enis.modify_attribute,
        eni.eni_id,
        group_ids=[],
        description="x",
    )
    rejected("MissingParameter", enis.modify_attribute, eni.eni_id, group_ids=[])
    tracked = enis.modify_attribute(
        eni.eni_id, tracking=TrackingRequest(tcp_established_timeout=60)
    )
    assert (
        tracked.connection_tracking.tcp_established_timeout == 60
        and tracked.connection_tracking_set
    )
    rejected(
        "InvalidParameterValue",
        enis.modify_attribute,
        eni.eni_id,
        tracking=TrackingRequest(tcp_established_timeout=59),
    )
    [d] = InstanceService(ctx).run(LaunchRequest(subnet_id=subnet.subnet_id))
    attachment = enis.attach(eni.eni_id, d.instance.instance_id, 1)
    rejected("InvalidNetworkInterface.InUse", enis.delete, eni.eni_id)
    rejected("OperationNotPermitted", enis.detach, d.primary.attachment_id)
    enis.detach(attachment)
    enis.delete(eni.eni_id)
    rejected("InvalidNetworkInterfaceID.NotFound", enis.delete, eni.eni_id)


def test_existing_interface_cannot_go_to_several_instances(ctx, subnet, instances, rejected):
    """Regression: MaxCount > 1 with NetworkInterfaceId attached one ENI to every instance."""
    eni = InterfaceService(ctx).create(subnet.subnet_id)
    spec = InterfaceSpec(0, network_interface_id=eni.eni_id)
    rejected(
        "InvalidParameterCombination",
        instances.run,
        LaunchRequest(interfaces=(spec,), min_count=2, max_count=2),
    )
    [d] = instances.run(LaunchRequest(interfaces=(spec,)))
    assert d.primary.eni_id == eni.eni_id


def test_rule_ids_of_another_region_are_not_found(ctx, store, rejected):
    """Regression: describing rules by id checked the account but not the region."""
    from helpers import tcp

    from stockade.domain.scope import Scope
    from stockade.service.rules import RuleService

    gid = GroupService(ctx).create("web", "d").group.group_id
    [rule] = RuleService(ctx).authorize(gid, [tcp(22, "10.0.0.0/8")])
    elsewhere = RuleService(ServiceContext(store, Scope(ctx.scope.account, "eu-west-1")))
    elsewhere.describe()  # first use of that region
    rejected("InvalidSecurityGroupRuleId.NotFound", elsewhere.describe, [rule.rule_id])


def test_ipv6_addresses_are_never_handed_out_twice(ctx, monkeypatch):
    """Regression: IPv6 picks were not checked against addresses already in use, so a
    repeated random pick gave two interfaces (or one interface twice) the same address."""
    net = NetworkService(ctx)
    vpc = net.create_vpc("10.6.0.0/16", amazon_provided_ipv6=True)
    block = vpc.ipv6_cidr_block.replace("/56", "/64")
    subnet = net.create_subnet(vpc.vpc_id, "10.6.1.0/24", ipv6_cidr_block=block)
    picks = iter([0, 0, 0, 1, 2])  # the allocator's random offsets: repeats first
    monkeypatch.setattr("stockade.service.addressing.secrets.randbelow", lambda n: next(picks))
    enis = InterfaceService(ctx)
    first = enis.create(subnet.subnet_id, ipv6_count=2)
    second = enis.create(subnet.subnet_id, ipv6_count=1)
    addresses = [*first.ipv6_addresses, *second.ipv6_addresses]
    assert len(addresses) == 3 and len(set(addresses)) == 3
