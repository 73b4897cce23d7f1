"""Human-readable explanations of decisions (what ``stockade check`` prints).

The text is derived only from the :class:`~stockade.policy.decision.Decision`, so the CLI,
the JSON output and the tests all see the same facts.
"""

from __future__ import annotations

from stockade.policy.decision import Decision, PathEnd, PathKind, SideEvaluation
from stockade.policy.reasons import MEANING


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
            fix = blocker.suggestion.text() if blocker.suggestion else blocker.remedy
            if fix:
                lines.append(f"      fix: {fix}")
    lines.extend(f"  note: {note}" for note in decision.notes)
    return "\n".join(lines)


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
