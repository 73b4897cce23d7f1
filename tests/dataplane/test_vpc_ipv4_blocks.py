"""A VPC's secondary IPv4 block on real packets: a block associated with a running VPC gets
its router's blackhole, an instance in a subnet of it talks with one in the primary block
over the local route, and the blackhole goes with the block."""

from __future__ import annotations

import subprocess
from dataclasses import replace

import pytest
from policy.conftest import World as Builder

from stockade.dataplane.probe import Listeners, Probe, run

pytestmark = pytest.mark.root
TIMEOUT = 0.5
SECONDARY = "100.64.0.0/16"


def _blackholes(router: str) -> set[str]:
    shown = subprocess.run(
        ["ip", "-n", router, "-4", "route", "show", "type", "blackhole"],
        capture_output=True,
        text=True,
        check=True,
        timeout=10,
    ).stdout
    return {line.split()[1] for line in shown.splitlines() if line.strip()}


def _set_blocks(w: Builder, vpc_id: str, blocks: tuple[str, ...]) -> None:
    w.vpcs[:] = [
        replace(v, secondary_cidr_blocks=blocks) if v.vpc_id == vpc_id else v for v in w.vpcs
    ]


def test_a_secondary_block_joins_a_running_vpc(world, realised):
    w = Builder()
    vpc = w.vpc("10.0.0.0/16", igw=False)
    group = w.group(vpc, "web")
    w.rule(group, "in", "tcp", 80, 80, "0.0.0.0/0")
    first = w.instance(vpc, [group], "10.0.0.5")
    realised.apply_snapshot(w.snapshot())  # the router runs with the primary block only
    router = world.router(vpc)
    assert SECONDARY not in _blackholes(router)

    # associated: the implied main table routes every block locally (state.py), as the
    # service gives every table the block's local route
    _set_blocks(w, vpc, (SECONDARY,))
    w._subnet_of[vpc] = w.subnet(vpc, "100.64.1.0/24")
    second = w.instance(vpc, [group], "100.64.1.10")
    realised.apply_snapshot(w.snapshot())
    assert {"10.0.0.0/16", SECONDARY} <= _blackholes(router)
    a, b = world.instance(first), world.instance(second)
    with Listeners() as listeners:
        listeners.tcp(a, 80)
        listeners.tcp(b, 80)
        probes = [
            Probe(a, "100.64.1.10", "tcp", 80),
            Probe(b, "10.0.0.5", "tcp", 80),
            Probe(a, "100.64.1.11", "tcp", 80),  # no one holds it: dropped, not routed out
        ]
        assert run(probes, TIMEOUT, listeners) == ["connected", "connected", "timeout"]

    # disassociated (its subnet gone first): the router forgets the block
    w.instances[:] = [i for i in w.instances if i.instance_id != second]
    w.interfaces[:] = [e for e in w.interfaces if e.instance_id != second]
    w.subnets[:] = [s for s in w.subnets if s.cidr_block != "100.64.1.0/24"]
    _set_blocks(w, vpc, ())
    realised.apply_snapshot(w.snapshot())
    assert SECONDARY not in _blackholes(router)
    assert "10.0.0.0/16" in _blackholes(router)
