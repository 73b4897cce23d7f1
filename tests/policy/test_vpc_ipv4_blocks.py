"""A VPC's secondary IPv4 blocks are inside the VPC for the policy engine: a subnet of one
is reached over its local route, across a peering (not "transit"), and a source address in
one is the VPC's own. Every flow is also decided in bulk and compared (``reasons``)."""

from __future__ import annotations

from dataclasses import replace

from stockade.analysis.reach import parse_source, reach
from stockade.policy.decide import decide
from stockade.policy.flow import Flow

from .conftest import World
from .test_routes import reasons

SECONDARY = "100.64.0.0/16"


def _vpc(world: World, n: int, secondary: tuple[str, ...] = ()) -> tuple[str, str]:
    """A VPC 10.n.0.0/16 (plus ``secondary``), no gateway, a group open to its blocks; its
    main table holds a local route per block. Returns the VPC and the group."""
    vpc_id = world.vpc(f"10.{n}.0.0/16", igw=False)
    i = next(k for k, v in enumerate(world.vpcs) if v.vpc_id == vpc_id)
    world.vpcs[i] = replace(world.vpcs[i], secondary_cidr_blocks=secondary)
    group = world.group(vpc_id, f"open-{n}")
    world.rule(group, "in", "-1", None, None, "0.0.0.0/0")
    return vpc_id, group


def _instance(world: World, vpc_id: str, group: str, subnet_id: str, ip: str) -> str:
    world._subnet_of[vpc_id] = subnet_id
    return world.instance(vpc_id, [group], ip)


def test_a_subnet_of_a_secondary_block_is_local(world):
    vpc_id, group = _vpc(world, 0, (SECONDARY,))
    primary = world.subnets[-1].subnet_id
    secondary = world.subnet(vpc_id, "100.64.1.0/24")
    world.route_table(vpc_id, main=True)
    _instance(world, vpc_id, group, primary, "10.0.0.20")
    _instance(world, vpc_id, group, secondary, "100.64.1.10")
    snap = world.snapshot()
    for flow in (
        Flow("10.0.0.20", "100.64.1.10", "tcp", 22),
        Flow("100.64.1.10", "10.0.0.20", "tcp", 22),
    ):
        decision = decide(snap, flow)
        assert decision.allowed, decision.reasons
        assert str(decision.path) == "vpc-local"
        assert reasons(snap, flow) == set()
    # an address of the secondary block no interface holds is the VPC's, not the internet's
    assert reasons(snap, Flow("10.0.0.20", "100.64.9.9", "tcp", 22)) == {"UNKNOWN_IN_VPC"}


def test_without_its_local_route_the_secondary_subnet_is_cut_off(world):
    """The route tables decide: a table routing only the primary block locally (as one
    written before the block was associated would, were AWS not to add the route)."""
    vpc_id, group = _vpc(world, 0, (SECONDARY,))
    primary = world.subnets[-1].subnet_id
    secondary = world.subnet(vpc_id, "100.64.1.0/24")
    world.route_table(vpc_id, [("10.0.0.0/16", "local")], main=True, local=False)
    _instance(world, vpc_id, group, primary, "10.0.0.20")
    _instance(world, vpc_id, group, secondary, "100.64.1.10")
    decision = decide(world.snapshot(), Flow("10.0.0.20", "100.64.1.10", "tcp", 22))
    assert not decision.allowed


def test_a_peering_carries_the_peers_secondary_block(world):
    a, group_a = _vpc(world, 0, (SECONDARY,))
    a_subnet = world.subnet(a, "100.64.1.0/24")
    b, group_b = _vpc(world, 1)
    b_subnet = world.subnets[-1].subnet_id
    pcx = world.peering(a, b)
    world.route_table(a, [("10.1.0.0/16", pcx)], main=True)
    world.route_table(b, [(SECONDARY, pcx)], main=True)
    _instance(world, a, group_a, a_subnet, "100.64.1.10")
    _instance(world, b, group_b, b_subnet, "10.1.0.30")
    snap = world.snapshot()
    flow = Flow("10.1.0.30", "100.64.1.10", "tcp", 22)
    decision = decide(snap, flow)
    assert decision.allowed, decision.reasons  # not "transit through a peered VPC"
    assert str(decision.path) == "peering"
    assert reasons(snap, flow) == set()
    assert reasons(snap, Flow("100.64.1.10", "10.1.0.30", "tcp", 22)) == set()


def test_reach_from_a_secondary_block_is_local_traffic(world):
    """Reach from a CIDR inside the destination's VPC (here its secondary block) goes over
    the local route: no internet gateway needed."""
    vpc_id, group = _vpc(world, 0, (SECONDARY,))
    secondary = world.subnet(vpc_id, "100.64.1.0/24")
    world.route_table(vpc_id, main=True)
    instance = _instance(world, vpc_id, group, secondary, "100.64.1.10")
    snap = world.snapshot()

    def result(source: str):
        [found] = reach(snap, parse_source(snap, source), instance)
        return found

    inside, outside = result("100.64.2.0/24"), result("198.51.100.0/24")
    assert inside.path == "vpc-local" and inside.reachable
    assert outside.path == "internet" and not outside.reachable  # no internet gateway
