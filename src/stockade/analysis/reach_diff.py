"""``stockade reach --diff``: what a change opens and closes.

The same reachability question is asked of two snapshots — the current state ("before")
and a changed copy ("after") — and the answers are subtracted as service intervals per
(destination interface, family). *Opened* / *closed* is what really gets through (path
included); *would open* / *would close* is what changed in the rules alone where the path
is blocked (no public IP, a stopped instance…), so a change that only waits for a public
IP is still seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stockade.analysis.intervals import Interval, service_interval, service_pieces, subtract
from stockade.analysis.reach import ReachResult
from stockade.policy.decision import RuleRef


@dataclass(frozen=True)
class Delta:
    text: str
    protocol: str
    from_port: int | None
    to_port: int | None
    rules: tuple[str, ...]  # the rules behind it (after for openings, before for closings)

    def to_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "protocol": self.protocol,
            "from_port": self.from_port,
            "to_port": self.to_port,
            "rules": list(self.rules),
        }


@dataclass(frozen=True)
class ReachChange:
    eni_id: str
    instance_id: str | None
    family: int
    opened: tuple[Delta, ...]
    closed: tuple[Delta, ...]
    would_open: tuple[Delta, ...]
    would_close: tuple[Delta, ...]
    reachable_before: bool
    reachable_after: bool

    def to_dict(self) -> dict[str, Any]:
        return {
            "network_interface_id": self.eni_id,
            "instance_id": self.instance_id,
            "address_family": f"IPv{self.family}",
            "reachable_before": self.reachable_before,
            "reachable_after": self.reachable_after,
            "opened": [d.to_dict() for d in self.opened],
            "closed": [d.to_dict() for d in self.closed],
            "would_open": [d.to_dict() for d in self.would_open],
            "would_close": [d.to_dict() for d in self.would_close],
        }


def reach_diff(before: Sequence[ReachResult], after: Sequence[ReachResult]) -> list[ReachChange]:
    old = {r.key: r for r in before}
    new = {r.key: r for r in after}
    out = []
    for key in sorted(set(old) | set(new)):
        b, a = old.get(key), new.get(key)
        rules_b = b.intervals() if b else []
        rules_a = a.intervals() if a else []
        live_b = rules_b if b and not b.blockers else []
        live_a = rules_a if a and not a.blockers else []
        opened = subtract(live_a, live_b)
        closed = subtract(live_b, live_a)
        would_open = subtract(subtract(rules_a, rules_b), opened)
        would_close = subtract(subtract(rules_b, rules_a), closed)
        if not (opened or closed or would_open or would_close):
            continue
        some = a or b
        assert some is not None
        out.append(
            ReachChange(
                some.eni_id,
                some.instance_id,
                some.family,
                _deltas(opened, a),
                _deltas(closed, b),
                _deltas(would_open, a),
                _deltas(would_close, b),
                bool(b and b.reachable),
                bool(a and a.reachable),
            )
        )
    return out


def _deltas(intervals: list[Interval], result: ReachResult | None) -> tuple[Delta, ...]:
    out = []
    for (lo, hi), piece in service_pieces(intervals):
        rules = sorted(
            {
                ref.rule_id
                for r in (result.ranges if result else ())
                if r.interval[0] <= hi and lo <= r.interval[1]
                for ref in (*r.ingress_rules, *r.egress_rules)
                if _overlaps(ref, lo, hi)
            }
        )
        out.append(
            Delta(piece.text(), piece.protocol, piece.from_port, piece.to_port, tuple(rules))
        )
    return tuple(out)


def _overlaps(ref: RuleRef, lo: int, hi: int) -> bool:
    """Whether the rule's own ports meet the changed interval (not just its merged range)."""
    first, last = service_interval(ref.protocol, ref.from_port, ref.to_port)
    return first <= hi and lo <= last
