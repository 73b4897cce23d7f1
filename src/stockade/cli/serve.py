"""``stockade serve``: the EC2 Query API for boto3, the aws cli and the ``--endpoint`` CLI."""

from __future__ import annotations

import contextlib
import logging
import signal
from collections.abc import Iterator
from typing import Annotated

import typer

from stockade.cli.options import DbOpt, default_db, fail, quotas_from_env


def serve(
    host: Annotated[
        str, typer.Option("--host", help="Address to bind (loopback by default).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port.")] = 4747,
    db: DbOpt = None,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            help="JSON file of access key -> {secret, account}: verify SigV4 signatures "
            "(default: open mode, any signature accepted).",
        ),
    ] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Debug logging.")] = False,
    dataplane: Annotated[
        str,
        typer.Option(
            "--dataplane",
            help="Run the Linux data plane too, as a child process: auto (when "
            "root and nftables are usable and no other agent holds the "
            "world), on or off.",
        ),
    ] = "auto",
    allow_origin: Annotated[
        list[str] | None,
        typer.Option(
            "--allow-origin",
            help="Browser origin (e.g. https://console.example) allowed to call the API in "
            "open mode; repeatable. Other browser requests are refused with 403.",
        ),
    ] = None,
    console: Annotated[
        bool,
        typer.Option(
            "--console/--no-console",
            help="Serve the web console at /console (same auth: open on loopback, or a "
            "sign-in with a key pair from --auth).",
        ),
    ] = True,
    durability: Annotated[
        str,
        typer.Option(
            "--durability",
            help="What an answered write survives: full (on disk before the answer: also "
            "an OS crash or power loss) or process (in the OS before the answer: a crash "
            "or kill -9 of stockade, not of the machine; ~0.1-0.2 ms faster a write). "
            "SQLite stores only.",
        ),
    ] = "full",
    interval: Annotated[
        int,
        typer.Option(
            "--max-aggregation-interval",
            help="With the data plane: seconds summed into one flow-log record per flow, "
            "600 (default) or 60.",
        ),
    ] = 600,
) -> None:
    """Serve the EC2 API (POST / with Action=..., GET /health) and the web console
    (/console) until interrupted."""
    import uvicorn

    from stockade.api.app import configure_logging, create_app, uvicorn_config, warm_up
    from stockade.api.auth import AuthConfig
    from stockade.api.edge import OriginPolicy
    from stockade.cli.dataplane_options import check_interval
    from stockade.console.app import create_server_app
    from stockade.store.engines import check_durability
    from stockade.store.sql import SqlStore

    check_interval(interval)  # before anything starts (logging included)
    path = db or default_db()
    try:
        check_durability(durability, path)
    except ValueError as exc:
        raise fail(str(exc)) from None
    try:
        auth_config = AuthConfig.load(auth) if auth else AuthConfig()
    except ValueError as exc:
        raise fail(str(exc)) from None
    configure_logging(logging.DEBUG if verbose else logging.INFO)
    store = SqlStore.open(path, durability=durability)
    mode = f"verified ({len(auth_config.keys)} keys)" if auth_config.verify else "open"
    logging.getLogger("stockade.api").info(
        "serving the EC2 API on http://%s:%d (store %s, durability %s, auth %s)",
        host,
        port,
        path,
        durability,
        mode,
    )
    from stockade.cli.dataplane import start_dataplane  # the agent follows the same store

    dataplane_process = None
    try:
        dataplane_process = start_dataplane(path, dataplane, verbose=verbose, interval=interval)
        origins = OriginPolicy.of(host, allow_origin or ())
        if console:
            app = create_server_app(
                store,
                auth_config,
                quotas_from_env(),
                dataplane=dataplane_process.status,
                dataplane_state=getattr(dataplane_process, "state_dir", None),
                origins=origins,
            )
            logging.getLogger("stockade.api").info(
                "web console on http://%s:%d/console", _url_host(host), port
            )
        else:
            app = create_app(
                store,
                auth_config,
                quotas_from_env(),
                dataplane=dataplane_process.status,
                origins=origins,
            )
        warm_up()
        with _stopped_by_signal():
            uvicorn.Server(uvicorn_config(app, host, port)).run()
    finally:
        if dataplane_process is not None:
            dataplane_process.stop()  # SIGTERM to the agent child, and wait for it
        store.close()


def _url_host(host: str) -> str:
    """``host`` as it goes in a URL (an IPv6 address in brackets)."""
    return f"[{host}]" if ":" in host else host


class _Stopped(Exception):
    """SIGTERM or SIGINT after uvicorn's graceful shutdown."""


@contextlib.contextmanager
def _stopped_by_signal() -> Iterator[None]:
    """Let ``serve`` finish normally (stopping the agent child, closing the store, exit 0)
    after SIGTERM/SIGINT.

    Why: uvicorn shuts down gracefully on these signals and then raises the signal again
    under the previous handlers — by default SIGTERM's, which kills the process before any
    ``finally`` runs.
    """

    def stop(signum: int, frame: object) -> None:
        raise _Stopped

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        with contextlib.suppress(_Stopped):
            yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
