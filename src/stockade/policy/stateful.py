"""Statefulness: the reply of an allowed connection is allowed, whatever the rules say.

AWS tracks connections, so once a flow is allowed its return traffic passes without any
rule in the other direction. The exception that matters operationally is the *untracked*
flow (aws-security-groups.md §2.4): TCP or UDP allowed by a rule for ``0.0.0.0/0`` or
``::/0`` when the other direction also allows all addresses on all ports. Its replies still
pass — through that reverse rule — but removing the rule cuts the flow at once, whereas a
tracked flow survives until it idles out. ICMP and other protocols are always tracked.

AWS tracks per interface: a flow is untracked *at an interface* when that interface's own
groups satisfy the condition for the flow's direction there (outbound at the sender,
inbound at the receiver). :func:`untracked_ports` is that condition, the one definition
the analyzer (:func:`reply_verdict`) and the data plane's ``notrack`` sets both use.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stockade.domain.state import Snapshot
from stockade.policy.decision import Decision, SideEvaluation
from stockade.policy.effective import Direction, EffectiveEntry, effective_policy
from stockade.policy.flow import PORTED

#: The all-addresses block of each family.
EVERYWHERE = {4: "0.0.0.0/0", 6: "::/0"}
_ALL_PORTS = (0, 65535)


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
    """The reply's verdict, with AWS's tracked / untracked distinction per interface."""
    if not decision.allowed:
        return ReplyVerdict(
            False, True, (), "the connection itself is not allowed, so there is no reply to allow"
        )
    flow = decision.flow
    if flow.protocol not in PORTED:
        return ReplyVerdict(
            True,
            True,
            (),
            f"{flow.service()} is always tracked (only TCP and UDP can be untracked)",
        )
    sides = (decision.egress, decision.ingress)
    untracked = tuple(
        side.eni_id for side in sides if side is not None and _untracked(snapshot, side, decision)
    )
    everywhere = EVERYWHERE[flow.family]
    if untracked:
        reason = (
            f"allowed by {everywhere} both ways at {', '.join(untracked)}: "
            "removing the rule cuts the flow at once"
        )
        return ReplyVerdict(True, False, untracked, reason)
    reason = (
        f"no interface allows it from {everywhere} with {everywhere} on all ports the other "
        "way: it outlives the removal of its rule"
    )
    return ReplyVerdict(True, True, (), reason)


def untracked_ports(
    forward: Iterable[EffectiveEntry],
    reverse: Iterable[EffectiveEntry],
    family: int,
    protocol: str,
) -> tuple[tuple[int, int], ...]:
    """The destination port ranges of ``protocol`` flows AWS does not track at an interface.

    ``forward`` are the interface's entries in the direction the flow crosses it (outbound
    at the sender, inbound at the receiver), ``reverse`` those of the other direction. A
    flow is untracked when a ``forward`` entry for all addresses of the family allows it
    and a ``reverse`` entry for all addresses allows every port of the protocol (or all
    traffic): then the reply needs no state to pass. Sorted, merged, disjoint ranges.
    """
    if protocol not in PORTED:
        return ()
    everywhere = EVERYWHERE[family]
    if not any(e.cidr == everywhere and _ports(e, protocol) == _ALL_PORTS for e in reverse):
        return ()
    spans = sorted(
        span for e in forward if e.cidr == everywhere and (span := _ports(e, protocol)) is not None
    )
    merged: list[tuple[int, int]] = []
    for lo, hi in spans:
        if merged and lo <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(hi, merged[-1][1]))
        else:
            merged.append((lo, hi))
    return tuple(merged)


def _ports(entry: EffectiveEntry, protocol: str) -> tuple[int, int] | None:
    """The port range of ``protocol`` an entry allows (``None``: not that protocol)."""
    if entry.protocol == "-1":
        return _ALL_PORTS
    if entry.protocol != protocol:
        return None
    return entry.from_port, entry.to_port


def _untracked(snapshot: Snapshot, side: SideEvaluation, decision: Decision) -> bool:
    policy = effective_policy(snapshot, side.eni_id)
    if policy is None:
        return False
    reverse = Direction.INGRESS if side.direction is Direction.EGRESS else Direction.EGRESS
    flow = decision.flow
    spans = untracked_ports(
        policy.entries(side.direction), policy.entries(reverse), flow.family, flow.protocol
    )
    return any(lo <= (flow.port or 0) <= hi for lo, hi in spans)
