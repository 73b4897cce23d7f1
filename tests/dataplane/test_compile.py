"""The compiler without a kernel: golden rulesets, the decomposition, the evaluator against
``policy.decide`` on random worlds, and the incremental commands between two rulesets.

Set ``STOCKADE_UPDATE_GOLDEN=1`` to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy.conftest import World, seed_snapshot

from stockade.dataplane.compile import compile_vpc
from stockade.dataplane.decompose import Box, decompose
from stockade.dataplane.delta import delta_steps, render_delta
from stockade.dataplane.evaluate import Packet, crosses_acls, evaluate, table_of
from stockade.dataplane.names import IGW_LINK
from stockade.dataplane.plan import plan_world
from stockade.dataplane.render import address_range, render_full
from stockade.policy import Direction, decide
from stockade.policy.explain import explain

from .packets import answer, only_security_groups_decide, only_the_router_decides, passes
from .strategies import probes, worlds

GOLDEN = Path(__file__).parent / "golden"


def _golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if os.environ.get("STOCKADE_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"{name} changed (STOCKADE_UPDATE_GOLDEN=1 to accept)"


def _rulesets(snapshot):
    return {vpc: compile_vpc(snapshot, plan) for vpc, plan in plan_world(snapshot).items()}


def kitchen_sink() -> World:
    """IPv4 and IPv6, every kind of service, overlapping rules, a prefix list, references,
    a stopped instance, a secondary interface and non-default conntrack timeouts."""
    w = World()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    app = w.group(vpc, "app")
    db = w.group(vpc, "db", egress_all=False)
    plist = w.prefix_list(["192.0.2.0/24", "198.51.100.0/25"])
    w.rule(app, "in", "tcp", 80, 80, "0.0.0.0/0")
    w.rule(app, "in", "tcp", 0, 65535, "10.0.0.0/16")  # overlaps tcp/80 from everywhere
    w.rule(app, "in", "tcp", 8000, 8080, plist)
    w.rule(app, "in", "udp", 53, 53, "2001:db8::/32")
    w.rule(app, "in", "icmp", 8, -1, "0.0.0.0/0")
    w.rule(app, "in", "icmp", 3, 4, "10.0.0.0/8")
    w.rule(app, "in", "icmpv6", -1, -1, "::/0")
    w.rule(app, "in", "47", None, None, "203.0.113.0/24")
    w.rule(app, "in", "-1", None, None, "10.0.9.0/24")
    w.rule(db, "in", "tcp", 5432, 5432, app)
    w.rule(db, "in", "-1", None, None, db)
    w.rule(db, "out", "udp", 123, 123, "0.0.0.0/0")
    web = w.instance(vpc, [app], "10.0.1.10", public_ip="192.0.2.10", ipv6=["2001:db8:0:1::10"])
    w.instance(vpc, [app, db], "10.0.1.11", ipv6=["2001:db8:0:1::11"])
    w.instance(vpc, [db], "10.0.1.12", state="stopped")
    w.interface(vpc, [db], "10.0.1.13", instance_id=web, device_index=1)
    return w


def test_golden_seed():
    snapshot, _ids = seed_snapshot()
    (ruleset,) = _rulesets(snapshot).values()
    _golden("seed.nft", render_full(ruleset))


def test_golden_kitchen_sink():
    (ruleset,) = _rulesets(kitchen_sink().snapshot()).values()
    _golden("kitchen_sink.nft", render_full(ruleset))


def test_stopped_instance_keeps_its_port_down_and_unattached_interfaces_have_none():
    w = World()
    vpc = w.vpc()
    g = w.group(vpc, "g")
    running = w.instance(vpc, [g], "10.0.1.5")
    stopped = w.instance(vpc, [g], "10.0.1.6", state="stopped")
    w.interface(vpc, [g], "10.0.1.7")
    snapshot = w.snapshot()
    (plan,) = plan_world(snapshot).values()
    up = {p.instance_id: p.up for p in plan.ports}
    assert up == {running: True, stopped: False}
    assert plan.ports[0].gateway4 == "10.0.0.1"  # the subnet's base + 1, AWS's VPC router


@pytest.mark.parametrize(
    ("family", "lo", "hi", "text"),
    [
        (4, 0, 2**32 - 1, "0.0.0.0/0"),
        (4, 167772160, 167772160 + 255, "10.0.0.0/24"),
        (4, 167772161, 167772165, "10.0.0.1-10.0.0.5"),
        (4, 167772161, 167772161, "10.0.0.1"),
        (6, 0, 2**128 - 1, "::/0"),
    ],
)
def test_address_ranges_use_prefixes_when_aligned(family, lo, hi, text):
    assert address_range(family, lo, hi) == text


# -- decomposition ------------------------------------------------------------------------------

boxes = st.lists(
    st.builds(
        lambda label, a, b, s, t: Box(label, min(a, b), max(a, b), min(s, t), max(s, t)),
        st.integers(0, 6),
        st.integers(0, 15),
        st.integers(0, 15),
        st.integers(0, 7),
        st.integers(0, 7),
    ),
    max_size=8,
)


@settings(max_examples=300, deadline=None)
@given(boxes)
def test_decompose_is_disjoint_and_labels_each_point_with_the_first_rule(items):
    pieces = decompose(items)
    owner = {}
    for piece in pieces:
        for point in itertools.product(
            range(piece.a_lo, piece.a_hi + 1), range(piece.s_lo, piece.s_hi + 1)
        ):
            assert point not in owner, "pieces overlap"
            owner[point] = piece.label
    for a, s in itertools.product(range(16), range(8)):
        covering = [b.label for b in items if b.a_lo <= a <= b.a_hi and b.s_lo <= s <= b.s_hi]
        assert owner.get((a, s)) == (min(covering) if covering else None)


# -- the compiled rules against the policy engine --------------------------------------------


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_the_compiled_rules_decide_as_the_policy_engine(data):
    snapshot = data.draw(worlds()).snapshot()
    tables = {vpc: table_of(ruleset) for vpc, ruleset in _rulesets(snapshot).items()}
    for _ in range(10):
        _src, _dst, flow = data.draw(probes(snapshot))
        decision = decide(snapshot, flow)
        if not only_security_groups_decide(decision):
            continue
        outcomes = [evaluate(tables[vpc], packet) for vpc, packet in passes(snapshot, decision)]
        accepted = all(o.accepted for o in outcomes)
        assert accepted == decision.allowed, (flow, explain(decision), outcomes)


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_the_compiled_acls_decide_as_the_policy_engine_request_and_reply(data):
    """With network ACLs: each pass's packet through the whole table, and its reply through
    the ACLs' chain (stateless; the groups pass it on its connection), from a client port
    of the ephemeral range (the worlds' entries cover all of it or none)."""
    snapshot = data.draw(worlds(acls=True)).snapshot()
    tables = {vpc: table_of(ruleset) for vpc, ruleset in _rulesets(snapshot).items()}
    for _ in range(10):
        _src, _dst, flow = data.draw(probes(snapshot))
        decision = decide(snapshot, flow)
        if not only_the_router_decides(decision):
            continue
        ported = flow.protocol in ("tcp", "udp")
        seen = [
            (vpc, dataclasses.replace(packet, sport=40000) if ported else packet)
            for vpc, packet in passes(snapshot, decision)
        ]
        request = all(evaluate(tables[vpc], packet).accepted for vpc, packet in seen)
        back = [(vpc, answer(packet)) for vpc, packet in seen]
        replied = all(crosses_acls(tables[vpc], p, reply=True) for vpc, p in back if p)
        assert (request and replied) == decision.allowed, (flow, explain(decision), seen)


def test_an_unknown_port_is_dropped_and_the_gateway_link_passes_egress():
    snapshot, ids = seed_snapshot()
    (ruleset,) = _rulesets(snapshot).values()
    packet = Packet("stkdeadbeef0000", IGW_LINK, "10.0.1.10", "203.0.113.10", 6, 22)
    table = table_of(ruleset)
    assert not evaluate(table, packet).accepted  # a port the table does not know
    web = snapshot.instance_by_id[ids["web"]].primary_eni_id
    from stockade.dataplane.names import World as Names

    spoofed = Packet(Names.port(web), IGW_LINK, "10.0.1.99", "203.0.113.10", 6, 22)
    assert evaluate(table, spoofed).stage == "spoof"


# -- incremental updates -----------------------------------------------------------------------


def test_no_change_sends_nothing():
    snapshot, _ = seed_snapshot()
    (a,) = _rulesets(snapshot).values()
    (b,) = _rulesets(snapshot).values()
    assert render_delta(a, b) == ""


def test_a_new_member_is_one_set_element_and_nothing_else():
    w = World()
    vpc = w.vpc()
    ntp = w.group(vpc, "ntp")
    clients = w.group(vpc, "clients")
    w.rule(ntp, "in", "udp", 123, 123, clients)
    w.instance(vpc, [ntp], "10.0.1.5")
    w.instance(vpc, [clients], "10.0.1.6")
    (before,) = _rulesets(w.snapshot()).values()
    w.instance(vpc, [clients], "10.0.1.7")
    (after,) = _rulesets(w.snapshot()).values()
    commands = render_delta(before, after).splitlines()
    (member_set,) = after.members  # the one referenced group: clients
    assert f"add element inet stk_vpc {member_set} {{ 10.0.1.7 }}" in commands
    # the new instance's own chains and dispatch, but no group chain is rewritten
    assert not [c for c in commands if c.startswith("flush chain")]
    assert not [c for c in commands if "add rule inet stk_vpc g_" in c]


def test_a_changed_rule_builds_a_new_group_chain_before_switching_to_it():
    w = World()
    vpc = w.vpc()
    a, b = w.group(vpc, "a"), w.group(vpc, "b")
    w.rule(a, "in", "tcp", 22, 22, "203.0.113.0/24")
    w.instance(vpc, [a, b], "10.0.1.5")
    (before,) = _rulesets(w.snapshot()).values()
    w.rule(a, "in", "tcp", 443, 443, "0.0.0.0/0")
    (after,) = _rulesets(w.snapshot()).values()
    old_chain = before.group_chain(a, Direction.INGRESS)
    new_chain = after.group_chain(a, Direction.INGRESS)
    assert old_chain != new_chain and after.group_chain(b, Direction.INGRESS) == before.group_chain(
        b, Direction.INGRESS
    )
    prepare, switch, retire = (step.splitlines() for step in delta_steps(before, after))
    # the new chain and its maps are committed while nothing jumps to them...
    assert f"add chain inet stk_vpc {new_chain}" in prepare
    assert not [c for c in prepare if c.startswith(("flush", "delete"))]
    assert not [c for c in prepare if "jump" in c and "vmap" not in c]
    # ...then the port's ingress chain switches to it...
    port = next(iter(after.ports.values()))
    assert [c for c in switch if c.startswith(("flush", "delete"))] == [
        f"flush chain inet stk_vpc {port.ingress_chain}"
    ]
    assert f"add rule inet stk_vpc {port.ingress_chain} jump {new_chain}" in switch
    # ...and only then does the old chain go
    assert retire == [
        f"flush chain inet stk_vpc {old_chain}",
        f"delete chain inet stk_vpc {old_chain}",
    ]


def test_a_membership_change_is_one_transaction():
    w = World()
    vpc = w.vpc()
    ntp, clients = w.group(vpc, "ntp"), w.group(vpc, "clients")
    w.rule(ntp, "in", "udp", 123, 123, clients)
    w.instance(vpc, [ntp], "10.0.1.5")
    w.instance(vpc, [clients], "10.0.1.6")
    (before,) = _rulesets(w.snapshot()).values()
    w.instance(vpc, [clients], "10.0.1.7")
    (after,) = _rulesets(w.snapshot()).values()
    assert len(delta_steps(before, after)) == 1


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(worlds())
def test_member_sets_hold_what_the_engine_resolves_references_to(w):
    from stockade.dataplane.compile import MemberIndex
    from stockade.policy.effective import member_addresses

    snapshot = w.snapshot()
    index = MemberIndex()
    for group in snapshot.groups:
        resolved = {
            cidr.split("/")[0] for _eni, cidr in member_addresses(snapshot).get(group.group_id, ())
        }
        mine = index.members(snapshot, group.group_id, 4) | index.members(
            snapshot, group.group_id, 6
        )
        assert mine == resolved
