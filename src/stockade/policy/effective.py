"""The effective policy of each network interface: what its security groups really allow.

AWS evaluates an interface against the *union* of all its groups' rules, per direction,
with no order and no deny. A rule's peer is resolved here once, so that nothing
downstream (decide, the compiled tables, the data plane, exposure) has to know about
prefix lists or group references:

- a CIDR stays itself;
- a prefix list becomes its current entries;
- a group reference becomes the private addresses (IPv4 and IPv6) of the interfaces that
  carry the group — never their public IPs, which is why a reference cannot match traffic
  that came through an internet gateway.

Each :class:`EffectiveEntry` keeps the rule id and group id it came from, so every verdict
can cite the rule that caused it. Entries are in a canonical order (group, rule, address),
so two snapshots that mean the same policy produce equal objects, and the data plane can
compare them to find what changed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from stockade.domain.group_references import reference_state
from stockade.domain.interface import NetworkInterface
from stockade.domain.security_group import Peer, PeerKind, SecurityGroup, SecurityGroupRule
from stockade.domain.state import Snapshot
from stockade.policy.addressing import block_bounds, host_cidr, try_parse_address
from stockade.policy.cache import cached, peek


class Direction(StrEnum):
    INGRESS = "ingress"
    EGRESS = "egress"

    @property
    def word(self) -> str:
        """The console's word: inbound / outbound."""
        return "inbound" if self is Direction.INGRESS else "outbound"


@dataclass(frozen=True)
class EffectiveEntry:
    """One rule applied to one resolved address block (``cidr``).

    ``peer`` is the rule's peer as written; ``cidr`` what it resolved to. ``via`` names the
    member interface a group reference resolved through (``None`` otherwise).
    """

    rule_id: str
    group_id: str
    direction: Direction
    protocol: str  # canonical: tcp | udp | icmp | icmpv6 | -1 | "0".."255"
    from_port: int
    to_port: int
    peer: Peer
    cidr: str
    via: str | None = None

    @property
    def family(self) -> int:
        return block_bounds(self.cidr)[0]

    @property
    def bounds(self) -> tuple[int, int, int]:
        """``(family, first, last)`` of the resolved block, as integers."""
        return block_bounds(self.cidr)

    def sort_key(self) -> tuple[Any, ...]:
        family, lo, hi = block_bounds(self.cidr)
        return (self.group_id, self.rule_id, family, lo, hi, self.via or "")


@dataclass(frozen=True)
class UnresolvedPeer:
    """A rule whose peer resolves to nothing known (a stale reference or missing list)."""

    rule_id: str
    group_id: str
    direction: Direction
    peer: Peer
    reason: str


@dataclass(frozen=True)
class EffectivePolicy:
    """The union of an interface's groups' rules, per direction, peers resolved."""

    eni_id: str
    group_ids: tuple[str, ...]  # sorted, without duplicates
    ingress: tuple[EffectiveEntry, ...]
    egress: tuple[EffectiveEntry, ...]
    #: stale peers: they allow nothing, so they do not take part in equality
    unresolved: tuple[UnresolvedPeer, ...] = field(default=(), compare=False)

    def entries(self, direction: Direction) -> tuple[EffectiveEntry, ...]:
        return self.ingress if direction is Direction.INGRESS else self.egress


_GroupEntries = tuple[
    tuple[EffectiveEntry, ...], tuple[EffectiveEntry, ...], tuple[UnresolvedPeer, ...]
]


def effective_policies(snapshot: Snapshot) -> Mapping[str, EffectivePolicy]:
    """The effective policy of every interface in the snapshot, by interface id."""
    return cached(
        snapshot,
        "effective.all",
        lambda: {eni.eni_id: policy_of(snapshot, eni) for eni in snapshot.interfaces},
    )


def effective_policy(snapshot: Snapshot, eni_id: str) -> EffectivePolicy | None:
    """The effective policy of one interface, or ``None`` if the snapshot lacks it."""
    eni = snapshot.interface_by_id.get(eni_id)
    return None if eni is None else policy_of(snapshot, eni)


def policy_of(snapshot: Snapshot, eni: NetworkInterface) -> EffectivePolicy:
    """Compute one interface's policy (group resolutions are shared per snapshot)."""
    known = peek(snapshot, "effective.all")
    if isinstance(known, dict):
        policy = known.get(eni.eni_id)
        if isinstance(policy, EffectivePolicy):
            return policy
    group_ids = tuple(sorted(set(eni.group_ids)))
    ingress: list[EffectiveEntry] = []
    egress: list[EffectiveEntry] = []
    unresolved: list[UnresolvedPeer] = []
    for group_id in group_ids:
        g_in, g_out, g_bad = group_entries(snapshot, group_id)
        ingress.extend(g_in)
        egress.extend(g_out)
        unresolved.extend(g_bad)
    return EffectivePolicy(eni.eni_id, group_ids, tuple(ingress), tuple(egress), tuple(unresolved))


def group_entries(snapshot: Snapshot, group_id: str) -> _GroupEntries:
    """One group's resolved entries (ingress, egress) and its unresolvable peers."""
    table: dict[str, _GroupEntries] = cached(snapshot, "effective.groups", dict)
    if group_id not in table:
        table[group_id] = _resolve_group(snapshot, group_id)
    return table[group_id]


def member_addresses(snapshot: Snapshot) -> Mapping[str, tuple[tuple[str, str], ...]]:
    """Per group id: ``(member eni id, host CIDR)`` for every private address of a member."""

    def build() -> dict[str, tuple[tuple[str, str], ...]]:
        out: dict[str, tuple[tuple[str, str], ...]] = {}
        for group_id, members in snapshot.members_by_group.items():
            pairs: list[tuple[str, str]] = []
            # An interface listing a group twice appears twice in members_by_group.
            for eni in {e.eni_id: e for e in members}.values():
                for text in eni.private_addresses:
                    parsed = try_parse_address(text) if text else None
                    if parsed is not None:
                        pairs.append((eni.eni_id, host_cidr(*parsed)))
            out[group_id] = tuple(pairs)
        return out

    return cached(snapshot, "effective.members", build)


def _resolve_group(snapshot: Snapshot, group_id: str) -> _GroupEntries:
    ingress: list[EffectiveEntry] = []
    egress: list[EffectiveEntry] = []
    unresolved: list[UnresolvedPeer] = []
    group = snapshot.group_by_id.get(group_id)
    for rule in snapshot.rules_by_group.get(group_id, ()):
        direction = Direction.EGRESS if rule.is_egress else Direction.INGRESS
        blocks, problem = _resolve_peer(snapshot, rule.spec.peer)
        if problem is None and group is not None and reference_is_stale(snapshot, group, rule):
            blocks, problem = [], f"referenced group {rule.spec.peer.value} is stale"
        if problem is not None:
            unresolved.append(
                UnresolvedPeer(rule.rule_id, group_id, direction, rule.spec.peer, problem)
            )
        target = egress if rule.is_egress else ingress
        target.extend(_entry(rule, direction, cidr, via) for cidr, via in blocks)
    ingress.sort(key=EffectiveEntry.sort_key)
    egress.sort(key=EffectiveEntry.sort_key)
    return tuple(ingress), tuple(egress), tuple(unresolved)


def reference_is_stale(snapshot: Snapshot, group: SecurityGroup, rule: SecurityGroupRule) -> bool:
    """Whether ``rule`` (of ``group``) references a group of another VPC that no active
    peering in the snapshot reaches: such a rule matches nothing (the one definition is
    ``domain.group_references.reference_state``; the API's stale groups ask it too). A
    referenced group absent from the snapshot stays the "unknown members" case above."""
    peer = rule.spec.peer
    if peer.kind is not PeerKind.GROUP:
        return False
    target = snapshot.group_by_id.get(peer.value)
    if target is None or target.vpc_id == group.vpc_id:
        return False
    return reference_state(group.vpc_id, target, snapshot.peerings).stale


def _entry(
    rule: SecurityGroupRule, direction: Direction, cidr: str, via: str | None
) -> EffectiveEntry:
    spec = rule.spec
    return EffectiveEntry(
        rule.rule_id,
        rule.group_id,
        direction,
        spec.protocol,
        spec.from_port,
        spec.to_port,
        spec.peer,
        cidr,
        via,
    )


def _resolve_peer(
    snapshot: Snapshot, peer: Peer
) -> tuple[list[tuple[str, str | None]], str | None]:
    """The address blocks a peer stands for, and why it resolved to nothing (if it did)."""
    if peer.kind in (PeerKind.CIDR_V4, PeerKind.CIDR_V6):
        return [(peer.value, None)], None
    if peer.kind is PeerKind.PREFIX_LIST:
        plist = snapshot.prefix_list_by_id.get(peer.value)
        if plist is None:
            return [], f"prefix list {peer.value} is not in this snapshot"
        return [(entry.cidr, None) for entry in plist.entries], None
    members = member_addresses(snapshot).get(peer.value, ())
    if not members and peer.value not in snapshot.group_by_id:
        return [], f"referenced group {peer.value} is not in this snapshot (stale reference)"
    return [(cidr, eni_id) for eni_id, cidr in members], None
