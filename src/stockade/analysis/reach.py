"""``stockade reach``: who can reach what, as merged port ranges with the rules responsible.

For a source (the internet, a CIDR, or an instance/interface) and each destination
interface, per address family:

1. the *path* comes from the policy engine (:func:`stockade.policy.path.route`), which
   follows the route tables: which addresses each side sees, and what blocks the path
   before any group is consulted (no public IP, no route to an internet gateway — or no
   route back —, a NAT gateway that lets nothing in, a peering not active or not routed
   both ways, a stopped instance…); which flow stands for the source is chosen in
   :mod:`stockade.analysis.reach_path` (a CIDR of the destination's VPC: the local route;
   of a peered VPC the destination routes back whole: the peering; of another VPC, IPv4 or
   IPv6: host by host, each on its own path — the peering, or the internet (to the public
   IPv4; IPv6 untranslated); from an instance, the destination's private address — or,
   where nothing private joins two VPCs, its public IPv4, through the gateways);
2. the destination's inbound entries whose resolved block meets the source set, and — for
   an instance source — the source's outbound entries that contain the destination's
   address, are unions of service intervals; their intersection (with ``--port``) is what
   can get through, merged into maximal ranges per protocol;
3. the network ACLs the connections cross (:mod:`stockade.analysis.reach_acl`) narrow
   those ranges — the request one way, its reply the other, stateless — and each piece
   they take is explained by the denying entry (``acl_denials``).

Rule-level ranges are reported even when the path is blocked (marked not reachable, with
the blockers), because they show what would open the moment the path exists.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from stockade.analysis.intervals import (
    ALL_SERVICES,
    Interval,
    ServiceRange,
    internet_space,
    intersect,
    merge,
    service_interval,
    service_pieces,
)
from stockade.analysis.reach_acl import external_crossings, interface_crossings, narrow
from stockade.analysis.reach_path import cidr_faces, external_path, interface_path
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.acl_passage import AclCrossing
from stockade.policy.decision import Blocker, PathKind, RuleRef
from stockade.policy.effective import EffectiveEntry, EffectivePolicy, effective_policy
from stockade.policy.match import address_matches
from stockade.policy.path import Route


@dataclass(frozen=True)
class Source:
    """What ``--from`` named: ``internet``, a CIDR, or an instance / interface id."""

    given: str
    kind: str  # internet | cidr | interface
    cidrs: dict[int, list[Interval]]  # family -> address set (internet / cidr)
    endpoint: str | None = None  # i-… / eni-… for an interface source
    network: str | None = None  # the CIDR given


def parse_source(snapshot: Snapshot, text: str) -> Source:
    if text == "internet":
        return Source(text, "internet", {4: internet_space(4), 6: internet_space(6)})
    if text.startswith(("i-", "eni-")):
        return Source(text, "interface", {}, endpoint=text)
    try:
        network = ipaddress.ip_network(text, strict=False)
    except ValueError:
        named = [
            i.instance_id
            for i in snapshot.instances
            if dict(i.tags).get("Name") == text and i.state.value != "terminated"
        ]
        if len(named) == 1:
            return Source(text, "interface", {}, endpoint=named[0])
        raise ValueError(
            f"{text!r} is not 'internet', a CIDR, an instance or interface id, "
            f"or a unique instance Name ({len(named)} match)"
        ) from None
    span = (int(network.network_address), int(network.broadcast_address))
    return Source(text, "cidr", {network.version: [span]}, network=str(network))


def parse_ports(items: Sequence[str]) -> list[Interval] | None:
    """``22``, ``tcp/80-443``, ``udp/53``, ``icmp``, ``icmpv6``, ``all``, ``proto/47``."""
    if not items:
        return None
    out: list[Interval] = []
    for raw in items:
        for item in filter(None, (p.strip().lower() for p in raw.split(","))):
            protocol, _, ports = item.rpartition("/") if "/" in item else ("tcp", "", item)
            if item in ("all", "-1"):
                out.append(ALL_SERVICES)
            elif item in ("icmp", "icmpv6"):
                out.append(service_interval(item, -1, -1))
            elif protocol == "proto" and ports.isdigit() and int(ports) <= 255:
                out.append(service_interval(ports, -1, -1))
            elif protocol in ("tcp", "udp"):
                first, _, last = ports.partition("-")
                if not first.isdigit() or not (last or first).isdigit():
                    raise ValueError(f"bad port {raw!r}")
                a, b = int(first), int(last or first)
                if not 0 <= a <= b <= 65535:
                    raise ValueError(f"bad port range {raw!r}")
                out.append(service_interval(protocol, a, b))
            else:
                raise ValueError(
                    f"bad port {raw!r}: use 22, tcp/80-443, udp/53, icmp, proto/47 or all"
                )
    return merge(out)


@dataclass(frozen=True)
class ReachRange:
    family: int
    service: ServiceRange
    interval: Interval
    ingress_rules: tuple[RuleRef, ...]
    egress_rules: tuple[RuleRef, ...]
    sources: tuple[str, ...]  # the inbound blocks (within the source set) that admit it

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.service.to_dict(),
            "address_family": f"IPv{self.family}",
            "sources": list(self.sources),
            "ingress_rules": [r.to_dict() for r in self.ingress_rules],
            "egress_rules": [r.to_dict() for r in self.egress_rules],
        }


@dataclass(frozen=True)
class ReachResult:
    source: str
    eni_id: str
    instance_id: str | None
    family: int
    path: str
    blockers: tuple[Blocker, ...]
    ranges: tuple[ReachRange, ...]
    #: what the network ACLs crossed took from the ranges (the entry, request or reply)
    acl_denials: tuple[Blocker, ...] = ()

    @property
    def reachable(self) -> bool:
        return not self.blockers and bool(self.ranges)

    @property
    def key(self) -> tuple[str, int]:
        return self.eni_id, self.family

    def intervals(self) -> list[Interval]:
        return merge(r.interval for r in self.ranges)

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "network_interface_id": self.eni_id,
            "instance_id": self.instance_id,
            "address_family": f"IPv{self.family}",
            "reachable": self.reachable,
            "path": self.path,
            "blockers": [b.to_dict() for b in self.blockers],
            "ranges": [r.to_dict() for r in self.ranges],
            "network_acl_denials": [b.to_dict() for b in self.acl_denials],
        }


def destinations(snapshot: Snapshot, given: str | None, source: Source) -> list[NetworkInterface]:
    """The interfaces to examine: the named instance's (or interface), else every one."""
    if given is None:
        mine = _source_interfaces(snapshot, source)
        return [
            e for e in sorted(snapshot.interfaces, key=lambda e: e.eni_id) if e.eni_id not in mine
        ]
    if given.startswith("eni-"):
        eni = snapshot.interface_by_id.get(given)
        if eni is None:
            raise ValueError(f"no interface {given} in this snapshot")
        return [eni]
    target = parse_source(snapshot, given)
    instance_id = target.endpoint or ""
    if instance_id not in snapshot.instance_by_id:
        raise ValueError(f"no instance {given} in this snapshot")
    found = list(snapshot.interfaces_of(instance_id))
    if not found:
        raise ValueError(f"instance {given} has no network interface")
    return found


def _source_interfaces(snapshot: Snapshot, source: Source) -> set[str]:
    if source.endpoint is None:
        return set()
    if source.endpoint.startswith("eni-"):
        return {source.endpoint}
    return {e.eni_id for e in snapshot.interfaces_of(source.endpoint)}


def reach(
    snapshot: Snapshot,
    source: Source,
    destination: str | None = None,
    ports: list[Interval] | None = None,
) -> list[ReachResult]:
    """Every (destination interface, family) with what the source can reach on it."""
    names = {g.group_id: g.name for g in snapshot.groups}
    out = []
    for eni in destinations(snapshot, destination, source):
        for family in (4, 6):
            result = _one(snapshot, source, eni, family, ports, names)
            # Without --to, list only what can be reached (at least by the rules).
            if result is not None and (destination is not None or result.ranges):
                out.append(result)
    return sorted(out, key=lambda r: (not r.reachable, r.eni_id, r.family))


def _one(
    snapshot: Snapshot,
    source: Source,
    eni: NetworkInterface,
    family: int,
    ports: list[Interval] | None,
    names: dict[str, str],
) -> ReachResult | None:
    policy = effective_policy(snapshot, eni.eni_id)
    assert policy is not None
    if family == 6 and not eni.ipv6_addresses:
        return None  # nothing can reach an interface over a family it has no address of
    egress: list[EffectiveEntry] | None = None
    ingress: Sequence[EffectiveEntry | None]  # None: everything is allowed in
    crossings: list[AclCrossing]
    if source.kind == "interface":
        path = interface_path(snapshot, source.endpoint or "", eni, family)
        if path.kind is PathKind.HOST_LOCAL:
            ingress = [None]  # no group applies on the host itself
        else:
            ingress = _containing(policy.ingress, family, path.ingress_remote)
            src = path.source_eni
            src_policy = effective_policy(snapshot, src.eni_id) if src else None
            egress = (
                _containing(src_policy.egress, family, path.egress_remote) if src_policy else []
            )
        blockers = path.blockers
        kind = str(path.kind)
        crossings = interface_crossings(snapshot, path.acl)
    else:
        space = source.cidrs.get(family)
        if space is None:
            return None
        blockers, kind = external_path(snapshot, source.kind, source.cidrs, eni, family)
        over_internet = kind == str(PathKind.INTERNET)
        if source.kind == "cidr" and over_internet:
            faces = cidr_faces(snapshot, source.cidrs, eni, family)
            if faces:
                return _host_by_host(snapshot, source, eni, family, ports, names, faces, policy)
        ingress = [
            e for e in policy.ingress if e.family == family and intersect([e.bounds[1:]], space)
        ]
        crossings = external_crossings(
            snapshot, space, eni, family, source.kind == "cidr", over_internet
        )
    allowed = _union(ingress)
    if egress is not None:
        allowed = intersect(allowed, _union(egress))
    if ports is not None:
        allowed = intersect(allowed, ports)
    allowed, acl_denials = narrow(crossings, family, allowed)
    ranges = [
        _range(family, piece, span, ingress, egress or [], names)
        for span, piece in service_pieces(allowed)
    ]
    return ReachResult(
        source.given,
        eni.eni_id,
        eni.instance_id,
        family,
        kind,
        tuple(blockers),
        tuple(ranges),
        acl_denials,
    )


def _host_by_host(
    snapshot: Snapshot,
    source: Source,
    eni: NetworkInterface,
    family: int,
    ports: list[Interval] | None,
    names: dict[str, str],
    faces: Sequence[Route],
    policy: EffectivePolicy,
) -> ReachResult:
    """A CIDR of another VPC, host by host (``reach_path.cidr_faces``): what some host gets
    through, each judged on what the destination sees of it (over the internet its public
    IP or its NAT gateway's, over IPv6 or a peering its own address) and by the ACLs its
    own path crosses. The CIDR's groups are not asked, as for every CIDR source. Where no
    host has a path, the rule-level ranges of all of them, with one blocker of each kind
    met (``policy``: the destination's, as :func:`_one` read it). The path is the judged
    hosts' (``internet`` or ``peering``; both, joined by ``+``, when they differ)."""
    open_ = [f for f in faces if not f.blockers]
    judged = open_ or list(faces)
    allowed: list[Interval] = []
    ingress: dict[EffectiveEntry, None] = {}
    denials: dict[str, Blocker] = {}
    for path in judged:
        entries = _containing(policy.ingress, family, path.ingress_remote)
        ingress.update(dict.fromkeys(entries))
        through = _union(entries) if ports is None else intersect(_union(entries), ports)
        through, refused = narrow(interface_crossings(snapshot, path.acl), family, through)
        allowed.extend(through)
        denials.update((b.message, b) for b in refused)
    blockers: dict[tuple[str, str], Blocker] = {}
    for path in [] if open_ else faces:
        for b in path.blockers:
            blockers.setdefault((b.code, b.component_type), b)
    ranges = [
        _range(family, piece, span, list(ingress), [], names)
        for span, piece in service_pieces(allowed)
    ]
    return ReachResult(
        source.given,
        eni.eni_id,
        eni.instance_id,
        family,
        "+".join(sorted({str(path.kind) for path in judged})),
        tuple(blockers.values()),
        tuple(ranges),
        tuple(denials.values()),
    )


def _containing(
    entries: Sequence[EffectiveEntry], family: int, address: int | None
) -> list[EffectiveEntry]:
    if address is None:
        return []
    return [e for e in entries if address_matches(e, family, address)]


def _union(entries: Sequence[EffectiveEntry | None]) -> list[Interval]:
    return merge(
        ALL_SERVICES if e is None else service_interval(e.protocol, e.from_port, e.to_port)
        for e in entries
    )


def _range(
    family: int,
    piece: ServiceRange,
    span: Interval,
    ingress: Sequence[EffectiveEntry | None],
    egress: Sequence[EffectiveEntry],
    names: dict[str, str],
) -> ReachRange:
    def refs(entries: Sequence[EffectiveEntry | None]) -> tuple[RuleRef, ...]:
        out: dict[tuple[str, str], RuleRef] = {}
        for e in entries:
            if e is not None and intersect(
                [service_interval(e.protocol, e.from_port, e.to_port)], [span]
            ):
                out.setdefault((e.rule_id, e.cidr), RuleRef.of(e, names.get(e.group_id)))
        return tuple(out.values())

    inbound = refs(ingress)
    return ReachRange(
        family, piece, span, inbound, refs(egress), tuple(sorted({r.matched for r in inbound}))
    )
