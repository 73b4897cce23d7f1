"""``stockade serve``: the EC2 Query API for boto3, the aws cli and the ``--endpoint`` CLI."""

from __future__ import annotations

import logging
import signal
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
            help="Run the Linux data plane too: auto (when root and nftables "
            "are usable), on or off.",
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
) -> None:
    """Serve the EC2 API (POST / with Action=..., GET /health) until interrupted."""
    import uvicorn

    from stockade.api.app import configure_logging, create_app, uvicorn_config, warm_up
    from stockade.api.auth import AuthConfig
    from stockade.api.edge import OriginPolicy
    from stockade.store.sql import SqlStore

    try:
        auth_config = AuthConfig.load(auth) if auth else AuthConfig()
    except ValueError as exc:
        raise fail(str(exc)) from None
    configure_logging(logging.DEBUG if verbose else logging.INFO)
    path = db or default_db()
    store = SqlStore.open(path)
    signal.signal(signal.SIGTERM, _exit_cleanly)
    mode = f"verified ({len(auth_config.keys)} keys)" if auth_config.verify else "open"
    logging.getLogger("stockade.api").info(
        "serving the EC2 API on http://%s:%d (store %s, auth %s)", host, port, path, mode
    )
    origins = OriginPolicy.of(host, allow_origin or ())
    app = create_app(store, auth_config, quotas_from_env(), origins=origins)
    warm_up()
    from stockade.cli.dataplane import start_agent  # the data plane follows the same store

    agent = start_agent(store, dataplane)
    try:
        uvicorn.Server(uvicorn_config(app, host, port)).run()
    finally:
        if agent is not None:
            agent.stop()
        store.close()


def _exit_cleanly(signum: int, frame: object) -> None:
    """SIGTERM (``kill``, systemd stop) ends ``serve`` like SIGINT: through its ``finally``,
    which stops the agent and closes the store (checkpointing SQLite's WAL into the .db).

    Why it is needed: uvicorn handles SIGTERM while serving, then re-raises it once it has
    stopped; with the default disposition that killed the process before the store was
    closed (exit 143, writes left in the -wal file only).
    """
    raise SystemExit(0)
