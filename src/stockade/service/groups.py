"""Security groups: create, delete, describe, and who references whom.

Rule changes live in ``rules.py``; both are the only code that writes groups.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids, text
from stockade.domain.group_references import (
    PeeredReference,
    ReferenceState,
    crossings,
    reference_state,
)
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.security_group import (
    DEFAULT_GROUP_NAME,
    PeerKind,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.tags import RawTags
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import GroupDetail, GroupReference, StaleGroup, pick_by_name
from stockade.service.defaults import default_egress_specs, new_rules
from stockade.service.peering import visible_peerings
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction


def details(
    tx: Transaction,
    groups: Sequence[SecurityGroup],
    rules: Sequence[SecurityGroupRule] | None = None,
) -> list[GroupDetail]:
    """Groups with their rules (and what their references to other VPCs cross); ``rules``
    may be given when already loaded (a superset)."""
    by_group: dict[str, list[SecurityGroupRule]] = {g.group_id: [] for g in groups}
    for rule in tx.rules_of(list(by_group)) if rules is None else rules:
        if rule.group_id in by_group:
            by_group[rule.group_id].append(rule)
    views = _References(tx, groups)
    return [
        GroupDetail(g, tuple(by_group[g.group_id]), views.crossing(g, by_group[g.group_id]))
        for g in groups
    ]


class _References:
    """Reference states of one call's rules: each referenced group read once, the scope's
    peerings read once and only if some reference leaves its VPC."""

    def __init__(self, tx: Transaction, known: Sequence[SecurityGroup] = ()) -> None:
        self.tx = tx
        self.groups: dict[str, SecurityGroup | None] = {g.group_id: g for g in known}
        self._peerings: list[VpcPeeringConnection] | None = None

    def target(self, group_id: str) -> SecurityGroup | None:
        if group_id not in self.groups:
            self.groups[group_id] = self.tx.get_group(group_id)
        return self.groups[group_id]

    def peerings(self) -> list[VpcPeeringConnection]:
        if self._peerings is None:
            self._peerings = visible_peerings(self.tx)
        return self._peerings

    def state(self, group: SecurityGroup, rule: SecurityGroupRule) -> ReferenceState:
        target = self.target(rule.spec.peer.value)
        if target is not None and target.vpc_id == group.vpc_id:
            return ReferenceState(True)
        return reference_state(group.vpc_id, target, self.peerings())

    def crossing(
        self, group: SecurityGroup, rules: Sequence[SecurityGroupRule]
    ) -> tuple[PeeredReference, ...]:
        """One :class:`PeeredReference` per referenced group outside ``group``'s VPC."""
        referenced = {r.spec.peer.value for r in rules if r.spec.peer.kind is PeerKind.GROUP}
        targets = {gid: t for gid in referenced if (t := self.target(gid)) is not None}
        if len(targets) == len(referenced) and all(
            t.vpc_id == group.vpc_id for t in targets.values()
        ):
            return ()  # every reference stays in the VPC: no peering to read
        return crossings(group, rules, targets, self.peerings())


class GroupService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create(
        self,
        name: str | None,
        description: str | None,
        vpc_id: str | None = None,
        tags: RawTags = (),
    ) -> GroupDetail:
        """A new group with AWS's default outbound rule(s) and no inbound rules."""
        name = text.group_name(name)
        description = text.group_description(description)
        with self.ctx.write() as tx:
            place = lookups.group_place(tx, vpc_id, name)
            if name.lower() == DEFAULT_GROUP_NAME:
                # [UNVERIFIED] which code a VPC returns; AWS documents InvalidGroup.Reserved.
                raise errors.group_reserved(name)
            if place.name_taken:
                raise errors.group_duplicate(name, place.vpc_id)
            if place.scope_groups >= self.ctx.quotas.groups_per_region:
                raise errors.groups_limit(place.vpc_id)
            group = SecurityGroup(
                ids.new_id("sg"), name, description, place.vpc_id, tx.scope.account, tx.scope.region
            )
            tx.add_group(group)
            # [UNVERIFIED] ::/0 egress for groups created in an IPv6 VPC (reference §2.1).
            rules = new_rules(group, default_egress_specs(place.vpc_has_ipv6))
            tx.add_rules(group, rules)
            if tagged := tag_new(tx, [group.group_id], tags):
                group = replace(group, tags=tagged)
            return GroupDetail(group, tuple(rules))

    def delete(self, group_id: str | None = None, group_name: str | None = None) -> str:
        """Delete one group; returns its id."""
        with self.ctx.write() as tx:
            group = lookups.group_by_id_or_name(tx, group_id, group_name)
            if group.is_default:
                raise errors.cannot_delete_default(group.group_id)
            if tx.list_interfaces(group_id=group.group_id):
                raise errors.dependency_violation(group.group_id)
            for rule in tx.rules_referencing_group(group.group_id):
                owner = tx.get_group(rule.group_id)
                if owner and owner.group_id != group.group_id and owner.vpc_id == group.vpc_id:
                    raise errors.dependency_violation(group.group_id)
            tx.delete_group(group.group_id)
            return group.group_id

    def describe(
        self, group_ids: Sequence[str] = (), group_names: Sequence[str] = ()
    ) -> list[GroupDetail]:
        """Groups by id (each must exist), by name (default VPC), or all of the scope."""
        with self.ctx.read() as tx:
            if not group_ids and not group_names:
                # Every group of the scope: one scoped rule query rather than an IN list of
                # every group id (2,500 bound parameters at the default quota).
                return details(tx, tx.list_groups(), tx.list_rules())
            chosen: dict[str, SecurityGroup] = {}
            for gid in group_ids:
                chosen.setdefault(gid, lookups.group(tx, gid))
            for name in group_names:
                g = lookups.group_by_id_or_name(tx, None, name)
                chosen.setdefault(g.group_id, g)
            return details(tx, list(chosen.values()))

    def names(self, group_ids: Sequence[str] | None = None) -> dict[str, str]:
        """Group id -> name, without loading rules (interfaces and rules store only ids).

        ``None`` means every group of the scope; ids that do not exist are simply left out
        (a referenced group may be gone or belong to another account).
        """
        with self.ctx.read() as tx:
            if group_ids is None:
                return {g.group_id: g.name for g in tx.list_groups()}
            wanted = list(dict.fromkeys(group_ids))
            found = {g.group_id: g.name for g in tx.list_groups(group_ids=wanted)}
            for gid in wanted:
                if gid not in found and (other := tx.get_group(gid)) is not None:
                    found[gid] = other.name
            return found

    def get(self, group_id: str) -> GroupDetail:
        return self.describe([group_id])[0]

    def find(self, name_or_id: str, vpc_id: str | None = None) -> GroupDetail:
        """A group by id, or by name (in ``vpc_id`` or, failing that, a unique match)."""
        with self.ctx.read() as tx:
            if name_or_id.startswith("sg-"):
                return details(tx, [lookups.group(tx, name_or_id)])[0]
            return details(tx, [pick_by_name(tx.list_groups(vpc_id=vpc_id), name_or_id, vpc_id)])[0]

    def crossings(
        self, rules: Sequence[SecurityGroupRule]
    ) -> dict[str, tuple[PeeredReference, ...]]:
        """What these rules' references to other VPCs cross (DescribeSecurityGroupRules'
        ``ReferencedGroupInfo``), by the id of the rules' group."""
        by_group: dict[str, list[SecurityGroupRule]] = {}
        for rule in rules:
            by_group.setdefault(rule.group_id, []).append(rule)
        with self.ctx.read() as tx:
            # the rules' groups, and most referenced ones (their VPC's), in one query
            views = _References(tx, tx.list_groups(group_ids=list(by_group)))
            out: dict[str, tuple[PeeredReference, ...]] = {}
            for group_id, mine in by_group.items():
                group = views.target(group_id)
                if group is not None:
                    out[group_id] = views.crossing(group, mine)
            return out

    def references(self, group_ids: Sequence[str]) -> list[GroupReference]:
        """Other VPCs whose groups reference these groups across an active peering
        (DescribeSecurityGroupReferences): one item per (group, referencing VPC)."""
        if not group_ids:
            raise errors.missing_parameter("GroupId")
        out: list[GroupReference] = []
        with self.ctx.read() as tx:
            peerings = visible_peerings(tx)
            for gid in group_ids:
                group = lookups.group(tx, gid)
                found: dict[str, str | None] = {}
                for rule in tx.rules_referencing_group(gid):
                    owner = tx.get_group(rule.group_id)
                    if owner is None or owner.vpc_id == group.vpc_id:
                        continue
                    state = reference_state(owner.vpc_id, group, peerings)
                    if state.live and state.peering is not None:
                        found[owner.vpc_id] = state.peering.vpc_peering_connection_id
                out.extend(GroupReference(gid, v, found[v]) for v in sorted(found))
        return out

    def stale(self, vpc_id: str) -> list[StaleGroup]:
        """Groups of the VPC with rules whose reference is stale: the group is gone, or
        sits in another VPC no active peering joins (``domain.group_references``)."""
        with self.ctx.read() as tx:
            lookups.vpc(tx, vpc_id)
            groups = tx.list_groups(vpc_id=vpc_id)
            views = _References(tx, groups)
            out = []
            for detail in details(tx, groups):
                stale = tuple(
                    r
                    for r in detail.rules
                    if r.spec.peer.kind is PeerKind.GROUP and views.state(detail.group, r).stale
                )
                if stale:
                    out.append(StaleGroup(detail.group, stale, views.crossing(detail.group, stale)))
            return out
