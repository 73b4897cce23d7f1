"""``stockade dataplane verify`` when the world's lock names no pid.

The agent truncates its lock file before writing its pid into it, so for an instant a held
world has a lock file without one (and a damaged file has none at all). ``verify`` used to
pass that ``None`` to ``os.kill`` and end in a traceback; it must answer in one line. The
world's lock lives in a temporary directory here: no root, nothing machine-wide.
"""

from __future__ import annotations

import fcntl
import os
import secrets
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.dataplane import ownership
from stockade.dataplane.names import World


@pytest.mark.parametrize("content", [b"", b"{not json", b'{"store": "x.db"}'])
def test_verify_of_a_world_held_without_a_pid_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: bytes
) -> None:
    world = World(f"stk{secrets.token_hex(3)}-")
    monkeypatch.setenv("STOCKADE_DATAPLANE_PREFIX", world.prefix)
    monkeypatch.setattr(ownership, "LOCK_DIR", tmp_path)
    lock = ownership.lock_path(world)
    lock.write_bytes(content)
    fd = os.open(lock, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # held, as by an agent, whose pid the file lacks
        assert ownership.holder(world) is not None
        result = CliRunner().invoke(app, ["dataplane", "verify", "--dir", str(tmp_path / "state")])
    finally:
        os.close(fd)
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert result.stderr.strip().splitlines() == [
        f"error: world {world.prefix} is held by the data-plane agent an unknown process "
        f"(store {'x.db' if b'store' in content else 'unknown'}): cannot ask it for a check"
    ]
