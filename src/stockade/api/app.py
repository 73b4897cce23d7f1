"""The ASGI app: the EC2 Query protocol on ``POST /`` (and ``GET /?Action=...``), ``/health``.

The app only moves bytes: :class:`stockade.api.edge.Edge` admits the request (origin,
headers-only authentication, size, concurrency, deadline) and reads its body, then
:func:`stockade.api.dispatch.handle` runs in a worker thread (the store is synchronous) --
or, for a short write while no other request is in flight, on the event loop itself (see
:func:`create_app`); the app writes the answer and logs one line per request.
:func:`uvicorn_config` adds the connection-level bounds (request-head deadline,
keep-alive, graceful-shutdown timeout).

Why the EC2 endpoint is a plain ASGI function and not a Starlette route: it is the one hot
path, and Starlette's middleware stack, routing, ``Request`` and ``Response`` objects cost
~40 us a request, a tenth of a whole durable write. Starlette still serves ``/health``
and wraps everything in CORS when ``--allow-origin`` asks for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import socket
import threading
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stockade.api.auth import AuthConfig, RawRequest
from stockade.api.dispatch import (
    INTERNAL_ERROR,
    Outcome,
    Pending,
    Server,
    begin,
    complete,
    handle,
    is_short_write,
)
from stockade.api.edge import Edge, EdgeLimits, OriginPolicy, Receive, Refused
from stockade.api.http_deadlines import deadline_protocol
from stockade.api.serialize import CONTENT_TYPE, serialize_error
from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.store.group_commit import MAX_BATCH_CALLS
from stockade.store.repository import Store, WouldBlock

log = logging.getLogger("stockade.api")

#: ASGI's ``send`` and an ASGI application.
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

_EC2_METHODS = frozenset({"GET", "POST"})
_CONTENT_TYPE_HEADER = (b"content-type", CONTENT_TYPE.encode())
_CLOSE_HEADER = (b"connection", b"close")
_NOT_ALLOWED = b"Method Not Allowed"

#: Short writes run on the loop in one held run at most (then the next run follows).
MAX_RUN = MAX_BATCH_CALLS

#: Worker threads running requests; SQLite serialises writers anyway, and the store's
#: connection pool holds 32 connections.
WORKERS = 24


def create_app(
    store: Store,
    auth: AuthConfig | None = None,
    quotas: Quotas | None = None,
    workers: int = WORKERS,
    dataplane: Callable[[], dict] | None = None,
    origins: OriginPolicy | None = None,
    limits: EdgeLimits | None = None,
) -> ASGIApp:
    """The app serving ``store`` with the given auth mode (open by default) and quotas;
    ``dataplane`` gives the data plane's state for ``/health`` (``serve`` runs it).

    ``origins`` says which ``Host``/``Origin`` open mode accepts (loopback only, no browser
    origin, by default); ``limits`` bounds body size, concurrent body reads and their time.
    """
    server = Server(store, auth or AuthConfig(), quotas or Quotas())
    edge = Edge(server.auth, origins, limits)
    limiter = anyio.CapacityLimiter(workers)
    inline_writes = store.nonblocking_writes_supported
    #: short writes waiting for the loop to run them, each with the future of its answer
    #: (``None``: it could not run there and goes to a thread)
    loop_writes: list[tuple[Pending, asyncio.Future[Outcome | None]]] = []
    running = False  # a run of loop writes is under way (statements or commit)
    in_flight = 0  # requests between admission and answer (only the loop changes it)

    async def run_loop_writes() -> None:
        """Run the short writes that arrived together, on the loop, as one held run of
        the group commit (:meth:`Store.hold_writes`): one after the other, each in its
        own savepoint, then one commit for all before any is answered; again while more
        wait.

        Why: a write's own CPU is ~0.2-0.4 ms, and in a worker thread it also pays two
        thread wake-ups and fights the loop for the GIL; on the loop, N writes that came
        in together cost N times their CPU and one fsync, with no hand-off. The commit
        (the fsync) goes to a worker thread, so the loop reads the next requests
        meanwhile -- they form the next run -- unless the run is a lone call with nothing
        else in flight: then the loop commits itself, sparing the hand-off. The loop
        waits at most :data:`MAX_RUN` calls' CPU. When the writer is busy (a long write
        in a thread, another process holding SQLite's lock) nothing is run and the
        run's calls go to threads instead.
        """
        nonlocal running
        running = True
        try:
            while loop_writes:
                run = loop_writes[:MAX_RUN]
                del loop_writes[:MAX_RUN]
                answers = await _run_held(run)
                for (_, waiter), answer in zip(run, answers, strict=True):
                    if not waiter.done():  # its request may have been cancelled meanwhile
                        waiter.set_result(answer)
        finally:
            running = False

    async def _run_held(run: list[tuple[Pending, Any]]) -> list[Outcome | None]:
        try:
            held = store.hold_writes()
        except WouldBlock:
            return [None] * len(run)
        outcomes: list[Outcome] = []
        try:
            while True:
                for pending, _ in run[len(outcomes) :]:
                    outcome = complete(pending)
                    outcome.on_loop = True
                    outcomes.append(outcome)
                if len(run) >= MAX_RUN or (len(run) == 1 and in_flight == 1):
                    break
                # Writes that arrive while this run holds the writer join it rather than
                # wait for the next commit: two loop turns read and parse them.
                await asyncio.sleep(0)
                await asyncio.sleep(0)
                if not loop_writes:
                    break
                more = loop_writes[: MAX_RUN - len(run)]
                del loop_writes[: len(more)]
                run.extend(more)
        finally:
            held.end_calls()
            try:
                if len(run) == 1 and in_flight == 1 and not loop_writes:
                    held.commit()
                else:
                    await anyio.to_thread.run_sync(held.commit, limiter=limiter)
            except Exception:  # the shared commit failed: nothing of the run was applied
                log.exception("the commit of %d calls run on the loop failed", len(outcomes))
                outcomes = [_internal_error(o) if o.status == 200 else o for o in outcomes]
        return list(outcomes)

    async def run(raw: RawRequest) -> Outcome:
        """Handle the request in a worker thread (the store is synchronous) -- or, for a
        short write (:data:`SHORT_WRITES`) on a store with group commit, on the loop
        with the short writes that arrived with it (see :func:`run_loop_writes`)."""
        nonlocal in_flight
        in_flight += 1
        try:
            if not (inline_writes and is_short_write(raw)):
                return await anyio.to_thread.run_sync(handle, server, raw, limiter=limiter)
            # authenticated and parsed now, while the writer may be busy with a commit
            pending = begin(server, raw)
            if pending.call is None:
                return pending.outcome  # refused (or DryRun): nothing to write
            loop = asyncio.get_running_loop()
            waiter: asyncio.Future[Outcome | None] = loop.create_future()
            loop_writes.append((pending, waiter))
            if not running:  # start a run after the requests already ready to run
                loop.call_soon(_start_run)
            outcome = await waiter
            if outcome is not None:
                return outcome
            return await anyio.to_thread.run_sync(complete, pending, limiter=limiter)
        finally:
            in_flight -= 1

    def _start_run() -> None:
        nonlocal running
        if not running and loop_writes:
            running = True  # before the task starts: one run at a time
            task = asyncio.get_running_loop().create_task(run_loop_writes())
            background.add(task)
            task.add_done_callback(background.discard)

    background: set[asyncio.Task[None]] = set()

    async def ec2(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        """One EC2 request: admit, run, answer. Its time in the log line runs from here
        (the request's head parsed) to the answer being ready, the durable commit of a
        write included."""
        started = time.perf_counter()
        headers = [_CONTENT_TYPE_HEADER]
        try:
            body = await edge.admit(scope, receive)
        except Refused as refused:
            status, document = serialize_error(refused.error, "-")
            outcome = Outcome(status, document, error_code=refused.error.code)
            if not (refused.drainable and await edge.drain(receive)):
                headers.append(_CLOSE_HEADER)  # the rest of the body is not read
        else:
            raw = RawRequest(
                scope["method"],
                scope["path"],
                scope.get("query_string", b""),
                list(scope["headers"]),
                body,
            )
            outcome = await run(raw)
        elapsed_ms = (time.perf_counter() - started) * 1000
        headers.append((b"content-length", str(len(outcome.body)).encode()))
        await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
        await send({"type": "http.response.body", "body": outcome.body})
        log.info(
            "%s account=%s region=%s status=%d%s%s %.2fms",
            outcome.action,
            outcome.account,
            outcome.region,
            outcome.status,
            f" error={outcome.error_code}" if outcome.error_code else "",
            " on-loop" if outcome.on_loop else "",
            elapsed_ms,
        )

    async def health(request: Request) -> Response:
        revision = await anyio.to_thread.run_sync(store.revision, limiter=limiter)
        body: dict = {"status": "ok", "revision": revision}
        if (commits := store.commit_stats()) is not None:  # group commit: calls per flush
            body |= {"commits": commits.commits, "write_calls": commits.calls}
        if dataplane is not None:
            body["dataplane"] = dataplane()  # reads one small file
        return JSONResponse(body)

    rest = Starlette(routes=[Route("/health", health, methods=["GET"])])

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == "/":
            if scope["method"] in _EC2_METHODS:
                await ec2(scope, receive, send)
            else:
                await _method_not_allowed(send)
        else:
            await rest(scope, receive, send)

    if edge.origins.allowed_origins:  # browsers need CORS answers to use what is allowed
        return CORSMiddleware(
            app,
            allow_origins=sorted(edge.origins.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    return app


def _internal_error(outcome: Outcome) -> Outcome:
    """A call's answer once the commit it waited for failed: nothing it did was applied."""
    status, body = serialize_error(AwsError("InternalError", INTERNAL_ERROR), "-")
    outcome.status, outcome.body, outcome.error_code = status, body, "InternalError"
    return outcome


async def _method_not_allowed(send: Send) -> None:
    headers = [
        (b"allow", b"GET, POST"),
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(_NOT_ALLOWED)).encode()),
    ]
    await send({"type": "http.response.start", "status": 405, "headers": headers})
    await send({"type": "http.response.body", "body": _NOT_ALLOWED})


def warm_up() -> None:
    """Load the EC2 model and build every served action's parser and serializer, then move
    everything alive into the GC's permanent generation.

    Why: the botocore model is a few hundred thousand long-lived objects. Without
    ``gc.freeze()`` every full collection -- and a 2,500-group DescribeSecurityGroups
    allocates enough to trigger several -- walks all of them again, which profiling showed
    tripling that call's time. Only a server process should call this.
    """
    from stockade.api.actions import ACTIONS, handler_for
    from stockade.api.parse import parse_params
    from stockade.api.serialize import serialize_response

    handler_for("DescribeVpcs")  # imports every family module
    for action in ACTIONS:
        with contextlib.suppress(AwsError):
            parse_params(action, {})
        serialize_response(action, None, "warm-up")
    gc.collect()
    gc.freeze()


def configure_logging(level: int = logging.INFO) -> None:
    """One line per request on stderr (uvicorn's own access log stays off)."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    logger = logging.getLogger("stockade")
    logger.addHandler(handler)
    logger.setLevel(level)


#: Seconds an idle keep-alive connection stays open, and that shutdown waits for requests.
KEEP_ALIVE_TIMEOUT = 5
GRACEFUL_SHUTDOWN_TIMEOUT = 10


def uvicorn_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """uvicorn's settings: the protocol with a request-head deadline and byte cap
    (:mod:`stockade.api.http_deadlines`), idle keep-alive connections closed after
    :data:`KEEP_ALIVE_TIMEOUT`, and a bounded graceful shutdown."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        access_log=False,
        log_level="warning",
        lifespan="off",
        http=deadline_protocol(),
        timeout_keep_alive=KEEP_ALIVE_TIMEOUT,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_TIMEOUT,
    )


@contextmanager
def serving(app: ASGIApp, host: str = "127.0.0.1") -> Iterator[str]:
    """Serve ``app`` on a free loopback port in a background thread; yields the base URL.

    Used by tests and benchmarks; stops the server (and waits for it) on exit.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn_config(app, host, port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the API server did not start")
        time.sleep(0.01)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
