"""``stockade reach``: who can reach what (merged port ranges, rules responsible), and with
``--diff OTHER_DB`` what the change from this store's state to OTHER_DB's opens and closes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from stockade.cli import render
from stockade.cli.analysis_options import AccountOpt, DbOpt, RegionOpt, load_snapshots
from stockade.cli.options import console, fail

if TYPE_CHECKING:  # imported lazily: every `stockade` command loads this module
    from stockade.analysis.reach import ReachResult
    from stockade.analysis.reach_diff import ReachChange
    from stockade.domain.scope import Scope
    from stockade.domain.state import Snapshot


def reach_command(
    source: Annotated[
        str,
        typer.Option(
            "--from", help="internet, a CIDR, or an instance / interface id (or Name tag)."
        ),
    ],
    destination: Annotated[
        str | None,
        typer.Option("--to", help="An instance or interface (default: every interface)."),
    ] = None,
    port: Annotated[
        list[str] | None,
        typer.Option(
            "--port", help="Only these: 22, tcp/80-443, udp/53, icmp, proto/47, all (repeatable)."
        ),
    ] = None,
    diff: Annotated[
        str | None,
        typer.Option(
            "--diff",
            help="Another store (the changed state): show what it opens and closes "
            "compared with --db.",
        ),
    ] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    db: DbOpt = None,
    account: AccountOpt = None,
    region: RegionOpt = None,
) -> None:
    """Who can reach what: merged port ranges per protocol with the rules responsible."""
    from stockade.analysis.reach import parse_ports
    from stockade.analysis.reach_diff import reach_diff

    try:
        ports = parse_ports(port or [])
    except ValueError as exc:
        raise fail(str(exc)) from None
    before = _answers(db, account, region, source, destination, ports)
    if diff is None:
        results = [r for _, found in before for r in found]
        if json_output:
            typer.echo(json.dumps([r.to_dict() for r in results], indent=2))
        else:
            _print_results(source, results)
        return
    after = dict(_answers(diff, account, region, source, destination, ports, allow_missing=True))
    changes = [c for scope, found in before for c in reach_diff(found, after.pop(scope, []))]
    changes += [c for found in after.values() for c in reach_diff([], found)]
    if json_output:
        typer.echo(json.dumps([c.to_dict() for c in changes], indent=2))
    else:
        _print_changes(source, changes)


def _answers(
    db: str | None,
    account: str | None,
    region: str | None,
    source: str,
    destination: str | None,
    ports: list[tuple[int, int]] | None,
    allow_missing: bool = False,
) -> list[tuple[Scope, list[ReachResult]]]:
    """Reach in every selected scope that knows the endpoints named."""
    from stockade.analysis.reach import parse_source, reach

    out, problems = [], []
    for scope, snapshot in load_snapshots(db, account, region, required=not allow_missing):
        if not _knows(snapshot, source, destination):
            continue
        try:
            out.append((scope, reach(snapshot, parse_source(snapshot, source), destination, ports)))
        except ValueError as exc:
            problems.append(str(exc))
    if not out and not allow_missing:
        raise fail(
            problems[0]
            if problems
            else f"no imported account/region holds {source}"
            + (f" and {destination}" if destination else "")
        )
    return out


def _knows(snapshot: Snapshot, source: str, destination: str | None) -> bool:
    for end in (source, destination):
        if end and end.startswith("i-") and end not in snapshot.instance_by_id:
            return False
        if end and end.startswith("eni-") and end not in snapshot.interface_by_id:
            return False
    return True


def _where(result: ReachResult | ReachChange) -> str:
    return f"{result.instance_id} {result.eni_id}" if result.instance_id else result.eni_id


def _print_results(source: str, results: list[ReachResult]) -> None:
    table = render.table(
        f"Reachable from {source}",
        "Destination",
        "IP",
        "Open",
        "Ports",
        "Inbound rule ID",
        "Outbound rule ID",
    )
    for r in results:
        state = "yes" if not r.blockers else "no: " + ", ".join(b.code for b in r.blockers)
        for i, rng in enumerate(r.ranges or [None]):
            table.add_row(
                _where(r) if i == 0 else "",
                f"v{r.family}" if i == 0 else "",
                state if i == 0 else "",
                rng.service.text() if rng else "nothing",
                "\n".join(dict.fromkeys(x.rule_id for x in rng.ingress_rules)) if rng else "",
                "\n".join(dict.fromkeys(x.rule_id for x in rng.egress_rules)) if rng else "",
            )
    console.print(table)
    for r in results:
        for b in (*r.blockers, *r.acl_denials):
            console.print(
                f"{render.safe(_where(r))} (IPv{r.family}): {b.code}: {render.safe(b.message)}",
                highlight=False,
            )


def _print_changes(source: str, changes: list[ReachChange]) -> None:
    if not changes:
        console.print(f"no change in what {source} can reach")
        return
    table = render.table(
        f"What the change opens and closes (from {source})",
        "Destination",
        "IP",
        "Change",
        "Ports",
        "Rule ID",
    )
    for c in changes:
        first = True
        for label, deltas in (
            ("opens", c.opened),
            ("closes", c.closed),
            ("would open", c.would_open),
            ("would close", c.would_close),
        ):
            for d in deltas:
                table.add_row(
                    _where(c) if first else "",
                    f"v{c.family}" if first else "",
                    label,
                    d.text,
                    "\n".join(d.rules),
                )
                first = False
    console.print(table)
