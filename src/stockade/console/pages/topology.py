"""The topology page: each VPC with its subnets, gateways, peering links and instances."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stockade.console.context import BASE, console_of


async def home(request: Request) -> Response:
    return RedirectResponse(f"{BASE}/topology", status_code=303)


async def topology(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "topology.html", snapshot=snapshot)


ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/topology", topology, methods=["GET"]),
]
