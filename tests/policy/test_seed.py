"""The issue's seed scenario, as the CLI demo will show it."""

from __future__ import annotations

import json

from stockade.policy.decide import decide
from stockade.policy.explain import explain
from stockade.policy.flow import Flow
from stockade.policy.stateful import reply_allowed, reply_verdict


def test_ssh_from_the_allowed_address_is_allowed_by_the_ssh_rule(seed):
    snapshot, ids = seed
    decision = decide(snapshot, Flow("203.0.113.10", ids["web"], "tcp", 22))
    assert decision.allowed
    assert decision.path == "internet"
    assert decision.destination.address == "198.51.100.20"  # its public IP
    assert decision.egress is None  # an external end has no groups
    (rule,) = decision.ingress.rules
    assert (rule.rule_id, rule.group_id, rule.group_name) == (ids["rule-ssh"], ids["sg-web"], "web")
    assert (rule.direction, rule.protocol, rule.from_port, rule.to_port, rule.peer) == (
        "ingress",
        "tcp",
        22,
        22,
        "203.0.113.10/32",
    )
    data = decision.to_dict()
    assert data["verdict"] == "allowed"
    assert data["allowed_by"][0]["security_group_rule_id"] == ids["rule-ssh"]
    json.dumps(data)
    assert reply_allowed(decision)


def test_ssh_from_elsewhere_is_denied_with_explanation_and_fix(seed):
    snapshot, ids = seed
    decision = decide(snapshot, Flow("198.51.100.7", ids["web"], "tcp", 22))
    assert not decision.allowed
    (blocker,) = decision.blockers
    assert blocker.code == "ENI_SG_RULES_MISMATCH"
    assert blocker.direction == "ingress"
    assert blocker.component_id == snapshot.instance_by_id[ids["web"]].primary_eni_id
    fix = blocker.suggestion
    assert (fix.direction, fix.protocol, fix.from_port, fix.to_port, fix.cidr, fix.group_id) == (
        "ingress",
        "tcp",
        22,
        22,
        "198.51.100.7/32",
        ids["sg-web"],
    )
    assert fix.text() == f"add inbound tcp/22 from 198.51.100.7/32 to {ids['sg-web']} (web)"
    assert fix.ip_permission() == {
        "IpProtocol": "tcp",
        "FromPort": 22,
        "ToPort": 22,
        "IpRanges": [{"CidrIp": "198.51.100.7/32"}],
    }
    data = json.loads(json.dumps(decision.to_dict()))
    assert data["verdict"] == "denied"
    assert data["blockers"][0]["explanation_code"] == "ENI_SG_RULES_MISMATCH"
    assert "198.51.100.7/32" in explain(decision)
    assert not reply_verdict(snapshot, decision).allowed


def test_anyone_reaches_port_80(seed):
    snapshot, ids = seed
    for source in ("198.51.100.7", "203.0.113.10", "192.0.2.99", "8.8.8.8"):
        decision = decide(snapshot, Flow(source, ids["web"], "tcp", 80))
        assert decision.allowed, explain(decision)
        assert [r.rule_id for r in decision.ingress.rules] == [ids["rule-http"]]
    # The worked example of aws-security-groups.md §2.4: this one is untracked.
    reply = reply_verdict(snapshot, decide(snapshot, Flow("8.8.8.8", ids["web"], "tcp", 80)))
    assert reply.allowed and not reply.tracked
    reply = reply_verdict(snapshot, decide(snapshot, Flow("203.0.113.10", ids["web"], "tcp", 22)))
    assert reply.allowed and reply.tracked


def test_group_references_on_ntp(seed):
    snapshot, ids = seed
    verdicts = {
        name: decide(snapshot, Flow(ids[name], ids["target"], "tcp", 123))
        for name in ("A", "B", "C")
    }
    assert verdicts["A"].allowed and verdicts["B"].allowed
    assert [r.rule_id for r in verdicts["A"].ingress.rules] == [ids["rule-ntp-1"]]
    assert [r.rule_id for r in verdicts["B"].ingress.rules] == [ids["rule-ntp-2"]]
    assert verdicts["A"].ingress.rules[0].matched == "10.0.2.1/32"  # A's private IP
    denied = verdicts["C"]
    assert not denied.allowed
    (blocker,) = denied.blockers
    assert blocker.code == "ENI_SG_RULES_MISMATCH" and blocker.direction == "ingress"
    assert blocker.suggestion.text() == (
        f"add inbound tcp/123 from 10.0.2.3/32 to {ids['sg-1']} (sg-1)"
    )


def test_a_reference_never_matches_a_public_ip(world):
    """Addressing a public IP goes out through the gateway and back in: the destination
    sees the source's public IP, which a group reference does not match."""
    vpc = world.vpc("10.0.0.0/16")
    app, db = world.group(vpc, "app"), world.group(vpc, "db")
    world.rule(db, "in", "tcp", 5432, 5432, app)
    a = world.instance(vpc, [app], "10.0.1.5", public_ip="198.51.100.30")
    world.instance(vpc, [db], "10.0.1.6", public_ip="198.51.100.31")
    snapshot = world.snapshot()
    assert decide(snapshot, Flow(a, "10.0.1.6", "tcp", 5432)).allowed
    via_public = decide(snapshot, Flow(a, "198.51.100.31", "tcp", 5432))
    assert via_public.path == "internet" and not via_public.allowed
    assert via_public.ingress.remote == "198.51.100.30"
    assert [b.code for b in via_public.blockers] == ["ENI_SG_RULES_MISMATCH"]


def test_own_public_ip_hairpins_but_own_private_ip_stays_local(seed):
    snapshot, ids = seed
    assert decide(snapshot, Flow(ids["web"], "198.51.100.20", "tcp", 80)).path == "internet"
    local = decide(snapshot, Flow(ids["web"], "10.0.1.10", "tcp", 9999))
    assert local.path == "host-local" and local.allowed
