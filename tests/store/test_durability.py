"""What an acknowledged write survives: ``full`` (fsynced: SQLite ``synchronous=FULL``) by
default, ``process`` (in the OS: ``synchronous=NORMAL``) when asked, SQLite stores only."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.domain.scope import Scope
from stockade.store.sql import SqlStore
from store import store_factories as f


def _synchronous(store: SqlStore) -> int:
    with store._engine.connect() as conn:
        return conn.exec_driver_sql("PRAGMA synchronous").scalar_one()


@pytest.mark.parametrize(("durability", "synchronous"), [("full", 2), ("process", 1)])
def test_every_connection_of_the_store_syncs_as_its_durability_says(
    tmp_path: Path, durability: str, synchronous: int
) -> None:
    store = SqlStore.open(str(tmp_path / "d.db"), durability=durability)
    try:
        assert store.durability == durability
        scope = Scope()
        with store.write(scope) as tx:  # the group committer's own connection too
            tx.add_group(f.group(scope, "vpc-1"))
            assert tx._c.exec_driver_sql("PRAGMA synchronous").scalar_one() == synchronous
        assert _synchronous(store) == synchronous
    finally:
        store.close()


def test_the_default_is_full(tmp_path: Path) -> None:
    store = SqlStore.open(str(tmp_path / "d.db"))
    try:
        assert (store.durability, _synchronous(store)) == ("full", 2)
    finally:
        store.close()


def test_an_unknown_durability_or_one_postgresql_cannot_honour_is_refused(
    tmp_path: Path,
) -> None:
    with pytest.raises(ValueError, match="unknown durability 'fast': one of full, process"):
        SqlStore.open(str(tmp_path / "d.db"), durability="fast")
    # refused before any connection is tried (nothing listens on port 1)
    with pytest.raises(ValueError, match="for SQLite stores"):
        SqlStore.open("postgresql://stockade@127.0.0.1:1/none", durability="process")
    assert not (tmp_path / "d.db").exists()


def test_serve_refuses_an_unknown_durability_in_one_line(tmp_path: Path) -> None:
    """Refused before anything starts: no store, and no log handler left behind (one
    writing to the runner's closed stream broke every later server in the process)."""
    handlers = list(logging.getLogger("stockade").handlers)
    result = CliRunner().invoke(
        app, ["serve", "--db", str(tmp_path / "s.db"), "--durability", "fast", "--dataplane", "off"]
    )
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines == ["error: unknown durability 'fast': one of full, process"]
    assert logging.getLogger("stockade").handlers == handlers
    assert not (tmp_path / "s.db").exists()
