"""The ``notrack`` sets without a kernel: the packet evaluator's model of the raw chain
against the policy engine's definition of untracked flows, on random worlds; and the
incremental commands for the sets.
"""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy.conftest import World

from stockade.dataplane.compile import assemble, compile_group, compile_vpc
from stockade.dataplane.delta import render_delta
from stockade.dataplane.evaluate import Packet, evaluate, reply, table_of, untracked
from stockade.dataplane.names import IGW_LINK
from stockade.dataplane.names import World as Names
from stockade.dataplane.plan import plan_world
from stockade.dataplane.render import render_full
from stockade.dataplane.ruleset import UntrackedService
from stockade.policy import Direction, decide, effective_policy, reply_verdict
from stockade.policy.stateful import untracked_ports

from .packets import only_security_groups_decide, passes
from .strategies import PORTS, probes, worlds

_NAMES = {6: "tcp", 17: "udp"}


def _rulesets(snapshot):
    return {vpc: compile_vpc(snapshot, plan) for vpc, plan in plan_world(snapshot).items()}


def _untracked_at(snapshot, eni_id: str, direction: Direction, packet: Packet, port: int) -> bool:
    """The engine's definition, for one interface and one direction."""
    if packet.proto not in _NAMES:
        return False
    policy = effective_policy(snapshot, eni_id)
    reverse = Direction.INGRESS if direction is Direction.EGRESS else Direction.EGRESS
    spans = untracked_ports(
        policy.entries(direction), policy.entries(reverse), packet.family, _NAMES[packet.proto]
    )
    return any(lo <= port <= hi for lo, hi in spans)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_the_notrack_sets_leave_untracked_what_the_engine_says_at_every_interface(data):
    snapshot = data.draw(worlds()).snapshot()
    rulesets = _rulesets(snapshot)
    tables = {vpc: table_of(ruleset) for vpc, ruleset in rulesets.items()}
    for _ in range(10):
        _src, _dst, flow = data.draw(probes(snapshot))
        decision = decide(snapshot, flow)
        if not only_security_groups_decide(decision):
            continue
        verdict = reply_verdict(snapshot, decision)
        for vpc, packet in passes(snapshot, decision):
            sport = data.draw(st.sampled_from([*PORTS, 0, 50000, 65535]))
            packet = dataclasses.replace(packet, sport=sport)
            ruleset, table = rulesets[vpc], tables[vpc]
            # the instance interfaces this router sees the packet cross, and their direction
            sides = [
                (ruleset.eni_of(ifname), direction)
                for ifname, direction in (
                    (packet.iif, Direction.EGRESS),
                    (packet.oif, Direction.INGRESS),
                )
                if ruleset.eni_of(ifname) is not None
            ]
            as_request = all(
                _untracked_at(snapshot, eni, d, packet, packet.service) for eni, d in sides
            )
            as_reply = all(
                _untracked_at(snapshot, eni, Direction(_other(d)), packet, sport)
                for eni, d in sides
            )
            got = untracked(table, packet)
            assert got == (as_request or as_reply), (flow, packet, sides)
            assert untracked(table, reply(packet)) == got  # never half a flow
            if decision.allowed:  # the analyzer's verdict names the same interfaces
                assert as_request == all(eni in verdict.untracked_at for eni, _ in sides)
            if got:  # untracked packets pass by the rules alone, both ways
                assert evaluate(table, packet).accepted
                assert evaluate(table, reply(packet)).accepted


def _other(direction: Direction) -> str:
    return "ingress" if direction is Direction.EGRESS else "egress"


def _web(rules) -> tuple[World, str, str]:
    w = World()
    vpc = w.vpc()
    group = w.group(vpc, "web")  # the default outbound rule: all to 0.0.0.0/0
    for rule in rules:
        w.rule(group, *rule)
    instance = w.instance(vpc, [group], "10.0.1.10", public_ip="192.0.2.10")
    return w, group, instance


def test_the_sets_name_the_private_and_the_public_address():
    w, _group, _instance = _web([("in", "tcp", 22, 22, "0.0.0.0/0")])
    (ruleset,) = _rulesets(w.snapshot()).values()
    text = render_full(ruleset)
    assert "add element inet stk_vpc nt_in_4 { 10.0.1.10 . 6 . 22, 192.0.2.10 . 6 . 22 }" in text
    assert "add element inet stk_vpc nt_hosts_4 { 10.0.1.10 }" in text
    assert "nt_eg_4 {" not in text.split("chain ")[-1]  # no outbound flow is untracked
    port = Names.port(w.eni_of(_instance))
    inbound = Packet(IGW_LINK, port, "203.0.113.10", "10.0.1.10", 6, 22, sport=40000)
    table = table_of(ruleset)
    assert untracked(table, inbound) and untracked(table, reply(inbound))
    assert not untracked(table, dataclasses.replace(inbound, service=23))
    icmp = Packet(IGW_LINK, port, "203.0.113.10", "10.0.1.10", 1, 8 << 8)
    assert not untracked(table, icmp)  # ICMP is always tracked


def test_a_widened_rule_replaces_its_elements_deleting_first():
    w, group, _instance = _web([("in", "tcp", 22, 22, "0.0.0.0/0")])
    (before,) = _rulesets(w.snapshot()).values()
    w.rule(group, "in", "tcp", 0, 1000, "0.0.0.0/0")
    (after,) = _rulesets(w.snapshot()).values()
    commands = render_delta(before, after).splitlines()
    deleted = "delete element inet stk_vpc nt_in_4 { 10.0.1.10 . 6 . 22, 192.0.2.10 . 6 . 22 }"
    added = "add element inet stk_vpc nt_in_4 { 10.0.1.10 . 6 . 0-1000, 192.0.2.10 . 6 . 0-1000 }"
    # an interval set refuses an element overlapping one it holds: delete, then add
    assert commands.index(deleted) < commands.index(added)
    assert render_delta(after, after) == ""


def test_removing_the_outbound_allow_all_empties_the_sets():
    w, group, _instance = _web([("in", "tcp", 22, 22, "0.0.0.0/0")])
    (before,) = _rulesets(w.snapshot()).values()
    w.rules = [r for r in w.rules if not (r.group_id == group and r.is_egress)]
    (after,) = _rulesets(w.snapshot()).values()
    commands = [c for c in render_delta(before, after).splitlines() if " nt_" in c]
    assert commands == [
        "delete element inet stk_vpc nt_in_4 { 10.0.1.10 . 6 . 22, 192.0.2.10 . 6 . 22 }"
    ]


def test_the_cache_keeps_unchanged_interfaces_and_follows_changed_groups():
    w, group, instance = _web([("in", "tcp", 22, 22, "0.0.0.0/0")])
    port = Names.port(w.eni_of(instance))
    ports_cache: dict = {}
    cache: dict = {}

    def assembled():
        snapshot = w.snapshot()
        (plan,) = plan_world(snapshot).values()
        chains = {group: compile_group(snapshot, group)}
        return assemble(snapshot, plan, chains, None, ports_cache, cache)

    first, again = assembled(), assembled()
    # recompiled chains are new objects: the services are recomputed, and equal
    assert again.untracked[port] == first.untracked[port]
    w.rule(group, "in", "udp", 53, 53, "0.0.0.0/0")
    changed = assembled()
    assert UntrackedService(4, 17, 53, 53) in changed.untracked[port].ingress
    snapshot = w.snapshot()
    (plan,) = plan_world(snapshot).values()
    chains = {group: compile_group(snapshot, group)}
    one = assemble(snapshot, plan, chains, None, ports_cache, cache)
    two = assemble(snapshot, plan, chains, None, ports_cache, cache)
    assert two.untracked[port] is one.untracked[port]  # the same chains: the same object
