"""Options and helpers shared by the data-plane commands (``cli/dataplane.py``,
``cli/dataplane_status.py``): the world, its state directory, the aggregation interval."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from stockade.cli.options import fail

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


def current_world():
    from stockade.dataplane.names import World, default_prefix

    return World(default_prefix())


def state_dir_of(given: Path | None) -> Path:
    from stockade.dataplane.names import default_state_dir

    return given or default_state_dir()


def check_interval(seconds: int) -> None:
    """``--max-aggregation-interval``: 60 or 600, else a one-line error (AWS's wording)."""
    from stockade.dataplane.flowlog_window import check_interval as check

    try:
        check(seconds)
    except ValueError as exc:
        raise fail(f"--max-aggregation-interval: {exc}") from None
