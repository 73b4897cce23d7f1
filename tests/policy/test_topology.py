"""One table of topology rules: every case reached, both evaluators implement every check
and agree case by case. (No import cycle: tests/test_imports.py.)"""

from __future__ import annotations

from stockade.policy import bulk_path, path, path_checks
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.flow import Flow
from stockade.policy.routes import Hop
from stockade.policy.topology import EXIT_RULES, PATH_RULES, REASON, Case, Check

from .test_bulk import assert_agree


def test_every_case_has_a_rule_and_every_check_is_implemented_and_used():
    assert set(PATH_RULES) == set(Case)
    assert set(EXIT_RULES) == set(Hop)
    assert set(REASON) == set(Check)
    assert set(path_checks.CHECKS) == set(Check)
    assert set(bulk_path._FAILS) == set(Check)
    used = {check for rule in PATH_RULES.values() for check in rule.checks}
    used |= {check for rule in EXIT_RULES.values() for check in rule.checks}
    assert used == set(Check)


def test_each_case_is_reached_and_bulk_agrees(world):
    a = world.vpc("10.0.0.0/16", "2001:db8:1::/56")
    b = world.vpc("10.1.0.0/16", "2001:db8:2::/56", igw=False)
    c = world.vpc("10.2.0.0/16")
    ga, gb, gc = world.group(a, "a"), world.group(b, "b"), world.group(c, "c")
    for g in (ga, gb, gc):
        world.rule(g, "in", "-1", None, None, "0.0.0.0/0")
    world.instance(a, [ga], "10.0.0.5", "198.51.100.5", ipv6=("2001:db8:1::5",))
    world.instance(b, [gb], "10.1.0.7", ipv6=("2001:db8:2::7",))
    world.instance(c, [gc], "10.2.0.9")
    world.subnet(a, "10.0.3.0/24")
    world.instance(a, [ga], "10.0.3.5")
    pcx = world.peering(a, c)
    defaults = [("0.0.0.0/0", world.igw_of(a)), ("::/0", world.igw_of(a))]
    world.route_table(a, [*defaults, ("10.0.3.0/24", "vgw-00000000000000001")], main=True)
    world.route_table(c, [("10.0.0.0/16", pcx)], main=True)
    snapshot = world.snapshot()
    expected = {
        Case.NO_INTERFACE: (Flow("203.0.113.1", "203.0.113.2", "tcp", 22), {"NO_INTERFACE"}),
        Case.HOST_LOCAL: (Flow("10.0.0.5", "10.0.0.5", "tcp", 22), set()),
        Case.FROM_INTERNET: (
            Flow("10.9.0.1", "10.0.0.5", "tcp", 22),
            {"DESTINATION_NOT_PUBLIC", "SOURCE_RFC1918"},
        ),
        Case.TO_VPC_ADDRESS: (Flow("10.0.0.5", "10.0.9.9", "tcp", 22), {"UNKNOWN_IN_VPC"}),
        Case.TO_INTERNET: (Flow("10.1.0.7", "203.0.113.1", "tcp", 443), {"NO_ROUTE"}),
        Case.LOCAL: (Flow("10.0.0.5", "10.1.0.7", "tcp", 22), {"DIFFERENT_VPC"}),
        Case.PEERING: (Flow("10.2.0.9", "10.0.0.5", "tcp", 22), {"NO_RETURN_ROUTE"}),
        Case.REROUTED: (Flow("10.0.0.5", "10.0.3.5", "tcp", 22), {"ROUTE_NOT_MODELLED"}),
        Case.VIA_INTERNET: (
            Flow("2001:db8:2::7", "2001:db8:1::5", "tcp", 22),
            {"NO_ROUTE"},
        ),
    }
    for case, (flow, reasons) in expected.items():
        route = path.route(snapshot, flow)
        assert route.kind is PATH_RULES[case].kind, case
        assert {b.reason.name for b in route.blockers} == reasons, case
    for family in (4, 6):
        batch = FlowBatch.from_flows([f for f, _ in expected.values() if f.family == family])
        assert_agree(snapshot, batch, decide_many(snapshot, batch))
