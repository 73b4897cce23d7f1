"""Human-readable explanations of decisions (what ``stockade check`` prints).

The text is derived only from the :class:`~stockade.policy.decision.Decision`, so the CLI,
the JSON output and the tests all see the same facts.
"""

from __future__ import annotations

from stockade.policy.decision import Decision, PathEnd, PathKind, SideEvaluation
from stockade.policy.reasons import MEANING
from stockade.policy.stateful import ReplyVerdict


def explain(decision: Decision) -> str:
    """A few lines: verdict and flow, then the allowing rules or every blocker and its fix."""
    flow = decision.flow
    head = (
        f"{decision.verdict.upper()}: {flow.service()} from {_end(decision.source)} "
        f"to {_end(decision.destination)}"
    )
    lines = [head]
    if decision.path is not PathKind.NONE:
        lines.append(f"  path: {decision.path}")
    lines.extend(f"  route {step.text()}" for step in decision.routes)
    if decision.allowed:
        lines.extend(_side_lines(decision.egress, "outbound (source)"))
        lines.extend(_side_lines(decision.ingress, "inbound (destination)"))
    else:
        lines.append("  blocked by:")
        for blocker in decision.blockers:
            lines.append(f"    [{blocker.code}] {blocker.message}")
            meaning = MEANING.get(blocker.code)
            if meaning:
                lines.append(f"      ({meaning})")
            fix = blocker.fix
            if fix:
                lines.append(f"      fix: {fix}")
    lines.extend(f"  note: {note}" for note in decision.notes)
    return "\n".join(lines)


def explain_tracking(verdict: ReplyVerdict) -> str:
    """One line on an allowed flow's connection tracking: whether AWS tracks it, and why
    that matters (an untracked flow stops the moment its rule goes)."""
    state = "tracked" if verdict.tracked else "not tracked"
    return f"  connection: {state} ({verdict.reason})"


def tracking_fields(decision: Decision, verdict: ReplyVerdict) -> dict[str, object]:
    """The JSON form: ``tracked`` (``None`` when the flow is denied) and the details."""
    return {
        "tracked": verdict.tracked if decision.allowed else None,
        "tracking": verdict.to_dict() if decision.allowed else None,
    }


def _end(end: PathEnd) -> str:
    parts = [p for p in (end.instance_id, end.eni_id) if p and p != end.given]
    where = f" ({', '.join(parts)}" if parts else ""
    if end.address and end.address != end.given:
        where = f"{where}, {end.address}" if where else f" ({end.address}"
    return f"{end.given}{where})" if where else end.given


def _side_lines(side: SideEvaluation | None, label: str) -> list[str]:
    if side is None:
        return []
    lines = [f"  {label} on {side.eni_id}: allowed by"]
    lines.extend(f"    {rule.describe()}" for rule in side.rules)
    return lines
