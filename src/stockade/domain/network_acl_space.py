"""The interval view of a network ACL: which (address, service) sets one direction admits.

:func:`~stockade.domain.network_acl.first_match` answers for one packet; the analyzer asks
about sets — "does this ACL admit tcp/22 from *every* internet address?", "which ports can
a reply leave by?". Here the plane of one direction, address family and protocol
(address × service) is cut into rectangles, each decided by exactly one entry: entries
are taken in ascending rule number and an entry decides only what no lower-numbered entry
decided, so a deny at 90 hides the part of an allow at 100 it overlaps. The answers are
exact and agree with ``first_match`` packet by packet (a property test holds them to it).

The service axis of a protocol is the packet's destination port for TCP and UDP,
``type << 8 | code`` for ICMP and ICMPv6, and a single point (0) for every other protocol
— the same coordinates as the policy engine's packed service below its protocol bits.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise

from stockade.domain.interval_sets import (
    Interval,
    cidr_interval,
    family_space,
    intersect,
    merge,
    subtract,
)
from stockade.domain.network_acl import (
    ALL_PROTOCOLS,
    ICMP,
    ICMPV6,
    TCP,
    UDP,
    Icmp,
    NetworkAcl,
    NetworkAclEntry,
)

#: the last coordinate of a protocol's service axis (ports, or ICMP type << 8 | code)
SERVICE_MAX = 0xFFFF
ALL_OF_PROTOCOL: Interval = (0, SERVICE_MAX)
_PORTED = (int(TCP), int(UDP))
_ICMPS = (int(ICMP), int(ICMPV6))


def packet_service(protocol: int, port: int | None = None, icmp: Icmp = (None, None)) -> int:
    """A packet's coordinate on its protocol's service axis."""
    if protocol in _PORTED:
        return port or 0
    if protocol in _ICMPS and icmp[0] is not None:
        return icmp[0] << 8 | (icmp[1] or 0)
    return 0


def entry_services(entry: NetworkAclEntry, protocol: int) -> Interval | None:
    """The part of ``protocol``'s service axis the entry matches; ``None`` when the entry
    is for another protocol. Mirrors :meth:`NetworkAclEntry.matches` test for test."""
    if entry.protocol == ALL_PROTOCOLS:
        return ALL_OF_PROTOCOL
    if int(entry.protocol) != protocol:
        return None
    if entry.port_range is not None:
        return entry.port_range
    if entry.icmp_type is not None and entry.icmp_type != -1:
        base = entry.icmp_type << 8
        if entry.icmp_code in (None, -1):
            return base, base | 0xFF
        return (base | entry.icmp_code,) * 2
    return ALL_OF_PROTOCOL


@dataclass(frozen=True)
class AclCell:
    """A rectangle of addresses × services that one entry decides (``None``: no entry
    matched, which denies — only hand-built ACLs lack the ``*`` entry)."""

    addresses: Interval
    services: Interval
    entry: NetworkAclEntry | None

    @property
    def allowed(self) -> bool:
        return self.entry is not None and self.entry.allows


@dataclass(frozen=True)
class AclSlab:
    """A run of services every entry treats alike, with the cells that partition its
    address space (every address of the family is in exactly one cell)."""

    services: Interval
    cells: tuple[AclCell, ...]

    def allowed_addresses(self) -> list[Interval]:
        return merge(c.addresses for c in self.cells if c.allowed)

    def deciding(self, addresses: Sequence[Interval], allowed: bool) -> list[AclCell]:
        """The cells meeting ``addresses`` that allow (or deny), in rule-number order."""
        found = [
            c for c in self.cells if c.allowed is allowed and intersect([c.addresses], addresses)
        ]
        return sorted(found, key=lambda c: c.entry.rule_number if c.entry else 1 << 20)


@lru_cache(maxsize=4096)
def acl_slabs(
    acl: NetworkAcl, egress: bool, family: int, protocol: int, extra_cuts: tuple[int, ...] = ()
) -> tuple[AclSlab, ...]:
    """The first-match partition of one direction, family and protocol of ``acl``.

    ``extra_cuts`` split slabs at further service coordinates (a caller that treats ICMP
    echo requests apart from other types asks for cuts around them).
    """
    applicable = [
        (e, span)
        for e in acl.ordered.get((egress, family), ())
        if (span := entry_services(e, protocol)) is not None
    ]
    cuts = {0, SERVICE_MAX + 1, *extra_cuts}
    for _, (lo, hi) in applicable:
        cuts |= {lo, hi + 1}
    everything = family_space(family)
    out = []
    for start, nxt in pairwise(sorted(c for c in cuts if 0 <= c <= SERVICE_MAX + 1)):
        services = (start, nxt - 1)
        cells: list[AclCell] = []
        decided: list[Interval] = []
        for entry, (lo, hi) in applicable:
            if not lo <= start <= hi:
                continue
            block = cidr_interval(entry.cidr)
            cells += [AclCell(p, services, entry) for p in subtract([block], decided)]
            decided = merge([*decided, block])
        cells += [AclCell(p, services, None) for p in subtract([everything], decided)]
        out.append(AclSlab(services, tuple(cells)))
    return tuple(out)


def cell_of(
    acl: NetworkAcl, egress: bool, family: int, address: int, protocol: int, service: int
) -> AclCell:
    """The cell holding one packet (what decides it, as a set)."""
    for slab in acl_slabs(acl, egress, family, protocol):
        if slab.services[0] <= service <= slab.services[1]:
            for cell in slab.cells:
                if cell.addresses[0] <= address <= cell.addresses[1]:
                    return cell
    raise ValueError(f"{address} / {service} is outside the IPv{family} plane")


def addresses_admitted(
    acl: NetworkAcl, egress: bool, family: int, protocol: int, services: Interval
) -> list[Interval]:
    """The addresses for which *every* service of ``services`` is allowed (a reply to a
    client's whole ephemeral range, say)."""
    out = [family_space(family)]
    for slab in acl_slabs(acl, egress, family, protocol):
        if slab.services[1] < services[0] or slab.services[0] > services[1]:
            continue
        out = intersect(out, slab.allowed_addresses())
        if not out:
            break
    return out


def named_protocols(acl: NetworkAcl, family: int) -> tuple[int, ...]:
    """The protocols some entry of the family names (every other protocol is matched only
    by ``-1`` entries, so one of them stands for all)."""
    return tuple(
        sorted(
            {
                int(e.protocol)
                for e in acl.entries
                if e.family == family and e.protocol != ALL_PROTOCOLS
            }
        )
    )
