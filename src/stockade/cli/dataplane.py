"""Data-plane commands: ``exec``, ``down``, ``dataplane run|status``, and ``flowlogs`` shown
without a subcommand (the analyzer's ``flowlogs analyze`` stays as it is).

Registered with one call from :mod:`stockade.cli.main` (:func:`register`). The world's
prefix is ``$STOCKADE_DATAPLANE_PREFIX`` or ``stk-``; its files live in
``$STOCKADE_DATAPLANE_DIR`` (default ``<user data dir>/stockade/dataplane``).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from stockade.cli import dataplane_status
from stockade.cli.dataplane_options import (
    DirOpt,
    IntervalOpt,
    check_interval,
    current_world,
    state_dir_of,
)
from stockade.cli.options import console, default_db, fail

log = logging.getLogger("stockade.dataplane")

dataplane_app = typer.Typer(
    help="The Linux data plane: namespaces and nftables (root).", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the data-plane commands to the top-level app."""
    from stockade.cli import flowlogs

    app.command("exec", context_settings={"allow_interspersed_args": False})(exec_command)
    app.command("down")(down_command)
    dataplane_app.command("status")(dataplane_status.status_command)
    dataplane_app.command("verify")(dataplane_status.verify_command)
    app.add_typer(dataplane_app, name="dataplane")
    # `stockade flowlogs [--eni ID] [--follow]` shows the records; subcommands still work.
    flowlogs.app.info.no_args_is_help = False
    flowlogs.app.callback(invoke_without_command=True)(flowlogs_command)


# -- starting the agent ------------------------------------------------------------------------


def start_dataplane(
    db: str,
    mode: str = "auto",
    state_dir: Path | None = None,
    verbose: bool = False,
    interval: int = 600,
):
    """For ``stockade serve --dataplane MODE`` (``auto`` = on when usable): run the agent as
    a child process following store ``db``; returns what ``serve`` holds (``status()`` for
    ``/health``, ``stop()``). Says in one log line whether the data plane runs, and why not.
    With ``on``, a data plane that cannot run (or whose world another agent holds) is a
    one-line error instead."""
    from stockade.dataplane.supervisor import AgentProcess, DataPlaneOff

    if mode not in ("auto", "on", "off"):
        raise fail(f"--dataplane must be auto, on or off, not {mode!r}")
    if mode == "off":
        log.info("data plane: off (--dataplane off)")
        return DataPlaneOff("--dataplane off")
    from stockade.dataplane.nft import usable

    ok, why = usable()
    if not ok:
        if mode == "on":
            raise fail(f"--dataplane on, but the data plane cannot run: {why}")
        log.info("data plane: off (%s); the API and analyzer work without it", why)
        return DataPlaneOff(why)
    world, directory = current_world(), state_dir_of(state_dir)
    process = AgentProcess.for_store(db, world, directory, verbose, interval)
    try:
        process.start()
    except BaseException:  # ^C while the first agent starts: no child is left behind
        process.stop()
        raise
    status = process.status()
    if status["state"] == "running":
        log.info(
            "data plane: on (agent pid %s, world %s*, flow logs in %s)",
            status["pid"],
            world.prefix,
            directory / "flowlogs",
        )
        return process
    reason = status["reason"] or f"the agent is still {status['state']}"
    if mode == "on":
        process.stop()
        raise fail(f"--dataplane on, but {reason}")
    if status["state"] != "refused":  # a refusal is logged by the supervisor, once
        log.warning("data plane: %s (%s)", status["state"], reason)
    return process


@dataplane_app.command("run")
def run_command(
    db: Annotated[
        str | None,
        typer.Option("--db", help="Store: a SQLite path or database URL (env STOCKADE_DB)."),
    ] = None,
    state_dir: DirOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    parent_pid: Annotated[
        int | None,
        typer.Option(
            "--parent-pid", hidden=True, help="Run as `serve`'s child: stop when it goes."
        ),
    ] = None,
    interval: IntervalOpt = 600,
) -> None:
    """Run the data-plane agent alone (without the API): follow the store until ^C or
    SIGTERM (either writes the flow logs' current interval). Exits 3 when another agent
    holds the world."""
    import signal

    from stockade.dataplane.agent import Agent, WorldHeld
    from stockade.dataplane.supervisor import EXIT_WORLD_HELD, follow_parent
    from stockade.store.sql import SqlStore

    check_interval(interval)
    # A plain list, not a threading.Event: a handler that calls Event.set() can interrupt
    # the main thread inside that very Event's wait(), holding its lock, and deadlock (seen:
    # an agent whose server was SIGKILLed never stopped). Appending takes no lock.
    stopping: list[int] = []
    signal.signal(signal.SIGTERM, lambda signum, _frame: stopping.append(signum))
    if parent_pid is not None and not follow_parent(parent_pid):
        return  # the server that started us is already gone
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    from stockade.dataplane.nft import usable

    ok, why = usable()
    if not ok:
        raise fail(f"the data plane cannot run: {why}")
    world, directory = current_world(), state_dir_of(state_dir)
    store = SqlStore.open(db or default_db())
    try:
        try:
            agent = Agent(store, world, state_dir=directory, flowlog_interval=interval).start()
        except WorldHeld as exc:
            if parent_pid is None:  # under `serve`, the server says it (in one line)
                fail(str(exc))
            raise typer.Exit(EXIT_WORLD_HELD) from None
        # `stockade dataplane verify` asks for a full drift check with SIGUSR1.
        signal.signal(signal.SIGUSR1, lambda *_: agent.request_check())
        log.info(
            "data plane: on (pid %d, world %s*, %d VPC routers, flow logs in %s, one record "
            "per flow per %d s)",
            os.getpid(),
            world.prefix,
            len(agent.routers),
            directory / "flowlogs",
            interval,
        )
        try:
            while not stopping:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        finally:
            agent.stop()
    finally:
        store.close()


# -- exec and down -----------------------------------------------------------------------------


def exec_command(
    args: Annotated[
        list[str],
        typer.Argument(help="INSTANCE-ID -- COMMAND…, or with --from-ip just -- COMMAND…"),
    ],
    from_ip: Annotated[
        str | None,
        typer.Option(
            "--from-ip",
            help="Run on a transient internet host holding this documentation "
            "address (e.g. 203.0.113.10), removed afterwards.",
        ),
    ] = None,
) -> None:
    """Run a command inside an instance (or on an internet host), e.g.
    ``stockade exec i-0abc… -- curl -m 2 http://10.0.1.5``."""
    from stockade.dataplane import netns

    world = current_world()
    if "--" in args:  # the separator may reach us (options stop at the first argument)
        args = args[: args.index("--")] + args[args.index("--") + 1 :]
    if from_ip is None:
        if len(args) < 2 or not args[0].startswith("i-"):
            raise fail(
                "usage: stockade exec INSTANCE-ID -- COMMAND… "
                "(or stockade exec --from-ip ADDRESS -- COMMAND…)"
            )
        namespace, command = world.instance(args[0]), args[1:]
        if not netns.exists(namespace):
            raise fail(
                f"{args[0]} has no namespace: is the data plane running, and is the "
                "instance pending, running or stopped (not terminated)?"
            )
        raise typer.Exit(_run_in(namespace, command))
    from stockade.dataplane.internet import Internet

    internet = Internet(world)
    try:
        with internet.host(from_ip) as namespace:
            code = _run_in(namespace, args)
    except (ValueError, LookupError) as exc:
        raise fail(str(exc)) from None
    raise typer.Exit(code)


def _run_in(namespace: str, command: list[str]) -> int:
    if not command:
        raise fail("no command given")
    return subprocess.run(["ip", "netns", "exec", namespace, *command], check=False).returncode


def down_command(
    force: Annotated[
        bool, typer.Option("--force", help="Remove the world even while an agent holds it.")
    ] = False,
) -> None:
    """Remove the world's namespaces (and so their links and nft tables): only those marked
    as this world's; refused while an agent holds the world, unless --force."""
    from stockade.dataplane.ownership import holder, remove_world

    world = current_world()
    held = holder(world)
    if held is not None and not force:
        raise fail(f"{held.describe(world)}: stop it first (or --force)")
    removal = remove_world(world)
    console.print(
        f"removed {len(removal.removed)} namespaces ({world.prefix}*)"
        if removal.removed
        else "nothing to remove",
        highlight=False,
    )
    if removal.left:
        console.print(
            f"left {len(removal.left)} with the prefix, not marked as this "
            f"world's: {', '.join(removal.left)}",
            highlight=False,
        )


# -- flow logs and hits ------------------------------------------------------------------------


def flowlogs_command(
    ctx: typer.Context,
    eni: Annotated[str | None, typer.Option("--eni", help="Only this interface.")] = None,
    follow: Annotated[
        bool, typer.Option("--follow", "-f", help="Keep printing new records.")
    ] = False,
    json_output: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    state_dir: DirOpt = None,
) -> None:
    """Show the data plane's VPC Flow Logs (v2 records), or run a subcommand."""
    if ctx.invoked_subcommand is not None:
        return
    from stockade.dataplane.flowlog import HEADER
    from stockade.dataplane.flowlog_tail import FlowLogTail

    fields = HEADER.split()
    if not json_output:
        typer.echo(HEADER)
    # Every file whole first, then only what is appended (a rotated file again from its
    # start): each record is printed once, and no file is read twice.
    tail = FlowLogTail(state_dir_of(state_dir), backlog_bytes=None)
    while True:
        for record in tail.records(eni):
            typer.echo(
                json.dumps(dict(zip(fields, record, strict=True)))
                if json_output
                else " ".join(record)
            )
        if not follow:
            return
        time.sleep(0.5)


def print_rule_hits(rule_ids: list[str]) -> None:
    """A small section under ``sg show``: connections each rule allowed on this machine and
    when it last did (AWS has neither). Prints nothing without data-plane data."""
    if os.geteuid() != 0 and not state_dir_of(None).exists():
        return
    from stockade.cli import render
    from stockade.dataplane.counters import rule_hits

    try:
        hits = rule_hits(current_world(), state_dir_of(None), rule_ids)
    except Exception:  # a best-effort extra: never break `sg show`
        return
    if not hits:
        return
    table = render.table("Data plane hits (this machine)", "Rule", "Connections", "Last hit")
    for hit in hits:
        last = (
            datetime.fromtimestamp(hit.last_hit, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if hit.last_hit
            else "-"
        )
        table.add_row(hit.rule_id, str(hit.connections), last)
    console.print(table)
