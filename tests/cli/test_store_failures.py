"""The CLI on a damaged, read-only or full store, and on hostile names (issue 10, items 8-9).

Every failure of the user's machine is one line with a hint, never a traceback; commands
that only read work on a read-only store; whatever a name holds (terminal escapes, rich
markup) is printed as text. The read-only and full-disk cases run the real CLI in a
private mount namespace (a read-only bind mount, a tiny tmpfs), so they need root.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from analysis.synthetic import write_account
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore

FIXTURES = Path(__file__).parent.parent / "analysis" / "fixtures" / "aws"
ACCOUNT = "111122223333"


def _can_mount() -> bool:
    """Root, unshare(1), and a private mount namespace that may mount a tmpfs."""
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    with tempfile.TemporaryDirectory(prefix="stk-mnt-") as target:
        probe = subprocess.run(
            [
                "unshare",
                "--mount",
                "--propagation",
                "private",
                "mount",
                "-t",
                "tmpfs",
                "-o",
                "size=4k",
                "tmpfs",
                target,
            ],
            capture_output=True,
            timeout=30,
        )
    return probe.returncode == 0


needs_mounts = pytest.mark.skipif(
    not _can_mount(), reason="needs root and a private mount namespace (unshare --mount)"
)


@pytest.fixture
def run(monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("STOCKADE_DB", "STOCKADE_ACCOUNT", "STOCKADE_REGION"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: object, code: int = 0):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


@pytest.fixture
def imported(tmp_path, run) -> Path:
    db = tmp_path / "db" / "store.db"
    run("import", "aws", FIXTURES, "--db", db)
    return db


def _one_line(result) -> str:
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("error: "), result.stderr
    return result.stderr


COMMANDS = [("audit",), ("export", "aws", "OUT"), ("sg", "list"), ("vpc", "create", "10.9.0.0/16")]


def _damaged(db: Path, how: str, good: Path) -> None:
    if how == "truncated":
        db.write_bytes(good.read_bytes()[:5_000])
    elif how == "corrupted":
        data = bytearray(good.read_bytes())
        data[4_096:] = bytes((b * 7 + 13) % 256 for b in data[4_096:])
        db.write_bytes(bytes(data))
    elif how == "not a database":
        db.write_text("hello, I am a text file\n" * 100)
    else:  # another program's SQLite database
        import sqlite3

        with sqlite3.connect(db) as conn:
            conn.execute("CREATE TABLE notes (body TEXT)")


@pytest.mark.parametrize("how", ["truncated", "corrupted", "not a database", "another program"])
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_damaged_store_is_one_line(run, imported, tmp_path, how, command):
    db = tmp_path / "bad.db"
    _damaged(db, how, imported)
    args = [tmp_path / "out" if a == "OUT" else a for a in command]
    line = _one_line(run(*args, "--db", db, code=1))
    assert f"the database file is not a stockade store or is damaged: {db}" in line


def _in_namespace(script: str, *args: object) -> subprocess.CompletedProcess:
    """``script`` (sh) in a private mount namespace, then the CLI with ``args``."""
    cli = [sys.executable, "-m", "stockade.cli.main", *map(str, args)]
    env = {**os.environ, "COLUMNS": "200"}
    env.pop("STOCKADE_DB", None)
    return subprocess.run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-ec",
            script + '\nexec "$@"',
            "sh",
            *cli,
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@needs_mounts
def test_read_only_store_reads_and_refuses_writes(imported, tmp_path):
    directory = imported.parent
    read_only = f"mount --bind {directory} {directory}\nmount -o remount,bind,ro {directory}"
    for args in (
        ["audit"],
        ["export", "aws", tmp_path / "out"],
        ["sg", "list", "--account", ACCOUNT],
        ["vpc", "list", "--account", ACCOUNT],
        ["exposure", "--account", ACCOUNT],
        ["reach", "--from", "internet"],
    ):
        done = _in_namespace(read_only, *args, "--db", imported)
        assert done.returncode == 0, (args, done.stderr)
        assert "Traceback" not in done.stderr
    assert (tmp_path / "out" / ACCOUNT / "us-east-1" / "security-groups.json").is_file()
    for args in (
        ["vpc", "create", "10.9.0.0/16", "--account", ACCOUNT],
        ["sg", "list"],
    ):  # the default account was never used: it would be written
        done = _in_namespace(read_only, *args, "--db", imported)
        assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
        assert done.stderr.startswith(f"error: the database is read-only: {imported}")


@needs_mounts
def test_full_disk_on_import_and_export(imported, tmp_path):
    full = tmp_path / "full"
    full.mkdir()
    tiny = f"mount -t tmpfs -o size=300k tmpfs {full}"
    source = tmp_path / "big"
    write_account(source, 10_000, groups=10)
    done = _in_namespace(tiny, "import", "aws", source, "--db", full / "s.db")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: no space left on device writing {full / 's.db'}")
    done = _in_namespace(
        f"mount -t tmpfs -o size=8k tmpfs {full}", "export", "aws", full, "--db", imported
    )
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"error: no space left on device writing {full}/")


def test_names_are_printed_as_text(run, tmp_path):
    """A name or tag holding terminal escapes or rich markup is shown, never obeyed."""
    db = tmp_path / "s.db"
    created = run("sg", "create", "x[/b]", "--description", "[bold]d[/]", "--db", db)
    assert "x[/b]" in created.stdout and "[bold]d[/]" in created.stdout
    store = SqlStore.open(str(db))
    try:
        with store.write(Scope()) as tx:
            group = next(g for g in tx.list_groups() if g.name == "x[/b]")
            tx.set_tags(group.vpc_id, {"Name": "prod\x1b]0;owned\x07\x1b[2J"})
            tx.put_group(dataclasses.replace(group, name="evil\x1b[31m[red]x"))
    finally:
        store.close()
    for args in (["sg", "list"], ["sg", "show", group.group_id], ["vpc", "list"]):
        out = run(*args, "--db", db).stdout
        assert "\x1b" not in out and "\x07" not in out, args
    listed = run("sg", "list", "--db", db).stdout
    assert "evil\\x1b[31m[red]x" in listed
    assert "prod\\x1b]0;owned\\x07\\x1b[2J" in run("vpc", "list", "--db", db).stdout
