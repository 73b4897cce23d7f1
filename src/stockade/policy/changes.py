"""Which interfaces' effective policies differ between two snapshots.

The data plane recompiles only what changed, so it needs the *exact* set: an interface is
reported when its effective policy (:mod:`stockade.policy.effective`) is different, and
never otherwise — a rule change in a group nobody references, or a description edit,
reports nothing.

An effective policy is a function of: the interface's group set, those groups' rules, the
private addresses of the members of every referenced group, and the entries of every
referenced prefix list. So the candidates are the interfaces touched by a change in one of
those; only the candidates' policies are recomputed and compared.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from stockade.domain.security_group import PeerKind, RuleSpec
from stockade.domain.state import Snapshot
from stockade.policy.effective import member_addresses, policy_of


@dataclass(frozen=True)
class PolicyDelta:
    """Interfaces that appeared, disappeared, or whose effective policy changed."""

    added: frozenset[str]
    removed: frozenset[str]
    changed: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        """Every interface the data plane must (re)compile or remove."""
        return self.added | self.removed | self.changed

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)


def policy_delta(old: Snapshot, new: Snapshot) -> PolicyDelta:
    """Compare two snapshots' effective policies, recomputing only what may differ."""
    old_enis, new_enis = old.interface_by_id, new.interface_by_id
    added = frozenset(new_enis.keys() - old_enis.keys())
    removed = frozenset(old_enis.keys() - new_enis.keys())
    common = old_enis.keys() & new_enis.keys()

    groups = _changed_groups(old, new)
    candidates = {
        eni_id
        for eni_id in common
        if set(old_enis[eni_id].group_ids) != set(new_enis[eni_id].group_ids)
        or groups.intersection(old_enis[eni_id].group_ids)
        or groups.intersection(new_enis[eni_id].group_ids)
    }
    changed = frozenset(
        eni_id
        for eni_id in candidates
        if policy_of(old, old_enis[eni_id]) != policy_of(new, new_enis[eni_id])
    )
    return PolicyDelta(added, removed, changed)


def changed_interfaces(old: Snapshot, new: Snapshot) -> frozenset[str]:
    """Ids of the interfaces whose effective policy is not the same in ``new`` as in ``old``
    (including interfaces that exist in only one of them)."""
    return policy_delta(old, new).all


def _changed_groups(old: Snapshot, new: Snapshot) -> set[str]:
    """Groups whose resolved entries may differ: own rules, or what their peers mean."""
    # A reference across VPCs is live only over an active peering (effective.py's
    # ``reference_is_stale``): a group (referencing or referenced) appearing or going, or
    # a peering changing state, may change what a reference means.
    moved_groups = _differing(_group_vpcs(old), _group_vpcs(new))
    changed = _differing(_rule_sets(old), _rule_sets(new)) | moved_groups
    moved_members = _differing(_member_sets(old), _member_sets(new)) | moved_groups
    peerings_moved = _active_pairs(old) != _active_pairs(new)
    moved_lists = _differing(_prefix_list_sets(old), _prefix_list_sets(new))
    if moved_members or moved_lists or peerings_moved:
        for snapshot in (old, new):
            for rule in snapshot.rules:
                peer = rule.spec.peer
                if (
                    peer.kind is PeerKind.GROUP and (peerings_moved or peer.value in moved_members)
                ) or (peer.kind is PeerKind.PREFIX_LIST and peer.value in moved_lists):
                    changed.add(rule.group_id)
    return changed


def _differing(a: Mapping[str, object], b: Mapping[str, object]) -> set[str]:
    return {key for key in a.keys() | b.keys() if a.get(key) != b.get(key)}


def _rule_sets(snapshot: Snapshot) -> dict[str, frozenset[tuple[str, RuleSpec]]]:
    return {
        group_id: frozenset((r.rule_id, r.spec) for r in rules)
        for group_id, rules in snapshot.rules_by_group.items()
    }


def _member_sets(snapshot: Snapshot) -> dict[str, frozenset[tuple[str, str]]]:
    known = set(snapshot.group_by_id)
    out: dict[str, frozenset[tuple[str, str]]] = {
        group_id: frozenset(pairs) for group_id, pairs in member_addresses(snapshot).items()
    }
    # A known group without members and an unknown one resolve differently (stale).
    for group_id in known:
        out.setdefault(group_id, frozenset({("known", "")}))
    return out


def _group_vpcs(snapshot: Snapshot) -> dict[str, str]:
    return {g.group_id: g.vpc_id for g in snapshot.groups}


def _active_pairs(snapshot: Snapshot) -> frozenset[frozenset[str]]:
    """The VPC pairs joined by an active peering."""
    return frozenset(
        frozenset((p.requester.vpc_id, p.accepter.vpc_id)) for p in snapshot.peerings if p.is_active
    )


def _prefix_list_sets(snapshot: Snapshot) -> dict[str, frozenset[str]]:
    return {p.prefix_list_id: frozenset(e.cidr for e in p.entries) for p in snapshot.prefix_lists}
