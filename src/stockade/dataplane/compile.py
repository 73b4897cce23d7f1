"""Compile a VPC's security groups into a :class:`~stockade.dataplane.ruleset.Ruleset`.

Pure. The input is the policy engine's resolved entries (:mod:`stockade.policy.effective`):
an interface's effective policy is the union of its groups' entries, so the compiler
compiles each *group* once (:func:`compile_group`) and gives each interface a chain that
jumps to its groups' chains — the union, evaluated by the kernel. Nothing here knows what a
prefix list or a group reference means: entries arrive resolved to address blocks. Entries
that came through a group reference (peer kind ``group``) are compiled to a lookup in that
group's member set rather than to their addresses, so that membership changes are set
updates; the set's addresses are the same ones the engine resolves
(:class:`MemberIndex`, held equal to :func:`stockade.policy.effective.member_addresses`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping, Sequence

from stockade.dataplane.decompose import Box, decompose
from stockade.dataplane.plan import PortPlan, VpcPlan
from stockade.dataplane.ruleset import (
    Edges,
    Element,
    GroupChain,
    Kind,
    Lookup,
    MemberSet,
    PortRules,
    Ruleset,
    Timeout,
    member_set_key,
    member_set_name,
)
from stockade.dataplane.untracked import untracked_by_port, wide_entries
from stockade.domain import protocols
from stockade.domain.interface import NetworkInterface
from stockade.domain.security_group import PeerKind
from stockade.domain.state import Snapshot
from stockade.policy import Direction, EffectiveEntry
from stockade.policy.addressing import address_text, try_parse_address
from stockade.policy.effective import group_entries
from stockade.policy.flow import ICMP, PORTED
from stockade.policy.tables import service_range

_KIND_ORDER = (Kind.ALL, Kind.PORT, Kind.ICMP, Kind.PROTO)


def service_of(entry: EffectiveEntry) -> tuple[Kind, int, int, int]:
    """``(kind, protocol number, first, last)`` of the service an entry allows.

    The engine's service interval (:func:`stockade.policy.tables.service_range`, packed as
    ``protocol << 16 | service``) without the protocol: a port range, or for ICMP
    ``type << 8 | code`` (what ``@th,0,16`` reads), so "type T, any code" and "any type"
    are intervals too.
    """
    if entry.protocol == protocols.ALL:
        return Kind.ALL, 0, 0, 0
    lo, hi = service_range(entry.protocol, entry.from_port, entry.to_port)
    if entry.protocol in PORTED:
        return Kind.PORT, lo >> 16, lo & 0xFFFF, hi & 0xFFFF
    if entry.protocol in ICMP:
        return Kind.ICMP, lo >> 16, lo & 0xFFFF, hi & 0xFFFF
    return Kind.PROTO, lo >> 16, 0, 0


def compile_group(snapshot: Snapshot, group_id: str) -> tuple[GroupChain, GroupChain]:
    """The ingress and egress chains of one group, from its resolved entries."""
    ingress, egress, _stale = group_entries(snapshot, group_id)
    return (
        GroupChain(group_id, Direction.INGRESS, _lookups(ingress), wide_entries(ingress)),
        GroupChain(group_id, Direction.EGRESS, _lookups(egress), wide_entries(egress)),
    )


def _lookups(entries: Sequence[EffectiveEntry]) -> tuple[Lookup, ...]:
    """Entries → lookups: per (kind, family) for address blocks, per (referenced group,
    family, kind) for group references. Labels are entry positions, so the earliest entry
    (canonical order: group, rule, address) wins where rules overlap."""
    by_cidr: dict[tuple[Kind, int], list[tuple[int, EffectiveEntry]]] = {}
    by_ref: dict[tuple[str, int, Kind], list[tuple[int, EffectiveEntry]]] = {}
    for label, entry in enumerate(entries):
        kind = service_of(entry)[0]
        if entry.peer.kind is PeerKind.GROUP:
            by_ref.setdefault((entry.peer.value, entry.family, kind), []).append((label, entry))
        else:
            by_cidr.setdefault((kind, entry.family), []).append((label, entry))
    out: list[Lookup] = []
    for family in (4, 6):
        for kind in _KIND_ORDER:
            items = by_cidr.get((kind, family))
            if items:
                out.append(Lookup(kind, family, None, _elements(items, entries, by_address=True)))
    for group_id, family, kind in sorted(by_ref, key=lambda k: (k[0], k[1], k[2].value)):
        if kind is not Kind.ALL and (group_id, family, Kind.ALL) in by_ref:
            continue  # all traffic from the group is allowed already
        items = by_ref[(group_id, family, kind)]
        members = member_set_name(group_id, family)
        out.append(Lookup(kind, family, members, _elements(items, entries, by_address=False)))
    return tuple(out)


def _elements(
    items: list[tuple[int, EffectiveEntry]],
    entries: Sequence[EffectiveEntry],
    by_address: bool,
) -> tuple[Element, ...]:
    boxes_by_proto: dict[int, list[Box]] = {}
    for label, entry in items:
        _kind, proto, s_lo, s_hi = service_of(entry)
        a_lo, a_hi = entry.bounds[1:] if by_address else (0, 0)
        boxes_by_proto.setdefault(proto, []).append(Box(label, a_lo, a_hi, s_lo, s_hi))
    out: list[Element] = []
    for proto in sorted(boxes_by_proto):
        for piece in decompose(boxes_by_proto[proto]):
            rule_id = entries[piece.label].rule_id
            out.append(Element(piece.a_lo, piece.a_hi, proto, piece.s_lo, piece.s_hi, rule_id))
    return tuple(out)


def timeouts_of(port: PortPlan) -> tuple[Timeout, Timeout]:
    """The conntrack timeout objects for an interface's ConnectionTracking settings.

    UDP: *unreplied* is AWS's UdpTimeout (one direction, or a single request/response);
    *replied* is UdpStreamTimeout (Linux switches to it once a flow has lasted, as AWS does
    for a stream).
    """
    ct = port.tracking
    return (
        Timeout("tcp", (("established", ct.tcp_established_timeout),)),
        Timeout("udp", (("unreplied", ct.udp_timeout), ("replied", ct.udp_stream_timeout))),
    )


def port_rules(port: PortPlan) -> PortRules:
    tcp, udp = timeouts_of(port)
    v6 = tuple(a for a in port.ipv6 if a)
    return PortRules(port.ifname, port.eni_id, port.ipv4_addresses, v6, port.group_ids, tcp, udp)


class MemberIndex:
    """What a reference to a group matches: the private addresses of the interfaces that
    carry it (``NetworkInterface.private_addresses``, as
    :func:`stockade.policy.effective.member_addresses` resolves them), per family.

    The same answer as the engine's, computed per group on demand, and with each
    interface's canonical addresses cached by object identity: the agent's snapshots keep
    the objects of unchanged interfaces, so a membership change costs only the groups it
    touches (a test holds it equal to the engine's).
    """

    def __init__(self) -> None:
        self._addresses: dict[str, tuple[NetworkInterface, tuple[tuple[int, str], ...]]] = {}

    def addresses(self, eni: NetworkInterface) -> tuple[tuple[int, str], ...]:
        hit = self._addresses.get(eni.eni_id)
        if hit is not None and hit[0] is eni:
            return hit[1]
        parsed = (try_parse_address(text) for text in eni.private_addresses if text)
        found = tuple((p[0], address_text(*p)) for p in parsed if p is not None)
        self._addresses[eni.eni_id] = (eni, found)
        return found

    def members(self, snapshot: Snapshot, group_id: str, family: int) -> frozenset[str]:
        enis = {e.eni_id: e for e in snapshot.members_by_group.get(group_id, ())}
        return frozenset(a for eni in enis.values() for f, a in self.addresses(eni) if f == family)

    def member_set(self, snapshot: Snapshot, name: str) -> MemberSet:
        group_id, family = member_set_key(name)
        return MemberSet(name, family, self.members(snapshot, group_id, family))


def assemble(
    snapshot: Snapshot,
    plan: VpcPlan,
    chains: Mapping[str, tuple[GroupChain, GroupChain]],
    members: MemberIndex | None = None,
    ports_cache: dict[str, tuple[PortPlan, PortRules]] | None = None,
    untracked_cache: dict[str, tuple] | None = None,
) -> Ruleset:
    """A VPC's ruleset from its plan and the (possibly cached) chains of its groups.

    ``chains`` must hold every group any port of ``plan`` carries. ``members``,
    ``ports_cache`` and ``untracked_cache`` only save work (the agent keeps them between
    batches).
    """
    members = members or MemberIndex()
    ports: dict[str, PortRules] = {}
    for plan_port in plan.ports:
        cached = ports_cache.get(plan_port.eni_id) if ports_cache is not None else None
        if cached is not None and cached[0] == plan_port:
            ports[plan_port.ifname] = cached[1]
            continue
        ports[plan_port.ifname] = compiled = port_rules(plan_port)
        if ports_cache is not None:
            ports_cache[plan_port.eni_id] = (plan_port, compiled)
    groups: dict[str, GroupChain] = {}
    for group_id in sorted({g for p in plan.ports for g in p.group_ids}):
        for chain in chains[group_id]:
            groups[chain.name] = chain
    rules = {name: rule for chain in groups.values() for name, rule in chain.rule_chains.items()}
    wanted = {name for chain in groups.values() for name in chain.member_sets}
    member_sets = {name: members.member_set(snapshot, name) for name in sorted(wanted)}
    timeouts = {t.name: t for port in ports.values() for t in (port.tcp_timeout, port.udp_timeout)}
    nat = dict(plan.nat)
    untracked = untracked_by_port(ports, chains, plan.untracked_at_edge, untracked_cache)
    edges = edges_of(plan)
    return Ruleset(ports, groups, rules, member_sets, timeouts, nat, untracked, edges, plan.acls)


def edges_of(plan: VpcPlan) -> Edges:
    routing = plan.routing
    return Edges(
        nat_gateways=routing.nat_gateways,
        peer_links=tuple(sorted(p.ifname for p in routing.peer_links)),
        egress_only=tuple(
            str(n)
            for n in ipaddress.collapse_addresses(
                ipaddress.IPv6Network(s) for s, _ in routing.sources if ":" in s
            )
        )
        if routing.egress_only_gateway and not plan.internet
        else (),
    )


def compile_vpc(snapshot: Snapshot, plan: VpcPlan) -> Ruleset:
    """The whole ruleset of one VPC router, from scratch (the agent caches group chains)."""
    needed = {g for p in plan.ports for g in p.group_ids}
    return assemble(snapshot, plan, {g: compile_group(snapshot, g) for g in needed})
