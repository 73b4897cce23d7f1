"""A snapshot compiled for bulk decisions: every interface's tables plus the topology.

:func:`compile_policy` is what :func:`stockade.policy.bulk.decide_many` runs on; it is
cached on the snapshot, so compiling once and deciding many batches is the normal use.
Entry indices reported by the bulk evaluator are indices into :attr:`CompiledPolicy.entries`
(``offset[interface, direction] + local index``), which point back to rule and group ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from stockade.domain.state import Snapshot
from stockade.policy.bulk_acl import CompiledAcls, compile_acls
from stockade.policy.bulk_path import Topology, build_topology
from stockade.policy.cache import cached
from stockade.policy.effective import Direction, EffectiveEntry, effective_policies
from stockade.policy.tables import FamilyTables, TableBuilder

#: Column order of the per-interface arrays.
DIRECTIONS = (Direction.INGRESS, Direction.EGRESS)
INGRESS, EGRESS = 0, 1


@dataclass(frozen=True)
class CompiledPolicy:
    eni_ids: tuple[str, ...]  # sorted; position = interface index
    eni_index: Mapping[str, int]
    entries: tuple[EffectiveEntry, ...]  # every interface's entries, both directions
    offset: np.ndarray  # int64 [interface, direction]: first global entry index
    table: np.ndarray  # int64 [interface, direction, family (0: IPv4, 1: IPv6)]
    v4: FamilyTables
    v6: FamilyTables
    topology: Topology
    acls: CompiledAcls  # every network ACL as tables (:mod:`stockade.policy.bulk_acl`)

    def entry(self, index: int) -> EffectiveEntry | None:
        """The effective entry behind a global index (``None`` for -1)."""
        return None if index < 0 else self.entries[index]


def compile_policy(snapshot: Snapshot) -> CompiledPolicy:
    """Compile (once per snapshot) every interface's effective policy and the topology."""
    return cached(snapshot, "compiled", lambda: _compile(snapshot))


def _compile(snapshot: Snapshot) -> CompiledPolicy:
    policies = effective_policies(snapshot)
    eni_ids = tuple(sorted(policies))
    builders = (TableBuilder(4), TableBuilder(6))
    count = len(eni_ids)
    offset = np.zeros((count, 2), np.int64)
    table = np.zeros((count, 2, 2), np.int64)
    entries: list[EffectiveEntry] = []
    for i, eni_id in enumerate(eni_ids):
        policy = policies[eni_id]
        for d, direction in enumerate(DIRECTIONS):
            rules = policy.entries(direction)
            offset[i, d] = len(entries)
            entries.extend(rules)
            key = (direction, policy.group_ids)
            for f, builder in enumerate(builders):
                table[i, d, f] = builder.add(key, rules)
    return CompiledPolicy(
        eni_ids,
        {eni_id: i for i, eni_id in enumerate(eni_ids)},
        tuple(entries),
        offset,
        table,
        builders[0].build(),
        builders[1].build(),
        build_topology(snapshot, eni_ids),
        compile_acls(snapshot, eni_ids),
    )
