"""Held runs of the group commit (``SqlStore.held_writes``): the API server's event loop
runs the short writes that arrived together in one transaction, each call in its own
savepoint, and commits once on leaving the block. Nothing is durable before, a rejected
call changes nothing, a failed commit applies nothing, and a run never waits for a writer.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import text

from stockade.domain.scope import Scope
from stockade.domain.security_group import SecurityGroup
from stockade.store.group_commit import SharedCommitFailed
from stockade.store.repository import WouldBlock
from stockade.store.sql import SqlStore
from store import store_factories as f

DEADLINE_S = 30.0


class Rejected(Exception):
    """What a rejected call raises inside its transaction (like an AwsError would)."""


def _seed_group(store: SqlStore, scope: Scope) -> SecurityGroup:
    group = f.group(scope, "vpc-1")
    with store.write(scope) as tx:
        tx.put_group(group)
    return group


def _ports(store: SqlStore, scope: Scope, group: SecurityGroup) -> list[int]:
    with store.read(scope) as tx:
        return sorted(r.spec.from_port for r in tx.rules_of([group.group_id]))


def _committed_ports(db_path: Path, group: SecurityGroup) -> list[int]:
    """What another connection (another process would) sees committed on disk."""
    other = sqlite3.connect(str(db_path))
    try:
        rows = other.execute(
            "SELECT from_port FROM sg_rules WHERE group_id = ? ORDER BY from_port",
            (group.group_id,),
        ).fetchall()
    finally:
        other.close()
    return [port for (port,) in rows]


def _add(store: SqlStore, scope: Scope, group: SecurityGroup, port: int, reject: bool = False):
    with store.write(scope) as tx:
        tx.add_rules(group, [f.rule(group, port)])
        if reject:
            raise Rejected(port)


def test_a_held_run_commits_once_on_leaving_and_a_rejected_call_changes_nothing(
    store: SqlStore, scope: Scope, db_path: Path
) -> None:
    group = _seed_group(store, scope)
    start, before = store.revision(), store.commit_stats()
    seen: list = []
    unsubscribe = store.subscribe(seen.append)
    with store.held_writes():
        _add(store, scope, group, 1)
        with pytest.raises(Rejected):
            _add(store, scope, group, 2, reject=True)
        _add(store, scope, group, 3)
        with store.write(scope) as tx:  # a later call sees its predecessors' rows
            assert len(tx.rules_of([group.group_id])) == 2
            tx.add_rules(group, [f.rule(group, 4)])
        assert _committed_ports(db_path, group) == []  # nothing durable yet
        assert seen == []  # nor announced
    unsubscribe()
    assert _committed_ports(db_path, group) == [1, 3, 4]
    assert _ports(store, scope, group) == [1, 3, 4]
    after = store.commit_stats()
    assert (after.commits - before.commits, after.calls - before.calls) == (1, 3)
    assert [c.revision for c in seen] == [start + 1, start + 2, start + 3]
    assert store.revision() == start + 3


def test_a_held_run_never_waits_for_a_writer(
    store: SqlStore, scope: Scope, db_path: Path, tmp_path: Path
) -> None:
    group = _seed_group(store, scope)
    entered, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.write(scope) as tx:
            tx.touch("held")
            entered.set()
            assert release.wait(DEADLINE_S)

    thread = threading.Thread(target=hold)
    thread.start()
    assert entered.wait(DEADLINE_S)
    started = time.monotonic()
    try:
        with pytest.raises(WouldBlock), store.held_writes():
            _add(store, scope, group, 1)
    finally:
        release.set()
        thread.join(DEADLINE_S)
    other = sqlite3.connect(str(db_path), isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds SQLite's write lock
        with pytest.raises(WouldBlock), store.held_writes():
            _add(store, scope, group, 2)
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert time.monotonic() - started < 5, "waited (the busy timeout is 30 s)"
    assert _ports(store, scope, group) == []
    memory = SqlStore.open("sqlite://")
    try:
        with pytest.raises(WouldBlock), memory.held_writes():
            pass
    finally:
        memory.close()
    with store.held_writes():  # free again: the run goes through
        _add(store, scope, group, 3)
    assert _committed_ports(db_path, group) == [3]


def test_a_writer_queued_behind_a_held_run_goes_on_after_it(
    store: SqlStore, scope: Scope, db_path: Path
) -> None:
    group = _seed_group(store, scope)
    done = threading.Event()

    def waiting_writer() -> None:
        _add(store, scope, group, 9)
        done.set()

    with store.held_writes():
        _add(store, scope, group, 1)
        thread = threading.Thread(target=waiting_writer)
        thread.start()
        deadline = time.monotonic() + DEADLINE_S
        while store._group.queued == 0:  # it waits for the turn the run holds
            assert time.monotonic() < deadline, "the other writer never queued"
            time.sleep(0.005)
        assert not done.is_set()
    thread.join(DEADLINE_S)
    assert done.is_set() and _committed_ports(db_path, group) == [1, 9]


def _dangling_rule(store: SqlStore, scope: Scope) -> None:
    """A write whose foreign key fails only at COMMIT: the run it joins cannot commit."""
    with store.write(scope) as tx:
        tx.touch("sgr-dangling")
        conn = tx._conn
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(
            text(
                "INSERT INTO sg_rules (rule_id, seq, account, region, group_id, owner_id, "
                "is_egress, protocol, from_port, to_port, peer_kind, peer_value, "
                "peer_owner) VALUES ('sgr-dangling', 0, :a, :r, 'sg-missing', :a, 0, "
                "'tcp', 9, 9, 'cidr4', '10.0.0.0/8', '')"
            ),
            {"a": scope.account, "r": scope.region},
        )


def test_a_failed_commit_of_a_held_run_applies_none_of_it(
    store: SqlStore, scope: Scope, db_path: Path
) -> None:
    group = _seed_group(store, scope)
    start = store.revision()
    with pytest.raises(SharedCommitFailed), store.held_writes():
        _add(store, scope, group, 1)
        _dangling_rule(store, scope)
        _add(store, scope, group, 2)
    assert _committed_ports(db_path, group) == [] and store.revision() == start
    with store.held_writes():  # the writer recovers
        _add(store, scope, group, 5)
    assert _committed_ports(db_path, group) == [5] and store.revision() == start + 1


@contextmanager
def single_run(store: SqlStore) -> Iterator[None]:
    """A run of one call (the API server's lone write), committed on leaving."""
    run = store.hold_writes(single=True)
    try:
        yield
    finally:
        run.end_calls()
        run.commit()


def test_a_run_of_one_commits_its_call_or_nothing(
    store: SqlStore, scope: Scope, db_path: Path
) -> None:
    """A run of one writes without a savepoint: a rejected call is rolled back whole,
    leaving the store as it was and the writer free; an accepted one is committed."""
    group = _seed_group(store, scope)
    start, before = store.revision(), store.commit_stats()
    with single_run(store), pytest.raises(Rejected):
        _add(store, scope, group, 1, reject=True)
    assert _committed_ports(db_path, group) == [] and store.revision() == start
    assert store.commit_stats() == before
    with single_run(store):
        _add(store, scope, group, 2)
        assert _committed_ports(db_path, group) == []  # nothing durable before the commit
    assert _committed_ports(db_path, group) == [2] and store.revision() == start + 1
    after = store.commit_stats()
    assert (after.commits - before.commits, after.calls - before.calls) == (1, 1)


def test_later_writes_of_a_run_of_one_keep_their_savepoints(
    store: SqlStore, scope: Scope, db_path: Path
) -> None:
    """After its first write, a run of one isolates each write as any run does; after a
    rejected first write its transaction is gone, so a later write fails, applying nothing."""
    group = _seed_group(store, scope)
    start = store.revision()
    with single_run(store):
        _add(store, scope, group, 1)
        with pytest.raises(Rejected):
            _add(store, scope, group, 2, reject=True)
        _add(store, scope, group, 3)
    assert _committed_ports(db_path, group) == [1, 3] and store.revision() == start + 2
    with single_run(store):
        with pytest.raises(Rejected):
            _add(store, scope, group, 4, reject=True)
        with pytest.raises(SharedCommitFailed):
            _add(store, scope, group, 5)
    assert _committed_ports(db_path, group) == [1, 3] and store.revision() == start + 2
    with store.held_writes():  # the writer is free again
        _add(store, scope, group, 6)
    assert _committed_ports(db_path, group) == [1, 3, 6]


def test_a_scope_is_remembered_initialised_only_once_its_run_is_durable(store: SqlStore) -> None:
    """The service context skips creating a scope's default VPC once it knows the scope is
    initialised; a call in a held run must not teach it that before the run commits -- a
    failed commit would leave the scope without its default VPC for good."""
    from stockade.service import context as service_context
    from stockade.service.context import ServiceContext

    failing, lasting = Scope("111111111111"), Scope("222222222222")
    with pytest.raises(SharedCommitFailed), store.held_writes():
        with ServiceContext(store, failing).write() as tx:
            tx.touch("first-call")
        assert not service_context._known(store, failing)  # not durable yet
        _dangling_rule(store, scope=failing)
    assert not service_context._known(store, failing)
    with ServiceContext(store, failing).read() as tx:  # initialised again, for real this time
        assert [vpc.is_default for vpc in tx.snapshot().vpcs] == [True]
    with store.held_writes():
        with ServiceContext(store, lasting).write() as tx:
            tx.touch("first-call")
        assert not service_context._known(store, lasting)
    assert service_context._known(store, lasting)
