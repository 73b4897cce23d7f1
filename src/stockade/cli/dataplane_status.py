"""``stockade dataplane status`` and ``verify``: what the world's agent last published
(revision, batches, drift checks and repairs), and a drift check on request (SIGUSR1 to the
agent holding the world, answered through its status file)."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from typing import Annotated

import typer

from stockade.cli.dataplane_options import DirOpt, current_world, state_dir_of
from stockade.cli.options import console, fail


def status_command(state_dir: DirOpt = None) -> None:
    """Who holds the world (the agent's pid and store), what it last reported, and the
    world's namespaces (VPC routers, instances, hosts)."""
    from stockade.dataplane import netns
    from stockade.dataplane.ownership import holder
    from stockade.dataplane.status import read_status, status_path

    world = current_world()
    held = holder(world)
    if held is None:
        console.print(f"world {world.prefix}: no agent running")
    else:
        console.print(held.describe(world), highlight=False)
        published = read_status(status_path(state_dir_of(state_dir), world)) or {}
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


def verify_command(
    state_dir: DirOpt = None,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for the check.")] = 10.0,
) -> None:
    """Check the kernel against what the running agent applied (tables and their
    generation, namespaces, links, addresses, routes) now; drift is repaired and listed."""
    import signal

    from stockade.dataplane.ownership import holder
    from stockade.dataplane.status import read_status, status_path

    world = current_world()
    held = holder(world)
    if held is None:
        raise fail(
            f"world {world.prefix}: no agent running (start `stockade serve` or "
            "`stockade dataplane run`)"
        )
    if held.pid is None:  # its lock file names no pid: being written, or damaged
        raise fail(f"{held.describe(world)}: cannot ask it for a check")
    path = status_path(state_dir_of(state_dir), world)
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
