"""Writers serialise (threads, processes) and commits are atomic and durable across SIGKILL.

Each concurrent writer does a read-modify-write: it counts a group's rules and adds the
rule numbered by that count. Two writers that read the same count would insert the same
rule identity and hit the unique constraint, so "no lost updates" shows up as exactly
0..N-1 with no errors.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from stockade.domain.scope import Scope
from stockade.domain.security_group import SecurityGroup
from stockade.store.sql import SqlStore
from store import store_factories as f
from store.store_factories import random_scope

TRANSACTIONS_PER_WORKER = 50


def _add_numbered_rules(store: SqlStore, scope: Scope, group: SecurityGroup, count: int) -> None:
    for _ in range(count):
        with store.write(scope) as tx:
            taken = len(tx.rules_of([group.group_id]))
            tx.put_rules([f.rule(group, taken)])


def _seed_group(store: SqlStore, scope: Scope) -> SecurityGroup:
    group = f.group(scope, "vpc-1")
    with store.write(scope) as tx:
        tx.put_group(group)
    return group


def _assert_numbered(store: SqlStore, scope: Scope, group: SecurityGroup, total: int) -> None:
    with store.read(scope) as tx:
        ports = sorted(r.spec.from_port for r in tx.rules_of([group.group_id]))
    assert ports == list(range(total))


def test_threads_never_lose_updates(db_path: Path, store: SqlStore) -> None:
    scope = random_scope()
    group = _seed_group(store, scope)
    second = SqlStore.open(str(db_path))  # half the threads go through another engine
    start = store.revision()
    errors: list[BaseException] = []

    def worker(target: SqlStore) -> None:
        try:
            _add_numbered_rules(target, scope, group, TRANSACTIONS_PER_WORKER)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=((store, second)[i % 2],)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    second.close()
    assert errors == []
    _assert_numbered(store, scope, group, 8 * TRANSACTIONS_PER_WORKER)
    assert store.revision() == start + 8 * TRANSACTIONS_PER_WORKER
    assert [c.revision for c in store.changes_since(start)] == list(
        range(start + 1, start + 1 + 8 * TRANSACTIONS_PER_WORKER)
    )


def _process_worker(path: str, inherited: SqlStore | None, scope: Scope, group_id: str) -> None:
    """Runs in a forked child: some reuse the parent's store object, some open their own."""
    store = inherited or SqlStore.open(path)
    group = SecurityGroup(group_id, "g", "d", "vpc-1", scope.account, scope.region)
    try:
        _add_numbered_rules(store, scope, group, TRANSACTIONS_PER_WORKER)
    except BaseException:
        os._exit(1)
    os._exit(0)


@pytest.mark.slow
def test_processes_never_lose_updates(db_path: Path, store: SqlStore) -> None:
    scope = random_scope()
    group = _seed_group(store, scope)
    with store.read(scope):  # leave a pooled connection for the children to inherit
        pass
    context = multiprocessing.get_context("fork")
    children = [
        context.Process(
            target=_process_worker,
            args=(str(db_path), store if i % 2 else None, scope, group.group_id),
        )
        for i in range(4)
    ]
    for child in children:
        child.start()
    for child in children:
        child.join(timeout=60)
    assert [child.exitcode for child in children] == [0, 0, 0, 0]
    _assert_numbered(store, scope, group, 4 * TRANSACTIONS_PER_WORKER)
    assert store.revision() == 1 + 4 * TRANSACTIONS_PER_WORKER


_CRASH_CHILD = textwrap.dedent(
    """
    import sys
    from stockade.domain.ids import new_id
    from stockade.domain.scope import Scope
    from stockade.domain.security_group import (
        Peer, PeerKind, RuleSpec, SecurityGroup, SecurityGroupRule,
    )
    from stockade.store.sql import SqlStore

    path, account = sys.argv[1], sys.argv[2]
    scope = Scope(account, "us-east-1")
    store = SqlStore.open(path)
    while True:
        gid = new_id("sg")
        with store.write(scope) as tx:
            tx.put_group(SecurityGroup(gid, gid, "crash test", "vpc-crash", account, scope.region))
            tx.put_rules(
                SecurityGroupRule(
                    new_id("sgr"), gid, account,
                    RuleSpec(False, "tcp", port, port, Peer(PeerKind.CIDR_V4, "10.0.0.0/8")),
                )
                for port in range(5)
            )
            tx.set_tags(gid, {"complete": "yes"})
        print(gid, flush=True)
    """
)


def _run_and_kill(path: Path, account: str, wait_for_ack: bool) -> list[str]:
    """Start a writer, SIGKILL it at a random moment, return the ids it acknowledged."""
    with subprocess.Popen(
        [sys.executable, "-c", _CRASH_CHILD, str(path), account],
        stdout=subprocess.PIPE,
        text=True,
    ) as child:
        assert child.stdout is not None
        output = ""
        if wait_for_ack:
            output = child.stdout.readline()
            time.sleep(random.uniform(0.0, 0.25))
        else:  # may land in start-up or in the migration of a fresh database
            time.sleep(random.uniform(0.1, 0.5))
        child.send_signal(signal.SIGKILL)
        output += child.stdout.read()
    assert child.returncode == -signal.SIGKILL
    lines = output.split("\n")
    return [line for line in lines[:-1] if line]  # the last piece lacks its newline


@pytest.mark.slow
def test_sigkill_never_leaves_half_a_transaction(tmp_path: Path) -> None:
    path = tmp_path / "crash" / "stockade.db"
    scope = random_scope()
    acknowledged: list[str] = []
    rounds = [False] + [True] * 5  # the first kill may hit a fresh database's migration
    for wait_for_ack in rounds:
        acknowledged += _run_and_kill(path, scope.account, wait_for_ack)
    assert len(acknowledged) > len(rounds)

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
        assert set(acknowledged) <= set(groups), "an acknowledged commit was lost"
        for group in groups.values():
            assert per_group.get(group.group_id) == 5, f"{group.group_id} is half-written"
            assert group.tags == (("complete", "yes"),)
        # At most one commit per kill can be durable but not yet acknowledged.
        assert len(groups) - len(acknowledged) <= len(rounds)
        assert store.revision() == len(groups)
        assert len(store.changes_since(0)) == len(groups)
        with store._engine.connect() as conn:
            seq = conn.execute(text("SELECT next_seq FROM store_revision")).scalar_one()
        assert seq == 1 + 6 * len(groups)  # the counter moved with exactly the committed rows
    finally:
        store.close()
