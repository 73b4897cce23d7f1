"""Whether a route's target can forward now — the one definition of ``active``/``blackhole``.

DescribeRouteTables (from a transaction), the policy engine and the data plane (from a
snapshot) and the export all derive a route's state here, so they cannot disagree. The
rules are AWS's: an internet or egress-only gateway while attached to the table's VPC, a NAT
gateway while ``available`` in it, a peering while ``active`` with the VPC as a side, an
interface while it exists in the VPC (and, for a route made with ``InstanceId``, is still
that instance's). Targets stockade holds no state for (virtual private and transit
gateways, endpoints — an imported account may route to them) are not judged: they count as
usable, and the policy engine reports their paths as not modelled rather than blackholed.
"""

from __future__ import annotations

from typing import Protocol

from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.routing import (
    LOCAL,
    EgressOnlyInternetGateway,
    NatGateway,
    Route,
    TargetKind,
    TargetUsable,
)


class TargetView(Protocol):
    """The getters a route's state is derived from: a store transaction or a snapshot."""

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None: ...
    def get_interface(self, eni_id: str) -> NetworkInterface | None: ...
    def get_instance(self, instance_id: str) -> Instance | None: ...
    def get_nat_gateway(self, nat_gateway_id: str) -> NatGateway | None: ...
    def get_egress_only_internet_gateway(
        self, eigw_id: str
    ) -> EgressOnlyInternetGateway | None: ...
    def get_peering(self, pcx_id: str) -> VpcPeeringConnection | None: ...


def target_usable(view: TargetView, route: Route, vpc_id: str) -> bool:
    """Whether ``route`` (in a table of ``vpc_id``) can forward now."""
    target = route.target
    if target == LOCAL:
        return True
    try:
        kind = route.kind
    except ValueError:  # a target of no kind stockade knows: not judged
        return True
    if kind is TargetKind.INTERNET_GATEWAY:
        igw = view.get_internet_gateway(target)
        return igw is not None and igw.vpc_id == vpc_id
    if kind is TargetKind.EGRESS_ONLY_INTERNET_GATEWAY:
        eigw = view.get_egress_only_internet_gateway(target)
        return eigw is not None and eigw.vpc_id == vpc_id
    if kind is TargetKind.NAT_GATEWAY:
        nat = view.get_nat_gateway(target)
        return nat is not None and nat.vpc_id == vpc_id and nat.is_available
    if kind is TargetKind.PEERING:
        peering = view.get_peering(target)
        return peering is not None and peering.is_active and peering.side_of(vpc_id) is not None
    if kind is TargetKind.NETWORK_INTERFACE:
        eni = view.get_interface(target)
        if eni is None or eni.vpc_id != vpc_id:
            return False
        return route.instance_id is None or eni.instance_id == route.instance_id
    if kind is TargetKind.INSTANCE:
        instance = view.get_instance(target)
        return instance is not None and instance.vpc_id == vpc_id
    return True


def usable_in(view: TargetView) -> TargetUsable:
    """:func:`target_usable` over one view, in the shape ``route_state`` takes."""
    return lambda route, vpc_id: target_usable(view, route, vpc_id)
