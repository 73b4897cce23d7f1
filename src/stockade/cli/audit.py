"""``stockade audit``: findings over the imported (or stockade's own) state; a CI gate."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.analysis_options import (
    AccountOpt,
    DbOpt,
    RegionOpt,
    load_snapshots,
)
from stockade.cli.options import console, fail

_STYLE = {"critical": "bold red", "high": "red", "medium": "yellow", "low": "cyan", "info": "dim"}


def audit_command(
    output_format: Annotated[
        str, typer.Option("--format", help="table, json or sarif (SARIF 2.1.0, for code scanning).")
    ] = "table",
    fail_on: Annotated[
        str | None,
        typer.Option(
            "--fail-on",
            help="Exit 1 if a finding is at least this severe: "
            "critical, high, medium, low or info.",
        ),
    ] = None,
    risky_ports: Annotated[
        str | None,
        typer.Option(
            "--risky-ports",
            help="Replace the high-risk port list: e.g. "
            "'tcp/1433-1434,udp/53,9200' (default: the auditors' union).",
        ),
    ] = None,
    max_rules: Annotated[
        int, typer.Option("--max-rules", help="Rules per group before it is too many.")
    ] = 50,
    db: DbOpt = None,
    account: AccountOpt = None,
    region: RegionOpt = None,
) -> None:
    """Audit security groups: internet exposure (admin, all, risky ports), wide CIDRs, the
    default group, unused/redundant groups, shadowed rules, stale references."""
    from stockade.analysis.audit import AuditConfig, audit, fails, summary
    from stockade.analysis.findings import Severity
    from stockade.analysis.sarif import to_sarif
    from stockade.domain.risky_ports import RISKY_PORTS, parse_ports

    if output_format not in ("table", "json", "sarif"):
        raise fail(f"unknown format {output_format!r}: use table, json or sarif")
    try:
        threshold = Severity.parse(fail_on) if fail_on else None
        ports = parse_ports(risky_ports) if risky_ports is not None else RISKY_PORTS
    except ValueError as exc:
        raise fail(str(exc)) from None
    snapshots = load_snapshots(db, account, region)
    findings = audit(snapshots, AuditConfig(risky_ports=ports, max_rules=max_rules))
    if output_format == "sarif":
        typer.echo(json.dumps(to_sarif(findings), indent=2))
    elif output_format == "json":
        typer.echo(
            json.dumps(
                {
                    "scopes": [{"account": s.account, "region": s.region} for s, _ in snapshots],
                    "summary": summary(findings),
                    "findings": [f.to_dict() for f in findings],
                },
                indent=2,
            )
        )
    else:
        table = render.table(f"Findings ({len(findings)})", "Severity", "Check", "Finding")
        for f in findings:
            table.add_row(
                render.styled(f.severity.label, _STYLE[f.severity.label]), f.check, f.title
            )
        console.print(table)
        console.print(
            ", ".join(f"{n} {label}" for label, n in summary(findings).items()), highlight=False
        )
    if fails(findings, threshold):
        raise typer.Exit(1)
