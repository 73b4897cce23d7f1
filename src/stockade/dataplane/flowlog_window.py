"""Aggregation windows of VPC Flow Logs: one record per flow per interface per interval.

Pure. AWS sums every packet of a flow (a 5-tuple seen at one network interface, in one
direction) that falls in one *aggregation interval* into one record, and writes the record
when the interval closes: 600 s by default, 60 s optionally (``MaxAggregationInterval``).
A flow alive across a boundary gets one record per interval; an interface with no traffic
at all in an interval gets a ``NODATA`` record, and one whose records were lost (here: the
kernel dropped log messages or conntrack events, ``ENOBUFS``) a ``SKIPDATA`` record. The
fields are the default (version 2) field list the analyzer reads too (one list, in
:mod:`stockade.domain.flow_log_fields`), so writer and reader agree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from stockade.domain.flow_log_fields import DEFAULT_FIELDS

#: The header line of a flow-log file (the default format, as S3 delivers it).
HEADER = " ".join(DEFAULT_FIELDS)
#: ``MaxAggregationInterval``: the values AWS accepts, and its default.
AGGREGATION_INTERVALS = (60, 600)
DEFAULT_INTERVAL = 600


def check_interval(seconds: int) -> int:
    """An aggregation interval as AWS accepts it (``CreateFlowLogs``), else ``ValueError``."""
    if seconds not in AGGREGATION_INTERVALS:
        raise ValueError(
            f"InvalidParameter: invalid MaxAggregationInterval {seconds}: the possible values "
            "are 60 seconds (1 minute) or 600 seconds (10 minutes)"
        )
    return seconds


@dataclass(frozen=True)
class FlowTuple:
    """A flow's 5-tuple as seen at an instance's interface (ports 0 when it has none)."""

    src: str
    dst: str
    sport: int
    dport: int
    proto: int

    def reversed(self) -> FlowTuple:
        return FlowTuple(self.dst, self.src, self.dport, self.sport, self.proto)


@dataclass(frozen=True)
class Interface:
    """A network interface that writes flow-log records: its id and its owner's account."""

    eni_id: str
    account: str


@dataclass
class Tally:
    """Packets and bytes of one record so far, and when its first and last were seen."""

    packets: int = 0
    bytes: int = 0
    start: float = math.inf
    end: float = -math.inf

    def add(self, packets: int, size: int, first: float, last: float) -> None:
        self.packets += packets
        self.bytes += size
        self.start = min(self.start, first)
        self.end = max(self.end, last)


RecordKey = tuple[Interface, FlowTuple, str]  # (interface, flow, ACCEPT | REJECT)


def window_start(now: float, length: float) -> float:
    """The start of the aggregation interval holding ``now`` (intervals are aligned to
    multiples of their length, so every router's windows close together)."""
    return math.floor(now / length) * length


@dataclass
class Window:
    """One aggregation interval being summed."""

    start: float
    length: float
    opened: float  # when this window began collecting (later than start on the first)
    tallies: dict[RecordKey, Tally] = field(default_factory=dict)
    skipped: bool = False  # some records were lost (SKIPDATA for every interface)

    @property
    def end(self) -> float:
        return self.start + self.length

    def add(
        self,
        interface: Interface,
        flow: FlowTuple,
        action: str,
        packets: int,
        size: int,
        first: float,
        last: float,
    ) -> None:
        if packets <= 0:
            return
        first, last = (min(max(t, self.opened), self.end) for t in (first, last))
        tally = self.tallies.setdefault((interface, flow, action), Tally())
        tally.add(packets, size, first, last)

    def records(self, interfaces: Iterable[Interface], closed: float) -> list[str]:
        """The window's records, in the order of their start; then ``NODATA`` for each of
        ``interfaces`` that has none — or, when records were lost, ``SKIPDATA`` for every
        interface (any of them may have lost some). ``closed``: when the window was closed
        (its end, or earlier when the agent stops)."""
        lines = []
        items = sorted(self.tallies.items(), key=lambda kv: (kv[1].start, kv[1].end))
        for (interface, flow, action), tally in items:
            start = int(tally.start)
            lines.append(
                record_line(
                    interface,
                    flow,
                    tally.packets,
                    tally.bytes,
                    start,
                    max(start, int(tally.end)),
                    action,
                    "OK",
                )
            )
        quiet = set(interfaces)
        if not self.skipped:
            quiet -= {interface for interface, _, _ in self.tallies}
        status = "SKIPDATA" if self.skipped else "NODATA"
        first, last = int(self.opened), max(int(self.opened), int(min(closed, self.end)))
        for interface in sorted(quiet, key=lambda i: i.eni_id):
            lines.append(record_line(interface, None, None, None, first, last, None, status))
        return lines


def record_line(
    interface: Interface,
    flow: FlowTuple | None,
    packets: int | None,
    size: int | None,
    start: int,
    end: int,
    action: str | None,
    status: str,
) -> str:
    """One record in the default format (``-`` for what a NODATA/SKIPDATA record lacks)."""
    values = {
        "version": 2,
        "account-id": interface.account,
        "interface-id": interface.eni_id,
        "srcaddr": flow.src if flow else None,
        "dstaddr": flow.dst if flow else None,
        "srcport": flow.sport if flow else None,
        "dstport": flow.dport if flow else None,
        "protocol": flow.proto if flow else None,
        "packets": packets,
        "bytes": size,
        "start": start,
        "end": end,
        "action": action,
        "log-status": status,
    }
    return (
        " ".join("-" if values[name] is None else str(values[name]) for name in DEFAULT_FIELDS)
        + "\n"
    )


_INTERFACE, _ACTION = DEFAULT_FIELDS.index("interface-id"), DEFAULT_FIELDS.index("action")


def covered_lines(lines: Iterable[str], wanted: Mapping[str, frozenset[str]]) -> list[str]:
    """The records a flow log asks for: only covered interfaces (interface id → actions,
    :func:`stockade.domain.flow_log.coverage`), only their actions; a ``NODATA`` or
    ``SKIPDATA`` record (no action) for any covered interface."""
    kept = []
    for line in lines:
        fields = line.split()
        actions = wanted.get(fields[_INTERFACE])
        if actions and (fields[_ACTION] == "-" or fields[_ACTION] in actions):
            kept.append(line)
    return kept
