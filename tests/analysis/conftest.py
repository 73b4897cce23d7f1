"""Shared fixtures: the AWS CLI output under fixtures/aws, imported into a fresh store."""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockade.analysis.aws_import import import_directory
from stockade.cli.main import app
from stockade.domain.scope import Scope
from stockade.domain.state import Snapshot
from stockade.store.sql import SqlStore

FIXTURES = Path(__file__).parent / "fixtures" / "aws"
MAIN = Scope("111122223333", "us-east-1")
PEER = Scope("444455556666", "us-east-1")
MAIN_DIR = FIXTURES / MAIN.account / MAIN.region

# Ids in the fixture (see fixtures/aws/111122223333/us-east-1/*.json).
SG = {
    name: f"sg-0a1b2c3d4e5f6300{i}"
    for i, name in enumerate(
        [
            "default",
            "web",
            "web-old",
            "db",
            "admin",
            "unused-tools",
            "partner",
            "default2",
            "internal",
        ],
        start=1,
    )
}
ENI = {
    name: f"eni-0a1b2c3d4e5f6600{i}"
    for i, name in enumerate(["web1", "db1", "legacy", "lambda", "spare", "int1"], start=1)
}
INSTANCE = {
    name: f"i-0a1b2c3d4e5f6800{i}"
    for i, name in enumerate(["web1", "db1", "legacy", "int1", "gone"], start=1)
}


def rule_id(n: int) -> str:
    """The fixture's n-th rule id (sgr-0a1b2c3d4e5f7 + 4 hex digits)."""
    return f"sgr-0a1b2c3d4e5f7{n:04x}"


@pytest.fixture
def store(tmp_path) -> SqlStore:
    s = SqlStore.open(str(tmp_path / "imported.db"))
    import_directory(s, FIXTURES)
    yield s
    s.close()


def snapshot_of(store: SqlStore, scope: Scope = MAIN) -> Snapshot:
    with store.read(scope) as tx:
        return tx.snapshot()


@pytest.fixture
def snap(store) -> Snapshot:
    return snapshot_of(store)


def comparable(snapshot: Snapshot) -> Snapshot:
    """Two stores' snapshots differ only by revision when they hold the same state."""
    return dataclasses.replace(snapshot, revision=0)


@pytest.fixture
def copy_fixtures(tmp_path):
    """A writable copy of the fixtures (or of one scope's directory) to break or move."""

    def make(source: Path = FIXTURES, name: str = "aws") -> Path:
        target = tmp_path / name
        shutil.copytree(source, target)
        return target

    return make


def edit_json(path: Path, change) -> None:
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data, indent=4))


@pytest.fixture
def cli(tmp_path, monkeypatch):
    """``cli(*args, code=0)``: run the CLI on a temporary STOCKADE_DB."""
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("COLUMNS", "200")
    for name in ("STOCKADE_ACCOUNT", "STOCKADE_REGION"):
        monkeypatch.delenv(name, raising=False)
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, [str(a) for a in args])
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


@pytest.fixture
def stores(tmp_path: Path) -> Iterator[tuple[SqlStore, SqlStore]]:
    """Two fresh stores: one exported from, one imported into."""
    first = SqlStore.open(str(tmp_path / "first.db"))
    second = SqlStore.open(str(tmp_path / "second.db"))
    yield first, second
    first.close()
    second.close()
