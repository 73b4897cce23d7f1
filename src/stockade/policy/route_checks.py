"""The route-table checks of a flow's path, one function each (see ``path_checks``).

Each reads the lookups the :class:`~stockade.policy.path_leg.Leg` computed — the source
subnet's route to the destination, the destination subnet's route for the reply, a NAT
gateway's onward route — and fails with a Reachability Analyzer code, naming the table
and route, and the smallest fix (:mod:`stockade.policy.route_advice`).
"""

from __future__ import annotations

from collections.abc import Callable

from stockade.policy.decision import Blocker
from stockade.policy.path_leg import Leg, fail, text_of
from stockade.policy.route_advice import (
    blackhole_remedy,
    default_route,
    route_change,
    route_remedy,
    route_text,
    table_remedy,
)
from stockade.policy.routes import Hop, in_vpc_block, vpc_block_holding, vpc_blocks
from stockade.policy.topology import Check


def _route_exists(leg: Leg) -> Blocker | None:
    out = leg.forward
    if out.hop is not Hop.NONE:
        return None
    d = text_of(leg.family, leg.d)
    message = f"{out.table_text()} (of {leg.e1.subnet_id}) has no route to {d}"
    gateway = leg.snapshot.internet_gateway_for(leg.e1.vpc_id)
    destination = default_route(leg.family)
    if gateway is not None:
        remedy = table_remedy(leg.snapshot, out, leg.family, leg.d, Hop.IGW, gateway.igw_id)
    else:
        remedy = f"attach an internet gateway to {leg.e1.vpc_id}, then " + route_remedy(
            out, destination, "<igw-id>"
        )
    return fail(Check.ROUTE_EXISTS, out.table_id or leg.e1.vpc_id, "route-table", message, remedy)


def _route_active(leg: Leg) -> Blocker | None:
    out = leg.forward
    if out.hop is Hop.NONE or out.active:
        return None
    assert out.route is not None
    message = f"{out.table_text()}: the route {route_text(out.route)} is a blackhole"
    remedy = blackhole_remedy(leg.snapshot, out)
    return fail(Check.ROUTE_ACTIVE, out.table_id or out.vpc_id, "route-table", message, remedy)


def _route_modelled(leg: Leg) -> Blocker:
    out = leg.forward
    assert out.route is not None
    message = (
        f"{out.table_text()} routes {text_of(leg.family, leg.d)} to {out.route.target}: "
        "stockade does not model what happens past that target (an appliance, a virtual "
        "private or transit gateway, an endpoint)"
    )
    return fail(Check.ROUTE_MODELLED, out.route.target, "route-table-route", message)


def _nat_public(leg: Leg) -> Blocker | None:
    nat = leg.forward.facts.nat
    if nat is None or nat.public_ip:
        return None
    message = (
        f"{nat.nat_gateway_id} is a {nat.connectivity_type} NAT gateway with no public IP "
        "address: the internet gateway drops its traffic"
    )
    remedy = "route the destination to a public NAT gateway (one with an Elastic IP)"
    return fail(Check.NAT_PUBLIC, nat.nat_gateway_id, "nat-gateway", message, remedy)


def _nat_route(leg: Leg) -> Blocker | None:
    onward = leg.nat_onward
    if onward is None or (onward.hop is Hop.IGW and onward.active):
        return None
    nat = leg.forward.facts.nat
    assert nat is not None
    d = text_of(leg.family, leg.d)
    message = (
        f"{nat.nat_gateway_id} lives in {nat.subnet_id}, whose {onward.table_text()} has no "
        f"active route to an internet gateway for {d}"
    )
    gateway = leg.snapshot.internet_gateway_for(nat.vpc_id)
    target = gateway.igw_id if gateway else "<igw-id>"
    remedy = route_change(onward, default_route(4), target)
    return fail(Check.NAT_ROUTE, onward.table_id or nat.vpc_id, "route-table", message, remedy)


def _pcx_destination(leg: Leg) -> Blocker | None:
    out = leg.forward
    peer = out.facts.peer_vpc_id
    if peer is None or in_vpc_block(leg.snapshot, peer, leg.family, leg.d):
        return None
    blocks = ", ".join(vpc_blocks(leg.snapshot, peer, leg.family))
    message = (
        f"{out.target} carries only addresses inside {peer} ({blocks}); "
        f"{text_of(leg.family, leg.d)} is not (no transit through a peered VPC)"
    )
    return fail(Check.PCX_DESTINATION, out.target, "vpc-peering-connection", message)


def _known_in_peer(leg: Leg) -> Blocker | None:
    out = leg.forward
    peer = out.facts.peer_vpc_id
    if peer is None or not in_vpc_block(leg.snapshot, peer, leg.family, leg.d):
        return None
    if leg.dst.eni is not None and leg.dst.eni.vpc_id == peer:
        return None
    message = (
        f"no interface in {peer} (over {out.target}) has the address {text_of(leg.family, leg.d)}"
    )
    return fail(Check.KNOWN_IN_PEER, peer, "vpc", message)


def _return_to_gateway(leg: Leg) -> Blocker | None:
    eni = leg.e2
    gateway = leg.snapshot.internet_gateway_for(eni.vpc_id)
    back = leg.back
    if gateway is None or back.hop is Hop.IGW:
        return None
    seen = text_of(leg.family, leg.seen or 0)
    where = f"{back.table_text()} (of {eni.subnet_id})"
    if back.hop is Hop.NONE:
        message = f"{where} has no route back to {seen}: the replies cannot leave"
        remedy = table_remedy(
            leg.snapshot, back, leg.family, leg.seen or 0, Hop.IGW, gateway.igw_id
        )
    else:
        assert back.route is not None
        message = (
            f"{where} routes replies to {seen} by {route_text(back.route)}, "
            "not to an internet gateway"
        )
        if back.hop is Hop.NAT:
            message += ": nothing initiated from the internet comes back through a NAT gateway"
        elif back.hop is Hop.EIGW:
            message += ": an egress-only gateway passes only connections initiated from inside"
        host = f"{seen}/{32 if leg.family == 4 else 128}"  # beats the route that took it
        remedy = table_remedy(
            leg.snapshot, back, leg.family, leg.seen or 0, Hop.IGW, gateway.igw_id, host
        )
    return fail(
        Check.RETURN_TO_GATEWAY, back.table_id or eni.vpc_id, "route-table", message, remedy
    )


def _return_route_active(leg: Leg) -> Blocker | None:
    eni = leg.e2
    back = leg.back
    if leg.snapshot.internet_gateway_for(eni.vpc_id) is None:
        return None
    if back.hop is not Hop.IGW or back.active:
        return None
    assert back.route is not None
    message = f"{back.table_text()}: the reply's route {route_text(back.route)} is a blackhole"
    remedy = blackhole_remedy(leg.snapshot, back)
    return fail(
        Check.RETURN_ROUTE_ACTIVE, back.table_id or eni.vpc_id, "route-table", message, remedy
    )


def _return_via_peering(leg: Leg) -> Blocker | None:
    out, back = leg.forward, leg.back
    if back.target == out.target:
        return None
    s = text_of(leg.family, leg.seen or 0)
    how = "has no route" if back.route is None else f"routes it by {route_text(back.route)}"
    message = (
        f"the reply to {s} must go back over {out.target}, but {back.table_text()} "
        f"(of {leg.e2.subnet_id}) {how}"
    )
    held = vpc_block_holding(leg.snapshot, leg.e1.vpc_id, leg.family, leg.seen or 0)
    block = held or f"{s}/32"
    remedy = route_change(back, block, out.target or "<pcx-id>")
    return fail(
        Check.RETURN_VIA_PEERING, back.table_id or leg.e2.vpc_id, "route-table", message, remedy
    )


ROUTE_CHECKS: dict[Check, Callable[[Leg], Blocker | None]] = {
    Check.ROUTE_EXISTS: _route_exists,
    Check.ROUTE_ACTIVE: _route_active,
    Check.ROUTE_MODELLED: _route_modelled,
    Check.NAT_PUBLIC: _nat_public,
    Check.NAT_ROUTE: _nat_route,
    Check.PCX_DESTINATION: _pcx_destination,
    Check.KNOWN_IN_PEER: _known_in_peer,
    Check.RETURN_TO_GATEWAY: _return_to_gateway,
    Check.RETURN_ROUTE_ACTIVE: _return_route_active,
    Check.RETURN_VIA_PEERING: _return_via_peering,
}
