"""Security group rules: authorize, revoke, modify and describe — all or nothing.

Every call validates its whole request first (protocols, ports, CIDRs, peers, duplicates,
quotas) and only then writes, inside one transaction: a rejected call changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids, permissions, protocols, text
from stockade.domain.addresses import canonical_cidr
from stockade.domain.permissions import ExpandedRule, GroupPair, IpPermission
from stockade.domain.quotas import check_rule_quota
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.tags import RawTags
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import RevokeResult, RuleUpdate
from stockade.service.peers import PeerResolver, weight_function
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction

_NEW_LABEL = {
    PeerKind.CIDR_V4: "an IPv4 CIDR",
    PeerKind.CIDR_V6: "an IPv6 CIDR",
    PeerKind.PREFIX_LIST: "a prefix list id",
    PeerKind.GROUP: "a referenced group id",
}
_OLD_LABEL = {
    PeerKind.CIDR_V4: "IPv4 CIDR",
    PeerKind.CIDR_V6: "IPv6 CIDR",
    PeerKind.PREFIX_LIST: "prefix list",
    PeerKind.GROUP: "referenced group",
}


def _expand(
    tx: Transaction, group: SecurityGroup, perms: Sequence[IpPermission], egress: bool, strict: bool
) -> list[ExpandedRule]:
    if not perms:
        raise errors.missing_parameter("IpPermissions")
    resolver = PeerResolver(tx, group, strict=strict)
    return permissions.expand(perms, egress, resolver.group_peer, resolver.prefix_list_peer)


def _duplicate_error(spec: RuleSpec) -> errors.AwsError:
    return errors.permission_duplicate(spec.peer.value, spec.protocol, spec.from_port, spec.to_port)


def _check_quota(tx: Transaction, specs: list[RuleSpec], quotas) -> None:
    check_rule_quota(specs, weight_function(tx), quotas)


def _rule_of(
    tx: Transaction, group: SecurityGroup, rule_id: str, egress: bool | None
) -> SecurityGroupRule:
    ids.check("sgr", rule_id)
    rule = tx.get_rule(rule_id)
    if (
        rule is None
        or rule.group_id != group.group_id
        or (egress is not None and rule.is_egress != egress)
    ):
        # [UNVERIFIED] code for a rule of another group or direction; AWS documents NotFound.
        raise errors.not_found("sgr", rule_id)
    return rule


class RuleService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def _group(self, tx: Transaction, group_id: str | None, group_name: str | None, egress: bool):
        if egress and not group_id:
            raise errors.missing_parameter("GroupId")
        return lookups.group_by_id_or_name(tx, group_id, group_name)

    def authorize(
        self,
        group_id: str | None,
        perms: Sequence[IpPermission],
        egress: bool = False,
        group_name: str | None = None,
        tags: RawTags = (),
    ) -> list[SecurityGroupRule]:
        """Add rules; any duplicate, bad value or quota breach rejects the whole call."""
        with self.ctx.write() as tx:
            group = self._group(tx, group_id, group_name, egress)
            expanded = _expand(tx, group, perms, egress, strict=True)
            existing = set(tx.rule_specs_of(group.group_id))
            for item in expanded:
                if item.spec in existing:
                    raise _duplicate_error(item.spec)
            _check_quota(tx, [*existing, *(e.spec for e in expanded)], self.ctx.quotas)
            rules = [
                SecurityGroupRule(
                    ids.new_id("sgr"), group.group_id, group.owner_id, e.spec, e.description
                )
                for e in expanded
            ]
            tx.add_rules(group, rules)
            tagged = tag_new(tx, [r.rule_id for r in rules], tags)
            return [replace(r, tags=tagged) for r in rules] if tagged else rules

    def revoke(
        self,
        group_id: str | None,
        perms: Sequence[IpPermission] = (),
        rule_ids: Sequence[str] = (),
        egress: bool = False,
        group_name: str | None = None,
    ) -> RevokeResult:
        """Remove rules by id or by exact properties (descriptions ignored).

        A permission that matches nothing is reported back in a default VPC and fails the
        whole call (``InvalidPermission.NotFound``) in any other VPC, as AWS does.
        """
        if perms and rule_ids:
            raise errors.invalid_combination(
                "The parameter SecurityGroupRuleIds cannot be used with the parameter IpPermissions"
            )
        with self.ctx.write() as tx:
            group = self._group(tx, group_id, group_name, egress)
            rules = tx.rules_of([group.group_id])
            if rule_ids:
                by_id = [_rule_of(tx, group, rid, egress) for rid in dict.fromkeys(rule_ids)]
                tx.delete_rules(r.rule_id for r in by_id)
                return RevokeResult(tuple(by_id))
            if not perms:
                raise errors.missing_parameter("IpPermissions")
            by_spec = {r.spec: r for r in rules}
            revoked: list[SecurityGroupRule] = []
            unknown: list[IpPermission] = []
            for perm in perms:
                matched = [by_spec.get(e.spec) for e in _expand(tx, group, [perm], egress, False)]
                revoked.extend(m for m in matched if m is not None)
                if any(m is None for m in matched):
                    unknown.append(perm)
            if unknown:
                vpc = tx.get_vpc(group.vpc_id)
                if vpc is None or not vpc.is_default:
                    raise errors.permission_not_found()
            tx.delete_rules(dict.fromkeys(r.rule_id for r in revoked))
            return RevokeResult(tuple(dict.fromkeys(revoked)), tuple(unknown))

    def modify(self, group_id: str, updates: Sequence[RuleUpdate]) -> None:
        """Replace rules' definitions in place, keeping their ids (kinds may not change)."""
        if not updates:
            raise errors.missing_parameter("SecurityGroupRules")
        with self.ctx.write() as tx:
            group = lookups.group(tx, group_id)
            current = {r.rule_id: r for r in tx.rules_of([group.group_id])}
            resolver = PeerResolver(tx, group)
            changed: dict[str, SecurityGroupRule] = {}
            for update in updates:
                rule = _rule_of(tx, group, update.rule_id, None)
                peer = _update_peer(update, resolver)
                if peer.kind is not rule.spec.peer.kind:
                    raise errors.invalid_parameter_value(
                        f"Invalid rule type for security group rule '{rule.rule_id}'. You may not "
                        f"specify {_NEW_LABEL[peer.kind]} for an existing "
                        f"{_OLD_LABEL[rule.spec.peer.kind]} rule."
                    )
                protocol = protocols.explicit_protocol(update.ip_protocol)
                ports = protocols.replacement_ports(protocol, update.from_port, update.to_port)
                spec = RuleSpec(rule.spec.is_egress, protocol, *ports, peer)
                changed[rule.rule_id] = replace(
                    rule, spec=spec, description=text.rule_description(update.description)
                )
            final = {**current, **changed}
            specs = [r.spec for r in final.values()]
            if len(set(specs)) != len(specs):
                dup = next(s for s in specs if specs.count(s) > 1)
                raise _duplicate_error(dup)
            _check_quota(tx, specs, self.ctx.quotas)
            tx.put_rules(changed.values())

    def update_descriptions(
        self,
        group_id: str | None,
        egress: bool,
        perms: Sequence[IpPermission] = (),
        descriptions: Sequence[tuple[str, str | None]] = (),
        group_name: str | None = None,
    ) -> None:
        """Set rule descriptions by properties (a peer without one clears it) or by id."""
        with self.ctx.write() as tx:
            group = self._group(tx, group_id, group_name, egress)
            updated: list[SecurityGroupRule] = []
            if descriptions:
                for rule_id, desc in descriptions:
                    rule = _rule_of(tx, group, rule_id, egress)
                    updated.append(replace(rule, description=text.rule_description(desc)))
            else:
                for perm in perms:
                    if protocols.canonical_protocol(perm.ip_protocol) == protocols.ALL and (
                        perm.from_port is not None or perm.to_port is not None
                    ):
                        raise errors.invalid_parameter_value(
                            "When protocol is ALL, you cannot specify from-port."
                        )
                by_spec = {r.spec: r for r in tx.rules_of([group.group_id])}
                for item in _expand(tx, group, perms, egress, strict=False):
                    matched = by_spec.get(item.spec)
                    if matched is None:
                        raise errors.permission_not_found()
                    updated.append(replace(matched, description=item.description))
            tx.put_rules(updated)

    def describe(
        self, rule_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
    ) -> list[SecurityGroupRule]:
        """Rules by id (each must exist in this scope), by group, or all of the scope."""
        with self.ctx.read() as tx:
            if rule_ids:
                return [lookups.rule(tx, rid) for rid in rule_ids]
            if group_ids:
                for gid in group_ids:
                    ids.check("sg", gid)
                # Only this scope's groups: a group id is no key to another account's rules.
                scoped = [g.group_id for g in tx.list_groups(group_ids=list(group_ids))]
                return tx.rules_of(scoped)
            return tx.list_rules()


def _update_peer(update: RuleUpdate, resolver: PeerResolver) -> Peer:
    given = [
        v
        for v in (
            update.cidr_ipv4,
            update.cidr_ipv6,
            update.prefix_list_id,
            update.referenced_group_id,
        )
        if v
    ]
    if len(given) != 1:
        raise errors.invalid_parameter_value(
            "A security group rule must specify exactly one of CidrIpv4, CidrIpv6, PrefixListId "
            "or ReferencedGroupId"
        )
    if update.cidr_ipv4:
        return Peer(PeerKind.CIDR_V4, canonical_cidr(update.cidr_ipv4, 4))
    if update.cidr_ipv6:
        return Peer(PeerKind.CIDR_V6, canonical_cidr(update.cidr_ipv6, 6))
    if update.prefix_list_id:
        return resolver.prefix_list_peer(update.prefix_list_id)
    return resolver.group_peer(GroupPair(group_id=update.referenced_group_id))
