"""Crash safety and concurrent writers, through the service layer.

A writer process authorizes multi-rule permissions (5 rules per call) and prints each call's
rule ids only after the call returned (acknowledged). It is SIGKILLed at random moments.
After every kill the store must hold every acknowledged call completely and no call
partially: rules of one call share a port, so a half-applied call would show as a port with
fewer than 5 rules.
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
        time.sleep(rng.uniform(0.4, 1.5))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
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
