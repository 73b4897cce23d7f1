"""What ``decide`` answers: a verdict, the rules behind it, or everything that blocks it.

The shapes follow VPC Reachability Analyzer where it has one (explanation codes, a
``securityGroupRule`` per path component with direction, protocol, port range and peer),
so the CLI's ``--json`` and the web console can show AWS-like output. Everything is
frozen and :meth:`to_dict` gives plain JSON-serialisable data.

The prose explanation is a view of these data (:func:`stockade.policy.explain.explain`,
added under ``"explanation"`` by the callers that show it): ``explain`` imports this
module, never the other way round, so the two are not an import cycle.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from stockade.domain.permissions import IpPermission
from stockade.policy.effective import Direction, EffectiveEntry
from stockade.policy.flow import ICMP, PORTED, Flow
from stockade.policy.reasons import Reason
from stockade.policy.route_change import RouteChange
from stockade.policy.topology import EndType, PathKind

__all__ = [
    "AclEntryRef",
    "AclStep",
    "Blocker",
    "PacketLeg",
    "SuggestedAclEntry",
    "RouteStep",
    "Decision",
    "PathEnd",
    "PathKind",
    "RuleRef",
    "SideEvaluation",
    "SuggestedRule",
    "Verdict",
    "service_text",
]


class Verdict(StrEnum):
    ALLOWED = "allowed"
    DENIED = "denied"


def service_text(protocol: str, from_port: int, to_port: int) -> str:
    """``tcp/22``, ``tcp/8000-8080``, ``icmp type 8 code 0``, ``all traffic``, ``protocol 47``."""
    if protocol in PORTED:
        if from_port == to_port:
            return f"{protocol}/{from_port}"
        return f"{protocol}/{from_port}-{to_port}"
    if protocol in ICMP:
        if from_port == -1:
            return f"{protocol} (all types)"
        return f"{protocol} type {from_port}" + ("" if to_port == -1 else f" code {to_port}")
    if protocol == "-1":
        return "all traffic"
    return f"protocol {protocol}"


@dataclass(frozen=True)
class RuleRef:
    """A security group rule cited as a reason (an ``AnalysisSecurityGroupRule``)."""

    rule_id: str
    group_id: str
    group_name: str | None
    direction: Direction
    protocol: str
    from_port: int
    to_port: int
    peer: str  # the peer as written: CIDR, prefix-list id or group id
    peer_kind: str
    matched: str  # the resolved block that matched (a member's /32, a list entry…)

    @classmethod
    def of(cls, entry: EffectiveEntry, group_name: str | None) -> RuleRef:
        return cls(
            entry.rule_id,
            entry.group_id,
            group_name,
            entry.direction,
            entry.protocol,
            entry.from_port,
            entry.to_port,
            entry.peer.value,
            str(entry.peer.kind),
            entry.cidr,
        )

    def describe(self) -> str:
        """``inbound tcp/22 from 203.0.113.10/32 (sgr-…, sg-… web)``."""
        preposition = "from" if self.direction is Direction.INGRESS else "to"
        via = "" if self.matched == self.peer else f" [{self.matched}]"
        name = f" {self.group_name}" if self.group_name else ""
        return (
            f"{self.direction.word} {service_text(self.protocol, self.from_port, self.to_port)} "
            f"{preposition} {self.peer}{via} ({self.rule_id}, {self.group_id}{name})"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "security_group_rule_id": self.rule_id,
            "security_group_id": self.group_id,
            "security_group_name": self.group_name,
            "direction": str(self.direction),
            "protocol": self.protocol,
            "port_range": {"from": self.from_port, "to": self.to_port},
            "peer": self.peer,
            "peer_kind": self.peer_kind,
            "matched": self.matched,
            "text": self.describe(),
        }


@dataclass(frozen=True)
class SuggestedRule:
    """The smallest rule that would let the flow through one blocking side."""

    direction: Direction
    group_id: str | None
    group_name: str | None
    protocol: str
    from_port: int
    to_port: int
    cidr: str

    def text(self) -> str:
        """``add inbound tcp/22 from 203.0.113.10/32 to sg-… (web)``."""
        service = service_text(self.protocol, self.from_port, self.to_port)
        if self.group_id is None:
            where = "to a security group of the interface (it has none)"
        else:
            name = f" ({self.group_name})" if self.group_name else ""
            word = "to" if self.direction is Direction.INGRESS else "in"
            where = f"{word} {self.group_id}{name}"
        if self.direction is Direction.INGRESS:
            return f"add inbound {service} from {self.cidr} {where}"
        return f"add outbound {service} to {self.cidr} {where}"

    @property
    def _has_ports(self) -> bool:
        return self.protocol in PORTED or self.protocol in ICMP

    def ip_permission(self) -> dict[str, Any]:
        """The rule as an EC2 ``IpPermissions`` element (for Authorize… calls)."""
        key, cidr_key = ("Ipv6Ranges", "CidrIpv6") if ":" in self.cidr else ("IpRanges", "CidrIp")
        out: dict[str, Any] = {"IpProtocol": self.protocol, key: [{cidr_key: self.cidr}]}
        if self._has_ports:
            out["FromPort"], out["ToPort"] = self.from_port, self.to_port
        return out

    def as_permission(self, description: str | None = None) -> IpPermission:
        """The rule as the services' ``IpPermission`` (to authorize it directly)."""
        cidr = ((self.cidr, description),)
        return IpPermission(
            self.protocol,
            self.from_port if self._has_ports else None,
            self.to_port if self._has_ports else None,
            ip_ranges=() if ":" in self.cidr else cidr,
            ipv6_ranges=cidr if ":" in self.cidr else (),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": str(self.direction),
            "security_group_id": self.group_id,
            "security_group_name": self.group_name,
            "protocol": self.protocol,
            "port_range": {"from": self.from_port, "to": self.to_port},
            "cidr": self.cidr,
            "ip_permission": self.ip_permission(),
            "text": self.text(),
        }


class PacketLeg(StrEnum):
    """Which packet crosses a boundary: the connection's first packet, or its reply."""

    REQUEST = "request"
    REPLY = "reply"


@dataclass(frozen=True)
class AclEntryRef:
    """A network ACL entry cited as a reason (Reachability Analyzer's ``AnalysisAclRule``).

    ``rule_number`` 32767/32768 is the ``*`` deny; ``None`` only for a hand-built ACL
    without one (nothing matched, so the packet is denied all the same).
    """

    network_acl_id: str
    rule_number: int | None
    egress: bool
    action: str  # allow | deny
    protocol: str  # a protocol number as a string, "-1" for all
    cidr: str
    port_range: tuple[int, int] | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def describe(self) -> str:
        """``acl-… inbound #100 allow all traffic from 0.0.0.0/0``."""
        number = "*" if self.rule_number is None or self.rule_number > 32766 else self.rule_number
        word, preposition = ("outbound", "to") if self.egress else ("inbound", "from")
        return (
            f"{self.network_acl_id} {word} #{number} {self.action} {self._service()} "
            f"{preposition} {self.cidr}"
        )

    def _service(self) -> str:
        name = {"6": "tcp", "17": "udp", "1": "icmp", "58": "icmpv6", "-1": "all"}.get(
            self.protocol, self.protocol
        )
        if self.port_range is not None:
            low, high = self.port_range
            return f"{name}/{low}" if low == high else f"{name}/{low}-{high}"
        if self.icmp_type is not None and self.icmp_type != -1:
            return f"{name} type {self.icmp_type}"
        return "all traffic" if name == "all" else name

    def to_dict(self) -> dict[str, Any]:
        return {
            "network_acl_id": self.network_acl_id,
            "rule_number": self.rule_number,
            "egress": self.egress,
            "rule_action": self.action,
            "protocol": self.protocol,
            "cidr": self.cidr,
            "port_range": None
            if self.port_range is None
            else {"from": self.port_range[0], "to": self.port_range[1]},
            "icmp_type": self.icmp_type,
            "icmp_code": self.icmp_code,
            "text": self.describe(),
        }


@dataclass(frozen=True)
class AclStep:
    """One crossing of a subnet boundary by the request or its reply, and its ACL's verdict.

    A packet leaving a subnet is matched on its destination (``egress``), one entering on
    its source; ``remote`` is that address. ``ports`` are the destination ports tested:
    the request's port, or for the reply the client's source ports (a range when the flow
    names none — then ``allowed`` means the whole range is, and ``entry`` is the entry that
    denies part of it). ICMP and portless protocols have ``ports`` ``None``.
    """

    leg: PacketLeg
    network_acl_id: str
    subnet_id: str
    egress: bool
    remote: str
    protocol: str  # the packet's protocol number ("1" for an ICMP echo reply…)
    ports: tuple[int, int] | None
    allowed: bool
    entry: AclEntryRef | None

    def text(self) -> str:
        word = "out of" if self.egress else "into"
        verdict = "allowed" if self.allowed else "DENIED"
        by = f" by {self.entry.describe()}" if self.entry else ""
        return f"{self.leg} {word} {self.subnet_id}: {verdict}{by}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "leg": str(self.leg),
            "network_acl_id": self.network_acl_id,
            "subnet_id": self.subnet_id,
            "egress": self.egress,
            "remote_address": self.remote,
            "protocol": self.protocol,
            "ports": None if self.ports is None else {"from": self.ports[0], "to": self.ports[1]},
            "allowed": self.allowed,
            "entry": None if self.entry is None else self.entry.to_dict(),
        }


@dataclass(frozen=True)
class SuggestedAclEntry:
    """The smallest ACL entry that would let the packet through one blocking crossing: an
    allow for exactly that packet's service and remote address, numbered to sit before the
    entry that denies it (a free number; the ``*`` deny is never changed)."""

    network_acl_id: str
    egress: bool
    rule_number: int
    protocol: str  # number string
    cidr: str
    port_range: tuple[int, int] | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    def command(self) -> str:
        """The ``stockade nacl add-entry …`` command that adds it (the CLI's own options)."""
        parts = [
            f"stockade nacl add-entry {self.network_acl_id} {self.rule_number}",
            f"--cidr {self.cidr}",
            "--egress" if self.egress else "--ingress",
            "--action allow",
            f"--protocol {self.protocol}",
        ]
        if self.port_range is not None:
            low, high = self.port_range
            parts.append(f"--ports {low}" if low == high else f"--ports {low}-{high}")
        if self.icmp_type is not None:
            code = "" if self.icmp_code in (None, -1) else f":{self.icmp_code}"
            parts.append(f"--icmp {self.icmp_type}{code}")
        return " ".join(parts)

    def as_entry(self) -> AclEntryRef:
        """The entry as it would stand in the ACL once added."""
        return AclEntryRef(
            self.network_acl_id,
            self.rule_number,
            self.egress,
            "allow",
            self.protocol,
            self.cidr,
            self.port_range,
            self.icmp_type,
            self.icmp_code,
        )

    def text(self) -> str:
        return f"add {self.as_entry().describe()} ({self.command()})"

    def to_dict(self) -> dict[str, Any]:
        return self.as_entry().to_dict() | {"command": self.command(), "text": self.text()}


@dataclass(frozen=True)
class Blocker:
    """One component that blocks the flow, with its explanation code and the fix."""

    code: str
    reason: Reason
    component_id: str | None
    component_type: str  # instance | network-interface | vpc | internet-gateway | …
    message: str
    direction: Direction | None = None
    suggestion: SuggestedRule | None = None
    remedy: str | None = None
    #: for a network ACL blocker: the crossing that denied, and the entry that would admit it
    acl: AclStep | None = None
    acl_suggestion: SuggestedAclEntry | None = None
    #: for a route blocker whose fix is one complete route-table change (``remedy`` is its
    #: text): what the console can apply
    route_change: RouteChange | None = None

    @property
    def fix(self) -> str | None:
        """The smallest change that removes this blocker, as one line."""
        if self.suggestion is not None:
            return self.suggestion.text()
        if self.acl_suggestion is not None:
            return self.acl_suggestion.text()
        return self.remedy

    def to_dict(self) -> dict[str, Any]:
        return {
            "explanation_code": self.code,
            "reason": self.reason.name,
            "component": {"id": self.component_id, "type": self.component_type},
            "direction": None if self.direction is None else str(self.direction),
            "message": self.message,
            "suggested_rule": None if self.suggestion is None else self.suggestion.to_dict(),
            "acl": None if self.acl is None else self.acl.to_dict(),
            "suggested_acl_entry": None
            if self.acl_suggestion is None
            else self.acl_suggestion.to_dict(),
            "remedy": self.fix,
        }


@dataclass(frozen=True)
class RouteStep:
    """One route table consulted on the path (Reachability Analyzer's ``RouteTableRoute``).

    ``leg`` says which packet: ``forward`` (leaving the source subnet), ``nat`` (leaving
    the NAT gateway's subnet) or ``return`` (the reply leaving the destination subnet).
    ``destination``/``target`` are ``None`` when no route matched; ``table_id`` is ``""``
    for a VPC's implied main table.
    """

    leg: str
    table_id: str
    vpc_id: str
    subnet_id: str
    destination: str | None
    target: str | None
    state: str | None  # active | blackhole; None when no route matched

    def text(self) -> str:
        table = self.table_id or f"main table of {self.vpc_id}"
        if self.destination is None:
            return f"{self.leg}: {table} ({self.subnet_id}): no route"
        return (
            f"{self.leg}: {table} ({self.subnet_id}): {self.destination} → {self.target} "
            f"[{self.state}]"
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "leg": self.leg,
            "route_table_id": self.table_id or None,
            "vpc_id": self.vpc_id,
            "subnet_id": self.subnet_id,
            "destination": self.destination,
            "target": self.target,
            "state": self.state,
        }


@dataclass(frozen=True)
class PathEnd:
    """One end of the flow as resolved: what was asked, and what it turned out to be."""

    given: str
    kind: EndType
    instance_id: str | None = None
    eni_id: str | None = None
    vpc_id: str | None = None
    address: str | None = None  # its address on the wire (the destination's as addressed)

    def to_dict(self) -> dict[str, Any]:
        return {
            "given": self.given,
            "kind": str(self.kind),
            "instance_id": self.instance_id,
            "network_interface_id": self.eni_id,
            "vpc_id": self.vpc_id,
            "address": self.address,
        }


@dataclass(frozen=True)
class SideEvaluation:
    """One interface's groups evaluated against the flow in one direction."""

    direction: Direction
    eni_id: str
    group_ids: tuple[str, ...]
    remote: str  # the address its rules were matched against
    allowed: bool
    rules: tuple[RuleRef, ...]  # every rule that allows it (one per rule id)
    #: index, in the interface's effective entries for this direction, of the first match
    first_entry: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "direction": str(self.direction),
            "network_interface_id": self.eni_id,
            "security_group_ids": list(self.group_ids),
            "remote_address": self.remote,
            "allowed": self.allowed,
            "rules": [r.to_dict() for r in self.rules],
        }


@dataclass(frozen=True)
class Decision:
    """The verdict on one flow, and why."""

    flow: Flow
    verdict: Verdict
    path: PathKind
    source: PathEnd
    destination: PathEnd
    egress: SideEvaluation | None  # the source interface's outbound check (None: external)
    ingress: SideEvaluation | None  # the destination interface's inbound check
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()
    routes: tuple[RouteStep, ...] = ()  # the route tables consulted, in path order
    #: the network ACL crossings, in packet order: the request's, then the reply's
    acls: tuple[AclStep, ...] = ()

    @property
    def allowed(self) -> bool:
        return self.verdict is Verdict.ALLOWED

    @property
    def reasons(self) -> Reason:
        """All blocking reasons as one flag set (``Reason.NONE`` when allowed)."""
        out = Reason.NONE
        for blocker in self.blockers:
            out |= blocker.reason
        return out

    @property
    def allowing_rules(self) -> tuple[RuleRef, ...]:
        """The rules that allowed the flow, outbound side first."""
        sides = (self.egress, self.ingress)
        return tuple(r for side in sides if side is not None for r in side.rules)

    def to_dict(self) -> dict[str, Any]:
        return {
            "verdict": str(self.verdict),
            "flow": self.flow.to_dict(),
            "path": str(self.path),
            "source": self.source.to_dict(),
            "destination": self.destination.to_dict(),
            "egress": None if self.egress is None else self.egress.to_dict(),
            "ingress": None if self.ingress is None else self.ingress.to_dict(),
            "allowed_by": [r.to_dict() for r in self.allowing_rules] if self.allowed else [],
            "blockers": [b.to_dict() for b in self.blockers],
            "routes": [r.to_dict() for r in self.routes],
            "network_acls": [a.to_dict() for a in self.acls],
            "notes": list(self.notes),
        }
