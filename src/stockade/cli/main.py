"""Entry point: ``stockade <group> <command>``; ``stockade --help`` lists everything."""

from typing import Annotated

import typer

from stockade import __version__
from stockade.cli import (
    audit,
    aws_io,
    check,
    dataplane,
    flowlogs,
    instance,
    prefix_list,
    reach,
    serve,
    sg,
    vpc,
)
from stockade.cli.options import console

app = typer.Typer(
    help="stockade: AWS EC2 security groups, implemented for real.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(vpc.vpc_app, name="vpc")
app.add_typer(vpc.subnet_app, name="subnet")
app.add_typer(vpc.igw_app, name="igw")
app.add_typer(sg.app, name="sg")
app.add_typer(instance.app, name="instance")
app.add_typer(prefix_list.app, name="prefix-list")
app.add_typer(check.app)  # top-level: check, exposure
app.add_typer(aws_io.import_app, name="import")
app.add_typer(aws_io.export_app, name="export")
app.command("audit")(audit.audit_command)
app.command("reach")(reach.reach_command)
app.add_typer(flowlogs.app, name="flowlogs")
app.command("serve")(serve.serve)
dataplane.register(app)  # exec, down, dataplane run|status, flowlogs [--eni] [--follow]


@app.command("demo")
def demo(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Keep the demo state in this file (default: temporary)."),
    ] = None,
    packets: Annotated[
        bool,
        typer.Option("--packets/--no-packets",
                     help="As root: also realise the seed and probe it with real packets."),
    ] = True,
) -> None:
    """Build the seed scenario in a throwaway store and show it (as root: on real packets)."""
    from stockade.demo.show import run_demo

    if packets and db is None:
        from stockade.demo.live import run_live_demo

        if run_live_demo(console):
            return
    run_demo(console, db)


@app.command("version")
def version() -> None:
    """Print stockade's version."""
    console.print(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
