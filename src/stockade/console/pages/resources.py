"""Groups, network ACLs and instances: lists, rule tables as AWS's console shows them,
and rule edits through the service layer."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from stockade.console.context import console_of
from stockade.domain import errors


async def groups(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "groups.html", snapshot=snapshot)


async def group(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    group_id = request.path_params["group_id"]
    found = snapshot.group_by_id.get(group_id)
    if found is None:
        raise errors.not_found("sg", group_id)
    return console.render(request, "group.html", snapshot=snapshot, group=found)


async def acls(request: Request) -> Response:
    console = console_of(request)
    snapshot = await console.run(console.snapshot, request)
    return console.render(request, "acls.html", snapshot=snapshot)


ROUTES: list[BaseRoute] = [
    Route("/acls", acls, methods=["GET"]),
    Route("/groups", groups, methods=["GET"]),
    Route("/groups/{group_id}", group, methods=["GET"]),
]
