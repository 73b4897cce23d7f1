"""A verdict in one line: the rules that allowed a flow, or what blocks it and the fix.

Shared by the demos' tables and the web console's probe answer, so both say the same thing.
"""

from __future__ import annotations

from stockade.policy import Decision


def because(decision: Decision) -> str:
    """One line: the deciding rule(s), or the first blocker and its fix."""
    if decision.allowed:
        return "; ".join(r.describe() for r in decision.allowing_rules)
    blocker = decision.blockers[0]
    remedy = blocker.fix
    fix = f" -> fix: {remedy}" if remedy else ""
    return f"[{blocker.code}] {blocker.message}{fix}"
