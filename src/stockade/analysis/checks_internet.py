"""Internet-facing checks: admin ports, all ports, risky ports, wide public CIDRs.

A port is *open to the internet* when the union of the inbound entries that allow it
(prefix lists and group references already resolved by the policy engine) covers every
internet address of the family. That is an interval intersection, not a string match, so
it catches what auditors miss: a 0–1024 range covering SSH, a single-port 1433 rule, a
prefix list holding ``0.0.0.0/0``, or ``0.0.0.0/1`` plus ``128.0.0.0/1``.

Checks run per group (the thing one fixes) and then per interface, for openings that only
the *combination* of an interface's groups creates; and per subnet, for the public subnets
(their route table sends traffic to an attached internet gateway) whose interfaces have
administration ports open to the internet (:mod:`stockade.analysis.checks_public_subnet`).
Every opening is narrowed by the network ACLs of the subnets: what they deny (the request
in, or its reply out) is reported as open in the group but not exposed, naming the entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from stockade.analysis.acl_narrowing import AclLimit, acl_limit
from stockade.analysis.exposure_grade import group_grade, interface_grade
from stockade.analysis.findings import Finding, Severity
from stockade.analysis.intervals import (
    ALL_SERVICES,
    Interval,
    Rect,
    covered_segments,
    covers,
    internet_space,
    intersect,
    merge,
    service_interval,
    service_ranges,
    subtract,
)
from stockade.domain.interface import NetworkInterface
from stockade.domain.risky_ports import PortSpec
from stockade.domain.scope import Scope
from stockade.domain.security_group import SecurityGroup
from stockade.domain.state import Snapshot
from stockade.policy.addressing import is_public_cidr
from stockade.policy.decision import RuleRef
from stockade.policy.effective import EffectiveEntry, effective_policies, group_entries

FAMILY_NAME = {4: "IPv4", 6: "IPv6"}


@dataclass(frozen=True)
class Subject:
    """What a finding is about: a group, or an interface (for combined openings)."""

    resource_id: str
    resource_type: str
    vpc_id: str
    label: str  # "sg-… (web)" / "eni-… (i-…)"


Openings = dict[int, list[tuple[Interval, list[Rect]]]]  # family -> open service intervals
Grader = Callable[[int, list[NetworkInterface] | None], tuple[Severity, str]]
"""(family, the interfaces through which it is exposed, None: all) -> (severity, why)"""


def internet_openings(entries: Iterable[EffectiveEntry]) -> Openings:
    """Per family, the service intervals open to every internet address, with the
    entries taking part."""
    out: Openings = {}
    entries = list(entries)
    for family in (4, 6):
        rects = [Rect.of(e) for e in entries if e.family == family and is_public_cidr(e.cidr)]
        segments = covered_segments(rects, internet_space(family))
        if segments:
            out[family] = segments
    return out


def internet_findings(
    snapshot: Snapshot,
    scope: Scope,
    admin: Sequence[PortSpec],
    risky: Sequence[PortSpec],
    wide_v4: int,
    wide_v6: int,
) -> list[Finding]:
    names = {g.group_id: g.name for g in snapshot.groups}
    out: list[Finding] = []
    by_group: dict[str, Openings] = {}
    for group in _in_scope(snapshot, scope):
        ingress = group_entries(snapshot, group.group_id)[0]
        openings = by_group[group.group_id] = internet_openings(ingress)
        subject = Subject(
            group.group_id, "security-group", group.vpc_id, f"{group.group_id} ({group.name})"
        )

        def grade(
            family: int, among: list[NetworkInterface] | None, gid: str = group.group_id
        ) -> tuple[Severity, str]:
            return group_grade(snapshot, gid, family, among)

        limit = acl_limit(snapshot, snapshot.members_by_group.get(group.group_id, ()))
        out += _port_findings(scope, subject, openings, admin, risky, names, grade, "", limit)
        out += _wide_cidrs(scope, subject, ingress, wide_v4, wide_v6, names, grade)
    # Interfaces with the same group set have the same ingress entries: work it out once.
    by_set: dict[tuple[str, ...], Openings] = {}
    for eni_id, policy in sorted(effective_policies(snapshot).items()):
        eni = snapshot.interface_by_id[eni_id]
        if policy.group_ids not in by_set:
            by_set[policy.group_ids] = _combined_only(policy.ingress, policy.group_ids, by_group)
        extra = by_set[policy.group_ids]
        if not extra:
            continue
        label = f"{eni_id} ({eni.instance_id})" if eni.instance_id else eni_id
        subject = Subject(eni_id, "network-interface", eni.vpc_id, label)

        def eni_grade(family: int, _: object, e=eni) -> tuple[Severity, str]:
            return interface_grade(snapshot, e, family)

        note = " by the combination of its groups " + ", ".join(policy.group_ids)
        limit = acl_limit(snapshot, [eni])
        out += _port_findings(scope, subject, extra, admin, risky, names, eni_grade, note, limit)
    return out


def _combined_only(
    ingress: Sequence[EffectiveEntry], group_ids: Sequence[str], by_group: dict[str, Openings]
) -> Openings:
    """What the groups open together that none of them (checked alone) opens."""
    alone: dict[int, list[Interval]] = {}
    for gid in group_ids:
        for family, segments in by_group.get(gid, {}).items():
            alone.setdefault(family, []).extend(iv for iv, _ in segments)
    extra: Openings = {}
    for family, segments in internet_openings(ingress).items():
        for interval, rects in segments:
            for piece in subtract([interval], alone.get(family, [])):
                extra.setdefault(family, []).append((piece, rects))
    return extra


def _in_scope(snapshot: Snapshot, scope: Scope) -> list[SecurityGroup]:
    return [g for g in snapshot.groups if (g.owner_id, g.region) == (scope.account, scope.region)]


def rule_refs(rects: Iterable[Rect], names: dict[str, str]) -> list[dict]:
    seen: dict[tuple[str, str], dict] = {}
    for r in rects:
        e = r.entry
        seen.setdefault((e.rule_id, e.cidr), RuleRef.of(e, names.get(e.group_id)).to_dict())
    return list(seen.values())


def hits_in(openings: Openings, target: Interval) -> dict[int, tuple[list[Interval], list[Rect]]]:
    """Per family: the part of ``target`` that is open, and the entries opening it."""
    out = {}
    for family, segments in openings.items():
        parts, rects = [], []
        for interval, members in segments:
            piece = intersect([interval], [target])
            if piece:
                parts += piece
                rects += [m for m in members if m.s_lo <= target[1] and target[0] <= m.s_hi]
        if parts:
            out[family] = (merge(parts), rects)
    return out


@dataclass(frozen=True)
class _Candidate:
    """A finding before grading: its check, what is open and the entries opening it."""

    key: tuple[str, str]  # (check, the admin port): matches it before and after the ACLs
    check: str
    what: str
    hits: dict[int, tuple[list[Interval], list[Rect]]]
    extra: dict | None = None


def _candidates(
    openings: Openings, admin: Sequence[PortSpec], risky: Sequence[PortSpec]
) -> list[_Candidate]:
    out: list[_Candidate] = []
    if not openings:
        return out
    for spec in admin:
        hits = hits_in(openings, service_interval(spec.protocol, spec.first, spec.last))
        if hits:
            out.append(
                _Candidate(
                    ("internet-admin-port", spec.text()), "internet-admin-port", spec.text(), hits
                )
            )
    everything = hits_in(openings, ALL_SERVICES)
    wide = []
    for family, (parts, _) in everything.items():
        if covers(parts, [ALL_SERVICES]):
            wide.append((family, "all traffic"))
            continue
        for protocol in ("tcp", "udp"):
            if covers(parts, [service_interval(protocol, 0, 65535)]):
                wide.append((family, f"all {protocol.upper()} ports"))
    if wide:
        what = " and ".join(sorted({w for _, w in wide}))
        hits = {f: everything[f] for f in sorted({f for f, _ in wide})}
        out.append(_Candidate(("internet-all-ports", ""), "internet-all-ports", what, hits))
    risky_hits: dict[int, tuple[list[Interval], list[Rect]]] = {}
    services = []
    for spec in risky:
        hits = hits_in(openings, service_interval(spec.protocol, spec.first, spec.last))
        if not hits:
            continue
        services.append(spec.text())
        for family, (parts, rects) in hits.items():
            old = risky_hits.get(family, ([], []))
            risky_hits[family] = (old[0] + parts, old[1] + rects)
    if risky_hits:
        shown = ", ".join(services[:4]) + (
            f" and {len(services) - 4} more" if len(services) > 4 else ""
        )
        out.append(
            _Candidate(
                ("internet-risky-port", ""),
                "internet-risky-port",
                shown,
                {f: (merge(p), r) for f, (p, r) in risky_hits.items()},
                {"services": services},
            )
        )
    return out


def narrowed_openings(openings: Openings, limit: AclLimit | None) -> Openings:
    """The openings the subnet ACLs let the internet use (request in, reply out)."""
    if limit is None:
        return openings
    out: Openings = {}
    for family, segments in openings.items():
        admitted = limit.admitted(family)
        kept = [(p, rects) for iv, rects in segments for p in intersect([iv], admitted)]
        if kept:
            out[family] = kept
    return out


def _port_findings(
    scope: Scope,
    subject: Subject,
    openings: Openings,
    admin: Sequence[PortSpec],
    risky: Sequence[PortSpec],
    names: dict[str, str],
    grade: Grader,
    note: str,
    limit: AclLimit | None = None,
) -> list[Finding]:
    """The findings of what the groups open; with ``limit``, narrowed by the subnets' ACLs:
    a finding whose condition no longer holds through them is kept as informational,
    saying which ACL entry denies it (open in the group, not exposed)."""
    raw = _candidates(openings, admin, risky)
    if limit is None:
        return [_finding(scope, subject, names, grade, note, c, None) for c in raw]
    narrowed = {c.key: c for c in _candidates(narrowed_openings(openings, limit), admin, risky)}
    out = []
    for candidate in raw:
        kept = narrowed.get(candidate.key)
        if kept is not None:
            out.append(_finding(scope, subject, names, grade, note, kept, limit, candidate))
            continue
        families = sorted(candidate.hits)
        why = "; ".join(limit.why_denied(f, candidate.hits[f][0]) for f in families)
        blocked = _finding(scope, subject, names, grade, note, candidate, None)
        out.append(
            replace(
                blocked,
                severity=Severity.INFO,
                title=f"{blocked.title} but not exposed: {why}",
                details={
                    **blocked.details,
                    "exposure": f"not exposed: {why}",
                    "denied_by_network_acl": why,
                    "network_acl_ids": sorted(
                        {a for f in families for a in limit.acl_ids(f, candidate.hits[f][0])}
                    ),
                },
            )
        )
    return out


def _finding(
    scope: Scope,
    subject: Subject,
    names: dict[str, str],
    grade: Grader,
    note: str,
    candidate: _Candidate,
    limit: AclLimit | None,
    before: _Candidate | None = None,
) -> Finding:
    hits = candidate.hits
    families = sorted(hits)
    graded = [
        grade(f, limit.admitting(f, hits[f][0]) if limit is not None else None) for f in families
    ]
    severity, why = max(graded, key=lambda g: g[0])
    rects = [r for f in families for r in hits[f][1]]
    fam = ", ".join(FAMILY_NAME[f] for f in families)
    extra = dict(candidate.extra or {})
    if limit is not None and before is not None:
        removed = {f: subtract(before.hits[f][0], hits.get(f, ([], []))[0]) for f in before.hits}
        partly = "; ".join(limit.why_denied(f, gone) for f, gone in removed.items() if gone)
        if partly:
            extra["narrowed_by_network_acl"] = partly
    return Finding(
        candidate.check,
        severity,
        f"{candidate.what} open to the internet ({fam}) on {subject.label}{note}",
        subject.resource_id,
        subject.resource_type,
        scope.account,
        scope.region,
        subject.vpc_id,
        tuple(sorted({r.entry.rule_id for r in rects})),
        {
            "families": [FAMILY_NAME[f] for f in families],
            "exposure": why,
            "open": [s.to_dict() for f in families for s in service_ranges(hits[f][0])],
            "rules": rule_refs(rects, names),
            **extra,
        },
    )


def _wide_cidrs(
    scope: Scope,
    subject: Subject,
    ingress: Sequence[EffectiveEntry],
    wide_v4: int,
    wide_v6: int,
    names: dict[str, str],
    grade: Grader,
) -> list[Finding]:
    """Public blocks shorter than the threshold (but not the whole internet: other checks)."""
    limits = {4: wide_v4, 6: wide_v6}
    wide = [
        e
        for e in ingress
        if is_public_cidr(e.cidr) and 0 < int(e.cidr.rsplit("/", 1)[1]) < limits[e.family]
    ]
    if not wide:
        return []
    families = sorted({e.family for e in wide})
    severity, why = max((grade(f, None) for f in families), key=lambda g: g[0])
    severity = min(severity, Severity.HIGH)
    cidrs = sorted({e.cidr for e in wide})
    return [
        Finding(
            "wide-public-cidr",
            severity,
            f"wide public CIDR{'s' if len(cidrs) > 1 else ''} {', '.join(cidrs)} allowed inbound "
            f"on {subject.label}",
            subject.resource_id,
            subject.resource_type,
            scope.account,
            scope.region,
            subject.vpc_id,
            tuple(sorted({e.rule_id for e in wide})),
            {
                "cidrs": cidrs,
                "exposure": why,
                "rules": [RuleRef.of(e, names.get(e.group_id)).to_dict() for e in wide],
            },
        )
    ]
