"""Internet exposure and audit findings, linked to the rules responsible."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockade.console.context import console_of


async def audit(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "audit.html", snapshot=snapshot)


ROUTES: list[BaseRoute] = [Route("/audit", audit, methods=["GET"])]
