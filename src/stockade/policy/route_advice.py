"""The smallest fix for a route problem, as the stockade command that makes it.

Blockers about routes carry a remedy a user can paste, spelled as ``cli/route_table.py``
takes it: the route to add to a table (``stockade route-table add-route rtb-… CIDR
--target …``), or, when another table of the VPC already routes the destination where it
should go, the association that puts the subnet on that table (``stockade route-table
associate rtb-… --subnet …``). A
VPC with no table in the snapshot (state built by hand, imports without route tables)
has an implied main table with no id: the remedy names it in words. A complete command is
returned as a :class:`~stockade.policy.route_change.RouteChange` (which the console can
apply); one with a placeholder or words stays a string.
"""

from __future__ import annotations

from stockade.domain.routing import Route, TargetKind
from stockade.domain.state import Snapshot
from stockade.policy.route_change import Remedy, RouteChange, RouteVerb, remedy_text
from stockade.policy.routes import Hop, RouteLookup, lookup_in


def default_route(family: int) -> str:
    return "0.0.0.0/0" if family == 4 else "::/0"


def route_text(route: Route) -> str:
    """``0.0.0.0/0 → igw-…``."""
    return f"{route.destination} → {route.target}"


def route_change(
    at: RouteLookup, destination: str, target: str, verb: RouteVerb = RouteVerb.ADD_ROUTE
) -> Remedy:
    """Add (or replace) ``destination → target`` in the table ``at`` consulted: a change
    when the table has an id and the target is one (not a ``<placeholder>``)."""
    if not at.table_id:
        return f"add the route {destination} → {target} to the main route table of {at.vpc_id}"
    change = RouteChange.route(verb, at.table_id, destination, target)
    return change.text() if target.startswith("<") else change


def route_remedy(at: RouteLookup, destination: str, target: str) -> str:
    """:func:`route_change` in words (to go after a step that must come first)."""
    return remedy_text(route_change(at, destination, target))


def table_remedy(
    snapshot: Snapshot,
    at: RouteLookup,
    family: int,
    value: int,
    hop: Hop,
    target: str,
    destination: str | None = None,
) -> Remedy:
    """The smallest fix for a subnet whose table does not send ``value`` where it should:
    put the subnet on another table of its VPC that does — one command, nothing added:
    ``associate`` for a subnet on the main table implicitly, ``disassociate`` its explicit
    association when the main table is the one (AWS refuses a second association) —
    else add ``destination`` (default: the default route) → ``target`` to its table."""
    explicit = _explicit_association(snapshot, at)
    for table in snapshot.route_tables:
        if table.vpc_id != at.vpc_id or table.route_table_id == at.table_id:
            continue
        if explicit is not None and not table.is_main:
            continue  # two commands (disassociate, associate): adding the route is one
        other = lookup_in(snapshot, table, at.subnet_id, family, value)
        if other.hop is hop and other.active:
            if explicit is not None:
                return RouteChange.disassociate(explicit)
            return RouteChange.associate(table.route_table_id, at.subnet_id)
    return route_change(at, destination or default_route(family), target)


def _explicit_association(snapshot: Snapshot, at: RouteLookup) -> str | None:
    """The id of the subnet's explicit association with the table consulted, if any."""
    table = snapshot.route_table_by_id.get(at.table_id)
    if table is None:
        return None
    return next((a.association_id for a in table.associations if a.subnet_id == at.subnet_id), None)


def blackhole_remedy(snapshot: Snapshot, at: RouteLookup) -> Remedy:
    """Revive the route's target (the route exists: it is replaced, not added), or say why
    it cannot forward."""
    route = at.route
    assert route is not None
    target = route.target
    kind = route.kind
    if kind is TargetKind.INTERNET_GATEWAY:
        gateway = next((g for g in snapshot.internet_gateways if g.igw_id == target), None)
        attached = snapshot.internet_gateway_for(at.vpc_id)
        if gateway is not None and gateway.vpc_id is None:
            return f"attach {target} to {at.vpc_id}"
        if attached is not None:
            return route_change(at, route.destination, attached.igw_id, RouteVerb.REPLACE_ROUTE)
        return (
            f"{target} is not attached to {at.vpc_id}: attach an internet gateway and route to it"
        )
    if kind is TargetKind.NAT_GATEWAY:
        nat = snapshot.nat_gateway_by_id.get(target)
        state = "not in this snapshot" if nat is None else f"{nat.state}"
        return f"{target} is {state}: route {route.destination} to an available NAT gateway"
    if kind is TargetKind.PEERING:
        peering = snapshot.peering_by_id.get(target)
        if peering is None:
            return (
                f"{target} is not in this snapshot (deleted, or another account's: evaluate "
                "over both accounts' snapshots merged)"
            )
        return f"{target} is {peering.status}: it must be accepted (active) to carry traffic"
    return f"{target} does not exist any more: route {route.destination} to a live target"
