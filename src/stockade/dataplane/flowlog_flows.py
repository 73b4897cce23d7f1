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
"""

from __future__ import annotations

from dataclasses import dataclass, field

from stockade.dataplane.flowlog_window import FlowTuple, Interface, Window


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

    def learn(self, flow: FlowTuple, interface: Interface, now: float) -> None:
        """The rule chains accepted the first packet of ``flow`` at ``interface``."""
        learned = self._learned.get(flow)
        if learned is None:
            learned = self._learned[flow] = _Learned(first=now)
        learned.interfaces.add(interface)
        learned.seen = now

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
            before = self._logged.pop(entry.ct_id, None) if final else self._logged.get(entry.ct_id)
            orig, reply = _delta(entry, before)
            if not final:
                self._logged[entry.ct_id] = entry
            first = max(since, learned.first)
            for interface in learned.interfaces:
                window.add(interface, entry.flow, "ACCEPT", *orig, first, now)
                window.add(interface, entry.flow.reversed(), "ACCEPT", *reply, first, now)

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
