"""One table of topology rules: every case reached, both evaluators implement every check
and agree case by case; and the policy package has no import cycle (decision ↔ explain)."""

from __future__ import annotations

import ast
from pathlib import Path

from stockade.policy import bulk_path, path, path_checks
from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.flow import Flow
from stockade.policy.topology import PATH_RULES, REASON, Case, Check

from .test_bulk import assert_agree


def test_every_case_has_a_rule_and_every_check_is_implemented_and_used():
    assert set(PATH_RULES) == set(Case)
    assert set(REASON) == set(Check)
    assert set(path_checks.CHECKS) == set(Check)
    assert set(bulk_path._FAILS) == set(Check)
    used = {check for rule in PATH_RULES.values() for check in rule.checks}
    assert used == set(Check)


def test_each_case_is_reached_and_bulk_agrees(world):
    a = world.vpc("10.0.0.0/16", "2001:db8:1::/56")
    b = world.vpc("10.1.0.0/16", "2001:db8:2::/56", igw=False)
    ga, gb = world.group(a, "a"), world.group(b, "b")
    for g in (ga, gb):
        world.rule(g, "in", "-1", None, None, "0.0.0.0/0")
    world.instance(a, [ga], "10.0.0.5", "198.51.100.5", ipv6=("2001:db8:1::5",))
    world.instance(b, [gb], "10.1.0.7", ipv6=("2001:db8:2::7",))
    snapshot = world.snapshot()
    expected = {
        Case.NO_INTERFACE: (Flow("203.0.113.1", "203.0.113.2", "tcp", 22), {"NO_INTERFACE"}),
        Case.HOST_LOCAL: (Flow("10.0.0.5", "10.0.0.5", "tcp", 22), set()),
        Case.FROM_INTERNET: (
            Flow("10.9.0.1", "10.0.0.5", "tcp", 22),
            {"DESTINATION_NOT_PUBLIC", "SOURCE_RFC1918"},
        ),
        Case.TO_VPC_ADDRESS: (Flow("10.0.0.5", "10.0.9.9", "tcp", 22), {"UNKNOWN_IN_VPC"}),
        Case.TO_INTERNET: (
            Flow("10.1.0.7", "203.0.113.1", "tcp", 443),
            {"SOURCE_VPC_NO_IGW", "SOURCE_NOT_PUBLIC"},
        ),
        Case.LOCAL: (Flow("10.0.0.5", "10.1.0.7", "tcp", 22), {"DIFFERENT_VPC"}),
        Case.VIA_INTERNET: (
            Flow("2001:db8:2::7", "2001:db8:1::5", "tcp", 22),
            {"SOURCE_VPC_NO_IGW"},
        ),
    }
    for case, (flow, reasons) in expected.items():
        route = path.route(snapshot, flow)
        assert route.kind is PATH_RULES[case].kind, case
        assert {b.reason.name for b in route.blockers} == reasons, case
    for family in (4, 6):
        batch = FlowBatch.from_flows([f for f, _ in expected.values() if f.family == family])
        assert_agree(snapshot, batch, decide_many(snapshot, batch))


def _imports(module: Path, package: str) -> set[str]:
    """Every ``stockade.policy`` module a file imports, at any level of the file."""
    out = set()
    for node in ast.walk(ast.parse(module.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(package):
            out.add(node.module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith(package))
    return out


def test_the_policy_package_has_no_import_cycle():
    """decision imported explain (lazily) and explain imported decision: explain is a view
    of a decision now, and no module of the package can reach itself again."""
    root = Path(path.__file__).parent
    graph = {
        f"stockade.policy.{p.stem}": _imports(p, "stockade.policy.")
        for p in root.glob("*.py")
        if p.stem != "__init__"
    }
    assert "stockade.policy.explain" not in graph["stockade.policy.decision"]

    def reaches(start: str, target: str, seen: set[str]) -> bool:
        for nxt in graph.get(start, ()):
            if nxt == target or (nxt not in seen and reaches(nxt, target, seen | {nxt})):
                return True
        return False

    cyclic = sorted(m for m in graph if reaches(m, m, {m}))
    assert cyclic == []
