"""Can A reach B?": every layer crossed, what allowed or blocked it, and the fix."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockade.console.context import console_of


async def reach(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "reach.html", snapshot=snapshot)


ROUTES: list[BaseRoute] = [Route("/reach", reach, methods=["GET"])]
