"""The ASGI app: the EC2 Query protocol on ``POST /`` (and ``GET /?Action=...``), ``/health``;
any other path is another service's REST call (answered by :mod:`stockade.api.other_services`).

The app only moves bytes: :class:`stockade.api.edge.Edge` admits the request (origin,
headers-only authentication, size, concurrency, deadline) and reads its body, then
:func:`stockade.api.dispatch.handle` runs in a worker thread (the store is synchronous) --
or, for a short write on a SQLite file store, on the event loop itself, in a run with the
short writes that arrived with it and one commit for all (:mod:`stockade.api.loop_writes`);
the app writes the answer and logs one line per request.
:func:`uvicorn_config` adds the connection-level bounds (request-head deadline,
keep-alive, graceful-shutdown timeout).

Why the EC2 endpoint is a plain ASGI function and not a Starlette route: it is the one hot
path, and Starlette's middleware stack, routing, ``Request`` and ``Response`` objects cost
~40 us a request, a tenth of a whole durable write. Starlette still serves ``/health``
and wraps everything in CORS when ``--allow-origin`` asks for it.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator, Mapping, MutableMapping
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
from stockade.api.dispatch import Outcome, Server, begin, complete, handle, is_short_write
from stockade.api.edge import Edge, EdgeLimits, OriginPolicy, Receive, Refused
from stockade.api.http_deadlines import deadline_protocol
from stockade.api.loop_writes import LoopWrites
from stockade.api.serialize import CONTENT_TYPE, serialize_error
from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.store.repository import Store

log = logging.getLogger("stockade.api")

#: ASGI's ``send`` and an ASGI application.
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[MutableMapping[str, Any], Receive, Send], Awaitable[None]]

#: Methods answered by the EC2 endpoint: EC2's GET and POST on ``/``, and the REST calls
#: of other services (any path), answered in their protocol.
_EC2_METHODS = frozenset({"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"})
_CONTENT_TYPE_HEADER = (b"content-type", CONTENT_TYPE.encode())
_CLOSE_HEADER = (b"connection", b"close")
_NOT_ALLOWED = b"Method Not Allowed"

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
    mounts: Mapping[str, ASGIApp] | None = None,
) -> ASGIApp:
    """The app serving ``store`` with the given auth mode (open by default) and quotas;
    ``dataplane`` gives the data plane's state for ``/health`` (``serve`` runs it).

    ``origins`` says which ``Host``/``Origin`` open mode accepts (loopback only, no browser
    origin, by default); ``limits`` bounds body size, concurrent body reads and their time.
    ``mounts`` serves other apps beside the API, by path prefix: the web console at
    ``/console`` (:func:`stockade.console.app.create_server_app` composes the two).
    """
    server = Server(store, auth or AuthConfig(), quotas or Quotas())
    edge = Edge(server.auth, origins, limits)
    limiter = anyio.CapacityLimiter(workers)
    loop_writes = (
        LoopWrites(store, limiter, alone=lambda: in_flight == 1)
        if store.held_writes_supported
        else None
    )
    in_flight = 0  # requests between admission and answer (only the loop changes it)
    not_served: Counter[str] = Counter()  # calls not served, by action (``/health``)

    async def run(raw: RawRequest) -> Outcome:
        """Handle the request in a worker thread (the store is synchronous) -- or, for a
        short write (:data:`SHORT_WRITES`) on a store with group commit, on the loop in
        a run with the short writes that arrived with it (:mod:`stockade.api.loop_writes`).
        """
        nonlocal in_flight
        in_flight += 1
        try:
            if loop_writes is None or not is_short_write(raw):
                return await anyio.to_thread.run_sync(handle, server, raw, limiter=limiter)
            # authenticated and parsed now, while the writer may be busy with a commit
            pending = begin(server, raw)
            if pending.call is None:
                return pending.outcome  # refused (or DryRun): nothing to write
            outcome = await loop_writes.answer(pending)
            if outcome is not None:
                return outcome
            return await anyio.to_thread.run_sync(complete, pending, limiter=limiter)
        finally:
            in_flight -= 1

    async def ec2(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        """One EC2 request: admit, run, answer. Its time in the log line runs from here
        (the request's head parsed) to the answer being ready, the durable commit of a
        write included."""
        started = time.perf_counter()
        headers: list[tuple[bytes, bytes]] = []
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
        if outcome.content_type is None and not outcome.headers:
            headers.append(_CONTENT_TYPE_HEADER)
        else:  # another service's answer, in its protocol
            content_type = outcome.content_type or CONTENT_TYPE
            headers.append((b"content-type", content_type.encode("latin-1")))
            headers.extend(
                (name.lower().encode("latin-1"), value.encode("latin-1"))
                for name, value in outcome.headers.items()
                if name.lower() not in ("content-type", "content-length", "connection")
            )
        headers.append((b"content-length", str(len(outcome.body)).encode()))
        await send({"type": "http.response.start", "status": outcome.status, "headers": headers})
        await send({"type": "http.response.body", "body": outcome.body})
        if is_refusal(outcome.status, outcome.error_code):
            not_served[outcome.action] += 1
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
        body: dict = {"status": "ok", "revision": revision, "durability": store.durability}
        if (commits := store.commit_stats()) is not None:  # group commit: calls per flush
            body |= {"commits": commits.commits, "write_calls": commits.calls}
        # calls a client made that stockade did not serve (other services, unknown or
        # missing actions, server errors): a client run can assert there were none
        body["refused"] = {"count": sum(not_served.values()), "actions": dict(not_served)}
        if dataplane is not None:
            body["dataplane"] = dataplane()  # reads one small file
        return JSONResponse(body)

    rest = Starlette(routes=[Route("/health", health, methods=["GET"])])
    mounted = dict(mounts or {})

    async def app(scope: MutableMapping[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["path"] == "/health" and scope["method"] == "GET"):
            await rest(scope, receive, send)
        elif mounted and (inner := _mounted(mounted, scope["path"])) is not None:
            await inner(scope, receive, send)
        elif scope["method"] in _EC2_METHODS:
            # EC2 on "/"; any other path is a REST call of another service, answered
            # in its protocol (dispatch -> other_services)
            await ec2(scope, receive, send)
        else:
            await _method_not_allowed(send)

    if edge.origins.allowed_origins:  # browsers need CORS answers to use what is allowed
        return CORSMiddleware(
            app,
            allow_origins=sorted(edge.origins.allowed_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["*"],
        )
    return app


def _mounted(mounts: Mapping[str, ASGIApp], path: str) -> ASGIApp | None:
    """The app mounted at ``path``'s prefix (``/console`` serves ``/console/...``)."""
    for prefix, app in mounts.items():
        if path == prefix or path.startswith(prefix + "/"):
            return app
    return None


async def _method_not_allowed(send: Send) -> None:
    headers = [
        (b"allow", b"GET, POST, PUT, DELETE, PATCH, HEAD"),
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


#: Error codes that say a call was not served at all (rather than refused on its merits).
NOT_SERVED = frozenset(
    {"InvalidAction", "MissingAction", "UnknownOperationException", "UnsupportedOperation"}
)


def is_refusal(status: int, error_code: str | None) -> bool:
    """Whether an answer means stockade did not serve the call: another service's or an
    unknown action (``NOT_SERVED``), or a server error (5xx)."""
    return status >= 500 or error_code in NOT_SERVED


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
