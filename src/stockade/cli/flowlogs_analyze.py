"""``stockade flowlogs analyze FILES…``: rule usage, unused rules and tightenings from VPC
Flow Logs (AWS's, or stockade's own data plane's), against the store's state."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from stockade.cli import render
from stockade.cli.analysis_options import (
    AccountOpt,
    DbOpt,
    RegionOpt,
    load_snapshots,
)
from stockade.cli.options import console, fail

if TYPE_CHECKING:  # imported lazily: every `stockade` command loads this module
    from stockade.analysis.flowlog_report import FlowLogReport


def analyze_command(
    files: Annotated[
        list[str],
        typer.Argument(
            help="Flow-log files or directories: version 2 or custom format with a header line, "
            "plain or gzip."
        ),
    ],
    log_format: Annotated[
        str | None,
        typer.Option(
            "--format",
            help="The log format when files have no header line, as AWS writes it: "
            "'${version} ${interface-id} …' (default: version 2).",
        ),
    ] = None,
    flows: Annotated[
        Path | None,
        typer.Option(
            "--flows",
            help="Also write every distinct accepted flow with every rule it "
            "matched and the most specific one (JSON lines).",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOpt = None,
    account: AccountOpt = None,
    region: RegionOpt = None,
) -> None:
    """Which rules the logged traffic used, which it never used, and how to tighten them."""
    from stockade.analysis.flowlog_format import FlowLogProblem
    from stockade.analysis.flowlog_reader import paths_of
    from stockade.analysis.flowlogs import analyze, merge_snapshots

    snapshot = merge_snapshots([s for _, s in load_snapshots(db, account, region)])
    out = flows.open("w", encoding="utf-8") if flows else None
    try:
        on_flow = (lambda m: out.write(json.dumps(asdict(m)) + "\n")) if out else None
        report = analyze(snapshot, paths_of(files), log_format, on_flow)
    except FlowLogProblem as exc:
        raise fail(str(exc)) from None
    finally:
        if out:
            out.close()
    if json_output:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        _print(report)


def _print(report: FlowLogReport) -> None:
    from stockade.analysis.flowlog_report import rule_text

    t = report.totals
    window = t["window"]
    console.print(
        f"{t['records']} records ({t['accepted']} accepted, {t['rejected']} rejected, "
        f"{t['no_data']} no data) from {window['start']} to {window['end']}; "
        f"{t['requests_credited']} credited to rules, {t['replies']} replies (stateful), "
        f"{t['unexplained']} unexplained",
        highlight=False,
    )
    used = render.table(
        f"Rules used ({len(report.used)})",
        "Rule ID",
        "Group",
        "Rule",
        "Records",
        "Most specific",
        "Last seen",
    )
    for u in report.used:
        used.add_row(
            u.rule.rule_id,
            u.group_name or u.rule.group_id,
            rule_text(u.rule),
            str(u.records),
            str(u.most_specific),
            u.to_dict()["last_seen"] or "",
        )
    console.print(used)
    unused = render.table(
        f"Rules unused over the window ({len(report.unused)})",
        "Rule ID",
        "Group",
        "Rule",
        "Description",
    )
    for rule, name in report.unused:
        unused.add_row(rule.rule_id, name or rule.group_id, rule_text(rule), rule.description or "")
    console.print(unused)
    if report.tightenings:
        console.print("[bold]Suggested tightenings[/bold]")
        for item in report.tightenings:
            console.print(f"  {render.safe(item.text)}", highlight=False)
    if report.not_observed:
        console.print(
            f"{len(report.not_observed)} rule(s) belong to groups on no interface "
            "seen in these logs (not judged).",
            highlight=False,
        )
    unknown = report.interfaces["unknown"]
    if unknown:
        console.print(
            f"{len(unknown)} interface(s) in the logs are not in the store: "
            + ", ".join(list(unknown)[:5]),
            highlight=False,
        )
