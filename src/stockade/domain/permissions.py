"""IpPermissions (the grouped form AWS's API speaks) ⇄ rules (one per peer).

``expand`` turns request permissions into rule specs with descriptions, validating the
protocol, ports, CIDRs and descriptions, and rejecting an entry repeated inside one request.
``group`` regroups stored rules by (protocol, from, to) for display, as
``DescribeSecurityGroups`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from stockade.domain import errors, protocols, text
from stockade.domain.addresses import canonical_cidr
from stockade.domain.security_group import Peer, PeerKind, RuleSpec, SecurityGroupRule


@dataclass(frozen=True)
class GroupPair:
    """A referenced group as a request names it (by id, or by name in the default VPC)."""

    group_id: str | None = None
    group_name: str | None = None
    user_id: str | None = None
    vpc_id: str | None = None
    vpc_peering_connection_id: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class IpPermission:
    """One ``IpPermissions.N`` element of a request (raw, unvalidated values)."""

    ip_protocol: str | None
    from_port: int | None = None
    to_port: int | None = None
    ip_ranges: tuple[tuple[str, str | None], ...] = ()  # (CidrIp, Description)
    ipv6_ranges: tuple[tuple[str, str | None], ...] = ()
    prefix_list_ids: tuple[tuple[str, str | None], ...] = ()
    groups: tuple[GroupPair, ...] = ()


@dataclass(frozen=True)
class ExpandedRule:
    spec: RuleSpec
    description: str | None


GroupResolver = Callable[[GroupPair], Peer]
PrefixListResolver = Callable[[str], Peer]


def expand(
    permissions: Sequence[IpPermission],
    is_egress: bool,
    resolve_group: GroupResolver,
    resolve_prefix_list: PrefixListResolver,
) -> list[ExpandedRule]:
    """Validate permissions and split them into one rule per peer.

    Raises ``InvalidParameterValue`` ("The same permission must not appear multiple times")
    when two entries of the request have the same identity.
    """
    out: list[ExpandedRule] = []
    seen: set[RuleSpec] = set()
    for perm in permissions:
        protocol = protocols.canonical_protocol(perm.ip_protocol)
        from_port, to_port = protocols.canonical_ports(protocol, perm.from_port, perm.to_port)
        peers: list[tuple[Peer, str | None]] = []
        for cidr, desc in perm.ip_ranges:
            peers.append((Peer(PeerKind.CIDR_V4, canonical_cidr(cidr, 4)), desc))
        for cidr, desc in perm.ipv6_ranges:
            peers.append((Peer(PeerKind.CIDR_V6, canonical_cidr(cidr, 6)), desc))
        for pl_id, desc in perm.prefix_list_ids:
            peers.append((resolve_prefix_list(pl_id), desc))
        for pair in perm.groups:
            peers.append((resolve_group(pair), pair.description))
        if not peers:
            # [UNVERIFIED] AWS's wording; the code is what clients branch on.
            raise errors.error(
                "MissingParameter",
                "Each permission must name at least one source or destination: "
                "IpRanges, Ipv6Ranges, PrefixListIds or UserIdGroupPairs.",
            )
        for peer, desc in peers:
            spec = RuleSpec(is_egress, protocol, from_port, to_port, peer)
            if spec in seen:
                raise errors.invalid_parameter_value(
                    "The same permission must not appear multiple times"
                )
            seen.add(spec)
            out.append(ExpandedRule(spec, text.rule_description(desc)))
    return out


@dataclass
class GroupedPermission:
    """The display/wire form: one protocol and port range, many peers."""

    ip_protocol: str
    from_port: int
    to_port: int
    ip_ranges: list[tuple[str, str | None]] = field(default_factory=list)
    ipv6_ranges: list[tuple[str, str | None]] = field(default_factory=list)
    prefix_list_ids: list[tuple[str, str | None]] = field(default_factory=list)
    #: (group id, owner id, description)
    groups: list[tuple[str, str | None, str | None]] = field(default_factory=list)


def group(rules: Iterable[SecurityGroupRule]) -> list[GroupedPermission]:
    """Regroup one direction's rules by (protocol, from, to), in first-seen order."""
    by_key: dict[tuple[str, int, int], GroupedPermission] = {}
    for rule in rules:
        s = rule.spec
        key = (s.protocol, s.from_port, s.to_port)
        perm = by_key.setdefault(key, GroupedPermission(*key))
        item = (s.peer.value, rule.description)
        if s.peer.kind is PeerKind.CIDR_V4:
            perm.ip_ranges.append(item)
        elif s.peer.kind is PeerKind.CIDR_V6:
            perm.ipv6_ranges.append(item)
        elif s.peer.kind is PeerKind.PREFIX_LIST:
            perm.prefix_list_ids.append(item)
        else:
            perm.groups.append((s.peer.value, s.peer.owner_id, rule.description))
    return list(by_key.values())
