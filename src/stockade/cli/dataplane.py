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
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from stockade.cli.options import console, default_db, fail

log = logging.getLogger("stockade.dataplane")

dataplane_app = typer.Typer(help="The Linux data plane: namespaces and nftables (root).",
                            no_args_is_help=True)

DirOpt = Annotated[Path | None, typer.Option(
    "--dir", help="Data-plane state directory (flow logs, last hits); env "
                  "STOCKADE_DATAPLANE_DIR.")]
IntervalOpt = Annotated[int, typer.Option(
    "--max-aggregation-interval", help="Seconds summed into one flow-log record per flow: "
                                       "600 (default) or 60, as AWS.")]


def _world():
    from stockade.dataplane.names import World, default_prefix

    return World(default_prefix())


def _state_dir(given: Path | None) -> Path:
    from stockade.dataplane.names import default_state_dir

    return given or default_state_dir()


def check_interval(seconds: int) -> None:
    """``--max-aggregation-interval``: 60 or 600, else a one-line error (AWS's wording)."""
    from stockade.dataplane.flowlog_window import check_interval as check

    try:
        check(seconds)
    except ValueError as exc:
        raise fail(f"--max-aggregation-interval: {exc}") from None


def register(app: typer.Typer) -> None:
    """Add the data-plane commands to the top-level app."""
    from stockade.cli import flowlogs

    app.command("exec", context_settings={"allow_interspersed_args": False})(exec_command)
    app.command("down")(down_command)
    app.add_typer(dataplane_app, name="dataplane")
    # `stockade flowlogs [--eni ID] [--follow]` shows the records; subcommands still work.
    flowlogs.app.info.no_args_is_help = False
    flowlogs.app.callback(invoke_without_command=True)(flowlogs_command)


# -- starting the agent ------------------------------------------------------------------------


def start_agent(store, mode: str = "auto", state_dir: Path | None = None,
                interval: int = 600):
    """Start the agent for ``stockade serve --dataplane MODE`` (``auto`` = on when usable);
    returns it, or ``None`` when off. Says which, and why, in the log."""
    if mode not in ("auto", "on", "off"):
        raise fail(f"--dataplane must be auto, on or off, not {mode!r}")
    if mode == "off":
        log.info("data plane: off (--dataplane off)")
        return None
    from stockade.dataplane.agent import Agent
    from stockade.dataplane.netns import usable

    ok, why = usable()
    if not ok:
        if mode == "on":
            raise fail(f"--dataplane on, but the data plane cannot run: {why}")
        log.info("data plane: off (%s); the API and analyzer work without it", why)
        return None
    world = _world()
    agent = Agent(store, world, state_dir=_state_dir(state_dir),
                  flowlog_interval=interval).start()
    log.info("data plane: on (world %s*, %d VPC routers, flow logs in %s, one record per "
             "flow per %d s)", world.prefix, len(agent.routers),
             _state_dir(state_dir) / "flowlogs", interval)
    return agent


@dataplane_app.command("run")
def run_command(
    db: Annotated[str | None, typer.Option(
        "--db", help="Store: a SQLite path or database URL (env STOCKADE_DB).")] = None,
    state_dir: DirOpt = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    interval: IntervalOpt = 600,
) -> None:
    """Run the data-plane agent alone (without the API): follow the store until ^C or
    SIGTERM (either stops it cleanly: the flow logs' current interval is written)."""
    from stockade.store.sql import SqlStore

    check_interval(interval)
    logging.basicConfig(level=logging.DEBUG if verbose else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s %(message)s")
    store = SqlStore.open(db or default_db())
    try:
        agent = start_agent(store, "on", state_dir, interval)
        signal.signal(signal.SIGTERM, _interrupt)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
        finally:
            agent.stop()
    finally:
        store.close()


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt  # SIGTERM (systemd, kill) stops like ^C


@dataplane_app.command("status")
def status_command() -> None:
    """List the world's namespaces (VPC routers, instances, hosts)."""
    from stockade.dataplane import netns

    names = netns.listed(_world().prefix)
    if not names:
        console.print("no data-plane namespaces (the agent has not run, or `stockade down`)")
    for name in names:
        console.print(name)


# -- exec and down -----------------------------------------------------------------------------


def exec_command(
    args: Annotated[list[str], typer.Argument(
        help="INSTANCE-ID -- COMMAND…, or with --from-ip just -- COMMAND…")],
    from_ip: Annotated[str | None, typer.Option(
        "--from-ip", help="Run on a transient internet host holding this documentation "
                          "address (e.g. 203.0.113.10), removed afterwards.")] = None,
) -> None:
    """Run a command inside an instance (or on an internet host), e.g.
    ``stockade exec i-0abc… -- curl -m 2 http://10.0.1.5``."""
    from stockade.dataplane import netns

    world = _world()
    if "--" in args:  # the separator may reach us (options stop at the first argument)
        args = args[:args.index("--")] + args[args.index("--") + 1:]
    if from_ip is None:
        if len(args) < 2 or not args[0].startswith("i-"):
            raise fail("usage: stockade exec INSTANCE-ID -- COMMAND… "
                       "(or stockade exec --from-ip ADDRESS -- COMMAND…)")
        namespace, command = world.instance(args[0]), args[1:]
        if not netns.exists(namespace):
            raise fail(f"{args[0]} has no namespace: is the data plane running, and is the "
                       "instance pending, running or stopped (not terminated)?")
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


def down_command() -> None:
    """Remove every namespace (and so every link and nft table) the data plane made."""
    from stockade.dataplane import netns

    world = _world()
    names = netns.remove_all(world.prefix)
    console.print(f"removed {len(names)} namespaces ({world.prefix}*)" if names
                  else "nothing to remove")


# -- flow logs and hits ------------------------------------------------------------------------


def flowlogs_command(
    ctx: typer.Context,
    eni: Annotated[str | None, typer.Option("--eni", help="Only this interface.")] = None,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new records.")]
    = False,
    json_output: Annotated[bool, typer.Option("--json", help="JSON lines.")] = False,
    state_dir: DirOpt = None,
) -> None:
    """Show the data plane's VPC Flow Logs (v2 records), or run a subcommand."""
    if ctx.invoked_subcommand is not None:
        return
    from stockade.dataplane.flowlog import HEADER, read_records

    directory = _state_dir(state_dir)
    fields = HEADER.split()
    if not json_output:
        typer.echo(HEADER)
    seen = 0
    while True:
        records = list(read_records(directory, eni))
        for record in records[seen:]:
            typer.echo(json.dumps(dict(zip(fields, record, strict=True))) if json_output
                       else " ".join(record))
        seen = len(records)
        if not follow:
            return
        time.sleep(0.5)


def print_rule_hits(rule_ids: list[str]) -> None:
    """A small section under ``sg show``: connections each rule allowed on this machine and
    when it last did (AWS has neither). Prints nothing without data-plane data."""
    if os.geteuid() != 0 and not _state_dir(None).exists():
        return
    from stockade.cli import render
    from stockade.dataplane.counters import rule_hits

    try:
        hits = rule_hits(_world(), _state_dir(None), rule_ids)
    except Exception:  # a best-effort extra: never break `sg show`
        return
    if not hits:
        return
    table = render.table("Data plane hits (this machine)", "Rule", "Connections", "Last hit")
    for hit in hits:
        last = (datetime.fromtimestamp(hit.last_hit, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                if hit.last_hit else "-")
        table.add_row(hit.rule_id, str(hit.connections), last)
    console.print(table)
