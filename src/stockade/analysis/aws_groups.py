"""Security groups and their rules from ``describe-security-groups`` and
``describe-security-group-rules`` output.

The groups output carries rules grouped (``IpPermissions``) and without ids; the rules
output carries one rule per peer with its ``sgr-`` id, description and tags. When both are
given the rules output is authoritative for ids and must describe exactly the rules the
groups output implies (otherwise the two were captured at different times, and combining
them would invent a state that never existed). When only the groups output is given, rule
ids are derived from the rule's identity, so importing the same files twice gives the
same ids.

References to groups are kept whatever they point at: a group of another account or in a
peered VPC is a peer whose members are unknown, never a dropped rule.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from stockade.analysis.aws_network import origin
from stockade.domain.scope import Scope
from stockade.domain.security_group import RuleSpec, SecurityGroup, SecurityGroupRule
from stockade.shapes import read_groups
from stockade.shapes.fields import ImportProblem, Node
from stockade.shapes.read_groups import spec_text


@dataclass(frozen=True)
class ParsedGroup:
    group: SecurityGroup
    tags: dict[str, str]
    #: rule identity -> description, as IpPermissions give them (in order)
    specs: dict[RuleSpec, str | None]
    node: Node


@dataclass(frozen=True)
class ParsedRule:
    rule: SecurityGroupRule
    tags: dict[str, str]
    node: Node


def parse_groups(documents: Iterable[Node], scope: Scope) -> list[ParsedGroup]:
    out: list[ParsedGroup] = []
    for doc in documents:
        for g in doc.items("SecurityGroups"):
            group = read_groups.security_group(g, origin(scope))
            specs = read_groups.rule_specs(g, origin(scope))
            out.append(ParsedGroup(group, dict(group.tags), specs, g))
    return out


def parse_rules(documents: Iterable[Node], scope: Scope) -> list[ParsedRule]:
    out: list[ParsedRule] = []
    seen: set[str] = set()
    for doc in documents:
        for r in doc.items("SecurityGroupRules"):
            rule = read_groups.security_group_rule(r, origin(scope))
            if rule.rule_id in seen:
                raise r.problem(f"{rule.rule_id} appears twice", "SecurityGroupRuleId")
            seen.add(rule.rule_id)
            out.append(ParsedRule(rule, dict(rule.tags), r))
    return out


def derived_rule_id(group_id: str, spec: RuleSpec) -> str:
    """A stable ``sgr-`` id for a rule known only from IpPermissions (no rules output)."""
    text = (
        f"{group_id}|{spec.is_egress}|{spec.protocol}|{spec.from_port}|{spec.to_port}|"
        f"{spec.peer.kind}|{spec.peer.value}|{spec.peer.owner_id or ''}"
    )
    return "sgr-" + hashlib.sha256(text.encode()).hexdigest()[:17]


def combine(
    groups: list[ParsedGroup], rules: list[ParsedRule], rules_given: bool
) -> tuple[list[SecurityGroupRule], dict[str, dict[str, str]]]:
    """The rules to import and their tags, checking the two outputs agree."""
    by_id = {p.group.group_id: p for p in groups}
    out: list[SecurityGroupRule] = []
    tags: dict[str, dict[str, str]] = {}
    if not rules_given:
        for parsed in groups:
            for spec, description in parsed.specs.items():
                rule_id = derived_rule_id(parsed.group.group_id, spec)
                out.append(
                    SecurityGroupRule(
                        rule_id, parsed.group.group_id, parsed.group.owner_id, spec, description
                    )
                )
        return out, tags
    from_rules: dict[str, dict[RuleSpec, ParsedRule]] = {}
    for parsed_rule in rules:
        rule = parsed_rule.rule
        if rule.group_id not in by_id:
            raise parsed_rule.node.problem(
                f"{rule.group_id} is in no describe-security-groups output", "GroupId"
            )
        mine = from_rules.setdefault(rule.group_id, {})
        if rule.spec in mine:
            raise parsed_rule.node.problem(f"the rule {spec_text(rule.spec)} appears twice")
        mine[rule.spec] = parsed_rule
        out.append(rule)
        if parsed_rule.tags:
            tags[rule.rule_id] = parsed_rule.tags
    for parsed in groups:
        _agree(
            parsed,
            from_rules.get(parsed.group.group_id, {}),
            rules[0].node.file if rules else "security-group-rules",
        )
    # Group by group, in the groups output's order (stable within a group), as export
    # writes them: the store keeps insertion order, so a round trip keeps it too.
    position = {gid: i for i, gid in enumerate(by_id)}
    out.sort(key=lambda r: position[r.group_id])
    return out, tags


def _agree(parsed: ParsedGroup, listed: dict[RuleSpec, ParsedRule], rules_file: str) -> None:
    """Both outputs must describe the same rules of a group."""
    implied, got = set(parsed.specs), set(listed)
    if implied == got:
        return
    gid = parsed.group.group_id
    missing, extra = sorted(implied - got), sorted(got - implied)
    if missing:
        problem = (
            f"{gid}: the rule {spec_text(missing[0])} of its IpPermissions is missing "
            f"from the describe-security-group-rules output ({rules_file}); the two "
            "outputs disagree: capture both again"
        )
        raise ImportProblem(parsed.node.file, parsed.node.path, problem)
    node = listed[extra[0]].node
    raise node.problem(
        f"{spec_text(extra[0])} of {gid} is not in that group's IpPermissions "
        f"({parsed.node.file}); the two outputs disagree: capture both again"
    )
