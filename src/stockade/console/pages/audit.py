"""Internet exposure and audit findings, each linked to the rules, groups and ACLs responsible.

The same answers as ``stockade exposure`` (:func:`stockade.policy.exposure`: what each
interface exposes to the internet, would-be exposures with ``?all=1``) and ``stockade
audit`` (:func:`stockade.analysis.audit.audit` with its default configuration, over the
caller's scope), shown rather than recomputed: the rows below only pick the parts to link.
``?severity=high`` keeps the findings at least that severe (like ``--fail-on``'s levels).
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockade.analysis.audit import audit as audit_findings
from stockade.analysis.audit import summary
from stockade.analysis.findings import CHECKS, Finding, Severity
from stockade.console import links
from stockade.console.context import Console, console_of
from stockade.console.session import ConsoleRefused
from stockade.policy import exposure
from stockade.policy.decision import RuleRef, service_text
from stockade.policy.exposure import ExposureFinding, OpenPortRange
from stockade.view.tables import name_tag


@dataclass(frozen=True)
class Link:
    text: str
    href: str | None  # None: shown as text (the console has no page for it)


@dataclass(frozen=True)
class ExposedRange:
    service: str  # tcp/22, all traffic…
    family: int
    exposed: bool
    sources: tuple[str, ...]
    rules: tuple[Link, ...]
    denied_by_acl: str | None


@dataclass(frozen=True)
class ExposureRow:
    finding: ExposureFinding
    instance_name: str
    ranges: tuple[ExposedRange, ...]


@dataclass(frozen=True)
class FindingRow:
    finding: Finding
    check_name: str
    check_summary: str
    resource: Link
    rules: tuple[Link, ...]


async def audit(request: Request) -> Response:
    console = console_of(request)
    show_all = request.query_params.get("all", "") in ("1", "true", "yes", "on")
    wanted = request.query_params.get("severity", "") or "info"
    try:
        threshold = Severity.parse(wanted[:20])
    except ValueError as exc:
        raise ConsoleRefused(400, f"{exc}.") from None
    context = await console.run(_report, console, request, threshold, show_all)
    return console.render(request, "audit.html", **context)


def _report(console: Console, request: Request, threshold: Severity, show_all: bool) -> dict:
    scope = console.scope(request)
    snapshot = console.snapshot(request)
    rule_groups = {r.rule_id: r.group_id for r in snapshot.rules}
    names = {i.instance_id: name_tag(i.tags) for i in snapshot.instances}
    exposed = exposure(snapshot)
    shown = [_exposure_row(f, names) for f in exposed if show_all or f.exposed]
    findings = audit_findings([(scope, snapshot)])
    return {
        "exposures": shown,
        "hidden_exposures": len(exposed) - len(shown),
        "show_all": show_all,
        "findings": [_finding_row(f, rule_groups) for f in findings if f.severity >= threshold],
        "summary": summary(findings),
        "threshold": threshold.label,
        "severities": [s.label for s in sorted(Severity, reverse=True)],
        "rule_groups": rule_groups,
        "links": links,
    }


def _exposure_row(finding: ExposureFinding, names: dict[str, str]) -> ExposureRow:
    return ExposureRow(
        finding,
        names.get(finding.instance_id or "", ""),
        tuple(_range(r) for r in finding.open_ranges),
    )


def _range(open_range: OpenPortRange) -> ExposedRange:
    low = -1 if open_range.begin is None else open_range.begin
    high = -1 if open_range.end is None else open_range.end
    return ExposedRange(
        service_text(open_range.protocol, low, high),
        open_range.address_family,
        open_range.exposed,
        open_range.sources,
        tuple(_rule_link(r) for r in open_range.rules),
        open_range.denied_by_acl,
    )


def _rule_link(rule: RuleRef) -> Link:
    name = f" ({rule.group_name})" if rule.group_name else ""
    return Link(
        f"{rule.rule_id} of {rule.group_id}{name}", links.rule_href(rule.group_id, rule.rule_id)
    )


def _finding_row(finding: Finding, rule_groups: dict[str, str]) -> FindingRow:
    check = CHECKS[finding.check]
    return FindingRow(
        finding,
        check.name,
        check.summary,
        Link(finding.resource_id, links.id_href(finding.resource_id, rule_groups)),
        tuple(_finding_rule(rule, finding, rule_groups) for rule in finding.rule_ids),
    )


def _finding_rule(rule: str, finding: Finding, rule_groups: dict[str, str]) -> Link:
    """A finding's rule id as a link: a group rule to its row (its group: the snapshot's, or
    the finding's own group), an ACL rule (``acl-…/ingress/100``) to its entry."""
    if rule.startswith("sgr-"):
        group = rule_groups.get(rule) or (
            finding.resource_id if finding.resource_id.startswith("sg-") else None
        )
        return Link(rule, links.rule_href(group, rule) if group else None)
    return Link(rule, links.acl_rule_href(rule))


ROUTES: list[BaseRoute] = [Route("/audit", audit, methods=["GET"])]
