"""Human-readable explanations of decisions (what ``stockade check`` prints).

The text is derived only from the :class:`~stockade.policy.decision.Decision`, so the CLI,
the JSON output and the tests all see the same facts.
"""

from __future__ import annotations

from stockade.policy.decision import Decision, PathEnd, PathKind
from stockade.policy.layers import layers
from stockade.policy.reasons import MEANING
from stockade.policy.stateful import ReplyVerdict


def explain(decision: Decision) -> str:
    """A few lines: verdict and flow, every layer crossed (groups, network ACLs, routes) with
    what decided it, then every blocker and its fix."""
    flow = decision.flow
    head = (
        f"{decision.verdict.upper()}: {flow.service()} from {_end(decision.source)} "
        f"to {_end(decision.destination)}"
    )
    lines = [head]
    if decision.path is not PathKind.NONE:
        lines.append(f"  path: {decision.path}")
    lines.extend(layer_lines(decision))
    if not decision.allowed:
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


def layer_lines(decision: Decision) -> list[str]:
    """The layers the request and its reply cross, in order, each with its verdict."""
    lines: list[str] = []
    leg = None
    for layer in layers(decision):
        if layer.leg is not leg:
            leg = layer.leg
            lines.append(f"  {leg}:")
        if layer.kind == "security-group" and len(layer.decided_by) > 1:
            lines.append(f"    {layer.component}: allowed by")
            lines.extend(f"      {rule}" for rule in layer.decided_by)
        else:
            lines.append(f"    {layer.text()}")
    return lines
