"""Per-rule hit counters, read from the kernel, and last-hit times, from the flow-log reader.

Every rule chain (``r_<rule id>``) starts with a ``counter``: only the first packet of a
connection ever reaches a rule (established traffic is accepted before the dispatch), so
its packet count is the number of connections the rule let in or out, on this machine.

A full rewrite of a VPC's table (an agent restart, a recovery) replaces every counter with
a zero. So just before one, the applier's hook (:func:`carry_over`) reads the table's
counters, and once the rewrite has succeeded adds them to a per-VPC base in the state
directory (``<state dir>/counters/<vpc id>.json``); the counts shown are base + kernel. A
refused rewrite leaves the kernel's counters (and the base) as they were: nothing is
counted twice. The last-hit times live in the state directory too (the reader's).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from stockade.dataplane import netns
from stockade.dataplane.flowlog import read_hits
from stockade.dataplane.names import TABLE, World
from stockade.dataplane.nft import Nft, NftError

Counts = dict[str, tuple[int, int]]  # rule id -> (packets, bytes)


@dataclass(frozen=True)
class RuleHits:
    rule_id: str
    connections: int  # first packets counted by the kernel (0 when unknown)
    bytes: int
    last_hit: float | None  # unix time of the last logged connection


def base_path(state_dir: Path, vpc_id: str) -> Path:
    return state_dir / "counters" / f"{vpc_id}.json"


def table_counters(nft: Nft) -> Counts:
    """Rule id → (packets, bytes) of one router's table (empty when it has none)."""
    try:
        items = nft.query(f"list table inet {TABLE}")["nftables"]
    except (NftError, LookupError):
        return {}
    out: Counts = {}
    for item in items:
        rule = item.get("rule")
        if not rule or not rule.get("chain", "").startswith("r_"):
            continue
        rule_id = rule["chain"][2:].replace("_", "-", 1)
        for expr in rule.get("expr", []):
            counter = expr.get("counter") if isinstance(expr, dict) else None
            if isinstance(counter, dict):
                _add(out, rule_id, counter["packets"], counter["bytes"])
    return out


def carry_over(nft: Nft, state_dir: Path, vpc_id: str) -> Callable[[], Callable[[], None]]:
    """The applier's ``before_rewrite`` hook for one router: bank the counters a full
    rewrite is about to zero, once it has."""

    def before() -> Callable[[], None]:
        counted = table_counters(nft)

        def after() -> None:
            if counted:
                path = base_path(state_dir, vpc_id)
                base = _read(path)
                for rule_id, (packets, size) in counted.items():
                    _add(base, rule_id, packets, size)
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(base))
                tmp.replace(path)

        return after

    return before


def kernel_counters(world: World) -> Counts:
    """Rule id → (packets, bytes) summed over the world's VPC routers (root only)."""
    if os.geteuid() != 0:
        return {}
    out: Counts = {}
    for namespace in netns.listed(world.prefix + "vpc-"):
        try:
            with Nft(namespace) as nft:
                counted = table_counters(nft)
        except (NftError, OSError, LookupError):
            continue
        for rule_id, (packets, size) in counted.items():
            _add(out, rule_id, packets, size)
    return out


def banked_counters(state_dir: Path) -> Counts:
    """Rule id → (packets, bytes) carried over full rewrites, across every VPC."""
    out: Counts = {}
    for path in sorted((state_dir / "counters").glob("*.json")):
        for rule_id, (packets, size) in _read(path).items():
            _add(out, rule_id, packets, size)
    return out


#: The chains that count the security groups' rejects, and the network ACLs' drops.
REJECT_CHAINS = ("reject_in", "reject_eg")
ACL_REJECT_CHAINS = ("acl_reject_in", "acl_reject_eg")


def rejected_packets(namespace: str, chains: tuple[str, ...] = REJECT_CHAINS) -> int:
    """Packets a VPC router's table rejected (its ``reject_in``/``reject_eg`` counters:
    what flow logs record as REJECT by the security groups; with ``ACL_REJECT_CHAINS``,
    what the network ACLs dropped)."""
    total = 0
    with Nft(namespace) as nft:
        for chain in chains:
            for item in nft.query(f"list chain inet {TABLE} {chain}")["nftables"]:
                for expr in item.get("rule", {}).get("expr", []):
                    if isinstance(expr, dict) and "counter" in expr:
                        total += expr["counter"]["packets"]
    return total


def rule_hits(
    world: World, state_dir: Path, rule_ids: Iterable[str] | None = None
) -> list[RuleHits]:
    """Counters and last-hit times of the given rules, or of every rule the data plane has
    counted or logged (``None``); rules never seen are left out."""
    counters = kernel_counters(world)
    if state_dir.exists():
        for rule_id, (packets, size) in banked_counters(state_dir).items():
            _add(counters, rule_id, packets, size)
    hits = read_hits(state_dir) if state_dir.exists() else {}
    if rule_ids is None:
        rule_ids = sorted(counters.keys() | hits.keys())
    out = []
    for rule_id in rule_ids:
        packets, size = counters.get(rule_id, (0, 0))
        logged = hits.get(rule_id)
        if rule_id in counters or logged:
            out.append(RuleHits(rule_id, packets, size, logged[1] if logged else None))
    return out


def _add(counts: Counts, rule_id: str, packets: int, size: int) -> None:
    before = counts.get(rule_id, (0, 0))
    counts[rule_id] = (before[0] + int(packets), before[1] + int(size))


def _read(path: Path) -> Counts:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {k: (int(v[0]), int(v[1])) for k, v in data.items()} if isinstance(data, dict) else {}
