"""The checks of a flow's path, one function each: given both resolved ends, the blocker
(with an AWS-worded message and remedy) when the check fails, ``None`` when it passes.

:data:`CHECKS` implements every :class:`~stockade.policy.topology.Check` of the shared
table for one flow; ``bulk_path`` implements the same checks over arrays. ``path`` finds
a flow's case and runs that case's checks in the table's order.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.state import Snapshot
from stockade.policy.addressing import (
    RFC1918,
    RFC6598,
    address_text,
    block_bounds,
    in_ranges,
    is_public_address,
    try_parse_address,
)
from stockade.policy.decision import Blocker
from stockade.policy.reasons import CODE, Reason
from stockade.policy.topology import REASON, Check, EndKind


@dataclass
class End:
    """One end of a flow as ``path`` resolves it: what was given, and what it is."""

    given: str
    eni: NetworkInterface | None = None
    instance: Instance | None = None
    address: int | None = None
    kind: EndKind = EndKind.EXTERNAL
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Leg:
    """One resolved flow: both ends with their addresses (the input of every check)."""

    snapshot: Snapshot
    family: int
    src: End
    dst: End

    @property
    def s(self) -> int:
        assert self.src.address is not None
        return self.src.address

    @property
    def d(self) -> int:
        assert self.dst.address is not None
        return self.dst.address

    @property
    def e1(self) -> NetworkInterface:
        assert self.src.eni is not None
        return self.src.eni

    @property
    def e2(self) -> NetworkInterface:
        assert self.dst.eni is not None
        return self.dst.eni


# The checks: one function each, returning the blocker when the check fails.


def _any_interface(leg: Leg) -> Blocker:
    message = (
        f"neither {leg.src.given} nor {leg.dst.given} is an interface in this snapshot: "
        "security groups decide only traffic to or from an interface"
    )
    return fail(Check.ANY_INTERFACE, None, "address", message)


def _known_in_vpc(leg: Leg) -> Blocker:
    vpc_id = leg.e1.vpc_id
    cidr = vpc_cidr(leg.snapshot, vpc_id, leg.family)
    message = f"no interface in {vpc_id} ({cidr}) has the address {text_of(leg.family, leg.d)}"
    return fail(Check.KNOWN_IN_VPC, vpc_id, "vpc", message)


def _same_vpc(leg: Leg) -> Blocker | None:
    e1, e2 = leg.e1, leg.e2
    if e1.vpc_id == e2.vpc_id:
        return None
    message = (
        f"{e1.eni_id} is in {e1.vpc_id} and {e2.eni_id} in {e2.vpc_id}; nothing "
        "connects the two VPCs (stockade models no peering)"
    )
    remedy = (
        f"address its public IP {e2.public_ip} to go through the internet gateways"
        if e2.public_ip and leg.family == 4
        else None
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
    cidr = vpc_cidr(leg.snapshot, eni.vpc_id, leg.family)
    if cidr is None or not inside(cidr, s):
        return None
    message = f"{text_of(leg.family, s)} lies inside {eni.vpc_id} ({cidr}): spoofed"
    return fail(Check.SOURCE_OUTSIDE_VPC, igw_id(leg.snapshot, eni), "internet-gateway", message)


CHECKS: dict[Check, Callable[[Leg], Blocker | None]] = {
    Check.ANY_INTERFACE: _any_interface,
    Check.KNOWN_IN_VPC: _known_in_vpc,
    Check.SAME_VPC: _same_vpc,
    Check.SOURCE_GATEWAY: lambda leg: _gateway(Check.SOURCE_GATEWAY, leg.e1, leg.snapshot),
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


def v4(text: str) -> int:
    return try_parse_address(text)[1]  # type: ignore[index]


def igw_id(snapshot: Snapshot, eni: NetworkInterface) -> str | None:
    gateway = snapshot.internet_gateway_for(eni.vpc_id)
    return gateway.igw_id if gateway else eni.vpc_id


def vpc_cidr(snapshot: Snapshot, vpc_id: str, family: int) -> str | None:
    vpc = snapshot.vpc_by_id.get(vpc_id)
    if vpc is None:
        return None
    return vpc.cidr_block if family == 4 else vpc.ipv6_cidr_block


def inside(cidr: str, value: int) -> bool:
    _, lo, hi = block_bounds(cidr)
    return lo <= value <= hi


def text_of(family: int, value: int) -> str:
    return address_text(family, value)


def fail(
    check: Check, component: str | None, ctype: str, message: str, remedy: str | None = None
) -> Blocker:
    return blocker(REASON[check], component, ctype, message, remedy)


def blocker(
    reason: Reason, component: str | None, ctype: str, message: str, remedy: str | None = None
) -> Blocker:
    return Blocker(CODE[reason], reason, component, ctype, message, remedy=remedy)
