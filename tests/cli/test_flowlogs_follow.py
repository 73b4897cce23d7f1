"""``stockade flowlogs [--follow]`` over the data plane's flow-log files (plain files, no
root): everything first, then each appended record once — whichever file it lands in, a
VPC's file appearing later, a file rotated (shorter than before) read again from its
start, a record being written printed once it is whole."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.dataplane.flowlog_window import HEADER

#: How long a line may take to show (generous: the machine may be loaded).
DEADLINE_S = 30.0


def record(n: int, eni: str = "eni-0a") -> str:
    return f"2 123456789012 {eni} 10.0.1.{n} 10.0.1.9 4000{n % 10} 22 6 1 60 1 2 ACCEPT OK"


def append(path: Path, text: str, mode: str = "a") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open(mode) as out:
        out.write(text)


class Follower:
    """``stockade flowlogs --follow`` in a child process; its output line by line."""

    def __init__(self, state_dir: Path, *args: str) -> None:
        env = {**os.environ, "COLUMNS": "200"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "stockade.cli.main", "flowlogs", "--follow"]
            + ["--dir", str(state_dir), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def next_lines(self, count: int) -> list[str]:
        """The next ``count`` lines, waiting up to the deadline for each."""
        out = []
        deadline = time.monotonic() + DEADLINE_S
        for _ in range(count):
            line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line is None:
                assert self.process.stderr is not None
                pytest.fail(f"the follower ended: {self.process.stderr.read()}")
            out.append(line)
        return out

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._reader.join(timeout=10)


@pytest.fixture
def follow(tmp_path: Path) -> Iterator:
    started: list[Follower] = []

    def start(*args: str) -> Follower:
        follower = Follower(tmp_path, *args)
        started.append(follower)
        return follower

    yield start
    for follower in started:
        follower.stop()


def test_follow_prints_each_record_once(tmp_path: Path, follow) -> None:
    vpc_a = tmp_path / "flowlogs" / "vpc-a.log"
    append(vpc_a, HEADER + "\n" + record(1) + "\n" + record(2) + "\n")
    follower = follow()
    assert follower.next_lines(3) == [HEADER, record(1), record(2)]

    append(vpc_a, record(3) + "\n")
    assert follower.next_lines(1) == [record(3)]
    # a VPC's file appearing later, sorting before the others: read whole, once
    append(tmp_path / "flowlogs" / "vpc-0.log", HEADER + "\n" + record(4, "eni-0b") + "\n")
    assert follower.next_lines(1) == [record(4, "eni-0b")]
    # a record being written is printed once it is whole
    half = len(record(5)) // 2
    append(vpc_a, record(5)[:half])
    append(vpc_a, record(5)[half:] + "\n")
    assert follower.next_lines(1) == [record(5)]
    # rotated: the file is shorter than what was read of it, and read from its start
    append(vpc_a, HEADER + "\n" + record(6) + "\n", mode="w")
    assert follower.next_lines(1) == [record(6)]
    # nothing was printed twice: the next line is the next record
    append(tmp_path / "flowlogs" / "vpc-0.log", record(7, "eni-0b") + "\n")
    assert follower.next_lines(1) == [record(7, "eni-0b")]


def test_follow_one_interface_as_json(tmp_path: Path, follow) -> None:
    vpc_a = tmp_path / "flowlogs" / "vpc-a.log"
    append(vpc_a, HEADER + "\n" + record(1) + "\n" + record(2, "eni-0b") + "\n")
    follower = follow("--eni", "eni-0b", "--json")
    fields = HEADER.split()
    [first] = follower.next_lines(1)
    assert json.loads(first) == dict(zip(fields, record(2, "eni-0b").split(), strict=True))
    append(vpc_a, record(3) + "\n" + record(4, "eni-0b") + "\n")
    [second] = follower.next_lines(1)
    assert json.loads(second)["srcaddr"] == "10.0.1.4"


def test_without_follow_every_record_once(tmp_path: Path) -> None:
    """Every file whole, in file order, only whole records (a torn last line waits)."""
    append(tmp_path / "flowlogs" / "vpc-b.log", HEADER + "\n" + record(3) + "\n")
    append(
        tmp_path / "flowlogs" / "vpc-a.log",
        HEADER + "\n" + "".join(record(n) + "\n" for n in range(1, 3)) + record(9)[:20],
    )
    result = CliRunner().invoke(app, ["flowlogs", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [HEADER, record(1), record(2), record(3)]
