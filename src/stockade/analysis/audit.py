"""``stockade audit``: every check over one or more scopes' snapshots, as findings.

Pure: snapshots in, sorted findings out. Several scopes are audited together so that
references across them count (a group referenced from another imported account is not
"unused", a reference to it is not "stale").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from stockade.analysis.checks_acl import acl_findings
from stockade.analysis.checks_hygiene import hygiene_findings
from stockade.analysis.checks_internet import internet_findings
from stockade.analysis.checks_public_subnet import public_subnet_findings
from stockade.analysis.checks_redundancy import redundancy_findings
from stockade.analysis.findings import Finding, Severity, sort_findings
from stockade.domain.risky_ports import ADMIN_PORTS, RISKY_PORTS, PortSpec
from stockade.domain.scope import Scope
from stockade.domain.security_group import PeerKind
from stockade.domain.state import Snapshot


@dataclass(frozen=True)
class AuditConfig:
    admin_ports: tuple[PortSpec, ...] = ADMIN_PORTS
    risky_ports: tuple[PortSpec, ...] = RISKY_PORTS
    max_rules: int = 50
    #: public CIDRs with a shorter prefix than these are "wide" (0 is the internet itself)
    wide_prefix_v4: int = 24
    wide_prefix_v6: int = 48


def audit(
    snapshots: Sequence[tuple[Scope, Snapshot]], config: AuditConfig = AuditConfig()
) -> list[Finding]:
    # Groups some *other* group's rule references (a self-reference does not make a group
    # used, nor does it change what removing the group from interfaces would mean elsewhere).
    referenced = {
        r.spec.peer.value
        for _, snap in snapshots
        for r in snap.rules
        if r.spec.peer.kind is PeerKind.GROUP and r.spec.peer.value != r.group_id
    }
    known = {g.group_id for _, snap in snapshots for g in snap.groups}
    out: list[Finding] = []
    for scope, snapshot in snapshots:
        out += internet_findings(
            snapshot,
            scope,
            config.admin_ports,
            config.risky_ports,
            config.wide_prefix_v4,
            config.wide_prefix_v6,
        )
        out += public_subnet_findings(snapshot, scope, config.admin_ports)
        out += hygiene_findings(snapshot, scope, config.max_rules, referenced, known)
        out += redundancy_findings(snapshot, scope, referenced)
        out += acl_findings(snapshot, scope, config.admin_ports)
    return sort_findings(out)


def summary(findings: Sequence[Finding]) -> dict[str, int]:
    counts = {s.label: 0 for s in sorted(Severity, reverse=True)}
    for f in findings:
        counts[f.severity.label] += 1
    return counts


def fails(findings: Sequence[Finding], threshold: Severity | None) -> bool:
    """Whether any finding is at or above ``threshold`` (the CI gate)."""
    return threshold is not None and any(f.severity >= threshold for f in findings)
