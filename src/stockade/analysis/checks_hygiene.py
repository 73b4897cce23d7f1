"""Hygiene checks: the default group, unused groups, rule counts, descriptions, references.

"Unused" follows Prowler's definition: no interface carries the group and no rule of any
audited scope references it (a group referenced from another account's import is in use).
References are judged against everything imported: a missing group of the *same* account
is stale (deleted, or in another VPC that no active peering joins — the one rule of
``domain/group_references``); a group of *another* account, or a prefix list
that was not imported, is unknown — kept, reported, never silently treated as empty.
"""

from __future__ import annotations

from collections.abc import Collection

from stockade.analysis.findings import Finding, Severity
from stockade.domain.group_references import reference_state
from stockade.domain.scope import Scope
from stockade.domain.security_group import PeerKind, SecurityGroup, SecurityGroupRule
from stockade.domain.state import Snapshot


def hygiene_findings(
    snapshot: Snapshot,
    scope: Scope,
    max_rules: int,
    referenced_anywhere: Collection[str],
    known_groups: Collection[str],
) -> list[Finding]:
    out: list[Finding] = []
    for group in snapshot.groups:
        if (group.owner_id, group.region) != (scope.account, scope.region):
            continue
        rules = snapshot.rules_by_group.get(group.group_id, ())
        members = sorted({e.eni_id for e in snapshot.members_by_group.get(group.group_id, ())})
        label = f"{group.group_id} ({group.name})"

        def finding(
            check: str, severity: Severity, title: str, rule_ids=(), g=group, **details
        ) -> Finding:
            return Finding(
                check,
                severity,
                title,
                g.group_id,
                "security-group",
                scope.account,
                scope.region,
                g.vpc_id,
                tuple(rule_ids),
                details,
            )

        if group.is_default:
            if rules:
                out.append(
                    finding(
                        "default-group-has-rules",
                        Severity.MEDIUM,
                        f"default group {group.group_id} of {group.vpc_id} has {len(rules)} "
                        "rule(s)",
                        [r.rule_id for r in rules],
                    )
                )
            if members:
                out.append(
                    finding(
                        "default-group-in-use",
                        Severity.MEDIUM,
                        f"default group {group.group_id} of {group.vpc_id} is attached to "
                        f"{len(members)} interface(s)",
                        interfaces=members,
                    )
                )
        elif not members and group.group_id not in referenced_anywhere:
            out.append(
                finding(
                    "unused-group",
                    Severity.LOW,
                    f"{label} is attached to no interface and referenced by no rule",
                )
            )
        if len(rules) > max_rules:
            out.append(
                finding(
                    "too-many-rules",
                    Severity.LOW,
                    f"{label} has {len(rules)} rules (more than {max_rules})",
                    count=len(rules),
                )
            )
        bare = [r.rule_id for r in rules if not r.description and not _aws_default(group, r)]
        if bare:
            out.append(
                finding(
                    "rule-without-description",
                    Severity.INFO,
                    f"{len(bare)} rule(s) of {label} have no description",
                    bare,
                )
            )
        out += _references(snapshot, scope, group, rules, known_groups, finding)
    return out


def _aws_default(group: SecurityGroup, rule: SecurityGroupRule) -> bool:
    """AWS's own rules (default egress, the default group's self-reference) carry no
    description by design; flagging them would be noise."""
    s = rule.spec
    if s.protocol != "-1":
        return False
    if s.is_egress:
        return s.peer.value in ("0.0.0.0/0", "::/0")
    return group.is_default and s.peer.kind is PeerKind.GROUP and s.peer.value == group.group_id


def _references(
    snapshot: Snapshot, scope: Scope, group: SecurityGroup, rules, known_groups, finding
) -> list[Finding]:
    out = []
    for rule in rules:
        peer = rule.spec.peer
        if peer.kind is PeerKind.PREFIX_LIST and peer.value not in snapshot.prefix_list_by_id:
            out.append(
                finding(
                    "unknown-reference",
                    Severity.INFO,
                    f"{rule.rule_id} of {group.group_id} references prefix list {peer.value}, "
                    "which was not imported: what it admits is unknown",
                    [rule.rule_id],
                    peer=peer.value,
                    reason="prefix list not imported",
                )
            )
        if peer.kind is not PeerKind.GROUP:
            continue
        present = peer.value in snapshot.group_by_id or peer.value in known_groups
        foreign_owner = peer.owner_id not in (None, scope.account)
        target = snapshot.group_by_id.get(peer.value)
        unpeered = (
            target is not None
            and not foreign_owner
            and reference_state(group.vpc_id, target, snapshot.peerings).stale
        )
        if (not present and not foreign_owner) or unpeered:
            why = (
                f"is in {target.vpc_id}, which no active peering joins to {group.vpc_id}"
                if unpeered and target is not None
                else f"does not exist in account {scope.account}"
            )
            out.append(
                finding(
                    "stale-reference",
                    Severity.MEDIUM,
                    f"{rule.rule_id} of {group.group_id} references {peer.value}, which {why}: "
                    "the rule matches nothing",
                    [rule.rule_id],
                    peer=peer.value,
                )
            )
        elif foreign_owner:
            where = (
                "imported, but its members are not resolved across accounts"
                if present
                else "not imported"
            )
            out.append(
                finding(
                    "unknown-reference",
                    Severity.INFO,
                    f"{rule.rule_id} of {group.group_id} references {peer.owner_id}/{peer.value} "
                    f"of another account ({where}): what it admits is unknown here",
                    [rule.rule_id],
                    peer=peer.value,
                    owner=peer.owner_id,
                    reason=f"group of account {peer.owner_id}",
                )
            )
    return out
