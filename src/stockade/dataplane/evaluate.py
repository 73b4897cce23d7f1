"""A tiny packet evaluator over a compiled :class:`Ruleset`, for tests without root.

It walks the same structure the renderer turns into nft text — anti-spoofing, the egress
base chain dispatching on the input port, the ingress base chain on the output port, group
chains, lookups, member sets — for the first packet of a new connection, as the forward
path of the VPC router sees it (after the gateway's destination NAT). Comparing it with
:func:`stockade.policy.decide` on random worlds checks the compiler (decomposition,
dispatch, the AND of both sides) without a kernel; the data-plane tests then check the
kernel agrees with both.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stockade.dataplane.names import IGW_LINK
from stockade.dataplane.ruleset import Element, Kind, Lookup, Ruleset
from stockade.policy import Direction


@dataclass(frozen=True)
class Packet:
    """The first packet of a connection in the router's forward path."""

    iif: str
    oif: str
    src: str
    dst: str
    proto: int
    service: int = 0  # destination port, or ICMP type << 8 | code

    @property
    def family(self) -> int:
        return ipaddress.ip_address(self.src).version


@dataclass(frozen=True)
class Outcome:
    accepted: bool
    stage: str  # spoof | egress | ingress | accepted
    rule_ids: tuple[str, ...] = ()  # the rule credited on each side that accepted


def evaluate(ruleset: Ruleset, packet: Packet) -> Outcome:
    ports = ruleset.ports
    if packet.iif in ports:
        port = ports[packet.iif]
        own = port.ipv4 if packet.family == 4 else port.ipv6
        if ipaddress.ip_address(packet.src) not in {ipaddress.ip_address(a) for a in own}:
            return Outcome(False, "spoof")
    credited: list[str] = []
    for direction, ifname, remote in (
        (Direction.EGRESS, packet.iif, packet.dst),
        (Direction.INGRESS, packet.oif, packet.src),
    ):
        if ifname in ports:
            rule_id = _port_verdict(ruleset, ifname, direction, packet, remote)
            if rule_id is None:
                return Outcome(False, direction.value, tuple(credited))
            credited.append(rule_id)
        elif ifname != IGW_LINK:
            return Outcome(False, direction.value, tuple(credited))
    return Outcome(True, "accepted", tuple(credited))


def _port_verdict(
    ruleset: Ruleset, ifname: str, direction: Direction, packet: Packet, remote: str
) -> str | None:
    """The rule that accepts the packet on this side, or ``None`` (rejected)."""
    port = ruleset.ports[ifname]
    address = ipaddress.ip_address(remote)
    for name in ruleset.port_chain_targets(port, direction):
        for lookup in ruleset.groups[name].lookups:
            hit = _lookup(ruleset, lookup, packet, address)
            if hit is not None:
                return hit.rule_id
    return None


def _lookup(ruleset: Ruleset, lookup: Lookup, packet: Packet, address) -> Element | None:
    if lookup.family != address.version:
        return None
    if lookup.members is not None:
        member_set = ruleset.members.get(lookup.members)
        if member_set is None or str(address) not in member_set.addresses:
            return None
        if lookup.kind is Kind.ALL:
            return lookup.elements[0]
    if lookup.kind is Kind.PORT and packet.proto not in (6, 17):
        return None
    if lookup.kind is Kind.ICMP and packet.proto not in (1, 58):
        return None
    value = int(address)
    for element in lookup.elements:
        if lookup.members is None and not element.a_lo <= value <= element.a_hi:
            continue
        if lookup.kind is Kind.ALL:
            return element
        if element.proto != packet.proto:
            continue
        if lookup.kind is Kind.PROTO or element.s_lo <= packet.service <= element.s_hi:
            return element
    return None
