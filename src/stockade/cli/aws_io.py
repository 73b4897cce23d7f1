"""``stockade import aws DIR`` and ``stockade export aws DIR``: a real account in and out."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from stockade.cli.analysis_options import AccountOpt, DbOpt, RegionOpt, open_store, select_scopes
from stockade.cli.options import console, err_console, fail
from stockade.cli.render import safe

import_app = typer.Typer(
    help="Load state from elsewhere (a real AWS account).", no_args_is_help=True
)
export_app = typer.Typer(
    help="Write stockade's state in another tool's format.", no_args_is_help=True
)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print a JSON summary.")]


@import_app.command("aws")
def import_aws(
    directory: Annotated[
        Path,
        typer.Argument(
            help="DIR/[ACCOUNT/][REGION/]*.json: unmodified `aws ec2 describe-*` output "
            "(vpcs, subnets, security-groups, security-group-rules, network-interfaces, "
            "instances, internet-gateways, managed-prefix-lists) and pl-….json entries."
        ),
    ],
    db: DbOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Import a real account's VPCs, groups, rules, prefix lists, interfaces and instances.

    Everything is checked first and written in one transaction: a bad file changes nothing.
    """
    from stockade.analysis.aws_import import import_directory
    from stockade.shapes.fields import ImportProblem

    store = open_store(db)
    try:
        report = import_directory(store, directory)
    except ImportProblem as exc:
        raise fail(str(exc)) from None
    finally:
        store.close()
    if json_output:
        typer.echo(json.dumps(report.to_dict(), indent=2))
    else:
        for scope, counts in report.scopes:
            shown = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items() if n)
            console.print(
                f"imported {scope.account}/{scope.region}: {shown or 'nothing'}", highlight=False
            )
    for warning in report.warnings:
        err_console.print(
            f"[yellow]warning:[/yellow] {safe(warning)}", highlight=False, soft_wrap=True
        )


@export_app.command("aws")
def export_aws(
    directory: Annotated[Path, typer.Argument(help="Where to write DIR/ACCOUNT/REGION/*.json.")],
    db: DbOpt = None,
    account: AccountOpt = None,
    region: RegionOpt = None,
) -> None:
    """Write the state as `aws ec2 describe-*` would print it (import reads it back)."""
    from stockade.analysis.aws_export import export_store

    store = open_store(db, read_only=True)
    try:
        scopes = select_scopes(store, account, region)
        written = export_store(store, directory, scopes)
    finally:
        store.close()
    console.print(
        f"wrote {len(written)} files for {len(scopes)} account/region(s) under {directory}",
        highlight=False,
    )
