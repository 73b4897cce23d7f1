"""Statefulness: the reply of an allowed connection is allowed, whatever the rules say.

AWS tracks connections, so once a flow is allowed its return traffic passes without any
rule in the other direction. The exception that matters operationally is the *untracked*
flow (aws-security-groups.md §2.4): TCP or UDP allowed by a rule for ``0.0.0.0/0`` or
``::/0`` when the other direction also allows all addresses on all ports. Its replies still
pass — through that reverse rule — but removing the rule cuts the flow at once, whereas a
tracked flow survives until it idles out. ICMP and other protocols are always tracked.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from stockade.domain.state import Snapshot
from stockade.policy.decision import Decision, SideEvaluation
from stockade.policy.effective import Direction, EffectiveEntry, effective_policy
from stockade.policy.flow import PORTED

_EVERYWHERE = ("0.0.0.0/0", "::/0")


@dataclass(frozen=True)
class ReplyVerdict:
    """Whether the reply of a flow passes, and whether the connection is tracked."""

    allowed: bool
    tracked: bool
    untracked_at: tuple[str, ...]  # interfaces where the flow is not tracked
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": "allowed" if self.allowed else "denied",
            "tracked": self.tracked,
            "untracked_at": list(self.untracked_at),
            "reason": self.reason,
        }


def reply_allowed(decision: Decision) -> bool:
    """The reply of a connection is allowed exactly when the connection itself was."""
    return decision.allowed


def reply_verdict(snapshot: Snapshot, decision: Decision) -> ReplyVerdict:
    """The reply's verdict, with AWS's tracked / untracked distinction."""
    if not decision.allowed:
        return ReplyVerdict(False, True, (), "the connection itself is not allowed, so "
                            "there is no reply to allow")
    untracked = tuple(
        side.eni_id
        for side in (decision.egress, decision.ingress)
        if side is not None and _untracked(snapshot, side, decision.flow.protocol)
    )
    if untracked:
        reason = (
            "allowed by the all-addresses rules in both directions; the flow is untracked on "
            + ", ".join(untracked)
            + ", so removing those rules cuts it immediately"
        )
        return ReplyVerdict(True, False, untracked, reason)
    return ReplyVerdict(True, True, (), "allowed: security groups are stateful and the "
                        "connection is tracked")


def _untracked(snapshot: Snapshot, side: SideEvaluation, protocol: str) -> bool:
    if protocol not in PORTED or not any(r.matched in _EVERYWHERE for r in side.rules):
        return False
    policy = effective_policy(snapshot, side.eni_id)
    if policy is None:
        return False
    reverse = Direction.INGRESS if side.direction is Direction.EGRESS else Direction.EGRESS
    wide = {r.matched for r in side.rules if r.matched in _EVERYWHERE}
    return any(_allows_all(entry, protocol, wide) for entry in policy.entries(reverse))


def _allows_all(entry: EffectiveEntry, protocol: str, cidrs: set[str]) -> bool:
    if entry.cidr not in cidrs:
        return False
    if entry.protocol == "-1":
        return True
    return entry.protocol == protocol and (entry.from_port, entry.to_port) == (0, 65535)
