"""Per-rule hit counters, read from the kernel, and last-hit times, from the flow-log reader.

Every rule chain (``r_<rule id>``) starts with a ``counter``: only the first packet of a
connection ever reaches a rule (established traffic is accepted before the dispatch), so
its packet count is the number of connections the rule let in or out, on this machine.
A full rewrite of a VPC's table (a restart, a recovery) starts the counts again; the
last-hit times survive it (the reader keeps them in the state directory).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from stockade.dataplane import netns
from stockade.dataplane.flowlog import read_hits
from stockade.dataplane.names import TABLE, World
from stockade.dataplane.nft import Nft, NftError


@dataclass(frozen=True)
class RuleHits:
    rule_id: str
    connections: int  # first packets counted by the kernel (0 when unknown)
    bytes: int
    last_hit: float | None  # unix time of the last logged connection


def kernel_counters(world: World) -> dict[str, tuple[int, int]]:
    """Rule id → (packets, bytes) summed over the world's VPC routers (root only)."""
    if os.geteuid() != 0:
        return {}
    out: dict[str, tuple[int, int]] = {}
    for namespace in netns.listed(world.prefix + "vpc-"):
        try:
            with Nft(namespace) as nft:
                items = nft.query(f"list table inet {TABLE}")["nftables"]
        except (NftError, OSError, LookupError):
            continue
        for item in items:
            rule = item.get("rule")
            if not rule or not rule.get("chain", "").startswith("r_"):
                continue
            rule_id = rule["chain"][2:].replace("_", "-", 1)
            for expr in rule.get("expr", []):
                counter = expr.get("counter") if isinstance(expr, dict) else None
                if isinstance(counter, dict):
                    packets, size = out.get(rule_id, (0, 0))
                    out[rule_id] = (packets + counter["packets"], size + counter["bytes"])
    return out


def rejected_packets(namespace: str) -> int:
    """Packets a VPC router's table rejected (its ``reject_in``/``reject_eg`` counters:
    what flow logs record as REJECT by the security groups)."""
    total = 0
    with Nft(namespace) as nft:
        for chain in ("reject_in", "reject_eg"):
            for item in nft.query(f"list chain inet {TABLE} {chain}")["nftables"]:
                for expr in item.get("rule", {}).get("expr", []):
                    if isinstance(expr, dict) and "counter" in expr:
                        total += expr["counter"]["packets"]
    return total


def rule_hits(world: World, state_dir: Path, rule_ids: list[str]) -> list[RuleHits]:
    """Counters and last-hit times of the given rules (rules never seen are left out)."""
    counters = kernel_counters(world)
    hits = read_hits(state_dir) if state_dir.exists() else {}
    out = []
    for rule_id in rule_ids:
        packets, size = counters.get(rule_id, (0, 0))
        logged = hits.get(rule_id)
        if rule_id in counters or logged:
            out.append(RuleHits(rule_id, packets, size, logged[1] if logged else None))
    return out
