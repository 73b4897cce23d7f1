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

from stockade.analysis.aws_fields import ImportProblem, Node
from stockade.domain import ids, protocols, text
from stockade.domain.addresses import canonical_cidr
from stockade.domain.scope import Scope
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)


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
            group_id = g.checked("GroupId", ids.check, "sg", g.text("GroupId"))
            vpc_id = g.opt_text("VpcId")
            if vpc_id is None:
                raise g.problem("missing: EC2-Classic groups (no VPC) are not supported",
                                "VpcId")
            group = SecurityGroup(
                group_id=group_id,
                name=g.text("GroupName"),
                description=g.opt_text("Description") or "",
                vpc_id=g.checked("VpcId", ids.check, "vpc", vpc_id),
                owner_id=scope.account,
                region=scope.region,
            )
            specs: dict[RuleSpec, str | None] = {}
            for key, egress in (("IpPermissions", False), ("IpPermissionsEgress", True)):
                for perm in g.items(key):
                    for spec, description in _expand(perm, egress, scope.account):
                        if spec in specs:
                            raise perm.problem(f"the rule {_spec_text(spec)} appears twice")
                        specs[spec] = description
            out.append(ParsedGroup(group, g.tags(), specs, g))
    return out


def _ports(node: Node, protocol: str) -> tuple[int, int]:
    from_port, to_port = node.opt_integer("FromPort"), node.opt_integer("ToPort")
    if protocol in ("tcp", "udp", "icmp", "icmpv6"):
        if (from_port, to_port) == (-1, -1) and protocol in ("icmp", "icmpv6"):
            return -1, -1
        return node.checked("FromPort", protocols.canonical_ports, protocol, from_port, to_port)
    return -1, -1


def _protocol(node: Node) -> str:
    return node.checked("IpProtocol", protocols.canonical_protocol, node.text("IpProtocol"))


def _expand(perm: Node, egress: bool, account: str) -> list[tuple[RuleSpec, str | None]]:
    """One IpPermission -> one rule identity (and description) per peer."""
    protocol = _protocol(perm)
    from_port, to_port = _ports(perm, protocol)
    peers: list[tuple[Peer, str | None]] = []
    for r in perm.items("IpRanges"):
        cidr = r.checked("CidrIp", canonical_cidr, r.text("CidrIp"), 4)
        peers.append((Peer(PeerKind.CIDR_V4, cidr), _description(r)))
    for r in perm.items("Ipv6Ranges"):
        cidr = r.checked("CidrIpv6", canonical_cidr, r.text("CidrIpv6"), 6)
        peers.append((Peer(PeerKind.CIDR_V6, cidr), _description(r)))
    for r in perm.items("PrefixListIds"):
        pl_id = r.checked("PrefixListId", ids.check, "pl", r.text("PrefixListId"))
        peers.append((Peer(PeerKind.PREFIX_LIST, pl_id), _description(r)))
    for r in perm.items("UserIdGroupPairs"):
        peers.append((_group_peer(r, account), _description(r)))
    if not peers:
        raise perm.problem("a permission without IpRanges, Ipv6Ranges, PrefixListIds or "
                           "UserIdGroupPairs")
    return [(RuleSpec(egress, protocol, from_port, to_port, peer), d) for peer, d in peers]


def _description(node: Node) -> str | None:
    """A rule's description, by AWS's rules for rule descriptions."""
    return node.checked("Description", text.rule_description, node.opt_text("Description"))


def _group_peer(pair: Node, account: str) -> Peer:
    if not pair.has("GroupId"):
        raise pair.problem("missing: a group referenced by name only (EC2-Classic) cannot be "
                           "resolved", "GroupId")
    group_id = pair.checked("GroupId", ids.check, "sg", pair.text("GroupId"))
    return Peer(PeerKind.GROUP, group_id, pair.opt_text("UserId") or account)


def parse_rules(documents: Iterable[Node], scope: Scope) -> list[ParsedRule]:
    out: list[ParsedRule] = []
    seen: dict[str, Node] = {}
    for doc in documents:
        for r in doc.items("SecurityGroupRules"):
            rule_id = r.checked("SecurityGroupRuleId", ids.check, "sgr",
                                r.text("SecurityGroupRuleId"))
            if rule_id in seen:
                raise r.problem(f"{rule_id} appears twice", "SecurityGroupRuleId")
            seen[rule_id] = r
            group_id = r.checked("GroupId", ids.check, "sg", r.text("GroupId"))
            if "IsEgress" not in r.value:
                raise r.problem("missing (required)", "IsEgress")
            egress = r.flag("IsEgress")
            protocol = _protocol(r)
            from_port, to_port = _ports(r, protocol)
            spec = RuleSpec(egress, protocol, from_port, to_port, _rule_peer(r, scope.account))
            rule = SecurityGroupRule(rule_id, group_id, scope.account, spec,
                                     _description(r))
            out.append(ParsedRule(rule, r.tags(), r))
    return out


def _rule_peer(r: Node, account: str) -> Peer:
    present = [k for k in ("CidrIpv4", "CidrIpv6", "PrefixListId", "ReferencedGroupInfo")
               if r.has(k)]
    if len(present) != 1:
        raise r.problem("a rule needs exactly one of CidrIpv4, CidrIpv6, PrefixListId or "
                        f"ReferencedGroupInfo (found {len(present)})")
    key = present[0]
    if key == "CidrIpv4":
        return Peer(PeerKind.CIDR_V4, r.checked(key, canonical_cidr, r.text(key), 4))
    if key == "CidrIpv6":
        return Peer(PeerKind.CIDR_V6, r.checked(key, canonical_cidr, r.text(key), 6))
    if key == "PrefixListId":
        return Peer(PeerKind.PREFIX_LIST, r.checked(key, ids.check, "pl", r.text(key)))
    return _group_peer(r.obj(key), account)


def derived_rule_id(group_id: str, spec: RuleSpec) -> str:
    """A stable ``sgr-`` id for a rule known only from IpPermissions (no rules output)."""
    text = f"{group_id}|{spec.is_egress}|{spec.protocol}|{spec.from_port}|{spec.to_port}|" \
           f"{spec.peer.kind}|{spec.peer.value}|{spec.peer.owner_id or ''}"
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
                out.append(SecurityGroupRule(rule_id, parsed.group.group_id,
                                             parsed.group.owner_id, spec, description))
        return out, tags
    from_rules: dict[str, dict[RuleSpec, ParsedRule]] = {}
    for parsed_rule in rules:
        rule = parsed_rule.rule
        if rule.group_id not in by_id:
            raise parsed_rule.node.problem(
                f"{rule.group_id} is in no describe-security-groups output", "GroupId")
        mine = from_rules.setdefault(rule.group_id, {})
        if rule.spec in mine:
            raise parsed_rule.node.problem(f"the rule {_spec_text(rule.spec)} appears twice")
        mine[rule.spec] = parsed_rule
        out.append(rule)
        if parsed_rule.tags:
            tags[rule.rule_id] = parsed_rule.tags
    for parsed in groups:
        _agree(parsed, from_rules.get(parsed.group.group_id, {}), rules[0].node.file
               if rules else "security-group-rules")
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
        problem = (f"{gid}: the rule {_spec_text(missing[0])} of its IpPermissions is missing "
                   f"from the describe-security-group-rules output ({rules_file}); the two "
                   "outputs disagree: capture both again")
        raise ImportProblem(parsed.node.file, parsed.node.path, problem)
    node = listed[extra[0]].node
    raise node.problem(
        f"{_spec_text(extra[0])} of {gid} is not in that group's IpPermissions "
        f"({parsed.node.file}); the two outputs disagree: capture both again")


def _spec_text(spec: RuleSpec) -> str:
    direction = "outbound" if spec.is_egress else "inbound"
    ports = "" if spec.from_port == -1 else f" {spec.from_port}-{spec.to_port}"
    return f"'{direction} {spec.protocol}{ports} {spec.peer.value}'"
