"""Group commit: concurrent write calls share one SQLite commit, each stays all-or-nothing.

The batches here are made deterministic: the first call holds the writer connection until
the others are seen queued behind it, so all of them land in one shared transaction.
Durability under SIGKILL is proven with a child process whose threads write concurrently
(and some of whose calls are rejected) and print each call only once it was acknowledged.
"""

from __future__ import annotations

import random
import signal
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import text

from stockade.domain.scope import Scope
from stockade.domain.security_group import SecurityGroup
from stockade.store.group_commit import SharedCommitFailed
from stockade.store.repository import WouldBlock
from stockade.store.sql import SqlStore
from store import store_factories as f
from store.store_factories import random_scope

DEADLINE_S = 30.0


class Rejected(Exception):
    """What a rejected call raises inside its transaction (like an AwsError would)."""


def _wait_until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.005)


def _seed_group(store: SqlStore, scope: Scope) -> SecurityGroup:
    group = f.group(scope, "vpc-1")
    with store.write(scope) as tx:
        tx.put_group(group)
    return group


def _ports(store: SqlStore, scope: Scope, group: SecurityGroup) -> list[int]:
    with store.read(scope) as tx:
        return sorted(r.spec.from_port for r in tx.rules_of([group.group_id]))


def _one_shared_batch(
    store: SqlStore, scope: Scope, first: Callable[[object], None], others: list[Callable]
) -> dict[int, BaseException | None]:
    """Run ``first`` holding the writer until every one of ``others`` is queued behind it,
    so all of them share one transaction; returns each call's outcome (None: success)."""
    entered, release = threading.Event(), threading.Event()
    outcomes: dict[int, BaseException | None] = {}

    def call(index: int, body: Callable[[object], None], hold: bool) -> None:
        try:
            with store.write(scope) as tx:
                body(tx)
                if hold:
                    entered.set()
                    assert release.wait(DEADLINE_S)
            outcomes[index] = None
        except BaseException as exc:  # noqa: BLE001 - inspected by the test
            outcomes[index] = exc

    threads = [threading.Thread(target=call, args=(0, first, True))]
    threads[0].start()
    assert entered.wait(DEADLINE_S)
    for index, body in enumerate(others, start=1):
        threads.append(threading.Thread(target=call, args=(index, body, False)))
        threads[-1].start()
    _wait_until(lambda: store._group.queued == len(others), "the other calls are queued")
    release.set()
    for thread in threads:
        thread.join(DEADLINE_S)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_queued_calls_share_one_commit_and_a_rejected_one_changes_nothing(
    store: SqlStore, scope: Scope
) -> None:
    group = _seed_group(store, scope)
    start, before = store.revision(), store.commit_stats()
    seen: list = []
    unsubscribe = store.subscribe(seen.append)

    def add(port: int, reject: bool = False) -> Callable[[object], None]:
        def body(tx) -> None:  # noqa: ANN001
            tx.put_rules([f.rule(group, port)])
            if reject:
                raise Rejected(port)

        return body

    outcomes = _one_shared_batch(store, scope, add(1), [add(2), add(3, reject=True), add(4)])
    unsubscribe()

    assert isinstance(outcomes.pop(2), Rejected)
    assert outcomes == {0: None, 1: None, 3: None}
    assert _ports(store, scope, group) == [1, 2, 4]
    after = store.commit_stats()
    assert (after.commits - before.commits, after.calls - before.calls) == (1, 3)
    # one revision and one change-log row per committed call, announced in order
    changes = store.changes_since(start)
    assert [c.revision for c in changes] == [start + 1, start + 2, start + 3]
    assert [c.revision for c in seen] == [start + 1, start + 2, start + 3]
    assert store.revision() == start + 3
    with store.read(scope) as tx:
        rule_ids = {r.rule_id for r in tx.rules_of([group.group_id])}
    logged = [[rid for rid in c.resource_ids if rid.startswith("sgr-")] for c in changes]
    assert all(len(ids) == 1 for ids in logged) and {ids[0] for ids in logged} == rule_ids


def test_a_call_reading_its_predecessors_uncommitted_rows_sees_them(
    store: SqlStore, scope: Scope
) -> None:
    """Read-check-write still cannot race: each call sees the calls before it."""
    group = _seed_group(store, scope)

    def next_numbered(tx) -> None:  # noqa: ANN001
        tx.put_rules([f.rule(group, len(tx.rules_of([group.group_id])))])

    outcomes = _one_shared_batch(store, scope, next_numbered, [next_numbered] * 5)
    assert set(outcomes.values()) == {None}
    assert _ports(store, scope, group) == [0, 1, 2, 3, 4, 5]


def test_a_failed_shared_commit_fails_every_call_and_applies_none(
    store: SqlStore, scope: Scope
) -> None:
    group = _seed_group(store, scope)
    start = store.revision()

    def dangling_rule(tx) -> None:  # noqa: ANN001
        """A row whose foreign key is checked only at COMMIT: the commit itself fails."""
        tx.touch("sgr-dangling")
        conn = tx._conn
        conn.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        conn.execute(
            text(
                "INSERT INTO sg_rules (rule_id, seq, account, region, group_id, owner_id, "
                "is_egress, protocol, from_port, to_port, peer_kind, peer_value, peer_owner) "
                "VALUES ('sgr-dangling', 0, :a, :r, 'sg-missing', :a, 0, 'tcp', 9, 9, "
                "'cidr4', '10.0.0.0/8', '')"
            ),
            {"a": scope.account, "r": scope.region},
        )

    def add(port: int) -> Callable[[object], None]:
        return lambda tx: tx.put_rules([f.rule(group, port)])

    outcomes = _one_shared_batch(store, scope, add(1), [dangling_rule, add(2)])
    assert all(isinstance(o, SharedCommitFailed) for o in outcomes.values()), outcomes
    assert _ports(store, scope, group) == []
    assert store.revision() == start
    # the writer recovers: the next call gets a fresh connection and commits
    with store.write(scope) as tx:
        tx.put_rules([f.rule(group, 5)])
    assert _ports(store, scope, group) == [5]
    assert store.revision() == start + 1


def test_batches_begun_on_the_driver_end_clean_whichever_way_their_calls_wrote(
    store: SqlStore, scope: Scope
) -> None:
    """The batch's BEGIN/COMMIT run on the driver; a call may still write through
    SQLAlchemy's own ``execute`` (which then joins that transaction). Batches of only
    prepared writes, only SQLAlchemy writes, or both, committed or rolled back, each leave
    the writer connection outside any transaction and every acknowledged write stored."""
    group = _seed_group(store, scope)

    def prepared(port: int, reject: bool = False) -> Callable[[object], None]:
        def body(tx) -> None:  # noqa: ANN001
            tx.add_rules(group, [f.rule(group, port)])  # prepared statements only
            if reject:
                raise Rejected(port)

        return body

    def through_sqlalchemy(port: int) -> Callable[[object], None]:
        return lambda tx: tx.put_rules([f.rule(group, port)])  # SQLAlchemy's execute

    def writer_idle() -> bool:
        connection = store._group._connection
        return not connection.in_transaction() and not (
            connection.connection.driver_connection.in_transaction
        )

    outcomes = _one_shared_batch(store, scope, prepared(2), [prepared(1, reject=True)])
    assert outcomes[0] is None and isinstance(outcomes[1], Rejected) and writer_idle()
    outcomes = _one_shared_batch(store, scope, prepared(3), [prepared(4), prepared(5)])
    assert set(outcomes.values()) == {None} and writer_idle()
    outcomes = _one_shared_batch(store, scope, prepared(6), [through_sqlalchemy(7)])
    assert set(outcomes.values()) == {None} and writer_idle()
    outcomes = _one_shared_batch(store, scope, through_sqlalchemy(8), [prepared(9, True)])
    assert outcomes[0] is None and isinstance(outcomes[1], Rejected) and writer_idle()
    for alone in (prepared(10, reject=True), prepared(11, reject=True)):
        with pytest.raises(Rejected), store.write(scope) as tx:  # alone: rolled back whole
            alone(tx)
        assert writer_idle()
    with pytest.raises(Rejected), store.write(scope) as tx:
        through_sqlalchemy(12)(tx)
        raise Rejected(12)
    assert writer_idle()
    assert _ports(store, scope, group) == [2, 3, 4, 5, 6, 7, 8]


_CONCURRENT_CRASH_CHILD = textwrap.dedent(
    """
    import sys, threading
    from stockade.domain.ids import new_id
    from stockade.domain.scope import Scope
    from stockade.domain.security_group import (
        Peer, PeerKind, RuleSpec, SecurityGroup, SecurityGroupRule,
    )
    from stockade.store.sql import SqlStore

    path, account = sys.argv[1], sys.argv[2]
    scope = Scope(account, "us-east-1")
    store = SqlStore.open(path)
    out = threading.Lock()

    def write(rejected):
        gid = new_id("sg")
        try:
            with store.write(scope) as tx:
                tx.put_group(SecurityGroup(gid, gid, "crash", "vpc-crash", account, scope.region))
                tx.put_rules(
                    SecurityGroupRule(
                        new_id("sgr"), gid, account,
                        RuleSpec(False, "tcp", port, port, Peer(PeerKind.CIDR_V4, "10.0.0.0/8")),
                    )
                    for port in range(5)
                )
                tx.set_tags(gid, {"complete": "yes"})
                if rejected:
                    raise ValueError("rejected")
        except ValueError:
            with out:
                print("rejected", gid, flush=True)
            return
        stats = store.commit_stats()
        with out:
            print("ok", gid, stats.commits, stats.calls, flush=True)

    def writer(k):
        for n in range(100000):
            write(rejected=(n + k) % 4 == 0)

    for k in range(8):
        threading.Thread(target=writer, args=(k,), daemon=True).start()
    threading.Event().wait()
    """
)


def _kill_concurrent_writers(path: Path, account: str) -> list[list[str]]:
    """Run the 8-thread writer until it acknowledged some calls, SIGKILL it at a random
    moment, return its complete output lines."""
    with subprocess.Popen(
        [sys.executable, "-c", _CONCURRENT_CRASH_CHILD, str(path), account],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        output = child.stdout.readline()  # the first acknowledgement (or rejection)
        time.sleep(random.uniform(0.05, 0.4))
        child.send_signal(signal.SIGKILL)
        output += child.stdout.read()
    assert child.returncode == -signal.SIGKILL
    return [line.split() for line in output.split("\n")[:-1] if line]


@pytest.mark.slow
def test_sigkilled_concurrent_writers_lose_no_acknowledged_call(tmp_path: Path) -> None:
    path = tmp_path / "crash" / "stockade.db"
    scope = random_scope()
    SqlStore.open(str(path)).close()  # migrate first: every kill lands among writers
    acknowledged: set[str] = set()
    rejected: set[str] = set()
    shared = 0  # calls that shared a commit, as the child's own counters saw it
    for _ in range(4):
        for line in _kill_concurrent_writers(path, scope.account):
            if line[0] == "ok":
                acknowledged.add(line[1])
                shared = max(shared, int(line[3]) - int(line[2]))
            else:
                rejected.add(line[1])
    assert acknowledged and rejected
    assert shared > 0, "no two calls ever shared a commit: the group commit was not exercised"

    store = SqlStore.open(str(path))
    try:
        with store._engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
        with store.read(scope) as tx:
            groups = {g.group_id: g for g in tx.list_groups()}
            rules = tx.list_rules()
        per_group: dict[str, int] = {}
        for rule in rules:
            per_group[rule.group_id] = per_group.get(rule.group_id, 0) + 1
        assert acknowledged <= set(groups), "an acknowledged call was lost"
        assert not rejected & set(groups), "a rejected call left something behind"
        for group in groups.values():
            assert per_group.get(group.group_id) == 5, f"{group.group_id} is half-written"
            assert group.tags == (("complete", "yes"),)
        assert store.revision() == len(groups)  # one revision per committed call
        assert len(store.changes_since(0)) == len(groups)
    finally:
        store.close()


# -- runs that must not wait (the API server's loop writes; more in test_held_writes.py) ----


def test_only_file_stores_hold_writes(tmp_path: Path, scope: Scope) -> None:
    memory = SqlStore.open("sqlite://")
    try:
        assert not memory.held_writes_supported
        with pytest.raises(WouldBlock), memory.held_writes(), memory.write(scope) as tx:
            tx.touch("x")
        assert memory.revision() == 0
    finally:
        memory.close()
    file_store = SqlStore.open(str(tmp_path / "file.db"))
    try:
        assert file_store.held_writes_supported
    finally:
        file_store.close()


def test_a_write_after_a_held_run_still_waits_for_another_process(
    store: SqlStore, scope: Scope, db_path: Path
) -> None:
    """The zero busy timeout of a held run never leaks into a waiting write."""
    group = _seed_group(store, scope)
    with store.held_writes(), store.write(scope) as tx:
        tx.put_rules([f.rule(group, 1)])
    other = sqlite3.connect(str(db_path), isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")
    timer = threading.Timer(0.3, lambda: other.execute("ROLLBACK"))
    timer.start()
    try:
        with store.write(scope) as tx:  # waits the 0.3 s for the lock, then writes
            tx.put_rules([f.rule(group, 2)])
    finally:
        timer.join(DEADLINE_S)
        other.close()
    assert _ports(store, scope, group) == [1, 2]
