"""``stockade flowlogs``: VPC Flow Logs — reading what happened, and what it says about the
rules. Subcommands register themselves here (``analyze`` from
:mod:`stockade.cli.flowlogs_analyze`)."""

import typer

from stockade.cli import flowlogs_analyze

app = typer.Typer(
    help="VPC Flow Logs: the records, and which rules their traffic used.", no_args_is_help=True
)
app.command("analyze")(flowlogs_analyze.analyze_command)
