"""Entry point: ``stockade <group> <command>``; ``stockade --help`` lists everything."""

from __future__ import annotations

import errno
import sys
from typing import TYPE_CHECKING, Annotated, Any

import typer
from typer.core import TyperGroup

from stockade import __version__
from stockade.cli import (
    address,
    audit,
    aws_io,
    check,
    dataplane,
    flowlogs,
    insights,
    instance,
    nacl,
    nat_gateway,
    peering,
    prefix_list,
    reach,
    route_table,
    serve,
    sg,
    vpc,
    vpc_attributes,  # noqa: F401 - registers `vpc attribute` and `vpc modify`
)
from stockade.cli.options import console, fail

if TYPE_CHECKING:
    # The context TyperGroup.invoke is declared with: typer vendors its own click (a
    # separate ``click`` package, if installed at all, has a different Context class).
    from typer._click import Context


class _OneLineErrors(TyperGroup):
    """Failures of the user's machine or files end as one line and exit status 1, for
    every command: a damaged, read-only or unreachable store (:class:`StoreError`), a full
    disk or an unreadable file (:class:`OSError`)."""

    def invoke(self, ctx: Context) -> Any:
        from stockade.store.failures import StoreError

        try:
            return super().invoke(ctx)
        except StoreError as exc:
            raise fail(str(exc)) from None
        except OSError as exc:
            raise fail(os_error_line(exc)) from None


def os_error_line(exc: OSError) -> str:
    """An OSError as one line naming the file (``no space left on device writing F``)."""
    where = exc.filename if exc.filename is not None else ""
    if exc.errno == errno.ENOSPC:
        return f"no space left on device writing {where}".rstrip()
    reason = (exc.strerror or str(exc)).lower()
    return f"{where}: {reason}" if where else reason


app = typer.Typer(
    cls=_OneLineErrors,
    help="stockade: AWS EC2 security groups, implemented for real.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(vpc.vpc_app, name="vpc")
app.add_typer(vpc.subnet_app, name="subnet")
app.add_typer(vpc.igw_app, name="igw")
app.add_typer(address.app, name="address")
app.add_typer(nat_gateway.nat_app, name="nat-gateway")
app.add_typer(nat_gateway.eigw_app, name="egress-only-gateway")
app.add_typer(sg.app, name="sg")
app.add_typer(instance.app, name="instance")
app.add_typer(prefix_list.app, name="prefix-list")
app.add_typer(route_table.app, name="route-table")
app.add_typer(nacl.app, name="nacl")
app.add_typer(peering.app, name="peering")
app.add_typer(insights.app, name="insights")
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
        typer.Option(
            "--packets/--no-packets",
            help="As root: also realise the seed and probe it with real packets.",
        ),
    ] = True,
) -> None:
    """Build the seed scenario in a throwaway store and show it (as root: on real packets);
    from a terminal, keep it and its web console running until ^C."""
    from stockade.demo.show import run_demo

    keep = sys.stdin.isatty()
    if packets and db is None:
        from stockade.demo.live import run_live_demo

        if run_live_demo(console, keep):
            return
    run_demo(console, db, keep)


@app.command("version")
def version() -> None:
    """Print stockade's version."""
    console.print(__version__)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
