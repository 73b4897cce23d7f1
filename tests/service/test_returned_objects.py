"""What a create or modify call returns is exactly what a later read returns.

The services build their answer in memory (``replace(obj, tags=...)``) instead of reading
the object back after writing it; these tests pin that the two never differ: tags included
(sorted by key, as the store reads them), untagged objects too, and an existing interface
launched into keeps the tags it had.
"""

from __future__ import annotations

from stockade.service.contracts import InterfaceSpec, LaunchRequest, TrackingRequest
from stockade.service.instances import InstanceService
from stockade.service.interfaces import InterfaceService
from stockade.service.network import NetworkService
from stockade.service.prefix_lists import PrefixListService
from stockade.service.tags import TagService

TAGS = (("b", "2"), ("a", "1"), ("empty", None))
READ_BACK = (("a", "1"), ("b", "2"), ("empty", ""))


def test_network_creates_return_what_is_stored(ctx):
    net = NetworkService(ctx)
    for tags, expected in ((TAGS, READ_BACK), ((), ())):
        vpc = net.create_vpc("10.0.0.0/16", amazon_provided_ipv6=True, tags=tags)
        assert vpc.tags == expected
        assert net.get_vpc(vpc.vpc_id) == vpc
        subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24", tags=tags)
        assert subnet.tags == expected
        assert net.list_subnets([subnet.subnet_id]) == [subnet]
        igw = net.create_internet_gateway(tags=tags)
        assert igw.tags == expected
        assert net.list_internet_gateways([igw.igw_id]) == [igw]


def test_associating_ipv6_returns_the_stored_vpc_with_its_tags(ctx):
    net = NetworkService(ctx)
    vpc = net.create_vpc("10.1.0.0/16", tags=TAGS)
    associated = net.associate_ipv6_block(vpc.vpc_id)
    assert associated.ipv6_cidr_block and associated.tags == READ_BACK
    assert net.get_vpc(vpc.vpc_id) == associated


def test_prefix_list_create_and_modify_return_what_is_stored(ctx):
    pls = PrefixListService(ctx)
    created = pls.create("office", 5, "IPv4", [("10.9.0.0/16", "b"), ("10.1.0.0/16", None)], TAGS)
    assert created.tags == READ_BACK
    assert pls.describe([created.prefix_list_id]) == [created]
    for change in (
        {"add": [("10.0.0.0/24", "new")], "remove": ["10.9.0.0/16"]},
        {"name": "renamed"},
        {"max_entries": 7},
    ):
        modified = pls.modify(created.prefix_list_id, **change)
        assert modified.tags == READ_BACK
        assert pls.describe([created.prefix_list_id]) == [modified]
    assert [e.cidr for e in modified.entries] == ["10.0.0.0/24", "10.1.0.0/16"]
    assert modified.version == 2


def test_interface_create_and_modify_return_what_is_stored(ctx):
    net, enis = NetworkService(ctx), InterfaceService(ctx)
    subnet = net.list_subnets()[0]
    eni = enis.create(subnet.subnet_id, description="web", tags=TAGS)
    assert eni.tags == READ_BACK
    assert enis.describe([eni.eni_id]) == [eni]
    default_group = eni.group_ids[0]
    for change in (
        {"group_ids": [default_group]},
        {"tracking": TrackingRequest(udp_timeout=60)},
        {"description": "api"},
        {"source_dest_check": False},
    ):
        modified = enis.modify_attribute(eni.eni_id, **change)
        assert modified.tags == READ_BACK
        assert enis.describe([eni.eni_id]) == [modified]
    assert modified.connection_tracking.udp_timeout == 60 and not modified.source_dest_check


def test_launch_returns_the_stored_instance_and_merges_tags_of_an_existing_interface(ctx):
    net, enis, instances = NetworkService(ctx), InterfaceService(ctx), InstanceService(ctx)
    subnet = net.list_subnets()[0]
    existing = enis.create(subnet.subnet_id, tags=(("kept", "yes"), ("a", "old")))
    request = LaunchRequest(
        interfaces=(InterfaceSpec(device_index=0, network_interface_id=existing.eni_id),),
        tags=TAGS,
        interface_tags=(("a", "1"),),
    )
    [detail] = instances.run(request)
    assert detail.instance.tags == READ_BACK
    assert instances.get(detail.instance.instance_id) == detail
    [eni] = enis.describe([existing.eni_id])
    assert eni.tags == (("a", "1"), ("kept", "yes"))  # merged, not replaced

    [untagged] = instances.run(LaunchRequest(subnet_id=subnet.subnet_id))
    assert untagged.instance.tags == ()
    assert instances.get(untagged.instance.instance_id) == untagged
    resource_ids = {r for r, _, _ in TagService(ctx).list_tags()}
    assert untagged.instance.instance_id not in resource_ids
