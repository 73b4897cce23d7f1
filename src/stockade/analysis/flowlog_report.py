"""What ``stockade flowlogs analyze`` reports: rule usage, unused rules, tightenings.

Built from :class:`~stockade.analysis.flowlog_usage.FlowUsage`'s per-cell statistics: each
cell's flows matched the same set of rules, so a rule's usage is the sum over the cells
holding it. "Unused" is judged only for rules of groups attached to interfaces that appear
in the logs, over the window the logs cover; rules of other groups are "not observed".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from stockade.analysis.flowlog_usage import CAP, WIDE_PREFIX, FlowUsage
from stockade.analysis.intervals import merge
from stockade.domain.security_group import PeerKind, SecurityGroupRule
from stockade.policy.decision import service_text

#: What flow logs never show (VPC user guide), so silence about it proves nothing.
CAVEATS = (
    "'unused' covers only the window the logs span, and only interfaces that appear in them",
    "flow logs never record traffic to the Amazon DNS resolver, instance metadata "
    "(169.254.169.254), time sync (169.254.169.123), DHCP, Windows licence activation, "
    "mirrored traffic or the VPC router's reserved address",
    "replies allowed by connection tracking credit no rule; without tcp-flags the initiator "
    "is inferred from the rules and the lower port",
    "ICMP records carry no type or code: every ICMP rule that could match is credited",
)


@dataclass
class RuleUsage:
    rule: SecurityGroupRule
    group_name: str | None
    records: int = 0
    packets: int = 0
    bytes: int = 0
    first: int | None = None
    last: int | None = None
    most_specific: int = 0  # records for which it was the most specific match
    sources: set[str] = field(default_factory=set)
    ports: set[int] = field(default_factory=set)
    more_sources: bool = False
    more_ports: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            **rule_dict(self.rule, self.group_name),
            "records": self.records,
            "packets": self.packets,
            "bytes": self.bytes,
            "first_seen": _time(self.first),
            "last_seen": _time(self.last),
            "most_specific_records": self.most_specific,
        }


@dataclass(frozen=True)
class Tightening:
    rule: SecurityGroupRule
    group_name: str | None
    sources: tuple[str, ...]  # the CIDRs to use instead (empty: keep the peer)
    ports: tuple[tuple[int, int], ...]  # the port ranges seen (empty: keep the ports)
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            **rule_dict(self.rule, self.group_name),
            "suggested_sources": list(self.sources),
            "suggested_ports": [{"from": a, "to": b} for a, b in self.ports],
            "text": self.text,
        }


@dataclass
class FlowLogReport:
    files: list[str]
    totals: dict[str, Any]
    interfaces: dict[str, Any]
    used: list[RuleUsage]
    unused: list[tuple[SecurityGroupRule, str | None]]
    not_observed: list[tuple[SecurityGroupRule, str | None]]
    tightenings: list[Tightening]
    unexplained: list[dict[str, Any]]
    caveats: tuple[str, ...] = CAVEATS

    def to_dict(self) -> dict[str, Any]:
        return {
            "files": self.files,
            "totals": self.totals,
            "interfaces": self.interfaces,
            "rules_used": [u.to_dict() for u in self.used],
            "rules_unused": [rule_dict(r, n) for r, n in self.unused],
            "rules_not_observed": [rule_dict(r, n) for r, n in self.not_observed],
            "tightenings": [t.to_dict() for t in self.tightenings],
            "unexplained_sample": self.unexplained,
            "caveats": list(self.caveats),
        }


def rule_text(rule: SecurityGroupRule) -> str:
    s = rule.spec
    word, prep = ("outbound", "to") if s.is_egress else ("inbound", "from")
    return f"{word} {service_text(s.protocol, s.from_port, s.to_port)} {prep} {s.peer.value}"


def rule_dict(rule: SecurityGroupRule, group_name: str | None) -> dict[str, Any]:
    return {
        "security_group_rule_id": rule.rule_id,
        "security_group_id": rule.group_id,
        "security_group_name": group_name,
        "rule": rule_text(rule),
        "description": rule.description,
    }


def _time(value: int | None) -> str | None:
    return None if value is None else datetime.fromtimestamp(value, UTC).isoformat()


def build_report(usage: FlowUsage, files: Iterable[str]) -> FlowLogReport:
    snap = usage.snapshot
    names = {g.group_id: g.name for g in snap.groups}
    by_rule: dict[str, RuleUsage] = {}
    rules = {r.rule_id: r for r in snap.rules}
    texts = usage.addresses.texts
    for cell, stats in usage.cells.items():
        for rule_id in dict.fromkeys(e.rule_id for e in usage.index.entries(cell)):
            rule = rules[rule_id]
            u = by_rule.setdefault(rule_id, RuleUsage(rule, names.get(rule.group_id)))
            u.records += stats.records
            u.packets += stats.packets
            u.bytes += stats.bytes
            u.first = _edge(min, u.first, stats.first)
            u.last = _edge(max, u.last, stats.last)
            u.sources.update(texts[s] for s in stats.sources)
            u.ports.update(stats.ports)
            u.more_sources |= stats.more_sources or len(u.sources) > CAP
            u.more_ports |= stats.more_ports or len(u.ports) > CAP
        best = usage.index.most_specific(cell)
        if best is not None:
            by_rule[best.rule_id].most_specific += stats.records
    observed_enis = {usage.index.eni_ids[i] for i in usage.observed}
    observed_groups = {g for e in observed_enis for g in snap.interface_by_id[e].group_ids}
    unused: list[tuple[SecurityGroupRule, str | None]] = []
    not_observed: list[tuple[SecurityGroupRule, str | None]] = []
    for rule in snap.rules:
        if rule.rule_id in by_rule:
            continue
        pair = (rule, names.get(rule.group_id))
        (unused if rule.group_id in observed_groups else not_observed).append(pair)
    used = sorted(by_rule.values(), key=lambda u: (-u.records, u.rule.rule_id))
    t = usage.totals
    unknown_names = {i: n for n, i in usage.interface_ids.items()}
    return FlowLogReport(
        files=list(files),
        totals={
            "records": t.records,
            "accepted": t.accepted,
            "rejected": t.rejected,
            "no_data": t.no_data,
            "requests_credited": t.requests,
            "replies": t.replies,
            "unexplained": t.unexplained,
            "unknown_direction": t.unknown_direction,
            "unknown_interface": t.unknown_interface,
            "window": {"start": _time(t.first), "end": _time(t.last)},
            "invalid_addresses": usage.addresses.invalid,
        },
        interfaces={
            "observed": sorted(observed_enis),
            "unknown": {unknown_names[i]: n for i, n in sorted(usage.unknown.items())},
        },
        used=used,
        unused=unused,
        not_observed=not_observed,
        tightenings=[found for u in used if (found := _tighten(u)) is not None],
        unexplained=[
            {
                "interface_id": usage.index.eni_ids[k[0]],
                "direction": "ingress" if k[1] == 0 else "egress",
                "src": texts[k[2]],
                "dst": texts[k[3]],
                "srcport": k[4],
                "dstport": k[5],
                "protocol": k[6],
                "records": n,
            }
            for k, n in usage.unexplained.items()
        ],
    )


def _edge(pick: Callable[[int, int], int], current: int | None, new: int | None) -> int | None:
    if new is None:
        return current
    return new if current is None else pick(current, new)


def _collapsed(addresses: Iterable[str], version: int) -> tuple[str, ...]:
    """The fewest CIDRs covering ``addresses`` (all of one family: the rule's)."""
    if version == 4:
        hosts4 = (ipaddress.IPv4Network(a) for a in addresses)
        return tuple(str(n) for n in ipaddress.collapse_addresses(hosts4))
    hosts6 = (ipaddress.IPv6Network(a) for a in addresses)
    return tuple(str(n) for n in ipaddress.collapse_addresses(hosts6))


def _tighten(u: RuleUsage) -> Tightening | None:
    """Narrow a wide CIDR to the sources seen, a port range to the ports seen."""
    s = u.rule.spec
    sources: tuple[str, ...] = ()
    ports: tuple[tuple[int, int], ...] = ()
    parts = []
    if s.peer.kind in (PeerKind.CIDR_V4, PeerKind.CIDR_V6) and u.sources and not u.more_sources:
        network = ipaddress.ip_network(s.peer.value)
        limit = WIDE_PREFIX[network.version]
        if network.prefixlen < limit:
            sources = _collapsed(u.sources, network.version)
            what = "destination" if s.is_egress else "source"
            parts.append(
                f"{s.peer.value} → {', '.join(sources)} "
                f"({len(u.sources)} {what}{'s' if len(u.sources) > 1 else ''} seen)"
            )
    span = (s.from_port, s.to_port)
    if s.protocol in ("tcp", "udp") and span[1] > span[0] and u.ports and not u.more_ports:
        ports = tuple(merge((p, p) for p in u.ports))
        if ports != (span,):
            shown = ", ".join(str(a) if a == b else f"{a}-{b}" for a, b in ports)
            parts.append(f"ports {span[0]}-{span[1]} → {shown}")
    if not parts:
        return None
    return Tightening(
        u.rule,
        u.group_name,
        sources,
        ports,
        f"{u.rule.rule_id} ({rule_text(u.rule)}): " + "; ".join(parts),
    )
