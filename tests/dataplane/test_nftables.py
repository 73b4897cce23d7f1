"""Typed nftables operations, their self-ordering transaction and the in-memory fake (no root).

The fake refuses what the kernel refuses, so the property tests here check that every
transaction the delta emits would be accepted, that applying them to the old table gives
exactly the table a full rewrite to the new ruleset gives, and that no packet both rule
sets allow is dropped between two transactions — all over the emitted objects.
"""

from __future__ import annotations

import copy
import dataclasses

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.dataplane.compile import compile_vpc
from stockade.dataplane.delta import delta_transactions
from stockade.dataplane.evaluate import Packet, evaluate, table_of
from stockade.dataplane.fake import FakeError, FakeTable
from stockade.dataplane.names import IGW_LINK
from stockade.dataplane.nftables import (
    Chain,
    Element,
    Hook,
    Rule,
    Set,
    Table,
    TableBlock,
    Transaction,
)
from stockade.dataplane.plan import plan_world
from stockade.policy import decide
from stockade.policy.explain import explain

from .packets import only_security_groups_decide, passes
from .strategies import changed_worlds, probes

T = Table("inet", "stkt")


def _fake() -> FakeTable:
    block = TableBlock(
        T,
        (
            Set("ports", "ifname"),
            Set("nt", "ipv4_addr . inet_service", flags=("interval",)),
            Set("disp", "ifname", "verdict"),
            Chain("r_1"),
            Chain("g_1"),
            Chain("base", Hook("filter", "forward", 0, "drop")),
        ),
        {
            "r_1": ["accept"],
            "g_1": ["ip saddr 10.0.0.0/8 goto r_1"],
            "base": ["iifname vmap @disp"],
        },
    )
    return FakeTable.of(block, Transaction(T).add(Element("disp", '"a"', "jump g_1")))


# -- the transaction ---------------------------------------------------------------------------


def test_a_transaction_orders_its_operations_as_the_kernel_checks_them():
    tx = Transaction(T)
    tx.delete(Chain("old"), Set("m_old", "ipv4_addr"))
    tx.add(Rule("new", "jump g_2"), Element("nt", "10.0.0.1 . 0-1000"))
    tx.flush(Chain("old"))
    tx.add(Chain("new"), Set("m_new", "ipv4_addr"), Element("nt", "10.0.0.2 . 5"))
    tx.delete(Element("nt", "10.0.0.1 . 22"))
    assert tx.render().splitlines() == [
        "add chain inet stkt new",
        "add set inet stkt m_new { type ipv4_addr; }",
        "delete element inet stkt nt { 10.0.0.1 . 22 }",
        "flush chain inet stkt old",
        "add rule inet stkt new jump g_2",
        "add element inet stkt nt { 10.0.0.1 . 0-1000, 10.0.0.2 . 5 }",
        "delete chain inet stkt old",
        "delete set inet stkt m_old",
    ]


def test_an_operation_nft_does_not_have_is_refused_at_once():
    with pytest.raises(ValueError, match="not an nftables operation"):
        Transaction(T).delete(Rule("base", "accept"))  # rules go by flushing their chain
    with pytest.raises(ValueError, match="not an nftables operation"):
        Transaction(T).flush(Set("ports", "ifname"))  # type: ignore[arg-type]


def test_the_fake_refuses_what_the_kernel_would_and_a_refused_transaction_changes_nothing():
    fake = _fake()
    refusals = [
        Transaction(T).add(Rule("missing", "accept")),  # no such chain
        Transaction(T).add(Rule("r_1", "ip saddr @missing accept")),  # no such set
        Transaction(T).delete(Chain("g_1")),  # the dispatch element jumps to it
        Transaction(T).delete(Chain("r_1")),  # g_1 goes to it
        Transaction(T).delete(Element("ports", '"b"')),  # not there
        Transaction(T).add(Element("disp", '"a"', "jump r_1")),  # already there
        Transaction(T).add(Element("nt", "10.0.0.1 . 0-100"), Element("nt", "10.0.0.1 . 50")),
        Transaction(T).add(Element("ports", '"b"')).delete(Set("disp", "ifname", "verdict")),
    ]
    for tx in refusals:
        with pytest.raises(FakeError):
            fake.apply(tx)
        assert fake == _fake(), tx.render()
    # flushed first, then deleted: accepted (the transaction orders it)
    fake.apply(
        Transaction(T)
        .delete(Chain("g_1"), Element("disp", '"a"', "jump g_1"))
        .flush(Chain("g_1"))
        .delete(Chain("r_1"))
    )
    assert set(fake.chains) == {"base"}


# -- the evaluator reads the emitted text --------------------------------------------------------


def test_the_evaluator_reads_the_emitted_rules_not_the_ruleset():
    from policy.conftest import World

    w = World()
    vpc = w.vpc()
    web = w.group(vpc, "web")
    w.rule(web, "in", "tcp", 22, 22, "203.0.113.0/24")
    eni = w.instance(vpc, [web], "10.0.1.5", public_ip="192.0.2.5")
    (plan,) = plan_world(w.snapshot()).values()
    ruleset = compile_vpc(w.snapshot(), plan)
    table = table_of(ruleset)
    from stockade.dataplane.names import World as Names

    port = Names.port(w.eni_of(eni))
    ssh = Packet(IGW_LINK, port, "203.0.113.9", "10.0.1.5", 6, 22, sport=40000)
    outcome = evaluate(table, ssh)
    assert outcome.accepted and len(outcome.rule_ids) == 1
    assert not evaluate(table, dataclasses.replace(ssh, service=23)).accepted
    assert not evaluate(table, dataclasses.replace(ssh, src="198.51.100.9")).accepted
    # a rendering mistake in the group chain's map (the port) shows as a wrong verdict
    (name,) = [
        n
        for n in table.chains
        if n.startswith("g_") and "_in_" in n and any("22" in r for r in table.chains[n].rules)
    ]
    table.chains[name].rules = [r.replace(". 22 :", ". 23 :") for r in table.chains[name].rules]
    assert evaluate(table, ssh).stage == "ingress"
    # and so does a missing dispatch element
    table = table_of(ruleset)
    table.sets["in_dispatch"].elements.clear()
    assert evaluate(table, ssh).stage == "ingress"


# -- the delta over the fake -------------------------------------------------------------------


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_the_delta_turns_the_old_table_into_the_new_one_dropping_nothing_both_allow(data):
    before, after = data.draw(changed_worlds())
    old_plans, new_plans = plan_world(before), plan_world(after)
    flows = [data.draw(probes(after)) for _ in range(6)]
    for vpc, plan in new_plans.items():
        if vpc not in old_plans:
            continue
        old, new = compile_vpc(before, old_plans[vpc]), compile_vpc(after, plan)
        table, target = table_of(old), table_of(new)
        old_table = table_of(old)
        states = []
        for step in delta_transactions(old, new):
            table.apply(step)  # raises what the kernel would refuse
            states.append(copy.deepcopy(table))
        assert table == target
        # between two transactions, what both rule sets allow still passes
        for _src, _dst, flow in flows:
            decision = decide(after, flow)
            if not only_security_groups_decide(decision):
                continue
            for in_vpc, packet in passes(after, decision):
                if in_vpc != vpc:
                    continue
                both = evaluate(old_table, packet).accepted and evaluate(target, packet).accepted
                for state in states if both else ():
                    assert evaluate(state, packet).accepted, (explain(decision), packet)
