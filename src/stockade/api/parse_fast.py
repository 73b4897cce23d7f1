"""The regular request's parse: one precomputed route per parameter name, no tree.

A request is almost always regular -- every name is one the model has, every value
converts, every required member is there -- and its names repeat from request to request
(botocore writes ``IpPermissions.1.FromPort`` the same way every time). So, per action,
each name is resolved once against the input plan into a *route*: the member names and
list indexes of the containers on its way, and the last member with its scalar
conversion. Parsing is then one dict look-up per parameter, a short walk that creates the
containers (lists are gathered by index and put in index order at the end) and the
conversion, with keys landing in the params dict in the order the general parser puts
them.

Anything irregular -- a name with no route (unknown, a bad index, too long or too deep, a
value on a structure or a list, a segment under a scalar), a value that does not convert,
a required member missing -- makes :func:`regular_params` answer ``None``, and the caller
runs the general parser, which finds and words the error (or, for the rare legal oddity
such as ``GroupId=`` for an empty list, the value). Routes use the rules of
:mod:`stockade.api.parse_plan`, the general parser's own, so both agree by construction;
tests/api/test_wire_parse_fast.py checks it on generated and mutated requests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import Any

from stockade.api.parse_plan import (
    MAX_KEY_LENGTH,
    MAX_SEGMENTS,
    SCALAR_CONVERSIONS,
    ListPlan,
    ScalarPlan,
    StructPlan,
    action_plan,
    is_index,
    is_protocol_param,
)

#: How a container met on a route is finished once every parameter is placed: a list is
#: made from its items in index order; a structure with required members is checked for
#: them (the tuple of their names); anything else (``None``) is already final.
_LIST = "list"
_Finish = str | tuple[str, ...] | None
#: A parameter's route: ``(steps, last, convert)`` -- the (member name or list index,
#: finish) of each container below the root, the key of the scalar in the last one, and
#: its conversion (``None`` for a string).
_Route = tuple[tuple[tuple[str | int, _Finish], ...], str | int, Callable[[str], Any] | None]
#: The route of ``Action``, ``Version`` and ``X-Amz-*``: the parse skips them.
_SKIP: Any = ()

#: Routes held, all actions together, before they are all dropped: names are bounded in
#: length but not in number (any index is legal); a route and its name take ~350 bytes,
#: so at most ~7 MB.
_MAX_ROUTES = 20_000


class ActionRoutes:
    """One action's input plan and the routes of the names seen so far."""

    def __init__(self, plan: StructPlan | None) -> None:
        self.plan = plan
        self.required = _required(plan) if plan is not None else None
        self.routes: dict[str, _Route] = {}


_actions: dict[str, ActionRoutes] = {}
_routes_held = 0
_lock = threading.Lock()


def action_routes(action: str) -> ActionRoutes:
    """``action``'s routes, made once (``InvalidAction`` for a name the model lacks)."""
    try:
        return _actions[action]
    except KeyError:
        pass
    made = ActionRoutes(action_plan(action))
    with _lock:
        return _actions.setdefault(action, made)


def regular_params(routes: ActionRoutes, flat: Mapping[str, str]) -> dict[str, Any] | None:
    """The params of a regular request, or ``None``: then only the general parser can say."""
    known = routes.routes
    params: dict[str, Any] = {}
    made: list[tuple[dict[Any, Any], str | int, dict[Any, Any], _Finish]] = []
    for key, text in flat.items():
        route = known.get(key)
        if route is None:
            route = _resolve(routes, key)
            if route is None:
                return None
        if route is _SKIP:
            continue
        steps, last, convert = route
        node: dict[Any, Any] = params
        for step, finish in steps:
            child = node.get(step)
            if child is None:
                child = node[step] = {}
                if finish is not None:
                    made.append((node, step, child, finish))
            node = child
        if convert is None:
            node[last] = text
        else:
            try:
                node[last] = convert(text)
            except ValueError:
                return None
    for owner, step, container, finish in reversed(made):  # inner lists before outer ones
        if finish is _LIST:
            owner[step] = (
                [container[index] for index in sorted(container)]
                if len(container) > 1
                else list(container.values())
            )
        elif not all(name in container for name in finish):
            return None
    if routes.required and not all(name in params for name in routes.required):
        return None
    return params


def _required(plan: StructPlan) -> tuple[str, ...] | None:
    return tuple(member for _, member in plan.required) or None


def _resolve(routes: ActionRoutes, key: str) -> _Route | None:
    """The route of ``key`` (kept for the next request), or ``None`` if it is irregular."""
    route = _route(routes.plan, key)
    if route is not None:
        global _routes_held
        with _lock:
            if _routes_held >= _MAX_ROUTES:
                for held in _actions.values():
                    held.routes.clear()
                _routes_held = 0
            routes.routes[key] = route
            _routes_held += 1
    return route


def _route(plan: StructPlan | None, key: str) -> _Route | None:
    if is_protocol_param(key):
        return _SKIP
    if plan is None or len(key) > MAX_KEY_LENGTH:
        return None
    parts = key.split(".")
    if len(parts) > MAX_SEGMENTS:
        return None
    steps: list[tuple[str | int, _Finish]] = []
    shape: Any = plan
    for depth, part in enumerate(parts, 1):
        step: str | int
        if shape.__class__ is StructPlan:
            entry = shape.members.get(part)
            if entry is None:
                return None
            step, shape = entry
        elif shape.__class__ is ListPlan:
            if not is_index(part):
                return None
            step, shape = int(part), shape.member
        else:  # a segment under a scalar
            return None
        if depth == len(parts):  # the value's own member: a scalar the model can convert
            if shape.__class__ is not ScalarPlan or shape.type_name not in SCALAR_CONVERSIONS:
                return None
            return tuple(steps), step, SCALAR_CONVERSIONS[shape.type_name]
        if shape.__class__ is ListPlan:
            steps.append((step, _LIST))
        elif shape.__class__ is StructPlan:
            steps.append((step, _required(shape)))
        else:
            return None
    return None  # pragma: no cover - the loop returns at the last segment
