"""Redundant and shadowed rules, and groups that add nothing — exact, by rectangle union.

Security groups have no order and no deny, so Batfish's "blocked line" becomes "this rule
is inside the union of the others" (reference analysis-and-audit.md §6.4):

- a rule is **redundant** when the other rules of its own group cover it;
- a rule is **shadowed** when, on *every* interface its group is attached to, the other
  rules there (other groups included) cover it;
- a group is **redundant** when it duplicates another group of its VPC, or when on every
  interface it is attached to the other groups already allow all it allows (and no rule
  references it, since removing it would change what such references mean).

Rules are taken greedily, narrowest first, and a rule once reported no longer counts as
covering others, so everything reported can be removed *together* without changing any
interface's policy (two rules that cover each other are not both reported). Coverage uses
the resolved entries of the current state: a group reference covers its members' present
addresses.
"""

from __future__ import annotations

from collections.abc import Collection

from stockade.analysis.findings import Finding, Severity
from stockade.analysis.intervals import Rect, rect_covered
from stockade.domain.scope import Scope
from stockade.domain.security_group import PeerKind, SecurityGroup, SecurityGroupRule
from stockade.domain.state import Snapshot
from stockade.policy.decision import service_text
from stockade.policy.effective import group_entries


class _Rules:
    """Rectangles per rule, and the bookkeeping of what is already reported."""

    def __init__(self, snapshot: Snapshot) -> None:
        self.snapshot = snapshot
        self.rects: dict[str, list[Rect]] = {}
        self.rule: dict[str, SecurityGroupRule] = {r.rule_id: r for r in snapshot.rules}
        self.flagged: set[str] = set()

    def of_group(self, group_id: str) -> list[SecurityGroupRule]:
        ingress, egress, _ = group_entries(self.snapshot, group_id)
        for entry in (*ingress, *egress):
            if entry.rule_id not in self.rects:
                self.rects[entry.rule_id] = []
            self.rects[entry.rule_id].append(Rect.of(entry))
        return [
            r for r in self.snapshot.rules_by_group.get(group_id, ()) if r.rule_id in self.rects
        ]

    def volume(self, rule_id: str) -> int:
        return sum(r.volume() for r in self.rects[rule_id])

    def covered(self, rule: SecurityGroupRule, pool: list[SecurityGroupRule]) -> set[str] | None:
        """The covering rules if ``rule`` is inside the union of the unflagged ``pool``."""
        others = [
            rect
            for other in pool
            if other.rule_id != rule.rule_id
            and other.rule_id not in self.flagged
            and other.is_egress == rule.is_egress
            for rect in self.rects.get(other.rule_id, ())
        ]
        targets = self.rects[rule.rule_id]
        if all(rect_covered(t, [o for o in others if o.family == t.family]) for t in targets):
            return {o.entry.rule_id for o in others if any(o.meets(t) for t in targets)}
        return None


def redundancy_findings(
    snapshot: Snapshot, scope: Scope, referenced_anywhere: Collection[str]
) -> list[Finding]:
    book = _Rules(snapshot)
    groups = sorted(
        (g for g in snapshot.groups if (g.owner_id, g.region) == (scope.account, scope.region)),
        key=lambda g: g.group_id,
    )
    names = {g.group_id: g.name for g in snapshot.groups}
    own = {g.group_id: book.of_group(g.group_id) for g in groups}
    sets = sorted({tuple(sorted(set(e.group_ids))) for e in snapshot.interfaces})
    for group_ids in sets:
        for gid in group_ids:
            if gid not in own:
                own[gid] = book.of_group(gid)
    out: list[Finding] = []

    def order(rules: list[SecurityGroupRule]) -> list[SecurityGroupRule]:
        return sorted(rules, key=lambda r: (book.volume(r.rule_id), r.rule_id))

    def finding(
        check: str, group: SecurityGroup, rule: SecurityGroupRule, by: set[str], where: str
    ) -> Finding:
        return Finding(
            check,
            Severity.LOW,
            f"{rule.rule_id} ({_rule_text(rule)}) of {group.group_id} ({group.name}) is "
            f"covered {where} by {', '.join(sorted(by))}",
            group.group_id,
            "security-group",
            scope.account,
            scope.region,
            group.vpc_id,
            (rule.rule_id,),
            {
                "covered_by": [
                    {
                        "rule_id": r,
                        "group_id": book.rule[r].group_id,
                        "group_name": names.get(book.rule[r].group_id),
                        "rule": _rule_text(book.rule[r]),
                    }
                    for r in sorted(by)
                ]
            },
        )

    # Groups first (a group that adds nothing is the biggest simplification), newest id
    # first so that of two identical groups the copy is the one reported; then rules.
    out += _redundant_groups(snapshot, scope, groups, own, sets, book, referenced_anywhere)
    for group in groups:
        for rule in order(own[group.group_id]):
            if rule.rule_id in book.flagged:
                continue
            by = book.covered(rule, own[group.group_id])
            if by is not None:
                book.flagged.add(rule.rule_id)
                out.append(finding("redundant-rule", group, rule, by, "by its own group"))
    for group in groups:
        containing = [s for s in sets if group.group_id in s]
        if not containing:
            continue
        for rule in order(own[group.group_id]):
            if rule.rule_id in book.flagged:
                continue
            found: set[str] = set()
            for group_set in containing:
                pool = [r for gid in group_set for r in own.get(gid, ())]
                by = book.covered(rule, pool)
                if by is None:
                    break
                found |= by
            else:
                book.flagged.add(rule.rule_id)
                out.append(
                    finding("shadowed-rule", group, rule, found, "on every interface carrying it")
                )
    return out


def _redundant_groups(
    snapshot: Snapshot,
    scope: Scope,
    groups: list[SecurityGroup],
    own: dict[str, list[SecurityGroupRule]],
    sets: list[tuple[str, ...]],
    book: _Rules,
    referenced_anywhere: Collection[str],
) -> list[Finding]:
    """Groups that add nothing; their rules are flagged (removed) for the rule checks."""
    reasons: dict[str, list[str]] = {}
    first_of: dict[tuple, str] = {}
    for group in groups:
        rules = snapshot.rules_by_group.get(group.group_id, ())
        if not rules:
            continue
        key = (group.vpc_id, frozenset(_identity(group, r) for r in rules))
        if key in first_of:
            reasons.setdefault(group.group_id, []).append(
                f"it has exactly the rules of {first_of[key]} (attach that group instead)"
            )
        else:
            first_of[key] = group.group_id
    for group in sorted(groups, key=lambda g: g.group_id, reverse=True):
        gid = group.group_id
        containing = [s for s in sets if gid in s]
        if group.is_default or not containing or gid in referenced_anywhere:
            continue
        mine = own.get(gid, [])
        covered = all(
            book.covered(
                rule, [r for other in group_set if other != gid for r in own.get(other, ())]
            )
            is not None
            for group_set in containing
            for rule in mine
        )
        if covered:
            book.flagged.update(r.rule_id for r in snapshot.rules_by_group.get(gid, ()))
            reasons.setdefault(gid, []).append(
                "it allows nothing"
                if not mine
                else "on every interface it is attached to, the other groups already allow all it "
                "allows"
            )
    out = []
    for group in groups:
        if group.group_id in reasons:
            out.append(
                Finding(
                    "redundant-group",
                    Severity.LOW,
                    f"{group.group_id} ({group.name}) adds nothing: "
                    + "; ".join(reasons[group.group_id]),
                    group.group_id,
                    "security-group",
                    scope.account,
                    scope.region,
                    group.vpc_id,
                    (),
                    {"reasons": reasons[group.group_id]},
                )
            )
    return out


def _identity(group: SecurityGroup, rule: SecurityGroupRule) -> tuple:
    s = rule.spec
    self_ref = s.peer.kind is PeerKind.GROUP and s.peer.value == group.group_id
    return (
        s.is_egress,
        s.protocol,
        s.from_port,
        s.to_port,
        s.peer.kind,
        "self" if self_ref else s.peer.value,
    )


def _rule_text(rule: SecurityGroupRule) -> str:
    s = rule.spec
    word = "outbound" if s.is_egress else "inbound"
    prep = "to" if s.is_egress else "from"
    return f"{word} {service_text(s.protocol, s.from_port, s.to_port)} {prep} {s.peer.value}"
