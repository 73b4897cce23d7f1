"""Every matching rule for millions of flows: the effective rules cut into *cells*.

The policy engine's compiled tables answer "allowed, and by the lowest matching entry?".
Flow-log usage needs more: *every* rule that matches a flow, and a deterministic most
specific one. So each (group set, direction, family) table is cut along both axes —
service (``protocol << 16 | port``) and remote address — at every entry boundary; every
flow falls into exactly one cell, and all flows of a cell match exactly the same entries.
A lookup is two ``np.searchsorted`` calls over all tables at once (keys are prefixed with
the table id), so the cost per flow does not depend on the number of rules; the set of
entries of a cell is worked out only for the cells flows actually hit.

Flow-log ICMP records carry no type or code (their ports are 0), so ICMP entries are
widened to the whole protocol: every ICMP rule that could have matched is credited.
IPv6 addresses are replaced by their rank among all IPv6 entry boundaries, as in
:mod:`stockade.policy.tables`, so both families use 64-bit keys. The cuts, the most
specific entry of each cell and the entries of a cell come from
:mod:`stockade.policy.paint` (inclusive bounds; the label painted is the specificity rank).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from stockade.domain.state import Snapshot
from stockade.policy.addressing import SPACE
from stockade.policy.effective import Direction, EffectiveEntry, effective_policies
from stockade.policy.paint import Rect, covering, paint, segment_starts
from stockade.policy.tables import SERVICE_SPACE, int_to_bytes16, service_range, to_bytes16

INGRESS, EGRESS = 0, 1
_U64 = np.uint64


def flow_service_range(entry: EffectiveEntry) -> tuple[int, int]:
    """The entry's service interval as flow logs can see it (ICMP: any type)."""
    if entry.protocol in ("icmp", "icmpv6"):
        return service_range(entry.protocol, -1, -1)
    return service_range(entry.protocol, entry.from_port, entry.to_port)


def specificity(entry: EffectiveEntry) -> tuple:
    """Smaller is more specific: fewer addresses, then fewer ports, then a named protocol."""
    family, lo, hi = entry.bounds
    s_lo, s_hi = flow_service_range(entry)
    return (hi - lo, s_hi - s_lo, entry.protocol == "-1", entry.rule_id, entry.cidr)


@dataclass
class Table:
    """One (group set, direction, family): its entries and their cuts.

    ``spans`` are the entries as rectangles in *cut-index* space (inclusive, as every
    rectangle of :mod:`stockade.policy.paint`): entry ``k`` covers the cells
    ``(i, j)`` with ``s_lo <= i <= s_hi`` and ``a_lo <= j <= a_hi``.
    """

    entries: tuple[EffectiveEntry, ...]
    family: int
    s_cuts: list[int] = field(default_factory=list)
    a_cuts: list[int] = field(default_factory=list)  # addresses (IPv6: ranks, after build)
    spans: list[Rect] = field(default_factory=list)

    def cut(self) -> None:
        services = [flow_service_range(e) for e in self.entries]
        addresses = [e.bounds[1:] for e in self.entries]
        self.s_cuts = segment_starts(services, SERVICE_SPACE)
        self.a_cuts = segment_starts(addresses, SPACE[self.family])

    def index(self, rank: dict[int, int] | None) -> None:
        """Cell spans of every entry (after IPv6 addresses became ranks)."""
        s_at = {v: i for i, v in enumerate(self.s_cuts)}
        a_at = {v: i for i, v in enumerate(self.a_cuts)}
        n_s, n_a = len(self.s_cuts), len(self.a_cuts)
        for k, e in enumerate(self.entries):
            s_lo, s_hi = flow_service_range(e)
            _, lo, hi = e.bounds
            self.spans.append(
                Rect(
                    s_at[s_lo], s_at.get(s_hi + 1, n_s) - 1, a_at[lo], a_at.get(hi + 1, n_a) - 1, k
                )
            )
        if rank is not None:
            self.a_cuts = [rank[a] for a in self.a_cuts]


class CellIndex:
    """All tables of a snapshot, packed for vectorised cell lookups."""

    def __init__(
        self, snapshot: Snapshot, wide: Callable[[EffectiveEntry], bool] = lambda e: False
    ) -> None:
        policies = effective_policies(snapshot)
        self.eni_ids = tuple(sorted(policies))
        self.eni_index = {e: i for i, e in enumerate(self.eni_ids)}
        self.tables: list[Table] = []
        self.table_of = np.full((len(self.eni_ids), 2, 2), -1, np.int64)
        known: dict[tuple, int] = {}
        for i, eni_id in enumerate(self.eni_ids):
            policy = policies[eni_id]
            for d, direction in ((INGRESS, Direction.INGRESS), (EGRESS, Direction.EGRESS)):
                for f, family in ((0, 4), (1, 6)):
                    key = (d, policy.group_ids, family)
                    if key not in known:
                        entries = tuple(e for e in policy.entries(direction) if e.family == family)
                        known[key] = len(self.tables)
                        self.tables.append(Table(entries, family))
                    self.table_of[i, d, f] = known[key]
        for t in self.tables:
            t.cut()
        points = sorted({a for t in self.tables if t.family == 6 for a in t.a_cuts} | {0})
        rank = {p: i for i, p in enumerate(points)}
        rank[SPACE[6]] = len(points)
        self.v6_bounds = int_to_bytes16(points)
        for t in self.tables:
            t.index(rank if t.family == 6 else None)
        self._pack(wide)
        self._members: dict[int, tuple[int, ...]] = {}

    def _pack(self, wide) -> None:
        s_keys: list[np.ndarray] = []  # per table: its service cuts, keyed by table
        a_keys: list[np.ndarray] = []  # per table: its address cuts, keyed by table
        s_base: list[int] = []
        a_base: list[int] = []
        n_a: list[int] = []
        cell_base = [0]
        nonempty: list[np.ndarray] = []
        best: list[np.ndarray] = []
        broad: list[np.ndarray] = []
        for t_id, t in enumerate(self.tables):
            s_base.append(sum(len(k) for k in s_keys))
            a_base.append(sum(len(k) for k in a_keys))
            s_keys.append((np.uint64(t_id) << _U64(24)) | np.array(t.s_cuts, _U64))
            a_keys.append((np.uint64(t_id) << _U64(32)) | np.array(t.a_cuts, _U64))
            n_a.append(len(t.a_cuts))
            shape = (len(t.s_cuts), len(t.a_cuts))
            cell_base.append(cell_base[-1] + shape[0] * shape[1])
            # Paint by specificity rank: the lowest label (most specific) wins a cell; among
            # equally specific entries the later one, as the order below breaks ties.
            order = sorted(range(len(t.entries)), key=lambda k: (specificity(t.entries[k]), -k))
            label = np.full(shape, -1, np.int32)
            ranked = [Rect(*t.spans[k][:4], r) for r, k in enumerate(order)]
            _fill(label, ranked, np.array(order, np.int32))
            flagged = np.zeros(shape, bool)
            _fill(flagged, [r for r in t.spans if wide(t.entries[r.label])], None)
            filled = label >= 0
            nonempty.append(filled.ravel())
            best.append(label.ravel())
            broad.append(flagged.ravel())
        self.s_keys = np.concatenate(s_keys) if s_keys else np.zeros(0, _U64)
        self.a_keys = np.concatenate(a_keys) if a_keys else np.zeros(0, _U64)
        self.s_base = np.array(s_base, np.int64)
        self.a_base = np.array(a_base, np.int64)
        self.n_a = np.array(n_a, np.int64)
        self.cell_base = np.array(cell_base, np.int64)
        self.nonempty = np.concatenate(nonempty + [np.zeros(1, bool)])  # [-1] = no table
        self.best = np.concatenate(best + [np.full(1, -1, np.int32)])
        self.broad = np.concatenate(broad + [np.zeros(1, bool)])

    @property
    def cells(self) -> int:
        return int(self.cell_base[-1])

    def rank6(self, hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
        keys = to_bytes16(hi, lo)
        return (np.searchsorted(self.v6_bounds, keys, "right") - 1).astype(_U64)

    def lookup(self, table: np.ndarray, service: np.ndarray, coord: np.ndarray) -> np.ndarray:
        """Cell per flow (``-1`` where ``table`` is -1); ``coord`` is the address (IPv6:
        its rank)."""
        out = np.full(len(table), -1, np.int64)
        ok = table >= 0
        if not ok.any() or not len(self.s_keys):
            return out
        t = table[ok].astype(_U64)
        gs = np.searchsorted(self.s_keys, (t << _U64(24)) | service[ok], "right") - 1
        ga = np.searchsorted(self.a_keys, (t << _U64(32)) | coord[ok], "right") - 1
        ti = table[ok]
        out[ok] = (
            self.cell_base[ti] + (gs - self.s_base[ti]) * self.n_a[ti] + (ga - self.a_base[ti])
        )
        return out

    def locate(self, cell: int) -> tuple[Table, int, int]:
        t_id = int(np.searchsorted(self.cell_base, cell, "right") - 1)
        i, j = divmod(cell - int(self.cell_base[t_id]), int(self.n_a[t_id]))
        return self.tables[t_id], i, j

    def members(self, cell: int) -> tuple[int, ...]:
        """Indices (in its table) of every entry matching the flows of a cell."""
        if cell not in self._members:
            table, i, j = self.locate(cell)
            self._members[cell] = covering(table.spans, i, j)
        return self._members[cell]

    def entries(self, cell: int) -> tuple[EffectiveEntry, ...]:
        table = self.locate(cell)[0]
        return tuple(table.entries[k] for k in self.members(cell))

    def most_specific(self, cell: int) -> EffectiveEntry | None:
        k = int(self.best[cell])
        return None if k < 0 else self.locate(cell)[0].entries[k]


def _fill(grid: np.ndarray, rects: list[Rect], value_of: np.ndarray | None) -> None:
    """Paint rectangles (in cut-index space) onto a freshly filled grid of cells: each
    covered cell gets ``value_of[label]`` of the lowest label covering it (``value_of``
    None: ``True``), the others keep the fill; one NumPy write per painted row."""
    if not rects:
        return
    width, blank = grid.shape[1], grid.flat[0]
    for row in paint(rects):
        values, lengths, end = [], [], 0
        for first, last, label in row.runs:
            if first > end:
                values.append(blank)
                lengths.append(first - end)
            values.append(True if value_of is None else value_of[label])
            lengths.append(last + 1 - first)
            end = last + 1
        if end < width:
            values.append(blank)
            lengths.append(width - end)
        grid[row.s_lo : row.s_hi + 1] = np.repeat(np.array(values, grid.dtype), lengths)
