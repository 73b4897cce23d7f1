"""The agent's status file: how an agent in another process tells how it is doing.

The agent writes :meth:`Agent.status` to ``<state dir>/<prefix>agent.json`` after each
batch and every few seconds while idle, atomically (a temporary file renamed over the old
one), so a reader never sees half a document. ``stockade serve`` shows it in ``/health``;
``stockade dataplane status`` prints it. The file stays after a crash, so readers check
its ``pid`` against the process they expect (or the world's lock holder).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from stockade.dataplane.names import World


def status_path(state_dir: Path, world: World) -> Path:
    return Path(state_dir) / f"{world.prefix}agent.json"


def write_status(path: Path, status: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    scratch = path.with_name(f".{path.name}.{os.getpid()}")
    scratch.write_text(json.dumps(status, sort_keys=True))
    os.replace(scratch, path)


def read_status(path: Path) -> dict | None:
    """The last status written, ``None`` when there is none (or it is unreadable)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
