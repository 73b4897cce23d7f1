"""Elastic IPs: allocation, association with interfaces and instances, the instance
lifecycle (stop keeps an Elastic IP, terminate frees it), release and describe."""

from __future__ import annotations

import ipaddress

import pytest

from stockade.domain.quotas import Quotas
from stockade.service.addresses import AddressService
from stockade.service.addressing import PUBLIC_POOL
from stockade.service.context import ServiceContext
from stockade.service.contracts import InterfaceSpec, LaunchRequest
from stockade.service.instances import InstanceService
from stockade.service.interfaces import InterfaceService
from stockade.service.network import NetworkService

UNKNOWN_ALLOC = "eipalloc-0123456789abcdef0"


@pytest.fixture
def eips(ctx):
    return AddressService(ctx)


@pytest.fixture
def instances(ctx):
    return InstanceService(ctx)


def _in_pool(ip: str) -> bool:
    return any(ipaddress.ip_address(ip) in ipaddress.ip_network(b) for b in PUBLIC_POOL)


def _launch(instances, **kwargs):
    """One instance in the default VPC (attached internet gateway, public IP on launch)."""
    [detail] = instances.run(LaunchRequest(**kwargs))
    return detail


def _public_ip(instances, instance_id):
    return instances.get(instance_id).primary.public_ip


def test_allocate_takes_a_free_documentation_address(eips, instances):
    running = _launch(instances)
    first, second = eips.allocate(tags=[("Name", "a")]), eips.allocate()
    assert first.allocation_id.startswith("eipalloc-") and first.domain == "vpc"
    assert first.tags == (("Name", "a"),)
    taken = {first.public_ip, second.public_ip, running.primary.public_ip}
    assert len(taken) == 3 and all(_in_pool(ip) for ip in taken)
    assert not first.is_associated
    assert [e.allocation_id for e in eips.describe()] == [first.allocation_id, second.allocation_id]


def test_an_allocated_address_is_never_given_to_an_instance(eips, instances):
    eip = eips.allocate()
    launched = [_launch(instances).primary.public_ip for _ in range(3)]
    assert eip.public_ip not in launched


def test_address_quota(ctx, store, eips, rejected):
    for _ in range(5):
        eips.allocate()
    rejected("AddressLimitExceeded", eips.allocate)
    small = AddressService(ServiceContext(store, ctx.scope, Quotas(elastic_ips_per_region=1)))
    rejected("AddressLimitExceeded", small.allocate)


def test_associate_replaces_the_automatic_address(ctx, eips, instances):
    detail = _launch(instances)
    automatic = detail.primary.public_ip
    eip = eips.allocate()
    associated = eips.associate(eip.allocation_id, instance_id=detail.instance.instance_id)
    assert associated.association_id.startswith("eipassoc-")
    assert associated.network_interface_id == detail.primary.eni_id
    assert associated.instance_id == detail.instance.instance_id
    assert associated.private_ip == detail.primary.private_ip
    assert _public_ip(instances, detail.instance.instance_id) == eip.public_ip
    [described] = eips.describe(allocation_ids=[eip.allocation_id])
    assert described == associated
    # the automatic address went back to the pool: the next instance may get it
    with ctx.read() as tx:
        assert automatic not in tx.used_public_ips()
        assert eip.public_ip in tx.used_public_ips()


def test_disassociate_gives_back_an_automatic_address(eips, instances):
    detail = _launch(instances)
    eip = eips.allocate()
    assoc = eips.associate(eip.allocation_id, eni_id=detail.primary.eni_id)
    eips.disassociate(assoc.association_id)
    after = _public_ip(instances, detail.instance.instance_id)
    assert after is not None and after != eip.public_ip and _in_pool(after)
    [described] = eips.describe([eip.public_ip])
    assert not described.is_associated and described.instance_id is None


def test_disassociate_without_wanting_a_public_ip(ctx, eips, instances):
    net = NetworkService(ctx)
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    detail = _launch(instances, subnet_id=subnet.subnet_id)
    assert detail.primary.public_ip is None
    assoc = eips.associate(eips.allocate().allocation_id, instance_id=detail.instance.instance_id)
    eips.disassociate(assoc.association_id)
    assert _public_ip(instances, detail.instance.instance_id) is None


def test_elastic_ip_survives_stop_and_start(eips, instances):
    detail = _launch(instances)
    iid = detail.instance.instance_id
    eip = eips.allocate()
    eips.associate(eip.allocation_id, instance_id=iid)
    instances.stop([iid])
    assert _public_ip(instances, iid) == eip.public_ip
    instances.start([iid])
    assert _public_ip(instances, iid) == eip.public_ip
    assert eips.describe()[0].instance_id == iid


def test_stop_still_releases_an_automatic_address(instances):
    iid = _launch(instances).instance.instance_id
    instances.stop([iid])
    assert _public_ip(instances, iid) is None


def test_terminate_disassociates_but_keeps_the_allocation(eips, instances):
    iid = _launch(instances).instance.instance_id
    eip = eips.allocate()
    eips.associate(eip.allocation_id, instance_id=iid)
    instances.terminate([iid])
    [after] = eips.describe()
    assert after.allocation_id == eip.allocation_id and not after.is_associated
    assert after.network_interface_id is None and after.instance_id is None
    eips.release(eip.allocation_id)
    assert eips.describe() == []


def test_reassociation_moves_the_address(eips, instances):
    first, second = _launch(instances), _launch(instances)
    eip = eips.allocate()
    eips.associate(eip.allocation_id, instance_id=first.instance.instance_id)
    moved = eips.associate(eip.allocation_id, instance_id=second.instance.instance_id)
    assert moved.instance_id == second.instance.instance_id
    assert _public_ip(instances, second.instance.instance_id) == eip.public_ip
    # the first interface wants a public IP, so it gets an automatic one back
    back = _public_ip(instances, first.instance.instance_id)
    assert back is not None and back != eip.public_ip


def test_allow_reassociation_false_refuses(eips, instances, rejected):
    first, second = _launch(instances), _launch(instances)
    eip, other = eips.allocate(), eips.allocate()
    eips.associate(eip.allocation_id, instance_id=first.instance.instance_id)
    rejected(
        "Resource.AlreadyAssociated",
        eips.associate,
        eip.allocation_id,
        instance_id=second.instance.instance_id,
        allow_reassociation=False,
    )
    rejected(  # the target interface already holds an Elastic IP
        "Resource.AlreadyAssociated",
        eips.associate,
        other.allocation_id,
        instance_id=first.instance.instance_id,
        allow_reassociation=False,
    )


def test_association_needs_an_attached_internet_gateway(ctx, eips, instances, rejected):
    net = NetworkService(ctx)
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    detail = _launch(instances, subnet_id=subnet.subnet_id)
    eip = eips.allocate()
    rejected("Gateway.NotAttached", eips.associate, eip.allocation_id, eni_id=detail.primary.eni_id)


def test_association_errors(ctx, eips, instances, rejected):
    detail = _launch(instances)
    eip = eips.allocate()
    iid, eni_id = detail.instance.instance_id, detail.primary.eni_id
    rejected("InvalidAllocationID.NotFound", eips.associate, UNKNOWN_ALLOC, instance_id=iid)
    rejected("InvalidAllocationID.Malformed", eips.associate, "eipalloc-x", instance_id=iid)
    rejected("MissingParameter", eips.associate, eip.allocation_id)
    rejected(
        "InvalidParameterCombination",
        eips.associate,
        eip.allocation_id,
        instance_id=iid,
        eni_id=eni_id,
    )
    rejected(
        "InvalidParameterValue",
        eips.associate,
        eip.allocation_id,
        eni_id=eni_id,
        private_ip="172.31.99.99",
    )
    rejected("InvalidAddress.NotFound", eips.associate, None, instance_id=iid, public_ip="1.2.3.4")
    rejected("InvalidAssociationID.NotFound", eips.disassociate, "eipassoc-0123456789abcdef0")
    rejected("InvalidAssociationID.Malformed", eips.disassociate, "eipassoc-zz")
    two = instances.run(
        LaunchRequest(
            interfaces=(
                InterfaceSpec(0, detail.primary.subnet_id),
                InterfaceSpec(1, detail.primary.subnet_id),
            )
        )
    )[0]
    rejected(
        "InvalidInstanceID", eips.associate, eip.allocation_id, instance_id=two.instance.instance_id
    )


def test_release_rules(eips, instances, rejected):
    eip = eips.allocate()
    assoc = eips.associate(eip.allocation_id, instance_id=_launch(instances).instance.instance_id)
    rejected("InvalidIPAddress.InUse", eips.release, eip.allocation_id)
    rejected("InvalidAllocationID.NotFound", eips.release, UNKNOWN_ALLOC)
    rejected("InvalidAddress.NotFound", eips.release, None, "198.51.100.200")
    eips.disassociate(assoc.association_id)
    eips.release(None, eip.public_ip)
    rejected("InvalidAllocationID.NotFound", eips.describe, (), [eip.allocation_id])


def test_describe_names_must_exist(eips, rejected):
    eip = eips.allocate()
    assert eips.describe([eip.public_ip], [eip.allocation_id]) == [eip]
    rejected("InvalidAddress.NotFound", eips.describe, ["203.0.113.250"])


def test_an_interface_keeps_its_elastic_ip_when_detached(ctx, eips, instances):
    detail = _launch(instances)
    interfaces = InterfaceService(ctx)
    eni = interfaces.create(detail.primary.subnet_id)
    attachment = interfaces.attach(eni.eni_id, detail.instance.instance_id, 1)
    eip = eips.allocate()
    eips.associate(eip.allocation_id, eni_id=eni.eni_id)
    interfaces.detach(attachment)
    [after] = interfaces.describe([eni.eni_id])
    assert after.public_ip == eip.public_ip and after.instance_id is None
    assert eips.describe()[0].instance_id is None
    interfaces.delete(eni.eni_id)
    assert not eips.describe()[0].is_associated


def test_addresses_are_per_scope(ctx, store, eips, rejected):
    from stockade.domain.scope import Scope

    eip = eips.allocate()
    other = AddressService(ServiceContext(store, Scope("210987654321")))
    assert other.describe() == []
    rejected("InvalidAllocationID.NotFound", other.release, eip.allocation_id)
    assert other.allocate().public_ip != eip.public_ip  # one pool for every account
