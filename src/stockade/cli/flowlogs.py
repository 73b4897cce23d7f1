"""``stockade flowlogs``: VPC Flow Logs — reading what happened, and what it says about the
rules, and the flow logs themselves. Subcommands register themselves here (``analyze``
from :mod:`stockade.cli.flowlogs_analyze`; ``create``, ``list``, ``delete`` from
:mod:`stockade.cli.flowlogs_resources`)."""

import typer

from stockade.cli import flowlogs_analyze, flowlogs_resources

app = typer.Typer(
    help="VPC Flow Logs: the records, which rules their traffic used, and the flow logs.",
    no_args_is_help=True,
)
app.command("analyze")(flowlogs_analyze.analyze_command)
flowlogs_resources.register(app)
