"""EC2 RouteTable shapes back into route tables: the inverse of :mod:`stockade.shapes.routing`.

Strict for ``import aws`` (ids, CIDRs and origins checked and made canonical, each problem
located), lenient for the remote client. Route states are derived, never imported; the
remote client reads them beside the table (:func:`route_states`). Routes to targets stockade
does not model (local gateways, carrier gateways, core networks) are left out with a
warning, and so are associations on their way out.
"""

from __future__ import annotations

from stockade.domain.routing import (
    LOCAL,
    Route,
    RouteOrigin,
    RouteState,
    RouteTable,
    RouteTableAssociation,
)
from stockade.shapes.fields import Node, Origin, cidr, owner, resource_id

#: target key -> the id kinds it may hold (GatewayId holds ``local`` or a gateway)
_TARGETS = (
    ("GatewayId", ("igw", "vgw", "vpce")),
    ("NatGatewayId", ("nat",)),
    ("NetworkInterfaceId", ("eni",)),
    ("EgressOnlyInternetGatewayId", ("eigw",)),
    ("VpcPeeringConnectionId", ("pcx",)),
    ("TransitGatewayId", ("tgw",)),
)
_UNMODELLED_TARGETS = ("LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn", "OdbNetworkArn")
_LIVE = ("associated", "associating")
_ORIGINS = {o.value: o for o in RouteOrigin}


def route_table(t: Node, origin: Origin, warn: list[str] | None = None) -> RouteTable:
    rtb = resource_id(t, "RouteTableId", "rtb")
    routes = []
    for r in t.items("Routes"):
        found = _route(r, rtb, warn)
        if found is not None:
            routes.append(found)
    associations = tuple(_association(a) for a in t.items("Associations") if _live(a))
    return RouteTable(
        route_table_id=rtb,
        vpc_id=resource_id(t, "VpcId", "vpc"),
        owner_id=owner(t, origin),
        region=origin.region,
        routes=tuple(routes),
        associations=associations,
        propagating_vgws=tuple(
            resource_id(g, "GatewayId", "vgw") for g in t.items("PropagatingVgws")
        ),
        tags=t.tags(),
    )


def route_states(t: Node) -> tuple[RouteState, ...]:
    """The states a server gave its routes (lenient: an unknown state reads as blackhole)."""
    return tuple(
        RouteState.ACTIVE if r.opt_text("State") == "active" else RouteState.BLACKHOLE
        for r in t.items("Routes")
    )


def _route(r: Node, rtb: str, warn: list[str] | None) -> Route | None:
    unmodelled = [key for key in _UNMODELLED_TARGETS if r.has(key)]
    if unmodelled:
        if warn is not None:
            warn.append(f"{r.file}: {rtb}: a route to {unmodelled[0]} is not modelled (left out)")
        return None
    if r.has("DestinationPrefixListId"):
        destination = resource_id(r, "DestinationPrefixListId", "pl")
    elif r.has("DestinationIpv6CidrBlock"):
        destination = cidr(r, "DestinationIpv6CidrBlock", 6)
    else:
        destination = cidr(r, "DestinationCidrBlock", 4)
    instance_id = resource_id(r, "InstanceId", "i") if r.has("InstanceId") else None
    target = _target(r)
    text = r.opt_text("Origin") or RouteOrigin.CREATE_ROUTE.value
    if text not in _ORIGINS and r.strict:
        raise r.problem(f"expected one of {', '.join(_ORIGINS)}, got {text!r}", "Origin")
    return Route(destination, target, _ORIGINS.get(text, RouteOrigin.CREATE_ROUTE), instance_id)


def _target(r: Node) -> str:
    given = [(key, kinds) for key, kinds in _TARGETS if r.has(key)]
    if not given:
        raise r.problem("no route target (GatewayId, NatGatewayId, NetworkInterfaceId…)")
    key, kinds = given[0]
    value = r.text(key)
    if value == LOCAL and key == "GatewayId":
        return LOCAL
    kind = value.split("-", 1)[0]
    return resource_id(r, key, kind if kind in kinds else kinds[0])


def _live(a: Node) -> bool:
    state = a.opt_obj("AssociationState")
    return state is None or (state.opt_text("State") or "associated") in _LIVE


def _association(a: Node) -> RouteTableAssociation:
    return RouteTableAssociation(
        association_id=resource_id(a, "RouteTableAssociationId", "rtbassoc"),
        main=a.flag("Main"),
        subnet_id=resource_id(a, "SubnetId", "subnet") if a.has("SubnetId") else None,
        gateway_id=a.opt_text("GatewayId"),
    )
