"""What every console page uses: its caller's scope, services and snapshot, the store work
off the event loop, templates, and the checked form of a change."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.templating import Jinja2Templates

from stockade.console import session
from stockade.console.config import ConsoleConfig
from stockade.domain.scope import REGIONS, Scope
from stockade.domain.state import Snapshot
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.view import tables

#: Where the console is served (``stockade serve`` mounts it there).
BASE = "/console"
TEMPLATES = Path(__file__).parent / "templates"

T = TypeVar("T")


class Console:
    """One per server: the configuration and the templates."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self.templates = Jinja2Templates(directory=str(TEMPLATES))
        self.templates.env.globals["BASE"] = BASE
        self.templates.env.globals["REGIONS"] = sorted(REGIONS)
        # the CLI's table cells, so the console and `stockade sg show` say the same thing
        self.templates.env.filters["name"] = tables.name_tag
        self.templates.env.filters["rule_cells"] = tables.rule_cells

    def scope(self, request: Request) -> Scope:
        """The caller's scope; 401 (the sign-in page, for a browser) when none."""
        scope = session.caller_scope(self.config, request)
        if scope is None:
            raise session.ConsoleRefused(401, "Sign in with an access key pair first.")
        return scope

    def services(self, request: Request) -> Services:
        """The local services of the caller's scope: the API's validation and errors."""
        ctx = ServiceContext(self.config.store, self.scope(request), self.config.quotas)
        return Services(ctx)

    def snapshot(self, request: Request) -> Snapshot:
        """A consistent read of the caller's scope (call off the loop: see :meth:`run`)."""
        ctx = ServiceContext(self.config.store, self.scope(request), self.config.quotas)
        with ctx.read() as tx:
            return tx.snapshot()

    async def run(self, work: Callable[..., T], *args: Any) -> T:
        """Run store or policy work in a worker thread (the store is synchronous)."""
        return await anyio.to_thread.run_sync(work, *args)

    async def change(self, request: Request) -> FormData:
        """The form of a change, once its CSRF token and origin are checked (403 if not)."""
        await session.check_change(request)
        return await request.form()

    def render(
        self, request: Request, template: str, status: int = 200, **context: Any
    ) -> HTMLResponse:
        """A page (or an htmx fragment) with what every template may use."""
        scope = session.caller_scope(self.config, request)
        context |= {
            "csrf_token": session.csrf_token(request),
            "scope": scope,
            "verified": self.config.auth.verify,
        }
        return self.templates.TemplateResponse(request, template, context, status_code=status)


def console_of(request: Request) -> Console:
    """The console serving ``request`` (kept in the app's state)."""
    console: Console = request.app.state.console
    return console
