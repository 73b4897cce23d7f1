"""Short writes run on the event loop, those that arrive together in one held run of the
group commit (api/app.py): they are durable when answered, and a write that would have to
wait never holds up the loop."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from api_server.api_helpers import client
from api_server.serve_process import serve

from stockade.api.app import create_app, serving
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.service.groups import GroupService
from stockade.store.sql import SqlStore

DEADLINE_S = 60.0
ACCOUNT = "123456789012"  # the default account: the CLI-side check reads Scope()


def test_a_write_waiting_for_another_process_does_not_hold_up_reads(tmp_path: Path) -> None:
    """Another process holds SQLite's write lock: a create (first tried on the loop) must
    go to a worker thread and wait there, while reads are answered at once."""
    db = tmp_path / "locked.db"
    store = SqlStore.open(str(db))
    try:
        with serving(create_app(store)) as url:
            ec2 = client(url, ACCOUNT, read_timeout=DEADLINE_S)
            ec2.describe_security_groups()  # first use: the default VPC is written now
            other = sqlite3.connect(str(db), isolation_level=None)
            other.execute("BEGIN IMMEDIATE")
            created: list[str] = []
            failed: list[BaseException] = []

            def create() -> None:
                try:
                    answer = client(url, ACCOUNT, read_timeout=DEADLINE_S).create_security_group(
                        GroupName="waits", Description="d"
                    )
                    created.append(answer["GroupId"])
                except BaseException as exc:  # noqa: BLE001 - asserted below
                    failed.append(exc)

            writer = threading.Thread(target=create)
            try:
                writer.start()
                time.sleep(0.3)  # the create has arrived and is waiting for the lock
                started = time.monotonic()
                names = [g["GroupName"] for g in ec2.describe_security_groups()["SecurityGroups"]]
                read_s = time.monotonic() - started
                still_waiting = writer.is_alive()
            finally:
                other.execute("ROLLBACK")
                other.close()
            writer.join(DEADLINE_S)
            assert still_waiting, "the create did not wait for the lock (was it ever held?)"
            assert read_s < 10, f"a read waited {read_s:.1f} s behind a blocked write"
            assert names == ["default"]
            assert not failed and len(created) == 1
            groups = ec2.describe_security_groups(GroupIds=created)["SecurityGroups"]
            assert [g["GroupName"] for g in groups] == ["waits"]
    finally:
        store.close()


@pytest.mark.parametrize("durability", ["full", "process"])
def test_sigkilled_server_keeps_every_acknowledged_on_loop_write(
    tmp_path: Path, durability: str
) -> None:
    """A lone client's creates run on the loop; kill -9 the server at random moments:
    every create it answered is in the store -- fsynced (``full``) or only handed to the
    OS (``process``: kill -9 is exactly what that promises to survive)."""
    db = tmp_path / "crash.db"
    acknowledged: list[str] = []
    rng = random.Random(7)
    on_loop = 0
    for round_ in range(2):
        with serve(tmp_path, "--durability", durability, db=db) as server:
            with urllib.request.urlopen(f"{server.url}/health", timeout=DEADLINE_S) as answer:
                assert json.loads(answer.read())["durability"] == durability
            ec2 = client(
                server.url, ACCOUNT, connect_timeout=5, read_timeout=10, tcp_keepalive=False
            )
            ec2.describe_vpcs()
            stop = threading.Event()

            def writer(prefix: str, ec2=ec2, stop=stop) -> None:
                for i in range(100_000):
                    if stop.is_set():
                        return
                    name = f"{prefix}-{i}"
                    try:
                        ec2.create_security_group(GroupName=name, Description="crash")
                    except Exception:  # noqa: BLE001 - the server was killed
                        return
                    acknowledged.append(name)

            thread = threading.Thread(target=writer, args=(f"r{round_}",))
            thread.start()
            deadline = time.monotonic() + DEADLINE_S
            floor = len(acknowledged) + 20
            while len(acknowledged) < floor and time.monotonic() < deadline:
                time.sleep(0.01)
            time.sleep(rng.uniform(0.0, 0.3))
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=DEADLINE_S)
            stop.set()
            thread.join(DEADLINE_S)
            assert not thread.is_alive()
            on_loop += sum(
                "CreateSecurityGroup" in line and "status=200 on-loop" in line
                for line in server.log.read_text().splitlines()
            )
    assert len(acknowledged) >= 40
    assert on_loop >= 20, "the creates did not run on the loop: that path was not tested"
    store = SqlStore.open(str(db))
    try:
        stored = set(GroupService(ServiceContext(store, Scope())).names().values())
    finally:
        store.close()
    lost = [name for name in acknowledged if name not in stored]
    assert not lost, f"{len(lost)} acknowledged creates lost, e.g. {lost[:3]}"


def test_sigkilled_server_keeps_every_acknowledged_write_of_concurrent_runs(
    tmp_path: Path,
) -> None:
    """Six clients create groups and authorize rules on them at once, so the loop runs
    their writes in shared runs (one commit for several calls); kill -9 the server at
    random moments: every call it answered is in the store, rules included."""
    db = tmp_path / "runs.db"
    acknowledged: list[tuple[str, str]] = []  # (group name, the CIDR authorized on it)
    rng = random.Random(11)
    calls = commits = 0
    for round_ in range(2):
        with serve(tmp_path, db=db) as server:
            client(server.url, ACCOUNT).describe_vpcs()
            stop = threading.Event()

            def writer(prefix: str, url: str = server.url, stop=stop) -> None:
                ec2 = client(url, ACCOUNT, connect_timeout=5, read_timeout=10)
                for i in range(100_000):
                    if stop.is_set():
                        return
                    name, cidr = f"{prefix}-{i}", f"10.{i // 256 % 256}.{i % 256}.0/24"
                    try:
                        ec2.create_security_group(GroupName=name, Description="crash")
                        acknowledged.append((name, ""))
                        ec2.authorize_security_group_ingress(
                            GroupName=name,
                            IpPermissions=[
                                {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
                                 "IpRanges": [{"CidrIp": cidr}]}
                            ],
                        )  # fmt: skip
                    except Exception:  # noqa: BLE001 - the server was killed
                        return
                    acknowledged.append((name, cidr))

            threads = [threading.Thread(target=writer, args=(f"r{round_}c{k}",)) for k in range(6)]
            for thread in threads:
                thread.start()
            deadline = time.monotonic() + DEADLINE_S
            floor = len(acknowledged) + 60
            while len(acknowledged) < floor and time.monotonic() < deadline:
                time.sleep(0.01)
            with urllib.request.urlopen(f"{server.url}/health", timeout=DEADLINE_S) as answer:
                health = json.loads(answer.read())
            calls, commits = calls + health["write_calls"], commits + health["commits"]
            time.sleep(rng.uniform(0.0, 0.3))
            server.process.send_signal(signal.SIGKILL)
            server.process.wait(timeout=DEADLINE_S)
            stop.set()
            for thread in threads:
                thread.join(DEADLINE_S)
                assert not thread.is_alive()
    assert len(acknowledged) >= 120
    assert calls > commits, "no commit carried more than one call: runs were not tested"
    store = SqlStore.open(str(db))
    try:
        with store.read(Scope()) as tx:
            groups = {g.name: g.group_id for g in tx.list_groups()}
            cidrs = {
                (r.group_id, r.spec.peer.value) for r in tx.list_rules() if not r.spec.is_egress
            }
    finally:
        store.close()
    lost = [
        (name, cidr)
        for name, cidr in acknowledged
        if name not in groups or (cidr and (groups[name], cidr) not in cidrs)
    ]
    assert not lost, f"{len(lost)} acknowledged calls lost, e.g. {lost[:3]}"
