"""Groups, network ACLs and instances: lists, rule tables as AWS's console shows them,
and rule edits through the service layer.

Every edit is a form POST (htmx swaps the answer's tables in place; without script it is a
plain form): CSRF and origin checked first (:meth:`Console.change`), then the caller's
services — the API's path, so AWS's validation, quotas and error text apply. Success
redirects back to the page (which shows the change); a refusal answers the page again
with AWS's code and message beside the form, its status AWS's, and nothing changed.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from stockade.console import rule_rows, traffic
from stockade.console.context import BASE, Console, console_of
from stockade.domain import errors
from stockade.domain.errors import AwsError
from stockade.domain.instance import Instance
from stockade.domain.route_targets import usable_in
from stockade.domain.routing import route_state
from stockade.domain.state import Snapshot
from stockade.policy.routes import internet_route

T = TypeVar("T")


def _list_page(template: str) -> Callable[[Request], Awaitable[Response]]:
    """A page listing one kind of resource of the caller's snapshot."""

    async def page(request: Request) -> Response:
        console = console_of(request)
        snapshot = await console.run(console.snapshot, request)
        return console.render(request, template, snapshot=snapshot)

    return page


async def _found(
    console: Console,
    request: Request,
    param: str,
    prefix: str,
    by_id: Callable[[Snapshot], Mapping[str, T]],
) -> tuple[Snapshot, T]:
    """The caller's snapshot and the resource the path names (AWS's not-found error if none)."""
    snapshot = await console.run(console.snapshot, request)
    resource_id = request.path_params[param]
    found = by_id(snapshot).get(resource_id)
    if found is None:
        raise errors.not_found(prefix, resource_id)
    return snapshot, found


groups = _list_page("groups.html")
acls = _list_page("acls.html")


async def _group_page(
    console: Console,
    request: Request,
    status: int = 200,
    error: AwsError | None = None,
    form: Any = None,
    editing: str | None = None,
) -> Response:
    """The group page; ``editing`` names the rule whose row is its edit form (filled with
    ``form`` as typed after a refusal, else with the rule as it is)."""
    snapshot, found = await _found(console, request, "group_id", "sg", lambda s: s.group_by_id)
    group_id = found.group_id
    rules = snapshot.rules_by_group.get(group_id, ())
    edited = next((r for r in rules if r.rule_id == editing), None)
    if editing is not None and edited is None:  # gone meanwhile, another group's, malformed
        if error is None:
            status, error = 400, errors.not_found("sgr", editing)
        editing = None
    hits = await console.run(traffic.rule_hits, console.config)
    names = {g.group_id: g.name for g in snapshot.groups}
    inbound, outbound = rule_rows.rule_rows(rules, names, hits)
    carriers = {e.instance_id for e in snapshot.members_by_group.get(group_id, ())}
    members = [i for i in snapshot.instances if i.instance_id in carriers]
    return console.render(
        request,
        "group.html",
        status=status,
        snapshot=snapshot,
        group=found,
        inbound=inbound,
        outbound=outbound,
        members=members,
        hits_on=hits is not None,
        rule_types=rule_rows.RULE_TYPES,
        error=error,
        form=(form or {}) if editing is None else {},
        editing=editing,
        edit_form=(form or rule_rows.edit_fields(edited)) if edited is not None else {},
    )


async def group(request: Request) -> Response:
    """The group page; ``?edit=<rule id>`` shows that rule's row as its edit form."""
    return await _group_page(console_of(request), request, editing=request.query_params.get("edit"))


async def _edit(
    request: Request, page: Callable[..., Any], work: Callable[[Any], object], where: str
) -> Response:
    """Run one edit; on success back to ``where`` (303), on refusal the page with AWS's
    error (its status) and the form as it was typed."""
    console = console_of(request)
    form = await console.change(request)
    try:
        await console.run(work, form)
    except AwsError as refused:
        return await page(console, request, status=refused.status, error=refused, form=form)
    return RedirectResponse(where, status_code=303)


async def add_rule(request: Request) -> Response:
    console, group_id = console_of(request), request.path_params["group_id"]

    def authorize(form: Any) -> object:
        permission = rule_rows.permission_of(form)
        egress = rule_rows.direction_of(form)
        return console.services(request).rules.authorize(group_id, [permission], egress=egress)

    return await _edit(request, _group_page, authorize, f"{BASE}/groups/{group_id}")


async def modify_rule(request: Request) -> Response:
    """ModifySecurityGroupRules for one rule, from its row's edit form (a refusal shows
    the form again as typed, AWS's error beside it)."""
    console, group_id = console_of(request), request.path_params["group_id"]
    rule_id = request.path_params["rule_id"]

    def modify(form: Any) -> object:
        update = rule_rows.update_of(rule_id, form)
        console.services(request).rules.modify(group_id, [update])
        return None

    page = functools.partial(_group_page, editing=rule_id)
    return await _edit(request, page, modify, f"{BASE}/groups/{group_id}#{rule_id}")


async def delete_rule(request: Request) -> Response:
    console, group_id = console_of(request), request.path_params["group_id"]
    rule_id = request.path_params["rule_id"]

    def revoke(form: Any) -> object:
        egress = rule_rows.direction_of(form)
        return console.services(request).rules.revoke(group_id, rule_ids=[rule_id], egress=egress)

    return await _edit(request, _group_page, revoke, f"{BASE}/groups/{group_id}")


async def _acl_page(
    console: Console,
    request: Request,
    status: int = 200,
    error: AwsError | None = None,
    form: Any = None,
) -> Response:
    snapshot, found = await _found(console, request, "acl_id", "acl", lambda s: s.network_acl_by_id)
    return console.render(
        request,
        "acl.html",
        status=status,
        snapshot=snapshot,
        acl=found,
        inbound=rule_rows.acl_rows(found, egress=False),
        outbound=rule_rows.acl_rows(found, egress=True),
        acl_types=list(rule_rows.ACL_TYPES),
        error=error,
        form=form or {},
    )


async def acl(request: Request) -> Response:
    return await _acl_page(console_of(request), request)


async def add_acl_entry(request: Request) -> Response:
    console, acl_id = console_of(request), request.path_params["acl_id"]

    def create(form: Any) -> object:
        entry = rule_rows.acl_entry_of(form)
        console.services(request).network_acls.create_entry(acl_id, entry)
        return None

    return await _edit(request, _acl_page, create, f"{BASE}/acls/{acl_id}")


async def delete_acl_entry(request: Request) -> Response:
    console, acl_id = console_of(request), request.path_params["acl_id"]

    def delete(form: Any) -> object:
        number = str(form.get("rule_number", ""))
        if not number.isdigit():
            raise errors.invalid_parameter_value(f"Invalid rule number '{number[:20]}'.")
        egress = rule_rows.direction_of(form)
        console.services(request).network_acls.delete_entry(acl_id, int(number), egress)
        return None

    return await _edit(request, _acl_page, delete, f"{BASE}/acls/{acl_id}")


def _instance_view(snapshot: Snapshot, found: Instance) -> dict[str, Any]:
    """An instance with what decides its traffic: interfaces, subnet, routes, ACL."""
    subnet = snapshot.subnet_by_id.get(found.subnet_id)
    table = snapshot.route_table_by_subnet.get(found.subnet_id)
    usable = usable_in(snapshot)
    routes = (
        [(r, route_state(r, table.vpc_id, usable).value) for r in table.routes] if table else []
    )
    public = any(internet_route(snapshot, found.subnet_id, f) is not None for f in (4, 6))
    return {
        "instance": found,
        "interfaces": snapshot.interfaces_of(found.instance_id),
        "subnet": subnet,
        "public_subnet": public,
        "route_table": table,
        "routes": routes,
        "acl": snapshot.network_acl_by_subnet.get(found.subnet_id),
        "names": {g.group_id: g.name for g in snapshot.groups},
    }


async def instance(request: Request) -> Response:
    console = console_of(request)
    snapshot, found = await _found(console, request, "instance_id", "i", lambda s: s.instance_by_id)
    view = _instance_view(snapshot, found)
    return console.render(request, "instance.html", snapshot=snapshot, **view)


ROUTES: list[BaseRoute] = [
    Route("/acls", acls, methods=["GET"]),
    Route("/acls/{acl_id}", acl, methods=["GET"]),
    Route("/acls/{acl_id}/entries", add_acl_entry, methods=["POST"]),
    Route("/acls/{acl_id}/entries/delete", delete_acl_entry, methods=["POST"]),
    Route("/groups", groups, methods=["GET"]),
    Route("/groups/{group_id}", group, methods=["GET"]),
    Route("/groups/{group_id}/rules", add_rule, methods=["POST"]),
    Route("/groups/{group_id}/rules/{rule_id}/modify", modify_rule, methods=["POST"]),
    Route("/groups/{group_id}/rules/{rule_id}/delete", delete_rule, methods=["POST"]),
    Route("/instances/{instance_id}", instance, methods=["GET"]),
]
