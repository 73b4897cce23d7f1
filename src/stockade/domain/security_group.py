"""Security groups and their rules, as AWS stores them: one rule per peer.

A :class:`RuleSpec` is a rule's *identity* (what AWS compares for duplicates and for
revoke-by-properties): direction, canonical protocol, ports and one canonical peer. The
description is deliberately not part of it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stockade.domain.tags import Tags

DEFAULT_GROUP_NAME = "default"
DEFAULT_GROUP_DESCRIPTION = "default VPC security group"


class PeerKind(StrEnum):
    CIDR_V4 = "cidr-ipv4"
    CIDR_V6 = "cidr-ipv6"
    PREFIX_LIST = "prefix-list"
    GROUP = "group"


@dataclass(frozen=True, order=True)
class Peer:
    """The single source (ingress) or destination (egress) of a rule."""

    kind: PeerKind
    value: str  # canonical CIDR, prefix-list id or group id
    owner_id: str | None = None  # account of a referenced group

    def __str__(self) -> str:
        return self.value


@dataclass(frozen=True, order=True)
class RuleSpec:
    """A rule's identity. ``from_port``/``to_port`` are -1 where AWS says "all"."""

    is_egress: bool
    protocol: str  # tcp | udp | icmp | icmpv6 | -1 | "0".."255"
    from_port: int
    to_port: int
    peer: Peer


@dataclass(frozen=True)
class SecurityGroupRule:
    rule_id: str
    group_id: str
    owner_id: str
    spec: RuleSpec
    description: str | None = None
    tags: Tags = ()

    @property
    def is_egress(self) -> bool:
        return self.spec.is_egress


@dataclass(frozen=True)
class SecurityGroup:
    group_id: str
    name: str
    description: str
    vpc_id: str
    owner_id: str
    region: str
    tags: Tags = ()

    @property
    def is_default(self) -> bool:
        return self.name == DEFAULT_GROUP_NAME
