"""Resolving the peers a request names into canonical rule peers.

A referenced group must exist and sit in the same VPC as the group being changed (stockade
has no VPC peering, so another VPC is always "a different network"); it may be named by
name only in the default VPC. A prefix list must exist in the caller's scope.

A group of another account or region is answered exactly like an id that does not exist,
with or without a ``UserId``: anything else would let a caller probe which ids exist
elsewhere, and who owns them.
"""

from __future__ import annotations

from stockade.domain import errors, ids
from stockade.domain.permissions import GroupPair
from stockade.domain.security_group import Peer, PeerKind, SecurityGroup
from stockade.service import lookups
from stockade.store.repository import Transaction


class PeerResolver:
    """Resolves peers for rules of ``group``. ``strict=False`` (revoke) accepts references
    to groups that no longer exist, so stale rules can still be revoked by properties."""

    def __init__(self, tx: Transaction, group: SecurityGroup, strict: bool = True) -> None:
        self.tx, self.group, self.strict = tx, group, strict

    def group_peer(self, pair: GroupPair) -> Peer:
        tx, group = self.tx, self.group
        if pair.group_id:
            ids.check("sg", pair.group_id)
            target = lookups.group_in_scope(tx, pair.group_id)
            if target is None:
                if not self.strict:
                    return Peer(PeerKind.GROUP, pair.group_id, pair.user_id or group.owner_id)
                raise errors.not_found("sg", pair.group_id)
            if pair.user_id and pair.user_id != target.owner_id:
                raise errors.not_found("sg", pair.group_id)
        elif pair.group_name:
            vpc = tx.get_vpc(group.vpc_id)
            if vpc is None or not vpc.is_default:
                raise errors.vpc_group_by_name(pair.group_name)
            target = tx.find_group_by_name(vpc.vpc_id, pair.group_name)
            if target is None:
                raise errors.group_not_found_in_vpc(pair.group_name, vpc.vpc_id, default=True)
        else:
            raise errors.error("MissingParameter", "Source group ID missing.")
        if target.vpc_id != group.vpc_id and self.strict:
            raise errors.different_networks()
        return Peer(PeerKind.GROUP, target.group_id, target.owner_id)

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
