"""Live traffic: flow-log records as they arrive, and real probes (data plane on)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockade.console.context import console_of


async def live(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "live.html", snapshot=snapshot)


ROUTES: list[BaseRoute] = [Route("/live", live, methods=["GET"])]
