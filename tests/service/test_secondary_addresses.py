"""Secondary private IPv4 addresses: assigned, counted, reassigned, unassigned; AWS's errors."""

from __future__ import annotations

import pytest

from stockade.domain.quotas import Quotas
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext


@pytest.fixture
def svc(ctx) -> Services:
    return Services(ctx)


@pytest.fixture
def subnet(svc):
    vpc = svc.network.create_vpc("10.0.0.0/16")
    return svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")


def test_named_and_counted_addresses(svc, subnet):
    eni = svc.interfaces.create(subnet.subnet_id, private_ip="10.0.1.10")
    named = svc.interfaces.assign_private_ips(eni.eni_id, ["10.0.1.20", "10.0.1.21"])
    assert named.secondary_private_ips == ("10.0.1.20", "10.0.1.21")
    counted = svc.interfaces.assign_private_ips(eni.eni_id, count=2)
    assert counted.secondary_private_ips == ("10.0.1.20", "10.0.1.21", "10.0.1.4", "10.0.1.5")
    assert counted.private_addresses[:2] == ("10.0.1.10", "10.0.1.20")
    [stored] = svc.interfaces.describe([eni.eni_id])
    assert stored.secondary_private_ips == counted.secondary_private_ips
    other = svc.interfaces.create(subnet.subnet_id)
    assert other.private_ip == "10.0.1.6"  # secondary addresses are taken in the subnet
    svc.interfaces.unassign_private_ips(eni.eni_id, ["10.0.1.20", "10.0.1.4"])
    [after] = svc.interfaces.describe([eni.eni_id])
    assert after.secondary_private_ips == ("10.0.1.21", "10.0.1.5")


def test_bad_requests_change_nothing(svc, subnet, rejected):
    eni = svc.interfaces.create(subnet.subnet_id, private_ip="10.0.1.10")
    other = svc.interfaces.create(subnet.subnet_id, private_ip="10.0.1.11")
    assign = svc.interfaces.assign_private_ips
    rejected("InvalidIPAddress.InUse", assign, eni.eni_id, ["10.0.1.11"])  # a primary
    rejected("InvalidIPAddress.InUse", assign, eni.eni_id, ["10.0.1.11"], allow_reassignment=True)
    rejected("InvalidIPAddress.InUse", assign, eni.eni_id, ["10.0.1.10"])  # its own primary
    rejected("InvalidParameterValue", assign, eni.eni_id, ["10.0.2.5"])  # outside the subnet
    rejected("InvalidParameterValue", assign, eni.eni_id, ["10.0.1.3"])  # reserved
    rejected("InvalidParameterValue", assign, eni.eni_id, ["10.0.1.255"])  # broadcast
    rejected("InvalidParameterValue", assign, eni.eni_id, ["not-an-ip"])
    rejected("InvalidParameterValue", assign, eni.eni_id, ["10.0.1.30", "10.0.2.5"])  # all or none
    rejected("MissingParameter", assign, eni.eni_id)
    rejected("InvalidParameterCombination", assign, eni.eni_id, ["10.0.1.30"], 1)
    rejected("InvalidParameterValue", assign, eni.eni_id, count=0)
    rejected("InvalidNetworkInterfaceID.NotFound", assign, "eni-0123456789abcdef0", count=1)
    svc.interfaces.assign_private_ips(other.eni_id, ["10.0.1.40"])
    rejected("InvalidIPAddress.InUse", assign, eni.eni_id, ["10.0.1.40"])
    unassign = svc.interfaces.unassign_private_ips
    rejected("InvalidParameterValue", unassign, eni.eni_id, ["10.0.1.10"])  # the primary
    rejected("InvalidParameterValue", unassign, eni.eni_id, ["10.0.1.40"])  # another's
    rejected("MissingParameter", unassign, eni.eni_id, [])
    [unchanged] = svc.interfaces.describe([eni.eni_id])
    assert unchanged.secondary_private_ips == ()


def test_reassignment_moves_a_secondary_address(svc, subnet):
    eni = svc.interfaces.create(subnet.subnet_id)
    other = svc.interfaces.create(subnet.subnet_id)
    svc.interfaces.assign_private_ips(other.eni_id, ["10.0.1.40", "10.0.1.41"])
    moved = svc.interfaces.assign_private_ips(eni.eni_id, ["10.0.1.40"], allow_reassignment=True)
    assert moved.secondary_private_ips == ("10.0.1.40",)
    [left] = svc.interfaces.describe([other.eni_id])
    assert left.secondary_private_ips == ("10.0.1.41",)


def test_per_interface_limit(store, svc, subnet, rejected):
    small = Services(ServiceContext(store, svc.ctx.scope, Quotas(private_ipv4_per_interface=3)))
    eni = small.interfaces.create(subnet.subnet_id)
    small.interfaces.assign_private_ips(eni.eni_id, count=1)
    error = rejected(
        "PrivateIpAddressLimitExceeded", small.interfaces.assign_private_ips, eni.eni_id, count=2
    )
    assert error.message == "Number of private addresses will exceed limit."
    assert (
        len(small.interfaces.assign_private_ips(eni.eni_id, ["10.0.1.50"]).private_ipv4_addresses)
        == 3
    )
    rejected(
        "PrivateIpAddressLimitExceeded",
        small.interfaces.assign_private_ips,
        eni.eni_id,
        ["10.0.1.51"],
    )
