"""The seed scenario on real packets, built through the service layer and followed by the
agent: every outcome is also what ``policy.decide`` says, and changes apply live."""

from __future__ import annotations

import pytest

from stockade.dataplane import netns
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.demo.seed import MY_COMPUTER, OUTSIDER, build_seed
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.policy import Flow, decide
from stockade.service.instances import InstanceService
from stockade.service.rules import RuleService

from .conftest import primary_eni, settle, snapshot_of

pytestmark = pytest.mark.root
TIMEOUT = 0.4


@pytest.fixture
def seeded(ctx, agent):
    seed = build_seed(ctx)
    settle(agent)
    with Listeners() as listeners:
        for name in ("web", "ntp"):
            namespace = agent.world.instance(seed.instances[name])
            for port in (22, 80, 123):
                listeners.tcp(namespace, port)
        yield seed, listeners


def test_the_seed_checks_on_real_packets(agent, seeded):
    seed, listeners = seeded
    snapshot = snapshot_of(agent)
    web = primary_eni(snapshot, seed.instances["web"])
    ntp = primary_eni(snapshot, seed.instances["ntp"])
    ns = {name: agent.world.instance(i) for name, i in seed.instances.items()}
    internet = agent.topology.internet
    with internet.host(MY_COMPUTER) as mine, internet.host(OUTSIDER) as outsider:
        cases = [  # (probe, expected outcome, the flow as the analyzer sees it)
            (
                Probe(mine, web.public_ip, "tcp", 22),
                "connected",
                Flow(MY_COMPUTER, web.public_ip, "tcp", 22),
            ),
            (
                Probe(outsider, web.public_ip, "tcp", 22),
                "timeout",
                Flow(OUTSIDER, web.public_ip, "tcp", 22),
            ),
            (
                Probe(outsider, web.public_ip, "tcp", 80),
                "connected",
                Flow(OUTSIDER, web.public_ip, "tcp", 80),
            ),
            (
                Probe(mine, web.public_ip, "tcp", 80),
                "connected",
                Flow(MY_COMPUTER, web.public_ip, "tcp", 80),
            ),
            (
                Probe(ns["A"], web.private_ip, "tcp", 80),
                "connected",
                Flow(seed.instances["A"], web.private_ip, "tcp", 80),
            ),
            (
                Probe(mine, web.public_ip, "tcp", 8080),
                "refused",
                Flow(MY_COMPUTER, web.public_ip, "tcp", 8080),
            ),
            (
                Probe(ns["A"], ntp.private_ip, "tcp", 123),
                "connected",
                Flow(seed.instances["A"], ntp.private_ip, "tcp", 123),
            ),
            (
                Probe(ns["B"], ntp.private_ip, "tcp", 123),
                "connected",
                Flow(seed.instances["B"], ntp.private_ip, "tcp", 123),
            ),
            (
                Probe(ns["C"], ntp.private_ip, "tcp", 123),
                "timeout",
                Flow(seed.instances["C"], ntp.private_ip, "tcp", 123),
            ),
            (
                Probe(ns["A"], web.private_ip, "tcp", 22),
                "timeout",
                Flow(seed.instances["A"], web.private_ip, "tcp", 22),
            ),
        ]
        outcomes = run([c[0] for c in cases], TIMEOUT, listeners)
    for (probe, expected, flow), outcome in zip(cases, outcomes, strict=True):
        assert outcome == expected, (probe, outcome)
        assert decide(snapshot, flow).allowed == (outcome in ("connected", "refused")), flow


def test_a_rule_changed_live_applies_to_new_connections(ctx, agent, seeded):
    seed, listeners = seeded
    web = primary_eni(snapshot_of(agent), seed.instances["web"])
    rules = RuleService(ctx)
    with agent.topology.internet.host(OUTSIDER) as outsider:
        assert run([Probe(outsider, web.public_ip, "tcp", 22)], TIMEOUT, listeners) == ["timeout"]
        added = rules.authorize(
            seed.groups["web"],
            [
                IpPermission(
                    "tcp", 22, 22, ip_ranges=((f"{OUTSIDER}/32", "the outsider, for a while"),)
                )
            ],
        )
        settle(agent)
        assert run([Probe(outsider, web.public_ip, "tcp", 22)], TIMEOUT, listeners) == ["connected"]
        rules.revoke(seed.groups["web"], rule_ids=[added[0].rule_id])
        settle(agent)
        assert run([Probe(outsider, web.public_ip, "tcp", 22)], TIMEOUT, listeners) == ["timeout"]


def test_a_reference_follows_its_members(ctx, agent, seeded):
    seed, listeners = seeded
    snapshot = snapshot_of(agent)
    ntp = primary_eni(snapshot, seed.instances["ntp"]).private_ip
    c = agent.world.instance(seed.instances["C"])
    assert run([Probe(c, ntp, "tcp", 123)], TIMEOUT, listeners) == ["timeout"]
    InstanceService(ctx).modify_groups(seed.instances["C"], [seed.groups["group-2"]])
    settle(agent)  # C is a member of group-2 now: one element in a set, no chain rewritten
    assert agent.last.applied[seed.vpc_id].mode == "delta"
    assert run([Probe(c, ntp, "tcp", 123)], TIMEOUT, listeners) == ["connected"]
    RuleService(ctx).revoke(
        seed.groups["group-1"],
        [IpPermission("tcp", 123, 123, groups=(GroupPair(group_id=seed.groups["group-2"]),))],
    )
    settle(agent)
    assert run([Probe(c, ntp, "tcp", 123)], TIMEOUT, listeners) == ["timeout"]


def test_stopped_instances_time_out_and_terminated_ones_are_gone(ctx, agent, seeded):
    seed, listeners = seeded
    instances = InstanceService(ctx)
    a = agent.world.instance(seed.instances["A"])
    ntp_id = seed.instances["ntp"]
    ntp = primary_eni(snapshot_of(agent), ntp_id).private_ip
    instances.stop([ntp_id])
    settle(agent)
    assert run([Probe(a, ntp, "tcp", 123)], TIMEOUT, listeners) == ["timeout"]
    instances.start([ntp_id])
    settle(agent)
    assert run([Probe(a, ntp, "tcp", 123)], TIMEOUT, listeners) == ["connected"]
    instances.terminate([seed.instances["C"]])
    settle(agent)
    assert not netns.exists(agent.world.instance(seed.instances["C"]))
