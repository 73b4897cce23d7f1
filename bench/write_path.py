"""The write path in-process: statements and time per create/authorize call, by layer.

Why: the server-side per-call target (create/authorize p50 <= 0.5 ms, durable) is spent in
three places -- the store (SQL statements and the commit's fsync), the service, and the
request layer (parse, authenticate, serialize). This script times each layer on its own,
without HTTP, so a change to one shows up in its own figure:

* ``store``: the service call (``Services.groups.create`` / ``Services.rules.authorize``
  with three permissions, one a group reference) on a SQLite file store, durable;
* ``request``: the same calls through :func:`stockade.api.dispatch.handle` (parse,
  authenticate in open mode, service, serialize) -- the server's work minus HTTP/ASGI;
* ``app``: the same calls through the ASGI app itself (:func:`stockade.api.app.create_app`)
  on an event loop, with the headers botocore signs (``Authorization``, ``X-Amz-Date``…)
  and a ``Host``: the edge's checks, reading the body, the run of one on the loop and its
  commit -- exactly the span the server's request log times (``bench/api.py``'s
  server-side figure), minus the socket and uvicorn's HTTP parsing, and on one thread, so
  its CPU time is the server's CPU per call whatever else the machine runs;
* ``commit``: one durable SQLite commit on the same disk (the floor under any write).

``cpu_p50_ms`` is the calling thread's CPU time: the call's work without the wait for the
disk, steadier than the wall time on a shared machine. Each case also counts the SQL
statements a call sends to the database (``BEGIN``/``COMMIT`` included: they are round
trips too). Prints one JSON object per line; the machine may be
shared, so every line carries the load average. Bounded: a few hundred calls per case.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import sqlite3
import statistics
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from sqlalchemy import event

from stockade.api.app import create_app, warm_up
from stockade.api.auth import RawRequest
from stockade.api.dispatch import Server, handle
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

#: Statements that fire the group-count triggers (``security_groups`` writes).
_FIRES_TRIGGERS = re.compile(r"(INSERT INTO|DELETE FROM|UPDATE) security_groups\b")
CALLS = 300
WARM_UP = 30
GROUP_QUOTA = 2500  # security groups per region (the service's default quota)


class StatementCounter:
    """Counts statements the store's engine sends (SQLAlchemy's and raw driver ones are
    both seen: raw ones are counted by wrapping the writer's sqlite3 connection trace)."""

    def __init__(self, store: SqlStore) -> None:
        self.count = 0
        self._last: str | None = None
        event.listen(store._engine, "connect", self._on_connect)
        store._engine.dispose()  # reconnect: every new connection is traced

    def _on_connect(self, dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.set_trace_callback(self._trace)

    def _trace(self, sql: str) -> None:
        # SQLite also reports each trigger program a write to security_groups enters (the
        # group counter's), with the write's own text again: still one round trip.
        if sql != self._last or not _FIRES_TRIGGERS.match(sql):
            self.count += 1
        self._last = sql


def _p50_ms(fn: Callable[[int], None], calls: int, counter: StatementCounter) -> dict[str, float]:
    times, cpu = [], []
    before = counter.count
    for i in range(calls):
        started, started_cpu = time.perf_counter(), time.thread_time()
        fn(i)
        cpu.append((time.thread_time() - started_cpu) * 1000)
        times.append((time.perf_counter() - started) * 1000)
    return _figures(times, cpu, (counter.count - before) / calls)


def _figures(times: list[float], cpu: list[float], statements: float) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(times), 3),
        "p90_ms": round(statistics.quantiles(times, n=10)[-1], 3),
        "cpu_p50_ms": round(statistics.median(cpu), 3),
        "statements_per_call": round(statements, 2),
    }


def three_permissions(peer_id: str, i: int) -> list[IpPermission]:
    return [
        IpPermission("tcp", 5432, 5432, ip_ranges=((f"10.{i % 256}.0.0/16", None),)),
        IpPermission("udp", 53, 53, ip_ranges=(("198.51.100.0/24", None), ("192.0.2.0/24", None))),
        IpPermission("tcp", 8080, 8080, groups=(GroupPair(group_id=peer_id),)),
    ]


def _form(params: dict[str, str]) -> bytes:
    return urllib.parse.urlencode({"Version": "2016-11-15", **params}).encode()


def create_body(name: str) -> bytes:
    return _form({"Action": "CreateSecurityGroup", "GroupName": name, "GroupDescription": "b"})


def authorize_body(name: str, peer_id: str, i: int) -> bytes:
    """Three permissions on the group ``name`` (default VPC), one a group reference."""
    params = {"Action": "AuthorizeSecurityGroupIngress", "GroupName": name}
    perms = [
        ("tcp", 5432, {"IpRanges.1.CidrIp": f"10.{i % 256}.0.0/16"}),
        ("udp", 53, {"IpRanges.1.CidrIp": "198.51.100.0/24", "IpRanges.2.CidrIp": "192.0.2.0/24"}),
        ("tcp", 8080, {"Groups.1.GroupId": peer_id}),
    ]
    for n, (proto, port, peers) in enumerate(perms, 1):
        params |= {
            f"IpPermissions.{n}.IpProtocol": proto,
            f"IpPermissions.{n}.FromPort": str(port),
            f"IpPermissions.{n}.ToPort": str(port),
        }
        params |= {f"IpPermissions.{n}.{k}": v for k, v in peers.items()}
    return _form(params)


def request_cases(
    server: Server, peer_id: str, tag: str, calls: int
) -> dict[str, Callable[[int], None]]:
    """Create and 3-permission authorize (by group name) as unsigned open-mode requests,
    their bodies built before the clock starts."""
    names = [f"{tag}-{i}" for i in range(calls)]
    bodies = {
        "create": [create_body(name) for name in names],
        "authorize_3": [authorize_body(name, peer_id, i) for i, name in enumerate(names)],
    }

    def sender(case: str) -> Callable[[int], None]:
        def send(i: int) -> None:
            outcome = handle(server, RawRequest("POST", "/", b"", [], bodies[case][i]))
            if outcome.status != 200:
                raise RuntimeError(outcome.body[:300])

        return send

    return {case: sender(case) for case in bodies}


def signed_scope(body: bytes) -> dict[str, Any]:
    """An ASGI scope for a POST of ``body`` with the headers botocore signs (SigV4, open
    mode reads them) and the ``Host`` a client names."""
    request = AWSRequest(
        "POST",
        "http://127.0.0.1:8000/",
        data=body,
        headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"},
    )
    SigV4Auth(Credentials("123456789012", "bench"), "ec2", "us-east-1").add_auth(request)
    headers = [(k.lower().encode(), str(v).encode()) for k, v in request.headers.items()]
    headers.append((b"host", b"127.0.0.1:8000"))
    return {"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}


def app_figures(
    store: SqlStore, peer_id: str, tag: str, calls: int, counter: StatementCounter
) -> dict[str, dict[str, float]]:
    """Create and 3-permission authorize through the ASGI app, one request at a time, all
    on one running event loop as in the server (the bodies signed before the clock
    starts; the first :data:`WARM_UP` calls of each build the app's caches, untimed).
    The model is warmed up and frozen out of the GC's way as ``stockade serve`` does."""
    warm_up()
    app = create_app(store)
    names = [f"{tag}-{i}" for i in range(calls + WARM_UP)]
    requests = {
        "create": [create_body(name) for name in names],
        "authorize_3": [authorize_body(name, peer_id, i) for i, name in enumerate(names)],
    }
    scopes = {case: [(signed_scope(b), b) for b in bodies] for case, bodies in requests.items()}

    async def one(scope: dict[str, Any], body: bytes) -> None:
        answer: list[MutableMapping[str, Any]] = []

        async def receive() -> MutableMapping[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: MutableMapping[str, Any]) -> None:
            answer.append(message)

        await app(scope, receive, send)
        if answer[0]["status"] != 200:
            raise RuntimeError(answer[1]["body"][:300])

    async def timed() -> dict[str, dict[str, float]]:
        for case in scopes:
            for request in scopes[case][calls:]:
                await one(*request)
        figures = {}
        for case in scopes:
            times, cpu = [], []
            before = counter.count
            for request in scopes[case][:calls]:
                started, started_cpu = time.perf_counter(), time.thread_time()
                await one(*request)
                cpu.append((time.thread_time() - started_cpu) * 1000)
                times.append((time.perf_counter() - started) * 1000)
            figures[case] = _figures(times, cpu, (counter.count - before) / calls)
        return figures

    return asyncio.run(timed())


def durable_commit_ms(directory: str, commits: int = 100) -> float:
    conn = sqlite3.connect(str(Path(directory) / "probe.db"), isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE IF NOT EXISTS t (v INTEGER)")
        times = []
        for i in range(commits):
            started = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO t VALUES (?)", (i,))
            conn.execute("COMMIT")
            times.append((time.perf_counter() - started) * 1000)
        return statistics.median(times)
    finally:
        conn.close()


def emit(layer: str, case: str, figures: dict[str, float]) -> None:
    print(
        json.dumps(
            {
                "layer": layer,
                "case": case,
                **figures,
                "load_average": [round(x, 2) for x in os.getloadavg()],
            }
        ),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=CALLS)
    parser.add_argument(
        "--dir",
        default=None,
        help="where the store goes (a tmpfs such as /dev/shm shows the code's cost alone: "
        "its fsync costs nothing)",
    )
    parser.add_argument(
        "--seed-groups",
        type=int,
        default=0,
        help="groups created before the timed calls (the quota check's cost grows with the "
        "scope's groups if it counts them); bounded to stay under the 2,500-group quota",
    )
    args = parser.parse_args()
    calls = min(max(args.calls, 10), 5000)
    seed = min(max(args.seed_groups, 0), max(GROUP_QUOTA - 3 * calls - 2 * WARM_UP - 10, 0))
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        emit("commit", "durable_commit", {"p50_ms": round(durable_commit_ms(tmp), 3)})
        if seed:
            print(json.dumps({"seed_groups": seed}), flush=True)
        with SqlStore.open(str(Path(tmp) / "bench.db")) as store:
            counter = StatementCounter(store)
            services = Services(ServiceContext(store))
            peer_id = services.groups.create("peer", "p").group.group_id
            ids: list[str] = []

            def create(i: int) -> None:
                ids.append(services.groups.create(f"svc-{i}", "b").group.group_id)

            for i in range(seed):
                services.groups.create(f"seed-{i}", "s")
            for i in range(WARM_UP):  # first calls compile statements and fill caches
                gid = services.groups.create(f"warm-{i}", "b").group.group_id
                services.rules.authorize(gid, three_permissions(peer_id, i))

            def authorize(i: int) -> None:
                services.rules.authorize(ids[i], three_permissions(peer_id, i))

            emit("store", "create", _p50_ms(create, calls, counter))
            emit("store", "authorize_3", _p50_ms(authorize, calls, counter))
            server = Server(store)
            for case, fn in request_cases(server, peer_id, "req", calls).items():
                emit("request", case, _p50_ms(fn, calls, counter))
            for case, figures in app_figures(store, peer_id, "app", calls, counter).items():
                emit("app", case, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
