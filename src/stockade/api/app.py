"""The ASGI app: the EC2 Query protocol on ``POST /`` (and ``GET /?Action=...``), ``/health``.

The app only moves bytes: it reads the body (bounded), hands the request to
:func:`stockade.api.dispatch.handle` in a worker thread (the store is synchronous), writes
the answer and logs one line per request. ``run`` serves it with uvicorn.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from stockade.api.auth import AuthConfig, RawRequest
from stockade.api.dispatch import Outcome, Server, handle
from stockade.api.serialize import CONTENT_TYPE, serialize_error
from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.store.sql import SqlStore

log = logging.getLogger("stockade.api")

#: Larger bodies are refused before parsing (the biggest real EC2 request is far smaller).
MAX_BODY_BYTES = 16 * 1024 * 1024
#: Worker threads running requests; SQLite serialises writers anyway, and the store's
#: connection pool holds 32 connections.
WORKERS = 24


async def _read_body(request: Request) -> bytes | None:
    """The request body, or ``None`` when it exceeds :data:`MAX_BODY_BYTES`."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


def create_app(
    store: SqlStore,
    auth: AuthConfig | None = None,
    quotas: Quotas | None = None,
    workers: int = WORKERS,
) -> Starlette:
    """The app serving ``store`` with the given auth mode (open by default) and quotas."""
    server = Server(store, auth or AuthConfig(), quotas or Quotas())
    limiter = anyio.CapacityLimiter(workers)

    async def ec2(request: Request) -> Response:
        started = time.perf_counter()
        body = await _read_body(request)
        if body is None:
            error = AwsError("InvalidRequest", "The request body is too large.")
            status, document = serialize_error(error, "-")
            outcome = Outcome(status, document, error_code=error.code)
        else:
            raw = RawRequest(
                request.method,
                request.url.path,
                request.scope.get("query_string", b""),
                list(request.scope.get("headers", [])),
                body,
            )
            outcome = await anyio.to_thread.run_sync(handle, server, raw, limiter=limiter)
        log.info(
            "%s account=%s region=%s status=%d%s %.1fms",
            outcome.action,
            outcome.account,
            outcome.region,
            outcome.status,
            f" error={outcome.error_code}" if outcome.error_code else "",
            (time.perf_counter() - started) * 1000,
        )
        return Response(outcome.body, status_code=outcome.status, media_type=CONTENT_TYPE)

    async def health(request: Request) -> Response:
        revision = await anyio.to_thread.run_sync(store.revision, limiter=limiter)
        answer = {"status": "ok", "revision": revision}
        if (commits := store.commit_stats()) is not None:  # group commit: calls per flush
            answer |= {"commits": commits.commits, "write_calls": commits.calls}
        return JSONResponse(answer)

    return Starlette(
        routes=[
            Route("/", ec2, methods=["GET", "POST"]),
            Route("/health", health, methods=["GET"]),
        ]
    )


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


def uvicorn_config(app: Starlette, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        app, host=host, port=port, access_log=False, log_level="warning", lifespan="off"
    )


@contextmanager
def serving(app: Starlette, host: str = "127.0.0.1") -> Iterator[str]:
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
