"""Crediting accepted flows to the rules that allowed them.

A flow-log record is one interface's view of a flow. Its direction is ``flow-direction``
when logged, else which end holds one of the interface's addresses. Because groups are
stateful, an accepted record is either a *request* (allowed by a rule of its own
direction, matched on its destination port) or a *reply* to a request the other way
(allowed by connection tracking, whatever the rules say). Which one:

1. ``tcp-flags``, when logged: SYN without ACK is a request, SYN-ACK a reply;
2. otherwise, the rules and the ports: a record that only a rule of its own direction
   explains is a request; one that a rule of the other direction explains (matched on its
   *source* port) is a reply when its source port is the lower one — the service port
   (``srcport 443 → dstport 50123``); when both directions explain it, the lower port
   decides (``srcport 50123 → dstport 22`` is a request);
3. a record no rule explains is reported as unexplained (a rule removed while connections
   stayed tracked, traffic security groups do not filter, or a snapshot from another time).

Requests credit *every* matching rule (and one deterministic most specific rule, see
:func:`stockade.analysis.flowlog_cells.specificity`); replies credit none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from stockade.analysis.flowlog_cells import CellIndex
from stockade.analysis.flowlog_columns import AddressIds, FlowColumns, columns
from stockade.domain.state import Snapshot
from stockade.policy.effective import EffectiveEntry

_U64 = np.uint64
_TCP, _UDP = 6, 17
SYN, ACK = 2, 16
#: distinct sources / ports kept per cell (and per rule) for tightening suggestions
CAP = 64


@dataclass
class CellStats:
    records: int = 0
    packets: int = 0
    bytes: int = 0
    first: int | None = None
    last: int | None = None
    sources: set[int] = field(default_factory=set)  # address ids
    ports: set[int] = field(default_factory=set)
    more_sources: bool = False
    more_ports: bool = False


@dataclass
class Totals:
    records: int = 0
    accepted: int = 0
    rejected: int = 0
    no_data: int = 0
    requests: int = 0
    replies: int = 0
    unexplained: int = 0
    unknown_direction: int = 0
    unknown_interface: int = 0
    first: int | None = None
    last: int | None = None


@dataclass(frozen=True)
class FlowMatch:
    """One aggregated accepted flow, as ``--flows`` writes it."""

    interface_id: str
    direction: str
    role: str  # request | reply | unexplained
    src: str
    dst: str
    srcport: int
    dstport: int
    protocol: int
    records: int
    packets: int
    bytes: int
    first: int | None
    last: int | None
    rules: tuple[str, ...]  # every matching rule (requests)
    most_specific: str | None


#: CIDRs with a shorter prefix than this (per family) are worth narrowing to what was seen
WIDE_PREFIX = {4: 24, 6: 64}


def tightening_candidate(entry: EffectiveEntry) -> bool:
    """Rules worth narrowing: a wide CIDR, or a port range wider than one port."""
    prefix = int(entry.cidr.rsplit("/", 1)[1])
    wide_cidr = entry.peer.kind in ("cidr-ipv4", "cidr-ipv6") and prefix < WIDE_PREFIX[entry.family]
    wide_ports = entry.protocol in ("tcp", "udp") and entry.to_port > entry.from_port
    return wide_cidr or wide_ports or entry.protocol == "-1"


class FlowUsage:
    """Feed it batches; it keeps per-cell statistics (memory ~ cells hit, not flows)."""

    def __init__(
        self, snapshot: Snapshot, on_flow: Callable[[FlowMatch], object] | None = None
    ) -> None:
        self.snapshot = snapshot
        self.index = CellIndex(snapshot, tightening_candidate)
        self.addresses = AddressIds()
        self.interface_ids: dict[str, int] = {}
        self.cells: dict[int, CellStats] = {}
        self.totals = Totals()
        self.observed: set[int] = set()  # interface indices with any record
        self.unknown: dict[int, int] = {}  # interface text id -> records
        self.unexplained: dict[tuple, int] = {}  # a sample of unexplained flows
        self.on_flow = on_flow
        # Cells whose distinct sources / ports already exceed CAP: no need to look again.
        self._full = {
            "sources": np.zeros(self.index.cells + 1, bool),
            "ports": np.zeros(self.index.cells + 1, bool),
        }
        own = []
        for i, eni_id in enumerate(self.index.eni_ids):
            eni = snapshot.interface_by_id[eni_id]
            for text in (eni.private_ip, eni.public_ip, *eni.ipv6_addresses):
                if text and (gid := self.addresses.id_of(text)) >= 0:
                    own.append((i << 32) | gid)
        self._own = np.unique(np.array(own or [0], _U64))

    def add(self, batch: pa.RecordBatch) -> None:
        c = columns(batch, self.addresses, self.index.eni_index, self.interface_ids)
        t = self.totals
        t.records += int(c.records.sum())
        t.accepted += int(c.records[c.accepted].sum())
        t.rejected += int(c.records[c.rejected].sum())
        t.no_data += int(c.records[c.no_data].sum())
        for value, pick in ((c.first, np.min), (c.last, np.max)):
            seen = value[value >= 0]
            if len(seen):
                edge = int(pick(seen))
                if pick is np.min:
                    t.first = edge if t.first is None else min(t.first, edge)
                else:
                    t.last = edge if t.last is None else max(t.last, edge)
        self.observed.update(np.unique(c.eni[c.eni >= 0]).tolist())
        unknown = (c.eni < 0) & (c.interface_text >= 0)
        if unknown.any():
            t.unknown_interface += int(c.records[unknown].sum())
            ids, inverse = np.unique(c.interface_text[unknown], return_inverse=True)
            counts = np.bincount(inverse, weights=c.records[unknown])
            for text_id, n in zip(ids.tolist(), counts.tolist(), strict=True):
                self.unknown[text_id] = self.unknown.get(text_id, 0) + int(n)
        self._match(c, c.accepted & (c.eni >= 0) & (c.protocol >= 0))

    def _is_local(self, eni: np.ndarray, address: np.ndarray) -> np.ndarray:
        keys = (eni.astype(_U64) << _U64(32)) | np.maximum(address, 0).astype(_U64)
        at = np.minimum(np.searchsorted(self._own, keys), len(self._own) - 1)
        return (self._own[at] == keys) & (address >= 0) & (eni >= 0)

    def _match(self, c: FlowColumns, rows: np.ndarray) -> None:
        a = self.addresses
        fam_src, fam_dst = a.family(c.src), a.family(c.dst)
        rows &= (fam_src > 0) & (fam_src == fam_dst)
        local_dst = self._is_local(c.eni, c.raw_dst)
        local_src = self._is_local(c.eni, c.raw_src)
        direction = np.where(
            c.direction >= 0, c.direction, np.where(local_dst, 0, np.where(local_src, 1, -1))
        )
        lost = rows & (direction < 0)
        self.totals.unknown_direction += int(c.records[lost].sum())
        rows &= direction >= 0
        if not rows.any():
            return
        idx = np.flatnonzero(rows)
        d = direction[idx]
        remote = np.where(d == 0, c.src[idx], c.dst[idx])
        family = a.family(remote)
        coord = a.lo(remote).astype(_U64)
        v6 = family == 6
        if v6.any():
            coord[v6] = self.index.rank6(a.hi(remote[v6]), a.lo(remote[v6]))
        proto = c.protocol[idx]
        ported = (proto == _TCP) | (proto == _UDP)
        base = proto.astype(_U64) << _U64(16)
        svc_a = np.where(ported, base | c.dstport[idx].astype(_U64), base)
        dport = c.dstport[idx]
        sport = np.where(ported, c.srcport[idx], dport)  # ports only mean something for TCP/UDP
        known = sport >= 0  # without srcport, a reply cannot be told for TCP/UDP
        svc_b = np.where(ported, base | np.maximum(sport, 0).astype(_U64), base)
        f = (family == 6).astype(np.int64)
        eni = c.eni[idx]
        cell_a = self.index.lookup(self.index.table_of[eni, d, f], svc_a, coord)
        cell_b = self.index.lookup(self.index.table_of[eni, 1 - d, f], svc_b, coord)
        has_a = self.index.nonempty[cell_a]
        has_b = self.index.nonempty[cell_b] & (known | ~ported)
        flags = c.tcp_flags[idx]
        by_flags = (proto == _TCP) & (flags >= 0) & ((flags & (SYN | ACK)) != 0)
        guess_request = has_a & (~has_b | (dport <= sport))
        guess_reply = has_b & ~guess_request & (sport <= dport)
        request = np.where(by_flags, (flags & SYN != 0) & (flags & ACK == 0), guess_request)
        reply = np.where(by_flags, flags & ACK != 0, guess_reply)
        credited = request & has_a
        records = c.records[idx]
        self.totals.requests += int(records[credited].sum())
        self.totals.replies += int(records[reply].sum())
        unexplained = ~credited & ~reply
        self.totals.unexplained += int(records[unexplained].sum())
        self._sample(c, idx[unexplained], d[unexplained])
        self._credit(c, idx[credited], cell_a[credited], remote[credited])
        if self.on_flow is not None:
            self._report_flows(self.on_flow, c, idx, d, cell_a, credited, reply)

    def _credit(
        self, c: FlowColumns, rows: np.ndarray, cells: np.ndarray, remote: np.ndarray
    ) -> None:
        if not len(rows):
            return
        uniq, inverse = np.unique(cells, return_inverse=True)
        sums = [
            np.bincount(inverse, weights=w[rows], minlength=len(uniq))
            for w in (c.records, c.packets, c.bytes)
        ]
        first = np.full(len(uniq), np.iinfo(np.int64).max)
        last = np.full(len(uniq), -1)
        times_f, times_l = c.first[rows], c.last[rows]
        np.minimum.at(first, inverse, np.where(times_f >= 0, times_f, np.iinfo(np.int64).max))
        np.maximum.at(last, inverse, times_l)
        for k, cell in enumerate(uniq.tolist()):
            s = self.cells.setdefault(cell, CellStats())
            s.records += int(sums[0][k])
            s.packets += int(sums[1][k])
            s.bytes += int(sums[2][k])
            if first[k] != np.iinfo(np.int64).max:
                s.first = int(first[k]) if s.first is None else min(s.first, int(first[k]))
            if last[k] >= 0:
                s.last = int(last[k]) if s.last is None else max(s.last, int(last[k]))
        broad = self.index.broad[cells]
        if broad.any():
            self._distinct(cells[broad], remote[broad], "sources")
            self._distinct(cells[broad], c.dstport[rows][broad], "ports")

    def _distinct(self, cells: np.ndarray, values: np.ndarray, what: str) -> None:
        """Distinct (cell, value) pairs, at most CAP + 1 per cell, into the cell stats."""
        open_ = ~self._full[what][cells]
        cells, values = cells[open_], values[open_]
        if not len(cells):
            return
        keys = np.unique((cells.astype(_U64) << _U64(32)) | values.astype(_U64))
        owner = (keys >> _U64(32)).astype(np.int64)
        starts = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
        rank = np.arange(len(keys)) - np.repeat(starts, np.diff(np.r_[starts, len(keys)]))
        keep = rank <= CAP
        for cell, value in zip(
            owner[keep].tolist(), (keys[keep] & _U64(0xFFFFFFFF)).tolist(), strict=True
        ):
            s = self.cells[cell]
            bucket = s.sources if what == "sources" else s.ports
            if len(bucket) < CAP:
                bucket.add(value)
            elif value not in bucket:
                self._full[what][cell] = True
                if what == "sources":
                    s.more_sources = True
                else:
                    s.more_ports = True

    def _sample(self, c: FlowColumns, rows: np.ndarray, d: np.ndarray) -> None:
        for row, direction in zip(rows[:50].tolist(), d[:50].tolist(), strict=True):
            if len(self.unexplained) >= 20:
                return
            key = (
                int(c.eni[row]),
                direction,
                int(c.src[row]),
                int(c.dst[row]),
                int(c.srcport[row]),
                int(c.dstport[row]),
                int(c.protocol[row]),
            )
            self.unexplained[key] = self.unexplained.get(key, 0) + int(c.records[row])

    def _report_flows(
        self,
        on_flow: Callable[[FlowMatch], object],
        c: FlowColumns,
        idx: np.ndarray,
        d: np.ndarray,
        cell_a: np.ndarray,
        credited: np.ndarray,
        reply: np.ndarray,
    ) -> None:
        texts = self.addresses.texts
        for k, row in enumerate(idx.tolist()):
            role = "request" if credited[k] else "reply" if reply[k] else "unexplained"
            entries = self.index.entries(int(cell_a[k])) if credited[k] else ()
            best = self.index.most_specific(int(cell_a[k])) if credited[k] else None
            on_flow(
                FlowMatch(
                    self.index.eni_ids[int(c.eni[row])],
                    "ingress" if d[k] == 0 else "egress",
                    role,
                    texts[int(c.src[row])],
                    texts[int(c.dst[row])],
                    int(c.srcport[row]),
                    int(c.dstport[row]),
                    int(c.protocol[row]),
                    int(c.records[row]),
                    int(c.packets[row]),
                    int(c.bytes[row]),
                    int(c.first[row]) if c.first[row] >= 0 else None,
                    int(c.last[row]) if c.last[row] >= 0 else None,
                    tuple(dict.fromkeys(e.rule_id for e in entries)),
                    best.rule_id if best else None,
                )
            )
