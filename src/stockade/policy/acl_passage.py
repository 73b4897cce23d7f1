"""Which services get through a subnet's network ACL both ways, as sets: for the analyzer.

``decide`` asks about one flow; exposure, the audit and ``reach`` ask "which ports can the
internet (or this CIDR, or that instance) use here?". A connection through a subnet
boundary is admitted for a service only when, for *some* remote address the question
allows, the request crosses the ACL (ingress when it enters the subnet, egress when it
leaves) **and** its reply crosses back the other way — stateless, with its own entries,
addressed to the client's ephemeral ports (:data:`~stockade.policy.flow.EPHEMERAL_PORTS`,
the whole range, as ``decide`` requires; past a NAT gateway the gateway's ports), an ICMP
echo's reply being an echo reply and other ICMP types needing no reply. The same remote
address must pass both ways: an ACL admitting requests from one half of the internet and
replies to the other admits nothing.

Answers are in the policy engine's packed service coordinate (``protocol << 16 |
port``; see :mod:`stockade.policy.tables`), with every refused piece explained by the
entries that deny it (Reachability Analyzer's ``AclRule``), request or reply.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from stockade.domain.interface import NetworkInterface
from stockade.domain.interval_sets import Interval, internet_space, intersect, merge
from stockade.domain.network_acl import (
    ICMP,
    ICMP_REPLY,
    ICMPV6,
    TCP,
    UDP,
    NetworkAcl,
    NetworkAclEntry,
)
from stockade.domain.network_acl_space import (
    AclCell,
    acl_slabs,
    addresses_admitted,
    named_protocols,
)
from stockade.domain.state import Snapshot
from stockade.policy.decision import AclEntryRef, PacketLeg
from stockade.policy.flow import EPHEMERAL_PORTS
from stockade.policy.tables import SERVICE_SPACE

ALL_SERVICES: Interval = (0, SERVICE_SPACE - 1)
_PORTED = (int(TCP), int(UDP))
#: per ICMP protocol, each request type that gets a reply → the reply's type (the domain's
#: ``ICMP_REPLY``, which ``decide`` uses too); other types get no reply, so cross once
_REPLIES: dict[int, dict[int, int]] = {int(ICMP): {}, int(ICMPV6): {}}
for (_protocol_number, _request), _reply in ICMP_REPLY.items():
    _REPLIES[_protocol_number][_request] = _reply
_KNOWN = (*_PORTED, *_REPLIES)


def entry_ref(
    acl: NetworkAcl, entry: NetworkAclEntry | None, egress: bool, family: int
) -> AclEntryRef:
    """An entry as cited in findings; no entry (a hand-built ACL without its ``*``) is the
    implied deny of everything."""
    if entry is None:
        return AclEntryRef(
            acl.network_acl_id, None, egress, "deny", "-1", "0.0.0.0/0" if family == 4 else "::/0"
        )
    return AclEntryRef(
        acl.network_acl_id,
        entry.rule_number,
        entry.egress,
        entry.action.value,
        entry.protocol,
        entry.cidr,
        entry.port_range,
        entry.icmp_type,
        entry.icmp_code,
    )


@dataclass(frozen=True)
class AclCrossing:
    """One subnet boundary a connection crosses: its request leaves the subnet here
    (``request_egress``, the source's side) or enters it (the destination's side); its
    reply crosses the other way. ``remotes`` are the addresses the request's entries are
    matched on (its destination when leaving, its source when entering) — the reply's are
    the same address, the other way round."""

    acl: NetworkAcl
    subnet_id: str
    request_egress: bool
    remotes: tuple[Interval, ...]
    #: a TCP/UDP reply's destination ports here, all of which it must be allowed: the
    #: client's ephemeral range, or past a NAT gateway the gateway's (``acl_plan.Ports``)
    reply_ports: Interval = EPHEMERAL_PORTS


@dataclass(frozen=True)
class AclDenial:
    """Services a crossing refuses: the packet (request or reply) and the entries that
    deny it (for the remotes asked about)."""

    services: Interval
    leg: PacketLeg
    subnet_id: str
    entries: tuple[AclEntryRef, ...]

    def text(self) -> str:
        """``denied by acl-… inbound #90 deny tcp/22 from 0.0.0.0/0`` (``its reply
        denied by …`` for a reply)."""
        who = "its reply denied" if self.leg is PacketLeg.REPLY else "denied"
        return (
            f"{who} by "
            + "; ".join(e.describe() for e in self.entries[:3])
            + (f" and {len(self.entries) - 3} more" if len(self.entries) > 3 else "")
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "leg": str(self.leg),
            "subnet_id": self.subnet_id,
            "entries": [e.to_dict() for e in self.entries],
            "text": self.text(),
        }


@dataclass(frozen=True)
class AclPassage:
    """What a connection's ACL crossings admit (packed services) and why the rest is not."""

    admitted: tuple[Interval, ...]
    denials: tuple[AclDenial, ...] = ()

    def denials_of(self, services: Iterable[Interval]) -> list[AclDenial]:
        """The denials meeting ``services`` (the reasons a piece of them is refused)."""
        wanted = list(services)
        return [d for d in self.denials if intersect([d.services], wanted)]

    def acl_ids(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(e.network_acl_id for d in self.denials for e in d.entries))


#: no ACL crossed (the same subnet, or a host without one): everything gets through
OPEN = AclPassage((ALL_SERVICES,))


def internet_passage(snapshot: Snapshot, eni: NetworkInterface, family: int) -> AclPassage:
    """What the interface's subnet ACL lets the internet use: requests in from some
    internet address, replies back out to it (the only boundary such a connection crosses)."""
    acl = snapshot.network_acl_by_subnet.get(eni.subnet_id)
    if acl is None:
        return OPEN
    remotes = tuple(internet_space(family))
    return passage([AclCrossing(acl, eni.subnet_id, False, remotes)], family)


def passage(crossings: Sequence[AclCrossing], family: int) -> AclPassage:
    """Every crossing must admit a service for the connection to have it."""
    admitted = [ALL_SERVICES]
    denials: list[AclDenial] = []
    for crossing in crossings:
        one = crossing_passage(crossing, family)
        admitted = intersect(admitted, list(one.admitted))
        denials += one.denials
    return AclPassage(tuple(admitted), tuple(denials))


def protocol_classes(acl: NetworkAcl, family: int) -> list[tuple[int, tuple[int, ...]]]:
    """Protocols that every entry treats alike, each with one of them to evaluate: every
    protocol an entry names (and TCP, UDP, ICMP, ICMPv6) alone, and all the others
    together (only ``-1`` entries match them, over their whole axis)."""
    named = set(named_protocols(acl, family)) | set(_KNOWN)
    out: list[tuple[int, tuple[int, ...]]] = [(p, (p,)) for p in sorted(named)]
    others = tuple(p for p in range(256) if p not in named)
    if others:
        out.append((others[0], others))
    return out


def packed(protocols: Sequence[int], services: Interval) -> list[Interval]:
    """Services of one protocol's axis, for each protocol of a class, as packed intervals
    (consecutive protocols whose whole axis is meant join into one)."""
    lo, hi = services
    return [(a << 16 | lo, b << 16 | hi) for a, b in merge((p, p) for p in protocols)]


@lru_cache(maxsize=4096)
def crossing_passage(crossing: AclCrossing, family: int) -> AclPassage:
    """What one crossing admits, protocol class by protocol class."""
    admitted: list[Interval] = []
    denials: list[AclDenial] = []
    for protocol, members in protocol_classes(crossing.acl, family):
        ok, refused = _protocol(crossing, family, protocol)
        admitted += [iv for services in ok for iv in packed(members, services)]
        denials += [
            AclDenial(iv, d.leg, d.subnet_id, d.entries)
            for d in refused
            for iv in packed(members, d.services)
        ]
    return AclPassage(tuple(merge(admitted)), tuple(denials))


def _protocol(
    crossing: AclCrossing, family: int, protocol: int
) -> tuple[list[Interval], list[AclDenial]]:
    """Services of one protocol (its own axis) the crossing admits, and the denials."""
    acl, remotes = crossing.acl, list(crossing.remotes)
    # each request type with a reply in slabs of its own, so a slab has one reply (or none)
    cuts = tuple(c for t in _REPLIES.get(protocol, {}) for c in (t << 8, (t + 1) << 8))
    admitted: list[Interval] = []
    denials: list[AclDenial] = []
    request_egress, reply_egress = crossing.request_egress, not crossing.request_egress
    for slab in acl_slabs(acl, request_egress, family, protocol, cuts):
        through = intersect(slab.allowed_addresses(), remotes)
        if not through:
            cells = slab.deciding(remotes, allowed=False)
            denials.append(_denial(crossing, slab.services, PacketLeg.REQUEST, cells, family))
            continue
        reply = _reply_services(protocol, slab.services, crossing.reply_ports)
        if reply is not None:
            back = intersect(
                through, addresses_admitted(acl, reply_egress, family, protocol, reply)
            )
            if not back:
                cells = [
                    c
                    for s in acl_slabs(acl, reply_egress, family, protocol)
                    if s.services[0] <= reply[1] and reply[0] <= s.services[1]
                    for c in s.deciding(through, allowed=False)
                ]
                denials.append(_denial(crossing, slab.services, PacketLeg.REPLY, cells, family))
                continue
        admitted.append(slab.services)
    return merge(admitted), denials


def _reply_services(protocol: int, request: Interval, ports: Interval) -> Interval | None:
    """The reply's services on its protocol's axis (``ports`` for TCP/UDP); ``None``: no
    reply crosses."""
    if protocol in _PORTED:
        return ports
    replies = _REPLIES.get(protocol)
    if replies is not None:
        reply = replies.get(request[0] >> 8)
        return None if reply is None else (reply << 8,) * 2  # the reply's type, code 0
    return (0, 0)


def _denial(
    crossing: AclCrossing, services: Interval, leg: PacketLeg, cells: list[AclCell], family: int
) -> AclDenial:
    egress = crossing.request_egress if leg is PacketLeg.REQUEST else not crossing.request_egress
    refs = dict.fromkeys(entry_ref(crossing.acl, c.entry, egress, family) for c in cells)
    return AclDenial(services, leg, crossing.subnet_id, tuple(refs))
