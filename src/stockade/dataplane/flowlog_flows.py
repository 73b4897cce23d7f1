"""Accepted connections → flow-log records: which interfaces log each, and how much of it
each record already holds.

Pure. The rule chains log the first packet of each new connection they accept (NFLOG),
which tells *which interface* (and direction) the connection belongs to — an
instance-to-instance connection is logged twice, once by the sender's egress rules and
once by the receiver's ingress rules, and appears on both interfaces, as in AWS. The
packets are counted by conntrack (:mod:`stockade.dataplane.ct_accounting`): each poll or
DESTROY event hands over an entry's running totals, and the part not yet in a record (the
delta) goes to the current window — in both directions, since AWS writes one record per
direction of a connection (the replies are a flow of their own, with the addresses
swapped).

A packet one interface's rules accept can still be dropped by the other's (an instance
sending to one whose group refuses it): conntrack never keeps such a connection, yet in
AWS the packets did leave the sender's interface — an ACCEPT there, a REJECT at the
receiver. Every one of those packets is new, so each is logged: logged packets that no
conntrack entry has counted within :data:`SETTLE` seconds are counted from the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from stockade.dataplane.flowlog_window import FlowTuple, Interface, Tally, Window

#: How long a logged packet may wait for its conntrack entry (confirmed microseconds after
#: the log, in the same softirq) before it is taken as dropped further on.
SETTLE = 0.2


@dataclass(frozen=True)
class Counted:
    """One conntrack entry's totals so far (or its final totals, from its DESTROY event)."""

    ct_id: int
    flow: FlowTuple  # as the instances' interfaces see it: after DNAT, before SNAT
    orig: tuple[int, int]  # (packets, bytes) from the initiator
    reply: tuple[int, int]  # (packets, bytes) of the replies


@dataclass
class _Learned:
    interfaces: set[Interface] = field(default_factory=set)
    first: float = 0.0  # when the connection was first logged
    seen: float = 0.0  # when it was last logged or counted
    pending: dict[Interface, Tally] = field(default_factory=dict)  # logged, not yet counted


class AcceptedFlows:
    """The accepted connections of one router, learned from the log, counted by conntrack.

    ``grace``: how long a connection logged but never (or no longer) seen in conntrack is
    remembered — long enough for the entry to appear in the next dump.
    """

    def __init__(self, grace: float) -> None:
        self.grace = grace
        self._learned: dict[FlowTuple, _Learned] = {}
        self._logged: dict[int, Counted] = {}  # conntrack id -> totals already in records

    def __bool__(self) -> bool:
        return bool(self._learned)

    def learn(self, flow: FlowTuple, interface: Interface, now: float, size: int = 0) -> None:
        """The rule chains accepted a new packet of ``flow`` (``size`` bytes) at
        ``interface``."""
        learned = self._learned.get(flow)
        if learned is None:
            learned = self._learned[flow] = _Learned(first=now)
        learned.interfaces.add(interface)
        learned.seen = now
        learned.pending.setdefault(interface, Tally()).add(1, size, now, now)

    def count(
        self, entries: list[Counted], window: Window, since: float, now: float, final: bool = False
    ) -> None:
        """Add what ``entries`` counted since they were last counted to ``window``:
        packets seen between ``since`` (the previous poll) and ``now``. ``final``: the
        entries are gone (DESTROY events); forget them."""
        for entry in entries:
            learned = self._learned.get(entry.flow)
            if learned is None:
                continue  # not (yet) logged as accepted: counted from zero once it is
            learned.seen = now
            learned.pending.clear()  # conntrack counted them
            before = self._logged.pop(entry.ct_id, None) if final else self._logged.get(entry.ct_id)
            orig, reply = _delta(entry, before)
            if not final:
                self._logged[entry.ct_id] = entry
            first = max(since, learned.first)
            for interface in learned.interfaces:
                window.add(interface, entry.flow, "ACCEPT", *orig, first, now)
                window.add(interface, entry.flow.reversed(), "ACCEPT", *reply, first, now)

    def adopt(self, entries: list[Counted], owners: Mapping[str, Interface], now: float) -> None:
        """Connections that were there before the reader (no log will name them): the
        interfaces holding their addresses log them; what they counted so far is not
        counted again."""
        for entry in entries:
            if entry.flow in self._learned or entry.ct_id in self._logged:
                continue
            interfaces = {owners[a] for a in (entry.flow.src, entry.flow.dst) if a in owners}
            if interfaces:
                self._learned[entry.flow] = _Learned(interfaces, first=now, seen=now)
                self._logged[entry.ct_id] = entry

    def count_uncounted(self, window: Window, now: float, closing: bool = False) -> None:
        """After a full dump: packets logged at least :data:`SETTLE` seconds ago (any, when
        ``closing``) that no conntrack entry counted were dropped after the interface
        accepted them: count them from the log, as ACCEPT at that interface."""
        for flow, learned in self._learned.items():
            settled = [i for i, t in learned.pending.items() if closing or now - t.end >= SETTLE]
            for interface in settled:
                tally = learned.pending.pop(interface)
                window.add(
                    interface, flow, "ACCEPT", tally.packets, tally.bytes, tally.start, tally.end
                )

    def forget_gone(self, live: list[Counted], now: float) -> None:
        """After a full dump: drop entries no longer in conntrack (their DESTROY event was
        missed) and connections not seen for ``grace`` seconds."""
        alive = {entry.ct_id for entry in live}
        for ct_id in [i for i in self._logged if i not in alive]:
            del self._logged[ct_id]
        for flow in [f for f, v in self._learned.items() if now - v.seen > self.grace]:
            del self._learned[flow]


def _delta(entry: Counted, before: Counted | None) -> tuple[tuple[int, int], tuple[int, int]]:
    """What ``entry`` counted since ``before`` (all of it for a new — or reused — id)."""
    if (
        before is None
        or before.flow != entry.flow
        or before.orig[0] > entry.orig[0]
        or before.reply[0] > entry.reply[0]
    ):
        return entry.orig, entry.reply
    return (
        (entry.orig[0] - before.orig[0], entry.orig[1] - before.orig[1]),
        (entry.reply[0] - before.reply[0], entry.reply[1] - before.reply[1]),
    )
