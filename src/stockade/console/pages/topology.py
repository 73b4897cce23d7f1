"""The topology page: each VPC with its subnets, gateways, peering links and instances,
drawn in the browser from the graph of :mod:`..topology_graph` (in the page, and served
alone at ``/api/topology``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stockade.console.context import BASE, console_of
from stockade.console.topology_graph import topology as topology_graph


async def home(request: Request) -> Response:
    return RedirectResponse(f"{BASE}/topology", status_code=303)


async def topology(request: Request) -> Response:
    """The page, with the graph in it (what ``/api/topology`` serves): one read of the
    store and no second round trip before the drawing can start."""
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    graph = await console.run(topology_graph, snapshot, BASE)
    return console.render(request, "topology.html", snapshot=snapshot, graph=graph)


async def topology_json(request: Request) -> Response:
    """The graph the page draws: Cytoscape elements, the groups with their members."""
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    graph = await console.run(topology_graph, snapshot, BASE)
    return JSONResponse(graph, headers={"Cache-Control": "no-store"})


ROUTES: list[BaseRoute] = [
    Route("/", home, methods=["GET"]),
    Route("/topology", topology, methods=["GET"]),
    Route("/api/topology", topology_json, methods=["GET"]),
]
