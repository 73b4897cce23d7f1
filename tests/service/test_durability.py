"""Crash safety and concurrent writers, through the service layer.

A writer process authorizes multi-rule permissions (5 rules per call) and prints each call's
rule ids only after the call returned (acknowledged). It is SIGKILLed at random moments.
After every kill the store must hold every acknowledged call completely and no call
partially: rules of one call share a port, so a half-applied call would show as a port with
fewer than 5 rules. The same holds for eight writer threads whose calls share commits (group
commit), a third of them rejected by AWS rules while their neighbours commit.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections import Counter

import pytest
from helpers import tcp

from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.service.groups import GroupService
from stockade.service.rules import RuleService
from stockade.store.sql import SqlStore

WRITER = textwrap.dedent(
    """
    import sys
    from stockade.domain.permissions import IpPermission
    from stockade.domain.quotas import Quotas
    from stockade.domain.scope import Scope
    from stockade.service.context import ServiceContext
    from stockade.service.rules import RuleService
    from stockade.store.sql import SqlStore

    db, group_id, first = sys.argv[1], sys.argv[2], int(sys.argv[3])
    ctx = ServiceContext(SqlStore.open(db), Scope(), Quotas(rules_per_group=200,
                         groups_per_interface=5))
    rules = RuleService(ctx)
    for port in range(first, first + 100):
        cidrs = tuple((f"10.{i}.0.0/16", None) for i in range(5))
        added = rules.authorize(group_id, [IpPermission("tcp", port, port, ip_ranges=cidrs)])
        print(port, ",".join(r.rule_id for r in added), flush=True)
    """
)


@pytest.mark.slow
def test_sigkilled_writer_loses_no_acknowledged_call(tmp_path):
    db = str(tmp_path / "crash.db")
    store = SqlStore.open(db)
    ctx = ServiceContext(store, Scope(), Quotas(rules_per_group=200, groups_per_interface=5))
    acknowledged: dict[int, set[str]] = {}
    rng = random.Random(7)
    first = 1
    for _ in range(6):
        gid = GroupService(ctx).create(f"g{first}", "crash test").group.group_id
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, db, gid, str(first)],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        assert proc.stdout is not None
        first_ack = proc.stdout.readline()  # start-up may take seconds on a loaded machine
        time.sleep(rng.uniform(0.0, 1.0))
        proc.send_signal(signal.SIGKILL)
        out = first_ack + proc.communicate()[0]
        for line in out.splitlines():
            port, ids = line.split()
            acknowledged[int(port)] = set(ids.split(","))
        first += 100

        stored = [r for r in RuleService(ctx).describe() if r.spec.protocol == "tcp"]
        per_port = Counter(r.spec.from_port for r in stored)
        assert all(n == 5 for n in per_port.values()), f"half-applied call: {per_port}"
        ids = {r.rule_id for r in stored}
        for port, rule_ids in acknowledged.items():
            assert rule_ids <= ids, f"acknowledged call on port {port} was lost"
    assert len(acknowledged) > 0, "the writer never got a call acknowledged"
    store.close()


@pytest.mark.slow
def test_concurrent_writers_lose_nothing(ctx):
    """8 threads authorize distinct rules into one group at once: all land, none twice."""
    quota_ctx = ServiceContext(ctx.store, ctx.scope, Quotas(rules_per_group=200))
    gid = GroupService(quota_ctx).create("busy", "d").group.group_id
    errors: list[BaseException] = []

    def writer(k: int) -> None:
        try:
            for port in range(20):
                RuleService(quota_ctx).authorize(gid, [tcp(1000 * k + port, "10.0.0.0/8")])
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(k,)) for k in range(1, 9)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len([r for r in RuleService(ctx).describe(group_ids=[gid]) if not r.is_egress]) == 160


CONCURRENT_WRITER = textwrap.dedent(
    """
    import sys, threading
    from stockade.domain.errors import AwsError
    from stockade.domain.permissions import IpPermission
    from stockade.domain.quotas import Quotas
    from stockade.domain.scope import Scope
    from stockade.service.context import ServiceContext
    from stockade.service.rules import RuleService
    from stockade.store.sql import SqlStore

    db, group_ids = sys.argv[1], sys.argv[2].split(",")
    store = SqlStore.open(db)
    ctx = ServiceContext(store, Scope(), Quotas(rules_per_group=600, groups_per_interface=1))
    out = threading.Lock()

    def perm(port):
        return IpPermission("tcp", port, port,
                            ip_ranges=tuple((f"10.{i}.0.0/16", None) for i in range(5)))

    def writer(k, group_id):
        rules = RuleService(ctx)
        for n in range(150):
            port = 1000 * k + n
            if n % 3 == 2:  # rejected as a whole: the new port comes with a duplicate
                try:
                    rules.authorize(group_id, [perm(port), perm(port - 1)])
                except AwsError as error:
                    with out:
                        print("rejected", port, error.code, flush=True)
                continue
            added = rules.authorize(group_id, [perm(port)])
            stats = store.commit_stats()
            with out:
                print("ok", port, ",".join(r.rule_id for r in added),
                      stats.calls - stats.commits, flush=True)

    threads = [threading.Thread(target=writer, args=(k + 1, gid))
               for k, gid in enumerate(group_ids)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    """
)


@pytest.mark.slow
def test_sigkilled_concurrent_writers_sharing_commits_lose_nothing(tmp_path):
    """8 threads authorize through the group commit, a third of their calls rejected by
    AWS rules; SIGKILL at random moments: every acknowledged call is there in full, no
    rejected call left anything, nothing is half-applied."""
    db = str(tmp_path / "crash.db")
    store = SqlStore.open(db)
    ctx = ServiceContext(store, Scope(), Quotas(rules_per_group=600, groups_per_interface=1))
    group_ids = [GroupService(ctx).create(f"g{k}", "crash test").group.group_id for k in range(8)]
    acknowledged: dict[int, set[str]] = {}
    rejected: dict[int, str] = {}
    codes: set[str] = set()
    shared = 0  # calls that shared a commit with another, as the child counted them
    rng = random.Random(11)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_WRITER, db, ",".join(group_ids)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        first = proc.stdout.readline()  # killed only once calls are being answered
        time.sleep(rng.uniform(0.05, 0.6))
        proc.send_signal(signal.SIGKILL)
        out = first + proc.stdout.read()
        proc.wait()
        for line in out.split("\n")[:-1]:  # the last piece may lack its newline
            kind, port, detail, *rest = line.split()
            if kind == "ok":
                acknowledged[int(port)] = set(detail.split(","))
                shared = max(shared, int(rest[0]))
            else:
                rejected[int(port)] = detail
        stored = [r for r in RuleService(ctx).describe() if r.spec.protocol == "tcp"]
        per_port = Counter(r.spec.from_port for r in stored)
        assert all(n == 5 for n in per_port.values()), f"half-applied call: {per_port}"
        ids = {r.rule_id for r in stored}
        for port, rule_ids in acknowledged.items():
            assert rule_ids <= ids, f"acknowledged call on port {port} was lost"
        assert not set(rejected) & set(per_port), "a rejected call left rules behind"
        for gid in group_ids:  # the next round writes the same ports again
            RuleService(ctx).revoke(gid, rule_ids=[r.rule_id for r in stored if r.group_id == gid])
        codes |= set(rejected.values())
        acknowledged.clear()
        rejected.clear()
    assert codes == {"InvalidPermission.Duplicate"}
    assert shared > 0, "no two calls ever shared a commit: the group commit was not exercised"
    store.close()
