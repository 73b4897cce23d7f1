"""``decide`` agrees with the independent brute-force oracle on random worlds and flows.

Random groups and rules (TCP/UDP ports and ranges, ICMP and ICMPv6 type/code, -1, other
protocol numbers), IPv4 and IPv6 CIDRs, prefix lists, group references (including stale
ones), interfaces attached, stopped, unattached or secondary, one to three VPCs with or
without gateways (overlapping ones included), and flows between ids, interface addresses
and external hosts. The verdict, every blocking reason and the set of allowing rules on
each side must match.
"""

from __future__ import annotations

import json
from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.domain.security_group import Peer, PeerKind, RuleSpec, SecurityGroupRule
from stockade.policy.decide import decide
from stockade.policy.effective import Direction
from stockade.policy.explain import explain
from stockade.policy.reasons import Reason, names

from .oracle import oracle
from .strategies import flows, worlds

SETTINGS = settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _rule_ids(side):
    return None if side is None else {r.rule_id for r in side.rules}


@SETTINGS
@given(st.data(), st.booleans())
def test_decide_matches_the_oracle(data, simple):
    snapshot = data.draw(worlds(simple=simple)).snapshot()
    _agrees_with_the_oracle(data, snapshot, simple)


@SETTINGS
@given(st.data())
def test_decide_follows_route_tables_as_the_oracle_does(data):
    """Random route tables, NAT and egress-only gateways, peerings, blackholes."""
    snapshot = data.draw(worlds(routes=True)).snapshot()
    _agrees_with_the_oracle(data, snapshot, False)


def _agrees_with_the_oracle(data, snapshot, simple):
    for _ in range(6):
        flow = data.draw(flows(snapshot, ids_allowed=not simple))
        decision = decide(snapshot, flow)
        expected = oracle(snapshot, flow)
        context = f"{flow}\n{explain(decision)}\nexpected {expected}"
        assert decision.allowed == expected.allowed, context
        assert set(names(decision.reasons)) == expected.reasons, context
        assert _rule_ids(decision.egress) == expected.egress, context
        assert _rule_ids(decision.ingress) == expected.ingress, context
        json.dumps(decision.to_dict())


@SETTINGS
@given(st.data())
def test_references_and_prefix_lists_match_the_oracle(data):
    """Rules mostly referencing groups and prefix lists, flows between interfaces."""
    snapshot = data.draw(worlds(simple=True, refs=True)).snapshot()
    for _ in range(6):
        flow = data.draw(flows(snapshot, ids_allowed=False, internal=True))
        decision = decide(snapshot, flow)
        expected = oracle(snapshot, flow)
        context = f"{flow}\n{explain(decision)}\nexpected {expected}"
        assert decision.allowed == expected.allowed, context
        assert set(names(decision.reasons)) == expected.reasons, context
        assert _rule_ids(decision.egress) == expected.egress, context
        assert _rule_ids(decision.ingress) == expected.ingress, context


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_the_suggested_rules_lift_exactly_their_blockers(data):
    """Every denial names its blockers; adding each suggested rule removes its blocker."""
    snapshot = data.draw(worlds()).snapshot()
    flow = data.draw(flows(snapshot))
    decision = decide(snapshot, flow)
    assert decision.allowed == (not decision.blockers)
    suggestions = [b.suggestion for b in decision.blockers if b.suggestion is not None]
    mismatches = [b for b in decision.blockers if b.code == "ENI_SG_RULES_MISMATCH"]
    assert len(suggestions) == len(mismatches)
    if not suggestions:
        return
    added = []
    for n, rule in enumerate(suggestions):
        assert rule.cidr.endswith("/32") or rule.cidr.endswith("/128")
        kind = PeerKind.CIDR_V6 if ":" in rule.cidr else PeerKind.CIDR_V4
        spec = RuleSpec(
            rule.direction is Direction.EGRESS,
            rule.protocol,
            rule.from_port,
            rule.to_port,
            Peer(kind, rule.cidr),
        )
        added.append(
            SecurityGroupRule(
                rule_id=f"sgr-{n:017x}", group_id=rule.group_id, owner_id="123456789012", spec=spec
            )
        )
    fixed = decide(replace(snapshot, rules=snapshot.rules + tuple(added)), flow)
    assert not fixed.reasons & (Reason.EGRESS_DENIED | Reason.INGRESS_DENIED)
    assert fixed.reasons == decision.reasons & ~(Reason.EGRESS_DENIED | Reason.INGRESS_DENIED)
