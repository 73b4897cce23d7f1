"""``stockade serve``: the EC2 Query API for boto3, the aws cli and the ``--endpoint`` CLI."""

from __future__ import annotations

import logging
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
    dataplane: Annotated[str, typer.Option(
        "--dataplane", help="Run the Linux data plane too: auto (when root and nftables "
                            "are usable), on or off.")] = "auto",
    interval: Annotated[int, typer.Option(
        "--max-aggregation-interval", help="With the data plane: seconds summed into one "
                                           "flow-log record per flow, 600 (default) or 60.")]
    = 600,
) -> None:
    """Serve the EC2 API (POST / with Action=..., GET /health) until interrupted."""
    import uvicorn

    from stockade.api.app import configure_logging, create_app, uvicorn_config, warm_up
    from stockade.api.auth import AuthConfig
    from stockade.cli.dataplane import check_interval, start_agent
    from stockade.store.sql import SqlStore

    check_interval(interval)  # before anything starts
    try:
        auth_config = AuthConfig.load(auth) if auth else AuthConfig()
    except ValueError as exc:
        raise fail(str(exc)) from None
    configure_logging(logging.DEBUG if verbose else logging.INFO)
    path = db or default_db()
    store = SqlStore.open(path)
    mode = f"verified ({len(auth_config.keys)} keys)" if auth_config.verify else "open"
    logging.getLogger("stockade.api").info(
        "serving the EC2 API on http://%s:%d (store %s, auth %s)", host, port, path, mode
    )
    app = create_app(store, auth_config, quotas_from_env())
    warm_up()
    agent = start_agent(store, dataplane, interval=interval)  # follows the same store
    try:
        uvicorn.Server(uvicorn_config(app, host, port)).run()
    finally:
        if agent is not None:
            agent.stop()
        store.close()
