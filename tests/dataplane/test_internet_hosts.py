"""Transient internet hosts may hold only addresses that are on the internet.

A VPC's block (IPv4 — a VPC may use a public range, documentation ranges included — or
its IPv6 /56 from 2001:db8::/32) is not the internet: an internet host there would take
over the VPC's own addresses on the simulated internet for as long as it lives (the
internet routes the IPv6 block to the VPC; a host route beats it). So is any VPC's,
whatever its account: the world holds every account's routers. Refused with one line
naming the block, and nothing is created.
"""

from __future__ import annotations

import dataclasses

import pytest

from stockade.dataplane import links, netns
from stockade.dataplane.names import World

from .routed import Routed

pytestmark = pytest.mark.root


def _world() -> Routed:
    """A VPC on a public (documentation) block without a gateway, and another account's VPC
    with an IPv6 block and an internet gateway, each with one running instance."""
    w = Routed()
    public_block = w.vpc("198.51.100.0/25", igw=False)
    w.subnet(public_block, "198.51.100.0/26")
    group = w.group(public_block, "default")
    w.instance(public_block, [group], "198.51.100.10")
    dual = w.vpc("10.1.0.0/16", "2001:db8:1::/56")
    w.subnet(dual, "10.1.0.0/24", "2001:db8:1::/64")
    other = w.group(dual, "default")
    w.instance(dual, [other], "10.1.0.10", public_ip="203.0.113.40", ipv6=["2001:db8:1::10"])
    k = next(k for k, v in enumerate(w.vpcs) if v.vpc_id == dual)
    w.vpcs[k] = dataclasses.replace(w.vpcs[k], owner_id="210987654321")
    w.table(public_block, {}, main=True)
    w.table(dual, {"0.0.0.0/0": w.igw(dual), "::/0": w.igw(dual)}, main=True)
    return w


def _hosts(world: World) -> list[str]:
    """The internet's host links and the world's host namespaces (both must stay empty)."""
    with netns.iproute(world.internet) as ipr:
        names = [link.get_attr("IFLA_IFNAME") for link in ipr.get_links()]
    return [n for n in names if n.startswith("stkh")] + netns.listed(world.host(""))


@pytest.mark.parametrize(
    ("address", "block"),
    [
        ("198.51.100.77", "198.51.100.0/25"),  # a VPC's IPv4 block, free address
        ("198.51.100.10", "198.51.100.0/25"),  # an instance's private address there
        ("2001:db8:1::99", "2001:db8:1::/56"),  # another account's VPC's IPv6 block
    ],
)
def test_an_internet_host_inside_a_vpc_block_is_refused_naming_the_block(realised, address, block):
    realised.apply_snapshot(_world().snapshot())
    internet = realised.topology.internet
    internet.ensure()
    with pytest.raises(ValueError) as refused:
        internet.add_host(address)
    message = str(refused.value)
    assert block in message and address in message and "\n" not in message
    assert _hosts(realised.world) == []  # nothing was made
    with netns.iproute(internet.name) as ipr:
        family = links.family(address)
        assert not [r for r in ipr.get_routes(family=family) if r.get("RTA_DST") == address]


def test_addresses_outside_every_vpc_block_still_make_hosts(realised):
    realised.apply_snapshot(_world().snapshot())
    internet = realised.topology.internet
    internet.ensure()
    for address in ("198.51.100.200", "2001:db8:2::99", "192.0.2.10"):
        with internet.host(address) as namespace:
            assert netns.exists(namespace)
    assert _hosts(realised.world) == []
    # an instance's public address stays refused, as before
    with pytest.raises(ValueError, match="203.0.113.40"):
        internet.add_host("203.0.113.40")


def test_an_ipv6_block_associated_later_is_refused_too(realised):
    """A running VPC that gains (or loses) an IPv6 block: its router's blackholes follow,
    as a new router's do, so the block is refused at once and free again after."""
    w = Routed()
    vpc = w.vpc("10.2.0.0/16")
    w.subnet(vpc, "10.2.0.0/24")
    w.instance(vpc, [w.group(vpc, "default")], "10.2.0.10")
    w.table(vpc, {"0.0.0.0/0": w.igw(vpc)}, main=True)
    realised.apply_snapshot(w.snapshot())
    internet = realised.topology.internet
    internet.ensure()
    k = next(k for k, v in enumerate(w.vpcs) if v.vpc_id == vpc)
    plain = w.vpcs[k]
    w.vpcs[k] = dataclasses.replace(plain, ipv6_cidr_block="2001:db8:5::/56")
    realised.apply_snapshot(w.snapshot())
    with pytest.raises(ValueError, match="2001:db8:5::/56"):
        internet.add_host("2001:db8:5::9")
    w.vpcs[k] = plain
    realised.apply_snapshot(w.snapshot())
    with internet.host("2001:db8:5::9") as namespace:
        assert netns.exists(namespace)
