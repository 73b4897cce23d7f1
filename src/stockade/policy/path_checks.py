"""The checks of a flow's path, one function each: given both resolved ends, the blocker
(with an AWS-worded message and remedy) when the check fails, ``None`` when it passes.

:data:`CHECKS` implements every :class:`~stockade.policy.topology.Check` of the shared
table for one flow — the address and gateway checks here, the route-table checks in
:mod:`stockade.policy.route_checks`; ``bulk_path`` implements the same checks over arrays.
``path`` finds a flow's case and runs that case's checks in the table's order.
"""

from __future__ import annotations

from collections.abc import Callable

from stockade.domain.interface import NetworkInterface
from stockade.domain.peering import active_between
from stockade.domain.state import Snapshot
from stockade.policy.addressing import RFC1918, RFC6598, in_ranges, is_public_address
from stockade.policy.decision import Blocker
from stockade.policy.path_leg import (
    End,
    Leg,
    blocker,
    fail,
    inside,
    text_of,
    v4,
)
from stockade.policy.route_advice import route_change, route_remedy
from stockade.policy.route_change import Remedy
from stockade.policy.route_checks import ROUTE_CHECKS
from stockade.policy.routes import vpc_block_holding, vpc_blocks
from stockade.policy.topology import Check, EndKind

__all__ = ["CHECKS", "End", "Leg", "blocker", "inside", "v4"]


# The checks: one function each, returning the blocker when the check fails.


def _any_interface(leg: Leg) -> Blocker:
    message = (
        f"neither {leg.src.given} nor {leg.dst.given} is an interface in this snapshot: "
        "security groups decide only traffic to or from an interface"
    )
    return fail(Check.ANY_INTERFACE, None, "address", message)


def _known_in_vpc(leg: Leg) -> Blocker:
    vpc_id = leg.e1.vpc_id
    cidrs = ", ".join(vpc_blocks(leg.snapshot, vpc_id, leg.family)) or None
    message = f"no interface in {vpc_id} ({cidrs}) has the address {text_of(leg.family, leg.d)}"
    return fail(Check.KNOWN_IN_VPC, vpc_id, "vpc", message)


def _same_vpc(leg: Leg) -> Blocker | None:
    e1, e2 = leg.e1, leg.e2
    if e1.vpc_id == e2.vpc_id:
        return None
    message = (
        f"{e1.eni_id} is in {e1.vpc_id} and {e2.eni_id} in {e2.vpc_id}; nothing "
        f"connects the two VPCs: {leg.forward.table_text()} routes no peering to "
        f"{text_of(leg.family, leg.d)}"
    )
    block = vpc_block_holding(leg.snapshot, e2.vpc_id, leg.family, leg.d)
    peering = active_between(leg.snapshot.peerings, e1.vpc_id, e2.vpc_id)
    remedy: Remedy
    if peering is not None and block is not None:  # peered already: only the route lacks
        remedy = route_change(leg.forward, block, peering.vpc_peering_connection_id)
    elif e2.public_ip and leg.family == 4:
        remedy = f"address its public IP {e2.public_ip} to go through the internet gateways"
    else:
        remedy = f"peer {e1.vpc_id} with {e2.vpc_id}, then " + route_remedy(
            leg.forward, block or "<peer CIDR>", "<pcx-id>"
        )
    return fail(Check.SAME_VPC, e1.vpc_id, "vpc", message, remedy)


def _gateway(check: Check, eni: NetworkInterface, snapshot: Snapshot) -> Blocker | None:
    if snapshot.internet_gateway_for(eni.vpc_id) is not None:
        return None
    return fail(
        check,
        eni.vpc_id,
        "vpc",
        f"{eni.vpc_id} has no internet gateway attached",
        f"attach an internet gateway to {eni.vpc_id}",
    )


def _source_public(leg: Leg) -> Blocker | None:
    eni, s = leg.e1, leg.s
    if leg.family == 4:
        if eni.public_ip:
            return None
        message = f"{eni.eni_id} has no public IPv4 address, so it cannot use the internet gateway"
        return fail(
            Check.SOURCE_PUBLIC,
            eni.eni_id,
            "network-interface",
            message,
            "associate a public IP address with the interface",
        )
    if is_public_address(6, s):
        return None
    message = f"{text_of(6, s)} is not a public IPv6 address"
    return fail(Check.SOURCE_PUBLIC, eni.eni_id, "network-interface", message)


def _destination_public(leg: Leg) -> Blocker | None:
    eni, d, family = leg.e2, leg.d, leg.family
    if family == 4 and leg.dst.kind is EndKind.PUBLIC:
        return None
    if family == 6 and is_public_address(6, d):
        return None
    if family == 4 and not eni.public_ip:
        message = f"{eni.eni_id} has no public IPv4 address: the internet cannot address it"
        remedy = "associate a public IP address with the interface"
    elif family == 4:
        message = (
            f"{text_of(4, d)} is a private address of {eni.eni_id}; from the internet only its "
            f"public IP {eni.public_ip} is reachable"
        )
        remedy = f"connect to {eni.public_ip}"
    else:
        message = f"{text_of(6, d)} is not a public IPv6 address"
        remedy = "use a public (global unicast) IPv6 address"
    return fail(Check.DESTINATION_PUBLIC, eni.eni_id, "network-interface", message, remedy)


def _special_range(
    check: Check,
    ranges: tuple[tuple[int, int], ...],
    which: str,
    at: NetworkInterface,
    value: int,
    leg: Leg,
) -> Blocker | None:
    """IPv4 private (RFC 1918) or shared (RFC 6598) addresses never cross a gateway."""
    if leg.family != 4 or not in_ranges(value, ranges):
        return None
    message = f"{text_of(4, value)} is a {which} address"
    return fail(check, igw_id(leg.snapshot, at), "internet-gateway", message)


def _source_outside_vpc(leg: Leg) -> Blocker | None:
    eni, s = leg.e2, leg.s
    cidr = vpc_block_holding(leg.snapshot, eni.vpc_id, leg.family, s)
    if cidr is None:
        return None
    message = f"{text_of(leg.family, s)} lies inside {eni.vpc_id} ({cidr}): spoofed"
    return fail(Check.SOURCE_OUTSIDE_VPC, igw_id(leg.snapshot, eni), "internet-gateway", message)


CHECKS: dict[Check, Callable[[Leg], Blocker | None]] = {
    **ROUTE_CHECKS,
    Check.ANY_INTERFACE: _any_interface,
    Check.KNOWN_IN_VPC: _known_in_vpc,
    Check.SAME_VPC: _same_vpc,
    Check.SOURCE_PUBLIC: _source_public,
    Check.DESTINATION_NOT_RFC1918: lambda leg: _special_range(
        Check.DESTINATION_NOT_RFC1918, RFC1918, "private (RFC 1918)", leg.e1, leg.d, leg
    ),
    Check.DESTINATION_NOT_RFC6598: lambda leg: _special_range(
        Check.DESTINATION_NOT_RFC6598, RFC6598, "shared (RFC 6598)", leg.e1, leg.d, leg
    ),
    Check.DESTINATION_PUBLIC: _destination_public,
    Check.DESTINATION_GATEWAY: lambda leg: _gateway(
        Check.DESTINATION_GATEWAY, leg.e2, leg.snapshot
    ),
    Check.SOURCE_NOT_RFC1918: lambda leg: _special_range(
        Check.SOURCE_NOT_RFC1918, RFC1918, "private (RFC 1918)", leg.e2, leg.s, leg
    ),
    Check.SOURCE_NOT_RFC6598: lambda leg: _special_range(
        Check.SOURCE_NOT_RFC6598, RFC6598, "shared (RFC 6598)", leg.e2, leg.s, leg
    ),
    Check.SOURCE_OUTSIDE_VPC: _source_outside_vpc,
}


def igw_id(snapshot: Snapshot, eni: NetworkInterface) -> str | None:
    gateway = snapshot.internet_gateway_for(eni.vpc_id)
    return gateway.igw_id if gateway else eni.vpc_id
