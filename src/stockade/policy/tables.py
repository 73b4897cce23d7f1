"""Interval tables: each interface's effective rules as sorted ``uint64`` keys.

A packet is a point in two dimensions: its *service* (protocol and destination port or
ICMP type/code, packed as ``protocol << 16 | port`` — ICMP's type/code as
``type << 8 | code``) and its remote *address*. A rule is a rectangle in that plane; a
direction's rules are a union of rectangles, and the question "allowed, and by which
rule?" is "which rectangles contain the point, and which has the lowest index?".

The compiled form (reference analysis-and-audit.md §5.3) cuts the service axis into
*rows* — services painted alike — and, per row, the address axis into runs labelled with
the lowest matching entry (or -1); the cutting is :func:`stockade.policy.paint.paint`'s
(inclusive bounds, lowest label wins), shared with the data plane and the flow-log cells.
All rows of all tables are packed into one sorted array ``row << 32 | address_start``.
A lookup for millions of packets is one search over the (small) row starts
(:class:`SortedKeys`, not ``np.searchsorted``: see there), then a branch-free binary
search bounded to the packet's row, vectorised over all packets: a few NumPy passes,
whatever the number of rules. All-traffic rules live in a
separate address-only layer (they would otherwise repeat in every row); measured choices
are in bench/decide.py.

IPv6 addresses do not fit in 32 bits, so they are first replaced by their *rank* among all
IPv6 rule boundaries (one ``np.searchsorted`` over 16-byte keys); the tables then work
on ranks exactly as on IPv4 addresses.

Tables are shared between interfaces with the same set of groups (same entries).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from stockade.domain import protocols
from stockade.policy.addressing import SPACE
from stockade.policy.effective import EffectiveEntry
from stockade.policy.paint import Rect, Run, paint, paint_runs, segment_starts

SERVICE_SPACE = 1 << 24
_TCP, _UDP, _ICMP, _ICMP6 = 6, 17, 1, 58


def service_range(protocol: str, from_port: int, to_port: int) -> tuple[int, int]:
    """The inclusive service interval a rule covers (see the module docstring)."""
    if protocol == protocols.ALL:
        return 0, SERVICE_SPACE - 1
    number = protocols.protocol_number(protocol)
    assert number is not None
    base = number << 16
    if number in (_TCP, _UDP):
        return base | from_port, base | to_port
    if number in (_ICMP, _ICMP6):
        if from_port == -1:
            return base, base | 0xFFFF
        if to_port == -1:
            return base | from_port << 8, base | from_port << 8 | 0xFF
        return (base | from_port << 8 | to_port,) * 2
    return base, base | 0xFFFF


def packet_service(
    protocol: np.ndarray, port: np.ndarray, icmp_type: np.ndarray, icmp_code: np.ndarray
) -> np.ndarray:
    """The service coordinate of packets (vectorised; ``uint64``)."""
    proto = protocol.astype(np.uint64)
    icmp = (icmp_type.astype(np.uint64) << np.uint64(8)) | icmp_code.astype(np.uint64)
    ported = (proto == _TCP) | (proto == _UDP)
    is_icmp = (proto == _ICMP) | (proto == _ICMP6)
    low = np.where(ported, port.astype(np.uint64), np.where(is_icmp, icmp, np.uint64(0)))
    return (proto << np.uint64(16)) | low


_NO_KEY = np.iinfo(np.uint64).max


@dataclass(frozen=True)
class SortedKeys:
    """Sorted ``uint64`` keys, searched for millions of queries at once.

    ``np.searchsorted`` runs a scalar binary search per query, with a mispredicted branch
    at every level when queries come in random order: for a chunk it costs a hundred
    elementwise passes (bench/decide.py, NACL case). Here a query's top bits first pick a
    *bucket* (about four per key, at most 2**16): one gather gives the keys below it;
    then a branch-free vectorised search (:func:`stride_search`) runs only over the
    bucket's keys — a few strides instead of ``log2(len(keys))``. Keys are padded with
    sentinels so no stride leaves the array; queries must be below ``2**64 - 1``.
    """

    keys: np.ndarray  # uint64, ascending, then sentinels
    before: np.ndarray  # int64 per bucket: index of the last key below it (-1: none)
    shift: int  # a query's bucket: ``query >> shift`` (the last bucket takes the rest)
    steps: int  # strides that cover the fullest bucket
    size: int  # how many real keys

    @classmethod
    def of(cls, keys: np.ndarray) -> SortedKeys:
        size = len(keys)
        top = int(keys[-1]) if size else 0
        bits = min(16, (4 * size).bit_length())
        shift = max(0, top.bit_length() - bits)
        buckets = (top >> shift) + 1
        edges = np.arange(buckets, dtype=np.uint64) << np.uint64(shift)  # all <= top
        first = np.append(np.searchsorted(keys, edges, "left"), size).astype(np.int64)
        steps = int(np.diff(first).max()).bit_length()
        padded = np.concatenate((keys.astype(np.uint64), np.full(1 << steps, _NO_KEY, np.uint64)))
        return cls(padded, first[:-1] - 1, shift, steps, size)

    def floor(self, query: np.ndarray) -> np.ndarray:
        """Index of the last key ``<= query`` per query, ``-1`` where none is
        (``np.searchsorted(keys, query, "right") - 1``)."""
        bucket = np.minimum(query >> np.uint64(self.shift), np.uint64(len(self.before) - 1))
        base = self.before.take(bucket.view(np.int64))
        return stride_search(self.keys, base, query, self.steps)


def stride_search(keys: np.ndarray, base: np.ndarray, query: np.ndarray, steps: int) -> np.ndarray:
    """From ``base``, the furthest index within ``2**steps - 1`` whose key is ``<= query``
    (keys ascending from ``base + 1`` on; the caller pads them so no stride leaves the array).

    Each stride is a gather, a compare and a select over all queries. A select, not
    ``np.add(..., where=)``: NumPy's masked ufunc path is several times slower.
    """
    for power in range(steps - 1, -1, -1):
        candidate = base + (1 << power)
        base = np.where(keys.take(candidate) <= query, candidate, base)
    return base


@dataclass(frozen=True)
class Layer:
    """Packed tables: rows of labelled address runs, as sorted ``row << 32 | start`` keys.

    Row ``r``'s runs begin at ``row_begin[r]`` (the first run starts at address 0). A
    packet's row comes from one search over the small service-key array; its run
    from a branch-free binary search that starts at its row and takes ``steps`` power-of-two
    strides — a few vector operations per step for all packets at once, instead of a search
    over every run of every table. Keys are padded with sentinels so strides never leave
    the array; a stride past the row's end lands on a larger row prefix and is refused.
    """

    service_keys: SortedKeys | None  # uint64 table << 24 | row start; None: one row a table
    row_begin: np.ndarray  # int64 per row: index of its first run
    keys: np.ndarray  # uint64 row << 32 | run start, ascending, sentinel-padded
    labels: np.ndarray  # int32 per run: lowest matching local entry index, or -1
    steps: int  # binary-search steps that suffice for the longest row
    empty: bool  # no table has any rule in this layer

    def lookup(self, tables: np.ndarray, service: np.ndarray, coord: np.ndarray) -> np.ndarray:
        if self.empty:
            return np.full(len(coord), -1, np.int32)
        if self.service_keys is None:
            row = tables
        else:
            query = (tables.astype(np.uint64) << np.uint64(24)) | service
            row = self.service_keys.floor(query)
        key = (row.astype(np.uint64) << np.uint64(32)) | coord
        base = stride_search(self.keys, self.row_begin[row], key, self.steps)
        found: np.ndarray = self.labels[base]  # an array index gives an array, not a scalar
        return found


@dataclass(frozen=True)
class FamilyTables:
    """Every table of one address family.

    All-traffic rules (protocol ``-1``) cover every row of the service axis; kept in the
    2-D layer they would repeat in every row and multiply its size. They get a 1-D layer of
    their own (address only), and a lookup takes the lower label of the two layers.
    """

    narrow: Layer  # rules with a protocol: service x address
    wide: Layer  # all-traffic rules: address only
    #: IPv6 only: sorted rule boundaries (16-byte big-endian); address -> rank
    boundaries: np.ndarray | None = None

    def lookup(self, tables: np.ndarray, service: np.ndarray, coord: np.ndarray) -> np.ndarray:
        """Local entry index of the lowest matching entry per packet, or -1."""
        narrow = self.narrow.lookup(tables, service, coord)
        if self.wide.empty:
            return narrow
        wide = self.wide.lookup(tables, service, coord)
        # the lower label of the two, -1 (none) losing: -1 is the largest as unsigned
        lowest: np.ndarray = np.minimum(narrow.view(np.uint32), wide.view(np.uint32))
        return lowest.view(np.int32)

    def rank(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """IPv6 addresses (two uint64 halves) → their rank coordinate."""
        assert self.boundaries is not None
        keys = to_bytes16(hi, lo)
        return (np.searchsorted(self.boundaries, keys, "right") - 1).astype(np.uint64)


def to_bytes16(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """Two uint64 halves → 16-byte big-endian strings, which sort like the integers."""
    pair = np.empty((len(hi), 2), dtype=">u8")
    pair[:, 0] = hi
    pair[:, 1] = lo
    return pair.view("S16").ravel()


def int_to_bytes16(values: list[int]) -> np.ndarray:
    return np.array([v.to_bytes(16, "big") for v in values], dtype="S16")


class TableBuilder:
    """Collects the tables of one family, dedupes them, and packs them."""

    def __init__(self, family: int, split_wide: bool = True) -> None:
        """``split_wide``: all-traffic rectangles get their own address-only layer (right for
        security groups, whose many rows would each repeat them); small tables with few
        service rows (network ACLs, whose ``*`` deny is all-traffic) keep one layer, so
        a lookup is one search instead of two."""
        self.family = family
        self.split_wide = split_wide
        self._rects: list[list[Rect]] = []
        self._ids: dict[object, int] = {}

    def add(self, key: object, entries: tuple[EffectiveEntry, ...]) -> int:
        """Register the table of ``entries`` (this family's only); returns its table id."""
        if key in self._ids:
            return self._ids[key]
        rects = []
        for label, entry in enumerate(entries):
            family, lo, hi = entry.bounds
            if family == self.family:
                s_lo, s_hi = service_range(entry.protocol, entry.from_port, entry.to_port)
                rects.append(Rect(s_lo, s_hi, lo, hi, label))
        self._ids[key] = len(self._rects)
        self._rects.append(rects)
        return self._ids[key]

    def add_rects(self, key: object, rects: Callable[[], list[Rect]]) -> int:
        """Register a table of ready-made rectangles (network ACL entries, labelled in
        evaluation order), made only when ``key`` is new; returns its table id."""
        if key not in self._ids:
            self._ids[key] = len(self._rects)
            self._rects.append(rects())
        return self._ids[key]

    def build(self) -> FamilyTables:
        boundaries = None
        space = SPACE[self.family]
        rect_sets = self._rects
        if self.family == 6:
            ordered = segment_starts(((r.a_lo, r.a_hi) for t in rect_sets for r in t), space)
            rank = {p: i for i, p in enumerate(ordered)}
            rank[space] = len(ordered)
            rect_sets = [
                [r._replace(a_lo=rank[r.a_lo], a_hi=rank[r.a_hi + 1] - 1) for r in t]
                for t in rect_sets
            ]
            space = len(ordered)
            boundaries = int_to_bytes16(ordered)
        split = self.split_wide
        wide = [[r for r in t if split and _all_services(r)] for t in rect_sets]
        narrow = [[r for r in t if not (split and _all_services(r))] for t in rect_sets]
        return FamilyTables(_pack(narrow, space, True), _pack(wide, space, False), boundaries)


def _all_services(rect: Rect) -> bool:
    return rect.s_lo == 0 and rect.s_hi == SERVICE_SPACE - 1


def _pack(rect_sets: list[list[Rect]], space: int, by_service: bool) -> Layer:
    """Pack tables into one :class:`Layer` (``by_service``: 2-D, else address only)."""
    service_keys: list[np.ndarray] = []
    keys: list[np.ndarray] = []
    labels: list[np.ndarray] = []
    lengths: list[int] = []
    for table_id, rects in enumerate(rect_sets or [[]]):
        if by_service:
            rows, runs = _table(rects, space)
        else:
            rows = np.zeros(1, np.uint64)
            runs = [_address_runs(paint_runs((r.a_lo, r.a_hi, r.label) for r in rects), space)]
        service_keys.append((np.uint64(table_id) << np.uint64(24)) | rows)
        for run_starts, run_labels in runs:
            keys.append((np.uint64(len(lengths)) << np.uint64(32)) | run_starts)
            labels.append(run_labels)
            lengths.append(len(run_starts))
    steps = (max(lengths) - 1).bit_length()
    keys.append(np.full(1 << steps, np.iinfo(np.uint64).max, np.uint64))
    row_begin = np.concatenate(([0], np.cumsum(lengths)[:-1])).astype(np.int64)
    return Layer(
        SortedKeys.of(np.concatenate(service_keys)) if by_service else None,
        row_begin,
        np.concatenate(keys),
        np.concatenate(labels),
        steps,
        not any(rect_sets),
    )


def _table(rects: list[Rect], space: int) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]]:
    """Rows (service starts, from 0) and, per row, the labelled address runs of one table;
    the services no rule covers are rows of a single unlabelled run."""
    empty = _address_runs((), space)
    starts: list[int] = []
    runs: list[tuple[np.ndarray, np.ndarray]] = []
    next_service = 0
    for row in paint(rects):
        if row.s_lo > next_service:
            starts.append(next_service)
            runs.append(empty)
        starts.append(row.s_lo)
        runs.append(_address_runs(row.runs, space))
        next_service = row.s_hi + 1
    if next_service < SERVICE_SPACE or not starts:
        starts.append(next_service if starts else 0)
        runs.append(empty)
    return np.array(starts, np.uint64), runs


def _address_runs(painted: Sequence[Run], space: int) -> tuple[np.ndarray, np.ndarray]:
    """Painted runs as a row: run starts from address 0 and their labels, gaps ``-1``."""
    starts: list[int] = []
    labels: list[int] = []
    end = 0
    for first, last, label in painted:
        if first > end:
            starts.append(end)
            labels.append(-1)
        starts.append(first)
        labels.append(label)
        end = last + 1
    if not starts or end < space:
        starts.append(end)
        labels.append(-1)
    return np.array(starts, np.uint64), np.array(labels, np.int32)
