"""Network ACLs: AWS's stateless firewall at the subnet boundary.

A network ACL is one aggregate: its numbered entries (per direction) and its subnet
associations travel with it. Every subnet has exactly one ACL — its VPC's default one
unless moved with ReplaceNetworkAclAssociation. Entries are evaluated in ascending rule
number and the first match decides, allow *or* deny; the ``*`` entries (32767 for IPv4,
32768 for IPv6) deny what nothing else matched and can never be changed.

:func:`first_match` is the one evaluation the policy engine and the data plane share:
a packet crossing the boundary is tested against the ACL's entries of its direction and
address family — ingress entries on its source, egress entries on its destination.
Being stateless, a reply is a packet like any other and needs its own entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import cached_property
from ipaddress import IPv4Address, IPv6Address

from stockade.domain import errors
from stockade.domain.addresses import Network, parse_cidr, stored_address, stored_network
from stockade.domain.quotas import Quotas
from stockade.domain.tags import Tags

#: The highest number a client may give an entry; above are AWS's reserved numbers.
MAX_RULE_NUMBER = 32766
#: The ``*`` entries: deny whatever no numbered entry matched (IPv4, IPv6).
DEFAULT_DENY_V4 = 32767
DEFAULT_DENY_V6 = 32768
#: The default ACL's allow-everything entries (IPv4, IPv6).
DEFAULT_ALLOW_V4 = 100
DEFAULT_ALLOW_V6 = 101

ALL_PROTOCOLS = "-1"
TCP, UDP, ICMP, ICMPV6 = "6", "17", "1", "58"
_PORTED = (TCP, UDP)
#: protocol names a request may use instead of numbers ([UNVERIFIED] AWS accepts them)
PROTOCOL_NAMES = {"tcp": TCP, "udp": UDP, "icmp": ICMP, "icmpv6": ICMPV6, "ipv6-icmp": ICMPV6}
PROTOCOL_LABELS = {TCP: "tcp", UDP: "udp", ICMP: "icmp", ICMPV6: "icmpv6"}

Address = str | IPv4Address | IPv6Address


class RuleAction(StrEnum):
    ALLOW = "allow"
    DENY = "deny"


@dataclass(frozen=True)
class NetworkAclEntry:
    """One numbered entry. ``cidr`` is canonical, IPv4 or IPv6 (the family is the CIDR's).

    ``port_range`` is kept only for TCP/UDP, ``icmp_type``/``icmp_code`` only for ICMP
    (and ICMPv6 with an IPv6 CIDR): for every other protocol AWS ignores them, and so
    does :func:`entry` when it builds one (``-1`` means all types, or all codes).
    """

    rule_number: int
    egress: bool
    action: RuleAction
    protocol: str  # a protocol number as a string, "-1" for all
    cidr: str
    port_range: tuple[int, int] | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    @property
    def family(self) -> int:
        return 6 if ":" in self.cidr else 4

    @property
    def is_default_deny(self) -> bool:
        """The ``*`` entry, which no call may change or remove."""
        return self.rule_number > MAX_RULE_NUMBER

    @property
    def allows(self) -> bool:
        return self.action is RuleAction.ALLOW

    @property
    def network(self) -> Network:
        return stored_network(self.cidr)

    def matches(self, address: Address, protocol: int, port: int | None, icmp: Icmp) -> bool:
        """Whether a packet with that peer address (source for ingress, destination for
        egress), protocol and destination port or ICMP type/code is this entry's."""
        addr = stored_address(address) if isinstance(address, str) else address
        if addr.version != self.family or addr not in self.network:
            return False
        if self.protocol == ALL_PROTOCOLS:
            return True
        if int(self.protocol) != protocol:
            return False
        if self.port_range is not None:
            return port is not None and self.port_range[0] <= port <= self.port_range[1]
        if self.icmp_type is not None and self.icmp_type != -1:
            icmp_type, icmp_code = icmp
            if icmp_type != self.icmp_type:
                return False
            return self.icmp_code in (None, -1) or icmp_code == self.icmp_code
        return True


#: An ICMP packet's (type, code); ``(None, None)`` for other protocols.
Icmp = tuple[int | None, int | None]


@dataclass(frozen=True)
class NetworkAclAssociation:
    """A subnet's link to its ACL; replaced (under a new ``aclassoc-`` id), never removed."""

    association_id: str
    subnet_id: str


@dataclass(frozen=True)
class NetworkAcl:
    network_acl_id: str
    vpc_id: str
    owner_id: str
    region: str
    is_default: bool = False
    entries: tuple[NetworkAclEntry, ...] = ()
    associations: tuple[NetworkAclAssociation, ...] = ()
    tags: Tags = ()

    @property
    def subnet_ids(self) -> tuple[str, ...]:
        return tuple(a.subnet_id for a in self.associations)

    def entry(self, egress: bool, rule_number: int) -> NetworkAclEntry | None:
        return next(
            (e for e in self.entries if e.egress == egress and e.rule_number == rule_number), None
        )

    @cached_property
    def ordered(self) -> Mapping[tuple[bool, int], tuple[NetworkAclEntry, ...]]:
        """Entries by (egress, family), in ascending rule number: evaluation order."""
        out: dict[tuple[bool, int], list[NetworkAclEntry]] = {}
        for e in sorted(self.entries, key=lambda e: e.rule_number):
            out.setdefault((e.egress, e.family), []).append(e)
        return {k: tuple(v) for k, v in out.items()}


def first_match(
    acl: NetworkAcl,
    egress: bool,
    family: int,
    address: Address,
    protocol: int,
    port: int | None = None,
    icmp: Icmp = (None, None),
) -> tuple[NetworkAclEntry | None, bool]:
    """The entry that decides a packet crossing ``acl``, and whether it is allowed.

    ``egress``: the packet leaves the subnet (matched on its destination ``address``), else
    it enters (matched on its source). Entries of that direction and ``family`` are tried in
    ascending rule number; the first match decides. ``(None, False)`` when none matches
    (an ACL always has its ``*`` deny, so only hand-built ACLs get there).
    """
    addr = stored_address(address) if isinstance(address, str) else address
    if addr.version != family:
        raise ValueError(f"{address} is not an IPv{family} address")
    for candidate in acl.ordered.get((egress, family), ()):
        if candidate.matches(addr, protocol, port, icmp):
            return candidate, candidate.allows
    return None, False


# -- what an ACL starts with ----------------------------------------------------------------


def _all(rule_number: int, egress: bool, action: RuleAction, cidr: str) -> NetworkAclEntry:
    return NetworkAclEntry(rule_number, egress, action, ALL_PROTOCOLS, cidr)


def deny_all_entries(ipv6: bool) -> tuple[NetworkAclEntry, ...]:
    """The ``*`` entries, both directions: all a new custom ACL has (it denies everything
    until entries are added); 32768 too in a VPC with IPv6 ([UNVERIFIED] for custom ACLs)."""
    out = [_all(DEFAULT_DENY_V4, egress, RuleAction.DENY, "0.0.0.0/0") for egress in (False, True)]
    if ipv6:
        out += [_all(DEFAULT_DENY_V6, egress, RuleAction.DENY, "::/0") for egress in (False, True)]
    return tuple(out)


def default_entries(ipv6: bool) -> tuple[NetworkAclEntry, ...]:
    """A default ACL's entries: 100 allow all and the ``*`` deny, both directions; with
    IPv6 also 101 allow ``::/0`` and the 32768 deny."""
    out = []
    for egress in (False, True):
        out.append(_all(DEFAULT_ALLOW_V4, egress, RuleAction.ALLOW, "0.0.0.0/0"))
        if ipv6:
            out.append(_all(DEFAULT_ALLOW_V6, egress, RuleAction.ALLOW, "::/0"))
    return tuple(out) + deny_all_entries(ipv6)


def with_ipv6(acl: NetworkAcl) -> NetworkAcl:
    """An ACL after its VPC got an IPv6 block: the 32768 deny in both directions and, for
    the default ACL, 101 allow ``::/0`` in each direction whose entries were never changed
    (AWS adds it "only to directions never modified")."""
    entries = list(acl.entries)
    untouched = {egress: _untouched(acl, egress) for egress in (False, True)}
    for egress in (False, True):
        if acl.is_default and untouched[egress] and acl.entry(egress, DEFAULT_ALLOW_V6) is None:
            entries.append(_all(DEFAULT_ALLOW_V6, egress, RuleAction.ALLOW, "::/0"))
        if acl.entry(egress, DEFAULT_DENY_V6) is None:
            entries.append(_all(DEFAULT_DENY_V6, egress, RuleAction.DENY, "::/0"))
    return replace(acl, entries=tuple(entries))


def _untouched(acl: NetworkAcl, egress: bool) -> bool:
    mine = {e for e in acl.entries if e.egress == egress}
    return mine == {e for e in default_entries(False) if e.egress == egress}


def entry_count(entries: Iterable[NetworkAclEntry], egress: bool, family: int) -> int:
    """Entries counting toward the per-direction, per-family quota: the numbered ones plus
    the family's ``*`` deny (AWS's quota includes it, whether or not it is stored)."""
    numbered = sum(
        1 for e in entries if e.egress == egress and e.family == family and not e.is_default_deny
    )
    return numbered + 1


# -- what an entry may be (CreateNetworkAclEntry / ReplaceNetworkAclEntry) ------------------------


def entry(
    rule_number: int | None,
    egress: bool | None,
    action: str | None,
    protocol: str | int | None,
    cidr_block: str | None = None,
    ipv6_cidr_block: str | None = None,
    port_range: tuple[int | None, int | None] | None = None,
    icmp: tuple[int | None, int | None] | None = None,
) -> NetworkAclEntry:
    """A checked, canonical entry from a request's values, with AWS's errors.

    Ports are kept for TCP/UDP only and ICMP type/code for ICMP (and ICMPv6 with an IPv6
    CIDR); other protocols match all ports, so what they were given is dropped.
    """
    for name, value in (
        ("ruleNumber", rule_number),
        ("egress", egress),
        ("ruleAction", action),
        ("protocol", protocol),
    ):
        if value is None or value == "":
            raise errors.missing_parameter(name)
    assert rule_number is not None and egress is not None and action is not None
    check_rule_number(rule_number)
    if action not in (RuleAction.ALLOW.value, RuleAction.DENY.value):
        raise errors.invalid_parameter_value(
            f"Invalid value '{action}' for ruleAction. It must be 'allow' or 'deny'."
        )
    number = canonical_protocol(protocol)
    cidr = _cidr(cidr_block, ipv6_cidr_block)
    family = 6 if ":" in cidr else 4
    ports: tuple[int, int] | None = None
    icmp_type = icmp_code = None
    if number in _PORTED:
        ports = _ports(port_range)
    elif number == ICMP or (number == ICMPV6 and family == 6):
        icmp_type, icmp_code = _icmp(icmp)
    return NetworkAclEntry(
        rule_number, bool(egress), RuleAction(action), number, cidr, ports, icmp_type, icmp_code
    )


def check_rule_number(rule_number: int) -> int:
    """1–32766; the numbers above are AWS's (the ``*`` entries), never a client's
    (``InvalidParameterValue``, [UNVERIFIED] AWS's code)."""
    if not 1 <= rule_number <= MAX_RULE_NUMBER:
        raise errors.invalid_parameter_value(
            f"Invalid value '{rule_number}' for ruleNumber. It must be an integer between 1 "
            f"and {MAX_RULE_NUMBER}."
        )
    return rule_number


def canonical_protocol(value: str | int | None) -> str:
    """``"6"``/``"tcp"`` → ``"6"``, ``"all"``/``"-1"`` → ``"-1"``; a number 0–255 else
    ``InvalidParameterValue``."""
    text = str(value).strip().lower()
    if text in PROTOCOL_NAMES:
        return PROTOCOL_NAMES[text]
    if text in ("-1", "all"):
        return ALL_PROTOCOLS
    if text.isascii() and text.isdigit() and int(text) <= 255:
        return str(int(text))
    raise errors.invalid_parameter_value(
        f"Invalid value '{value}' for protocol. Must be a protocol number 0-255 or -1 (all)."
    )


def _cidr(cidr_block: str | None, ipv6_cidr_block: str | None) -> str:
    if cidr_block is not None and ipv6_cidr_block is not None:
        raise errors.invalid_combination("Only one of cidrBlock and ipv6CidrBlock may be given.")
    if cidr_block is None and ipv6_cidr_block is None:
        raise errors.missing_parameter("cidrBlock or ipv6CidrBlock")
    if cidr_block is not None:
        return str(parse_cidr(cidr_block, 4))
    return str(parse_cidr(ipv6_cidr_block, 6))


def _ports(port_range: tuple[int | None, int | None] | None) -> tuple[int, int]:
    low, high = port_range or (None, None)
    if low is None or high is None:
        raise errors.missing_parameter("portRange")  # [UNVERIFIED] AWS's code
    for port in (low, high):
        if not 0 <= port <= 65535:
            raise errors.invalid_parameter_value(
                f"Invalid value '{port}' for portRange. Ports must be between 0 and 65535."
            )
    if low > high:
        raise errors.invalid_parameter_value(
            f"Invalid value '{low}-{high}' for portRange: from is greater than to."
        )
    return low, high


def _icmp(icmp: tuple[int | None, int | None] | None) -> tuple[int, int]:
    if icmp is None or icmp[0] is None:
        raise errors.missing_parameter("icmpTypeCode")  # [UNVERIFIED] AWS's code
    icmp_type, icmp_code = icmp[0], -1 if icmp[1] is None else icmp[1]
    for label, value in (("type", icmp_type), ("code", icmp_code)):
        if not -1 <= value <= 255:
            raise errors.invalid_parameter_value(
                f"Invalid value '{value}' for icmpTypeCode.{label}: -1 or 0 to 255."
            )
    return icmp_type, icmp_code


# -- a port range, a reply, a free number: what the policy engine asks of an ACL --------------


def decide_ports(
    acl: NetworkAcl,
    egress: bool,
    family: int,
    address: Address,
    protocol: int | None,
    ports: tuple[int, int] | None = None,
    icmp: Icmp = (None, None),
) -> tuple[NetworkAclEntry | None, bool]:
    """:func:`first_match` for a *set* of packets: every port of ``ports`` (TCP/UDP), or
    every protocol when ``protocol`` is ``None`` (all traffic). Allowed only when each
    packet of the set is; then the entry is the one that completed the cover, else the
    first entry that denies part of the set (a client would fail on those ports).

    With one port (or one ICMP packet) this is exactly :func:`first_match`: the walk stops
    at the first entry that matches the packet.
    """
    addr = stored_address(address) if isinstance(address, str) else address
    if addr.version != family:
        raise ValueError(f"{address} is not an IPv{family} address")
    remaining: list[tuple[int, int]] = [ports] if ports is not None else []
    for candidate in acl.ordered.get((egress, family), ()):
        if addr not in candidate.network:
            continue
        if protocol is None:  # all traffic: decided by a deny, or by an allow of everything
            if candidate.protocol == ALL_PROTOCOLS or not candidate.allows:
                return candidate, candidate.allows
            continue
        if ports is None or protocol not in (6, 17):
            if candidate.matches(addr, protocol, None if ports is None else ports[0], icmp):
                return candidate, candidate.allows
            continue
        if candidate.protocol != ALL_PROTOCOLS and int(candidate.protocol) != protocol:
            continue
        cover = candidate.port_range or (0, 65535)
        if not any(low <= cover[1] and cover[0] <= high for low, high in remaining):
            continue
        if not candidate.allows:
            return candidate, False
        remaining = _subtract(remaining, cover)
        if not remaining:
            return candidate, True
    return None, False


def _subtract(ranges: list[tuple[int, int]], cover: tuple[int, int]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for low, high in ranges:
        if cover[1] < low or high < cover[0]:
            out.append((low, high))
            continue
        if low < cover[0]:
            out.append((low, cover[0] - 1))
        if cover[1] < high:
            out.append((cover[1] + 1, high))
    return out


#: ICMP queries and their replies (what conntrack pairs): echo, timestamp, information,
#: address mask; ICMPv6 echo and node information. Other ICMP types get no reply.
ICMP_REPLY: Mapping[tuple[int, int], int] = {
    (1, 8): 0,
    (1, 13): 14,
    (1, 15): 16,
    (1, 17): 18,
    (58, 128): 129,
    (58, 139): 140,
}


def reply_icmp_type(protocol: int, icmp_type: int) -> int | None:
    """The ICMP type answering a request of ``icmp_type`` (``None``: it gets no reply)."""
    return ICMP_REPLY.get((protocol, icmp_type))


def free_rule_number(
    acl: NetworkAcl,
    egress: bool,
    family: int,
    denying: NetworkAclEntry | None,
    quota: int = Quotas().network_acl_entries,
) -> int | None:
    """A number for a new allow entry that is evaluated before ``denying``, or ``None``.

    Below a numbered deny: the number just below it, searching down for a free one. Behind
    the ``*`` deny (or nothing): the next multiple of 10 above the highest numbered entry of
    the direction (its last number +1 if that is past 32766). ``None`` when the direction's
    quota for the family (20 entries, the ``*`` included) is full or no number is free.
    """
    if entry_count(acl.entries, egress, family) >= quota:
        return None
    used = {e.rule_number for e in acl.entries if e.egress == egress}
    if denying is not None and not denying.is_default_deny:
        return next((n for n in range(denying.rule_number - 1, 0, -1) if n not in used), None)
    numbered = [n for n in used if n <= MAX_RULE_NUMBER]
    if not numbered:
        return 100
    highest = max(numbered)
    for candidate in ((highest // 10 + 1) * 10, highest + 1):
        if candidate <= MAX_RULE_NUMBER and candidate not in used:
            return candidate
    return next((n for n in range(MAX_RULE_NUMBER, 0, -1) if n not in used), None)
