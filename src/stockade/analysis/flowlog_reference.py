"""Reference implementation (not used by ``stockade``): flow-log rule usage as a plain
per-record Python loop.

Nothing in the product calls this module; ``stockade flowlogs analyze`` runs the vectorised
path (:mod:`stockade.analysis.flowlogs`). It has two jobs, which is why it ships in the
package rather than under ``tests/``: it is the *oracle* the tests hold the vectorised path
to (same credits, same most-specific rule, same request/reply split, record by record), and
the *baseline* ``bench/flowlogs.py`` measures against — the way such tools are usually
written (parse a line, find the interface, test every rule, update counters), like the AWS
sample that matches one row at a time. It follows :mod:`stockade.analysis.flowlog_usage`'s
rules exactly, but shares none of its code beyond the effective policies and the
specificity order, so a slip in either shows up as a disagreement.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass, field

from stockade.analysis.flowlog_cells import flow_service_range, specificity
from stockade.domain.flow_log_fields import DEFAULT_FIELDS
from stockade.domain.state import Snapshot
from stockade.policy.effective import effective_policies


@dataclass
class LoopResult:
    #: rule id -> [records, packets, bytes, most-specific records]
    rules: dict[str, list[int]] = field(default_factory=dict)
    requests: int = 0
    replies: int = 0
    unexplained: int = 0
    records: int = 0
    rejected: int = 0
    unknown_interface: int = 0
    #: rule id -> [first start, last end] (the same bookkeeping the report does)
    seen: dict[str, list[int]] = field(default_factory=dict)
    sources: dict[str, set[str]] = field(default_factory=dict)
    ports: dict[str, set[int]] = field(default_factory=dict)


def prepare(snapshot: Snapshot) -> dict[str, tuple]:
    """Per interface: its own addresses and, per direction, its entries as plain tuples."""
    out = {}
    for eni_id, policy in effective_policies(snapshot).items():
        eni = snapshot.interface_by_id[eni_id]
        own = {
            str(ipaddress.ip_address(a))
            for a in (eni.private_ip, eni.public_ip, *eni.ipv6_addresses)
            if a
        }
        sides = []
        for entries in (policy.ingress, policy.egress):
            rows = []
            for e in entries:
                family, lo, hi = e.bounds
                s_lo, s_hi = flow_service_range(e)
                rows.append((family, lo, hi, s_lo, s_hi, e.rule_id, specificity(e)))
            sides.append(rows)
        out[eni_id] = (own, sides[0], sides[1])
    return out


def analyze_lines(
    snapshot: Snapshot,
    lines: Iterable[str],
    fields: tuple[str, ...] = DEFAULT_FIELDS,
    prepared: dict[str, tuple] | None = None,
) -> LoopResult:
    interfaces = prepared if prepared is not None else prepare(snapshot)
    at = {name: i for i, name in enumerate(fields)}
    i_eni, i_src, i_dst = at["interface-id"], at["srcaddr"], at["dstaddr"]
    i_sport, i_dport, i_proto = at.get("srcport"), at["dstport"], at["protocol"]
    i_pk, i_by, i_act = at.get("packets"), at.get("bytes"), at["action"]
    i_status, i_flags, i_dir = at.get("log-status"), at.get("tcp-flags"), at.get("flow-direction")
    i_start, i_end = at.get("start"), at.get("end")
    result = LoopResult()
    for line in lines:
        v = line.split()
        if not v or v[0] == "version":
            continue  # a header line
        result.records += 1
        if v[i_act] != "ACCEPT" or (i_status is not None and v[i_status] != "OK"):
            result.rejected += v[i_act] == "REJECT"
            continue
        found = interfaces.get(v[i_eni])
        if found is None:
            result.unknown_interface += 1
            continue
        if v[i_proto] == "-":
            continue
        own, ingress, egress = found
        src, dst = ipaddress.ip_address(v[i_src]), ipaddress.ip_address(v[i_dst])
        if src.version != dst.version:
            continue
        direction = (
            v[i_dir]
            if i_dir is not None and v[i_dir] != "-"
            else ("ingress" if str(dst) in own else "egress" if str(src) in own else None)
        )
        if direction is None:
            continue
        remote = int(src) if direction == "ingress" else int(dst)
        family = src.version
        proto = int(v[i_proto])
        sport = int(v[i_sport]) if i_sport is not None and v[i_sport] != "-" else -1
        dport = int(v[i_dport]) if v[i_dport] != "-" else 0
        ported = proto in (6, 17)
        if not ported:
            sport = dport
        service_a = (proto << 16) | (dport if ported else 0)
        service_b = (proto << 16) | (max(sport, 0) if ported else 0)
        mine, other = (ingress, egress) if direction == "ingress" else (egress, ingress)
        match_a = [
            e
            for e in mine
            if e[0] == family and e[1] <= remote <= e[2] and e[3] <= service_a <= e[4]
        ]
        match_b = (
            [
                e
                for e in other
                if e[0] == family and e[1] <= remote <= e[2] and e[3] <= service_b <= e[4]
            ]
            if sport >= 0 or not ported
            else []
        )
        flags = int(v[i_flags]) if i_flags is not None and v[i_flags] != "-" else -1
        if proto == 6 and flags >= 0 and flags & 18:
            request, reply = bool(flags & 2 and not flags & 16), bool(flags & 16)
        else:
            request = bool(match_a) and (not match_b or dport <= sport)
            reply = bool(match_b) and not request and sport <= dport
        packets = int(v[i_pk]) if i_pk is not None and v[i_pk] != "-" else 0
        size = int(v[i_by]) if i_by is not None and v[i_by] != "-" else 0
        if request and match_a:
            result.requests += 1
            start = int(v[i_start]) if i_start is not None and v[i_start] != "-" else None
            end = int(v[i_end]) if i_end is not None and v[i_end] != "-" else None
            for rule_id in {e[5] for e in match_a}:
                counts = result.rules.setdefault(rule_id, [0, 0, 0, 0])
                counts[0] += 1
                counts[1] += packets
                counts[2] += size
                if start is not None and end is not None:
                    seen = result.seen.setdefault(rule_id, [start, end])
                    seen[0], seen[1] = min(seen[0], start), max(seen[1], end)
                result.sources.setdefault(rule_id, set()).add(
                    str(dst if direction == "egress" else src)
                )
                result.ports.setdefault(rule_id, set()).add(dport)
            best = min(match_a, key=lambda e: e[6])
            result.rules[best[5]][3] += 1
        elif reply:
            result.replies += 1
        else:
            result.unexplained += 1
    return result
