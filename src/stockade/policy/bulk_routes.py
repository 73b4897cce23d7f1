"""Route tables as arrays: one painted interval table per route table and family.

``bulk_path`` needs, for millions of flows, the route each one takes out of its subnet
(and the reply's route back, and a NAT gateway's onward route). Each route table is
painted once per family (:func:`stockade.policy.routes.painted`: interval starts and the
route chosen in each interval, by the one selection rule), so a lookup is a
``searchsorted`` per distinct table; what a chosen route means (its hop, whether it is
active, its peering's other side, its NAT gateway) is one array entry per route, built
from :func:`stockade.policy.routes.route_facts` — the facts ``path`` reads for one flow.

Index 0 of the route arrays is "no route" (hop ``NONE``, not active), so a lookup that
finds nothing, or a subnet with no table, needs no special case.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from stockade.domain.routing import RouteTable
from stockade.domain.state import Snapshot
from stockade.policy.addressing import parse_address
from stockade.policy.routes import Hop, painted, route_facts
from stockade.policy.tables import SortedKeys, to_bytes16

_U64 = np.uint64
_NONE = 0  # the "no route" entry of the route arrays


@dataclass(frozen=True)
class FamilyRoutes:
    """One family's painted tables and the facts of every route (entry 0: no route)."""

    starts: tuple[np.ndarray, ...]  # per table: interval starts (uint64, or S16 for IPv6)
    chosen: tuple[np.ndarray, ...]  # per table: route entry per interval
    #: IPv4: every table's starts in one sorted array keyed ``table << 32 | start`` (each
    #: table starts at address 0), so a lookup over many tables is one search
    flat_starts: SortedKeys
    flat_chosen: np.ndarray
    hop: np.ndarray  # uint8 Hop per route entry
    active: np.ndarray  # bool
    target: np.ndarray  # int64 code of the target id (-1: none)
    peer: np.ndarray  # int64 VPC index of a peering's other side (-1: not a known peering)
    nat: np.ndarray  # int64 NAT gateway index (-1: not a NAT gateway the snapshot holds)


@dataclass(frozen=True)
class RouteArrays:
    """Per interface its subnet's table; per NAT gateway its subnet's table and address."""

    table: np.ndarray  # int64 per interface (-1: its subnet is not in the snapshot)
    nat_table: np.ndarray  # int64 per NAT gateway
    nat_public: np.ndarray  # bool: the NAT gateway has a public IPv4
    nat_address: np.ndarray  # uint64: its public IPv4, else its private one
    v4: FamilyRoutes
    v6: FamilyRoutes

    def family(self, family: int) -> FamilyRoutes:
        return self.v4 if family == 4 else self.v6


def build_routes(
    snapshot: Snapshot, subnet_ids: list[str], vpc_index: dict[str, int]
) -> RouteArrays:
    """Arrays for ``subnet_ids`` (one per interface, in the topology's interface order)."""
    tables: dict[tuple[str, str], int] = {}
    ordered: list[RouteTable] = []

    def table_index(subnet_id: str) -> int:
        table = snapshot.route_table_by_subnet.get(subnet_id)
        if table is None:
            return -1
        key = (table.vpc_id, table.route_table_id)
        if key not in tables:
            tables[key] = len(ordered)
            ordered.append(table)
        return tables[key]

    per_eni = np.array([table_index(s) for s in subnet_ids], np.int64)
    nats = snapshot.nat_gateways
    nat_index = {n.nat_gateway_id: i for i, n in enumerate(nats)}
    nat_table = np.array([table_index(n.subnet_id) for n in nats], np.int64)
    targets: dict[str, int] = {}
    families = {
        family: _family(snapshot, ordered, family, vpc_index, nat_index, targets)
        for family in (4, 6)
    }
    return RouteArrays(
        per_eni,
        nat_table,
        np.array([bool(n.public_ip) for n in nats], bool),
        np.array([parse_address(n.public_ip or n.private_ip)[1] for n in nats], _U64),
        families[4],
        families[6],
    )


def _family(
    snapshot: Snapshot,
    tables: list[RouteTable],
    family: int,
    vpc_index: dict[str, int],
    nat_index: dict[str, int],
    targets: dict[str, int],
) -> FamilyRoutes:
    hop, active, target, peer, nat = [int(Hop.NONE)], [False], [-1], [-1], [-1]
    starts, chosen = [], []
    for table in tables:
        points, picks = painted(snapshot, table, family)
        base = len(hop)
        for route in table.routes:
            facts = route_facts(snapshot, route, table.vpc_id, family)
            hop.append(int(facts.hop))
            active.append(facts.active)
            target.append(targets.setdefault(route.target, len(targets)))
            peer.append(vpc_index.get(facts.peer_vpc_id, -1) if facts.peer_vpc_id else -1)
            nat.append(nat_index.get(route.target, -1))
        if family == 4:
            starts.append(np.array(points, _U64))
        else:
            starts.append(np.array([p.to_bytes(16, "big") for p in points], "S16"))
        chosen.append(np.array([_NONE if p < 0 else base + p for p in picks], np.int64))
    flat_starts, flat_chosen = np.zeros(0, _U64), np.zeros(0, np.int64)
    if family == 4 and starts:
        flat_starts = np.concatenate(
            [(_U64(t) << _U64(32)) | s for t, s in enumerate(starts)]
        ).astype(_U64)
        flat_chosen = np.concatenate(chosen)
    return FamilyRoutes(
        tuple(starts),
        tuple(chosen),
        SortedKeys.of(flat_starts),
        flat_chosen,
        np.array(hop, np.uint8),
        np.array(active, bool),
        np.array(target, np.int64),
        np.array(peer, np.int64),
        np.array(nat, np.int64),
    )


def lookup_many(
    routes: FamilyRoutes, family: int, table: np.ndarray, hi: np.ndarray, lo: np.ndarray
) -> np.ndarray:
    """The route entry each address takes in its table (``0``: none), one search per table."""
    out = np.zeros(len(table), np.int64)
    if not len(table) or not routes.starts:
        return out
    if family == 4:
        key = (np.maximum(table, 0).astype(_U64) << _U64(32)) | lo
        found = routes.flat_chosen[routes.flat_starts.floor(key)]
        return np.where(table >= 0, found, _NONE)
    # which tables occur (-1: none): a count, not a sort — there are few tables
    counts = np.bincount(table + 1, minlength=len(routes.starts) + 1)
    distinct = np.flatnonzero(counts) - 1
    for t in distinct:
        if t < 0:
            continue
        rows = None if len(distinct) == 1 else np.flatnonzero(table == t)
        key = lo if family == 4 else to_bytes16(hi, lo)
        if rows is not None:
            key = key[rows]
        position = np.searchsorted(routes.starts[t], key, "right") - 1
        found = routes.chosen[t][position]
        if rows is None:
            return found
        out[rows] = found
    return out
