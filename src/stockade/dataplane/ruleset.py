"""The compiled form of one VPC router's rules: plain data, rendered to nft text elsewhere.

The structure follows the ruleset (reference linux-dataplane.md §0 and §7):

- one **group chain** per (security group, direction) in use in the VPC, shared by every
  interface carrying the group, named after its content (``g_<group>_<in|eg>_<digest>``):
  a group whose rules change gets a *new* chain, built and committed while nothing jumps
  to it, and only then do the port chains switch to it (:mod:`stockade.dataplane.delta`).
  Rewriting a chain in place would be atomic for the rules but not for their anonymous
  interval maps, which the kernel commits just *after* the new rules go live
  (``nft_set_commit_update`` runs after the generation flip): a packet arriving in between
  would find the new rule with an empty map and be rejected though both rule sets allow
  it. A chain holds a constant number of lookups — one anonymous verdict map per kind of
  service and address family, plus one per referenced group —
  whose elements are the group's rules cut into disjoint pieces
  (:mod:`stockade.dataplane.decompose`); so the cost of a packet does not grow with the
  number of rules;
- one **port chain** per (interface, direction): set the conntrack timeout policy, jump
  to each of its groups' chains, and reject what none of them accepted;
- one **rule chain** per rule in use: count, log (NFLOG, for flow logs and last-hit
  times) and accept. Elements ``goto`` it, so each accept is credited to one rule;
- **member sets** per (referenced group, family): the members' private addresses, which
  change by element when membership changes, without touching any chain;
- per interface, the services AWS would **not track** (:class:`PortUntracked`): elements of
  the ``notrack`` sets the raw-priority chain looks packets up in.
- the **network ACL crossings** (:class:`~stockade.dataplane.acl.AclPlan`): one chain per
  ACL, direction and family, named after its content, and the subnets' and NAT gateways'
  chains that send each packet through the ones it crosses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property

from stockade.dataplane.acl import AclPlan
from stockade.dataplane.names import chain_id
from stockade.policy import Direction, EffectiveEntry


class Kind(StrEnum):
    """How a lookup reads the packet's service."""

    ALL = "all"  # protocol -1: the address alone
    PORT = "port"  # tcp/udp: protocol . destination port
    ICMP = "icmp"  # icmp/icmpv6: protocol . (type << 8 | code)
    PROTO = "proto"  # any other protocol number: protocol alone


@dataclass(frozen=True, order=True)
class Element:
    """One disjoint piece: remote address range × protocol × service range → rule.

    For a lookup through a member set the address range is unused (0, 0).
    """

    a_lo: int
    a_hi: int
    proto: int
    s_lo: int
    s_hi: int
    rule_id: str


@dataclass(frozen=True)
class Lookup:
    kind: Kind
    family: int  # 4 | 6
    members: str | None  # member set name, when the remote end is a group reference
    elements: tuple[Element, ...]


@dataclass(frozen=True)
class GroupChain:
    group_id: str
    direction: Direction
    lookups: tuple[Lookup, ...]
    #: the group's TCP/UDP/all-traffic entries for all addresses (``0.0.0.0/0``, ``::/0``):
    #: what decides whether AWS tracks a flow (:func:`stockade.policy.stateful.untracked_ports`)
    wide: tuple[EffectiveEntry, ...] = ()

    @cached_property
    def name(self) -> str:
        return f"{group_chain_name(self.group_id, self.direction)}_{self.version}"

    @cached_property
    def version(self) -> str:
        """A digest of the chain's content: equal chains share a name, changed ones don't."""
        digest = hashlib.blake2b(digest_size=5)
        for lookup in self.lookups:
            digest.update(f"{lookup.kind}|{lookup.family}|{lookup.members}|".encode())
            for e in lookup.elements:
                digest.update(
                    f"{e.a_lo},{e.a_hi},{e.proto},{e.s_lo},{e.s_hi},{e.rule_id};".encode()
                )
        return digest.hexdigest()

    @cached_property
    def rule_ids(self) -> frozenset[str]:
        return frozenset(e.rule_id for lookup in self.lookups for e in lookup.elements)

    @cached_property
    def rule_chains(self) -> dict[str, RuleChain]:
        """The rule chains its elements jump to, by chain name."""
        return {rule_chain_name(r): RuleChain(r, self.direction) for r in sorted(self.rule_ids)}

    @cached_property
    def member_sets(self) -> frozenset[str]:
        return frozenset(lookup.members for lookup in self.lookups if lookup.members)


@dataclass(frozen=True)
class RuleChain:
    rule_id: str
    direction: Direction

    @property
    def name(self) -> str:
        return rule_chain_name(self.rule_id)


@dataclass(frozen=True)
class Timeout:
    """An nftables ``ct timeout`` object (one per distinct setting in use)."""

    protocol: str  # tcp | udp
    policy: tuple[tuple[str, int], ...]  # (state, seconds)

    @property
    def name(self) -> str:
        return f"ct_{self.protocol}_" + "_".join(str(s) for _, s in self.policy)


@dataclass(frozen=True)
class PortRules:
    """An interface's own chains: its groups, its addresses and its timeouts."""

    ifname: str
    eni_id: str
    ipv4: tuple[str, ...]
    ipv6: tuple[str, ...]
    group_ids: tuple[str, ...]
    tcp_timeout: Timeout
    udp_timeout: Timeout

    @property
    def egress_chain(self) -> str:
        return f"eg_{self.ifname}"

    @property
    def ingress_chain(self) -> str:
        return f"in_{self.ifname}"


@dataclass(frozen=True, order=True)
class UntrackedService:
    """Flows of ``proto`` (6 or 17) to a port in ``lo..hi`` that AWS does not track."""

    family: int
    proto: int
    lo: int
    hi: int


@dataclass(frozen=True)
class PortUntracked:
    """What the ``notrack`` chain knows about one interface.

    ``egress`` are the services of flows it starts, ``ingress`` of flows it accepts, that
    its groups leave untracked. They are looked up under every address the interface is
    reached at (``addresses``: private, and the public IPv4 the gateway translates);
    ``private`` are the ones it sends from (a destination that is none of these is
    outside the VPC); ``edge`` the private IPv4 whose flows may cross the VPC's edge
    untracked (the one the gateway translates 1:1, :attr:`VpcPlan.untracked_at_edge`).
    """

    private: tuple[str, ...]
    addresses: tuple[str, ...]
    egress: tuple[UntrackedService, ...] = ()
    ingress: tuple[UntrackedService, ...] = ()
    edge: tuple[str, ...] = ()

    def services(self, direction: Direction) -> tuple[UntrackedService, ...]:
        return self.egress if direction is Direction.EGRESS else self.ingress


@dataclass(frozen=True)
class MemberSet:
    name: str
    family: int
    addresses: frozenset[str]


@dataclass(frozen=True)
class Edges:
    """What the table knows of the router's edges beyond its ports: the NAT gateways'
    (realm, public IPv4), the peering links, and the IPv6 blocks the gateway link admits
    only replies for (an egress-only gateway without an internet gateway)."""

    nat_gateways: tuple[tuple[int, str], ...] = ()
    peer_links: tuple[str, ...] = ()
    egress_only: tuple[str, ...] = ()


@dataclass(frozen=True)
class Ruleset:
    """Everything one VPC router table holds, keyed for diffing."""

    ports: Mapping[str, PortRules] = field(default_factory=dict)  # by ifname
    groups: Mapping[str, GroupChain] = field(default_factory=dict)  # by chain name
    rules: Mapping[str, RuleChain] = field(default_factory=dict)  # by chain name
    members: Mapping[str, MemberSet] = field(default_factory=dict)  # by set name
    timeouts: Mapping[str, Timeout] = field(default_factory=dict)  # by object name
    nat: Mapping[str, str] = field(default_factory=dict)  # private → public IPv4
    untracked: Mapping[str, PortUntracked] = field(default_factory=dict)  # by ifname
    edges: Edges = Edges()
    acls: AclPlan = AclPlan()  # the network ACL crossings (:mod:`stockade.dataplane.acl`)

    def eni_of(self, ifname: str) -> str | None:
        port = self.ports.get(ifname)
        return port.eni_id if port else None

    @cached_property
    def _chain_names(self) -> dict[tuple[str, Direction], str]:
        return {(c.group_id, c.direction): name for name, c in self.groups.items()}

    def group_chain(self, group_id: str, direction: Direction) -> str | None:
        """The (content-named) chain of a group and direction, if the table has it."""
        return self._chain_names.get((group_id, direction))

    @cached_property
    def ports_by_group(self) -> dict[str, tuple[str, ...]]:
        """Group id → the interfaces (ifnames) carrying it: whose chains jump to its chain."""
        out: dict[str, list[str]] = {}
        for ifname, port in self.ports.items():
            for group_id in port.group_ids:
                out.setdefault(group_id, []).append(ifname)
        return {g: tuple(names) for g, names in out.items()}

    def port_chain_targets(self, port: PortRules, direction: Direction) -> tuple[str, ...]:
        """The group chains a port's chain jumps to, in order."""
        return tuple(
            name for g in port.group_ids if (name := self.group_chain(g, direction)) is not None
        )


def group_chain_name(group_id: str, direction: Direction) -> str:
    suffix = "in" if direction is Direction.INGRESS else "eg"
    return f"g_{chain_id(group_id)}_{suffix}"


def rule_chain_name(rule_id: str) -> str:
    return f"r_{chain_id(rule_id)}"


def member_set_name(group_id: str, family: int) -> str:
    return f"m_{chain_id(group_id)}_{family}"


def member_set_key(name: str) -> tuple[str, int]:
    """``m_sg_0ab…_4`` → ``("sg-0ab…", 4)`` (group ids hold exactly one dash)."""
    body, family = name[2:].rsplit("_", 1)
    return body.replace("_", "-", 1), int(family)
