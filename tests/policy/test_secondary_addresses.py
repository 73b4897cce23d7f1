"""Secondary private IPv4 addresses in the policy engine: a group reference matches a
member's secondary addresses, and a flow to one is a flow to its interface."""

from __future__ import annotations

from dataclasses import replace

from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.decide import decide
from stockade.policy.decision import Verdict
from stockade.policy.effective import effective_policy
from stockade.policy.flow import Flow


def _with_secondary(world, eni_id: str, *addresses: str) -> None:
    world.interfaces[:] = [
        replace(e, secondary_private_ips=addresses) if e.eni_id == eni_id else e
        for e in world.interfaces
    ]


def test_group_reference_and_flows_reach_secondary_addresses(world):
    vpc = world.vpc("10.0.0.0/16")
    app, db, other = (world.group(vpc, n) for n in ("app", "db", "other"))
    world.rule(db, "in", "tcp", 5432, 5432, app)
    client = world.instance(vpc, [app], "10.0.1.5")
    server = world.instance(vpc, [db], "10.0.1.6")
    stranger = world.instance(vpc, [other], "10.0.1.7")
    _with_secondary(world, world.eni_of(client), "10.0.1.50")
    _with_secondary(world, world.eni_of(server), "10.0.1.60")
    _with_secondary(world, world.eni_of(stranger), "10.0.1.70")
    snapshot = world.snapshot()

    ingress = {(e.cidr, e.via) for e in effective_policy(snapshot, world.eni_of(server)).ingress}
    assert ("10.0.1.50/32", world.eni_of(client)) in ingress
    assert ("10.0.1.5/32", world.eni_of(client)) in ingress
    assert not any(cidr.startswith("10.0.1.7") for cidr, _ in ingress)

    flows = [
        Flow("10.0.1.50", "10.0.1.6", "tcp", 5432),  # from the member's secondary address
        Flow("10.0.1.5", "10.0.1.60", "tcp", 5432),  # to the server's secondary address
        Flow("10.0.1.50", "10.0.1.60", "tcp", 5432),
        Flow("10.0.1.70", "10.0.1.60", "tcp", 5432),  # a non-member's secondary: no
        Flow("10.0.1.7", "10.0.1.60", "tcp", 5432),
    ]
    expected = [Verdict.ALLOWED] * 3 + [Verdict.DENIED] * 2
    decisions = [decide(snapshot, f) for f in flows]
    assert [d.verdict for d in decisions] == expected
    to_secondary = decisions[1]
    assert to_secondary.destination.eni_id == world.eni_of(server)
    assert to_secondary.destination.address == "10.0.1.60"
    bulk = decide_many(snapshot, FlowBatch.from_flows(flows))
    assert [bool(a) for a in bulk.allowed] == [v is Verdict.ALLOWED for v in expected]
