"""The console's Starlette app: sign-in, region, static files and every page's routes,
behind the host check and signed session cookies.

Why a separate Starlette app rather than routes of the EC2 endpoint: the EC2 endpoint is a
bare ASGI function on the hot path; the console is ordinary web pages and wants routing,
sessions, forms and templates. ``stockade.api.app`` hands it every path under ``/console``.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, MutableMapping
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from stockade.api.app import ASGIApp, create_app
from stockade.api.auth import AuthConfig
from stockade.api.edge import OriginPolicy
from stockade.console import session
from stockade.console.config import ConsoleConfig
from stockade.console.context import BASE, Console, console_of
from stockade.console.pages import ROUTES
from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas
from stockade.store.repository import Store


async def signin_page(request: Request) -> Response:
    console = console_of(request)
    if not console.config.auth.verify:
        return RedirectResponse(f"{BASE}/", status_code=303)
    return console.render(request, "signin.html")


async def signin(request: Request) -> Response:
    console = console_of(request)
    form = await console.change(request)
    access_key, secret = str(form.get("access_key", "")), str(form.get("secret_key", ""))
    if console.config.auth.verify and not session.sign_in(
        console.config, request, access_key.strip(), secret.strip()
    ):
        return console.render(
            request, "signin.html", status=401, error="Unknown access key or wrong secret key."
        )
    return RedirectResponse(f"{BASE}/", status_code=303)


async def signout(request: Request) -> Response:
    await console_of(request).change(request)
    session.sign_out(request)
    return RedirectResponse(f"{BASE}/signin", status_code=303)


async def region(request: Request) -> Response:
    form = await console_of(request).change(request)
    if not session.choose_region(request, str(form.get("region", ""))):
        raise session.ConsoleRefused(400, f"Unknown region '{str(form.get('region'))[:40]}'.")
    return RedirectResponse(request.headers.get("referer") or f"{BASE}/", status_code=303)


async def refused(request: Request, exc: Exception) -> Response:
    """A refusal: the sign-in page for a browser without a session, else the reason."""
    assert isinstance(exc, session.ConsoleRefused)
    if exc.status == 401 and request.method == "GET" and "hx-request" not in request.headers:
        return RedirectResponse(f"{BASE}/signin", status_code=303)
    return console_of(request).render(
        request, "error.html", status=exc.status, message=exc.reason, code=None
    )


async def aws_error(request: Request, exc: Exception) -> Response:
    """A service refusal, with AWS's code and message (as the API would answer)."""
    assert isinstance(exc, AwsError)
    return console_of(request).render(
        request, "error.html", status=exc.status, message=exc.message, code=exc.code
    )


class _HostChecked:
    """Refuse any console request whose ``Host`` does not name this server (403)."""

    def __init__(self, app: Any, config: ConsoleConfig) -> None:
        self.app, self.config = app, config

    async def __call__(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host")
            if host is not None and not self.config.origins.host_allowed(host.decode("latin-1")):
                response = PlainTextResponse("Host is not this server's address.", 403)
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_server_app(
    store: Store,
    auth: AuthConfig | None = None,
    quotas: Quotas | None = None,
    *,
    origins: OriginPolicy | None = None,
    dataplane: Callable[[], dict] | None = None,
    dataplane_state: Path | None = None,
    **api_options: Any,
) -> ASGIApp:
    """``stockade serve``'s app: the EC2 API with the console at ``/console``.

    ``dataplane`` gives the data plane's status and ``dataplane_state`` is the running
    agent's state directory (flow logs), both ``None`` when it is off; ``api_options`` go to
    :func:`stockade.api.app.create_app` unchanged.
    """
    auth, quotas, origins = auth or AuthConfig(), quotas or Quotas(), origins or OriginPolicy()
    config = ConsoleConfig(store, auth, quotas, origins, dataplane, dataplane_state)
    return create_app(
        store,
        auth,
        quotas,
        dataplane=dataplane,
        origins=origins,
        mounts={BASE: create_console(config)},
        **api_options,
    )


def create_console(config: ConsoleConfig) -> Any:
    """The console as an ASGI app answering every path under :data:`BASE`."""
    routes = [
        Route("/signin", signin_page, methods=["GET"]),
        Route("/signin", signin, methods=["POST"]),
        Route("/signout", signout, methods=["POST"]),
        Route("/region", region, methods=["POST"]),
        Mount("/static", StaticFiles(packages=[("stockade.console", "static")]), name="static"),
        *ROUTES,
    ]
    inner = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                SessionMiddleware,
                secret_key=secrets.token_urlsafe(32),  # sessions end with the server
                session_cookie=session.COOKIE,
                same_site="strict",
                max_age=12 * 3600,
            )
        ],
        exception_handlers={session.ConsoleRefused: refused, AwsError: aws_error},
    )
    inner.state.console = Console(config)
    outer = Starlette(routes=[Mount(BASE, app=inner)])
    return _HostChecked(outer, config)
