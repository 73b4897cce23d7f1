"""Does a rule match a packet? AWS's matching rules, written once for the scalar path.

- protocol ``-1`` matches every packet; otherwise the protocol numbers must be equal (so an
  ``icmp`` rule never matches ICMPv6, nor the reverse);
- TCP/UDP: the packet's destination port lies in ``[from, to]``;
- ICMP/ICMPv6: the type equals ``from`` unless ``from`` is -1, the code equals ``to``
  unless ``to`` is -1;
- other protocols have no ports;
- the remote address lies in the resolved block (same family).

The compiled tables (:mod:`stockade.policy.compile`) implement the same rules a different
way; the property tests hold the two (and an oracle) together.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from stockade.domain import protocols
from stockade.policy.effective import EffectiveEntry
from stockade.policy.flow import ICMP, PORTED, Flow

ALL = protocols.ALL


def service_matches(rule_protocol: str, from_port: int, to_port: int, flow: Flow) -> bool:
    """The protocol / port / ICMP part of a rule against a (concrete-protocol) flow."""
    if rule_protocol == ALL:
        return True
    if rule_protocol != flow.protocol:
        return False
    if rule_protocol in PORTED:
        return from_port <= flow.port <= to_port  # type: ignore[operator]
    if rule_protocol in ICMP:
        return (from_port == -1 or flow.icmp_type == from_port) and (
            to_port == -1 or flow.icmp_code == to_port
        )
    return True


def address_matches(entry: EffectiveEntry, family: int, address: int) -> bool:
    entry_family, lo, hi = entry.bounds
    return entry_family == family and lo <= address <= hi


def matching_entries(
    entries: Sequence[EffectiveEntry], flow: Flow, family: int, address: int
) -> tuple[int, ...]:
    """Indices of the entries that allow ``flow`` from/to ``address`` (in entry order).

    For an all-traffic flow (``-1``) the answer is the entries that together cover every
    protocol and port, or nothing when they do not.
    """
    near = [i for i, e in enumerate(entries) if address_matches(e, family, address)]
    if not flow.is_all_traffic:
        return tuple(
            i
            for i in near
            if service_matches(entries[i].protocol, entries[i].from_port, entries[i].to_port, flow)
        )
    every = [i for i in near if entries[i].protocol == ALL]
    if every:
        return tuple(every)
    return tuple(near) if covers_all_traffic(entries[i] for i in near) else ()


def covers_all_traffic(entries: Iterable[EffectiveEntry]) -> bool:
    """Whether a set of rules (all matching the address) allows every protocol and port."""
    by_protocol: dict[str, list[tuple[int, int]]] = {}
    for entry in entries:
        if entry.protocol == ALL:
            return True
        by_protocol.setdefault(entry.protocol, []).append((entry.from_port, entry.to_port))
    for number in range(256):
        name = protocols.canonical_protocol(str(number))
        ranges = by_protocol.get(name)
        if not ranges:
            return False
        if name in PORTED and not _covers(ranges, 0, 65535):
            return False
        if name in ICMP and not _covers_icmp(ranges):
            return False
    return True


def _covers(ranges: list[tuple[int, int]], first: int, last: int) -> bool:
    reach = first - 1
    for lo, hi in sorted(ranges):
        if lo > reach + 1:
            return False
        reach = max(reach, hi)
    return reach >= last


def _covers_icmp(pairs: list[tuple[int, int]]) -> bool:
    if any(t == -1 for t, _ in pairs):
        return True
    for icmp_type in range(256):
        codes = {c for t, c in pairs if t == icmp_type}
        if -1 not in codes and len(codes) < 256:
            return False
    return True
