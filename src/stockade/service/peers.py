"""Resolving the peers a request names into canonical rule peers.

A referenced group must exist and sit in the same VPC as the group being changed, or in a
VPC joined to it by an **active** peering (same region; the peer VPC may be another
account's of this server). A group of another VPC without one is "a different network"
(``InvalidGroup.NotFound``) when the caller owns it; it may be named by name only in the
default VPC. A prefix list must exist in the caller's scope.

A group of another account or region that no active peering reaches is answered exactly
like an id that does not exist, with or without a ``UserId``: anything else would let a
caller probe which ids exist elsewhere, and who owns them.
"""

from __future__ import annotations

from stockade.domain import errors, ids
from stockade.domain.group_references import reference_state
from stockade.domain.permissions import GroupPair
from stockade.domain.security_group import Peer, PeerKind, SecurityGroup
from stockade.service import lookups
from stockade.store.repository import Transaction


class PeerResolver:
    """Resolves peers for rules of ``group``. ``strict=False`` (revoke) accepts references
    to groups that no longer exist or are no longer reachable, so stale rules can still be
    revoked by properties."""

    def __init__(self, tx: Transaction, group: SecurityGroup, strict: bool = True) -> None:
        self.tx, self.group, self.strict = tx, group, strict

    def group_peer(self, pair: GroupPair) -> Peer:
        tx, group = self.tx, self.group
        if pair.group_id:
            ids.check("sg", pair.group_id)
            target = tx.get_group(pair.group_id)
            if not self.strict:
                owner = target.owner_id if target is not None else pair.user_id
                owner = owner or self._stored_owner(pair.group_id) or group.owner_id
                return Peer(PeerKind.GROUP, pair.group_id, owner)
            target = self._reachable(pair, target)
        elif pair.group_name:
            vpc = tx.get_vpc(group.vpc_id)
            if vpc is None or not vpc.is_default:
                raise errors.vpc_group_by_name(pair.group_name)
            target = tx.find_group_by_name(vpc.vpc_id, pair.group_name)
            if target is None:
                raise errors.group_not_found_in_vpc(pair.group_name, vpc.vpc_id, default=True)
            if target.vpc_id != group.vpc_id and self.strict:
                raise errors.different_networks()
        else:
            raise errors.error("MissingParameter", "Source group ID missing.")
        return Peer(PeerKind.GROUP, target.group_id, target.owner_id)

    def _stored_owner(self, group_id: str) -> str | None:
        """The owner this group's rules recorded for a referenced group that is gone (a
        stale rule is revoked by its group id alone, as AWS allows)."""
        for rule in self.tx.rules_of([self.group.group_id]):
            peer = rule.spec.peer
            if peer.kind is PeerKind.GROUP and peer.value == group_id:
                return peer.owner_id
        return None

    def _reachable(self, pair: GroupPair, target: SecurityGroup | None) -> SecurityGroup:
        """The referenced group, if this group's VPC may reference it: its own VPC, or one
        joined by an active peering (which a given ``VpcPeeringConnectionId`` must name)."""
        tx, group = self.tx, self.group
        gid = pair.group_id or ""
        if target is None or target.region != tx.scope.region:
            raise errors.not_found("sg", gid)
        if pair.user_id and pair.user_id != target.owner_id:
            raise errors.not_found("sg", gid)
        if target.vpc_id == group.vpc_id:
            return target
        state = reference_state(group.vpc_id, target, tx.list_peerings(group.vpc_id))
        if not state.live:
            if target.owner_id != tx.scope.account:
                raise errors.not_found("sg", gid)  # not yours and not peered: as if absent
            raise errors.different_networks()
        if pair.vpc_id and pair.vpc_id != target.vpc_id:
            # [UNVERIFIED] AWS's answer for a VpcId that is not the group's.
            raise errors.not_found("sg", gid)
        pcx = pair.vpc_peering_connection_id
        if pcx and state.peering and pcx != state.peering.vpc_peering_connection_id:
            ids.check("pcx", pcx)
            raise errors.not_found("pcx", pcx)
        return target

    def prefix_list_peer(self, prefix_list_id: str) -> Peer:
        ids.check("pl", prefix_list_id)
        if self.strict:
            lookups.prefix_list(self.tx, prefix_list_id)
        return Peer(PeerKind.PREFIX_LIST, prefix_list_id)


def weight_function(tx: Transaction):
    """Prefix-list weight lookup (MaxEntries) for quota counting, cached per call."""
    cache: dict[str, int] = {}

    def weight(prefix_list_id: str) -> int:
        if prefix_list_id not in cache:
            found = tx.get_prefix_list(prefix_list_id)
            cache[prefix_list_id] = found.weight if found else 0
        return cache[prefix_list_id]

    return weight
