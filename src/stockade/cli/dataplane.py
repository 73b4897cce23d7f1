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

from stockade.cli.options import console, default_db, fail

log = logging.getLogger("stockade.dataplane")

dataplane_app = typer.Typer(
    help="The Linux data plane: namespaces and nftables (root).", no_args_is_help=True
)

DirOpt = Annotated[
    Path | None,
    typer.Option(
        "--dir",
        help="Data-plane state directory (flow logs, last hits); env STOCKADE_DATAPLANE_DIR.",
    ),
]
IntervalOpt = Annotated[
    int,
    typer.Option(
        "--max-aggregation-interval",
        help="Seconds summed into one flow-log record per flow: 600 (default) or 60, as AWS.",
    ),
]


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
    from stockade.dataplane.netns import usable

    ok, why = usable()
    if not ok:
        if mode == "on":
            raise fail(f"--dataplane on, but the data plane cannot run: {why}")
        log.info("data plane: off (%s); the API and analyzer work without it", why)
        return DataPlaneOff(why)
    world, directory = _world(), _state_dir(state_dir)
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
    import threading

    from stockade.dataplane.agent import Agent, WorldHeld
    from stockade.dataplane.supervisor import EXIT_WORLD_HELD, follow_parent
    from stockade.store.sql import SqlStore

    check_interval(interval)
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    if parent_pid is not None and not follow_parent(parent_pid):
        return  # the server that started us is already gone
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
    )
    from stockade.dataplane.netns import usable

    ok, why = usable()
    if not ok:
        raise fail(f"the data plane cannot run: {why}")
    world, directory = _world(), _state_dir(state_dir)
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
            while not stopping.wait(1.0):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            agent.stop()
    finally:
        store.close()


@dataplane_app.command("status")
def status_command(state_dir: DirOpt = None) -> None:
    """Who holds the world (the agent's pid and store), what it last reported, and the
    world's namespaces (VPC routers, instances, hosts)."""
    from stockade.dataplane import netns
    from stockade.dataplane.ownership import holder
    from stockade.dataplane.status import read_status, status_path

    world = _world()
    held = holder(world)
    if held is None:
        console.print(f"world {world.prefix}: no agent running")
    else:
        console.print(held.describe(world), highlight=False)
        published = read_status(status_path(_state_dir(state_dir), world)) or {}
        if published.get("pid") == held.pid:
            last = published.get("last_batch_seconds")
            console.print(
                f"revision {published.get('revision')}, "
                f"{published.get('batches')} batches, last batch "
                f"{'-' if last is None else f'{last * 1000:.1f} ms'}, "
                f"{published.get('vpc_routers')} VPC routers",
                highlight=False,
            )
            console.print(_check_line(published), highlight=False)
            for repair in published.get("recent_repairs") or []:
                console.print(
                    f"  repaired {_when(repair['time'])}: {repair['drift']}", highlight=False
                )
    names = netns.listed(world.prefix)
    if not names:
        console.print("no data-plane namespaces (the agent has not run, or `stockade down`)")
    for name in names:
        console.print(name)


def _when(stamp: float | None) -> str:
    if stamp is None:
        return "never"
    return datetime.fromtimestamp(stamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _check_line(published: dict) -> str:
    return (
        f"drift checks: {published.get('checks', 0)}, last {_when(published.get('last_check'))}"
        f", {published.get('repairs', 0)} repaired"
    )


@dataplane_app.command("verify")
def verify_command(
    state_dir: DirOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the check.")] = 10.0,
) -> None:
    """Check the kernel against what the running agent applied (tables and their
    generation, namespaces, links, addresses, routes) now; drift is repaired and listed."""
    import signal

    from stockade.dataplane.ownership import holder
    from stockade.dataplane.status import read_status, status_path

    world = _world()
    held = holder(world)
    if held is None:
        raise fail(
            f"world {world.prefix}: no agent running (start `stockade serve` or "
            "`stockade dataplane run`)"
        )
    if held.pid is None:  # its lock file names no pid: being written, or damaged
        raise fail(f"{held.describe(world)}: cannot ask it for a check")
    path = status_path(_state_dir(state_dir), world)
    before = (read_status(path) or {}).get("checks", 0)
    asked = time.time()
    os.kill(held.pid, signal.SIGUSR1)
    deadline = time.monotonic() + timeout
    while True:
        published = read_status(path) or {}
        if (
            published.get("pid") == held.pid
            and published.get("checks", 0) > before
            and (published.get("last_check") or 0) >= asked
        ):
            break
        if time.monotonic() > deadline:
            raise fail(f"the agent (pid {held.pid}) did not report a check within {timeout:g} s")
        time.sleep(0.05)
    repaired = [r for r in published.get("recent_repairs") or [] if r["time"] >= asked]
    if not repaired:
        console.print(f"world {world.prefix}: no drift", highlight=False)
    for repair in repaired:
        console.print(f"repaired: {repair['drift']}", highlight=False)
    console.print(_check_line(published), highlight=False)


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

    world = _world()
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

    world = _world()
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
    from stockade.dataplane.flowlog import HEADER, read_records

    directory = _state_dir(state_dir)
    fields = HEADER.split()
    if not json_output:
        typer.echo(HEADER)
    seen = 0
    while True:
        records = list(read_records(directory, eni))
        for record in records[seen:]:
            typer.echo(
                json.dumps(dict(zip(fields, record, strict=True)))
                if json_output
                else " ".join(record)
            )
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
        last = (
            datetime.fromtimestamp(hit.last_hit, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            if hit.last_hit
            else "-"
        )
        table.add_row(hit.rule_id, str(hit.connections), last)
    console.print(table)
