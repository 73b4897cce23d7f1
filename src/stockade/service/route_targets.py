"""What a route may point at: one table, target-id prefix -> (lookup, usable).

``lookup(tx, target_id)`` fetches the target or raises its kind's NotFound/Malformed
error (CreateRoute, ReplaceRoute); ``usable(view, route, vpc_id)`` says whether the route
can forward *now* — the source of the derived ``active``/``blackhole`` state
(:func:`stockade.domain.routing.route_state`), so a detached gateway or a deleted
interface shows as ``blackhole`` without anything being rewritten. The view is anything
that answers the getters below: a store transaction (describe answers) or a snapshot
(:class:`SnapshotView`).

NAT gateways forward while ``available`` in the table's VPC, egress-only gateways while they
exist, attached to it. A peering (``pcx``) is found
if either side is the caller's, and forwards only while ``active`` and only for a table of
one of its two VPCs (pending, rejected, deleted…: blackhole).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from stockade.domain import errors
from stockade.domain.instance import InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.routing import (
    LOCAL,
    EgressOnlyInternetGateway,
    NatGateway,
    Route,
    TargetUsable,
)
from stockade.domain.state import Snapshot
from stockade.service import lookups
from stockade.store.repository import Transaction


class TargetView(Protocol):
    """The getters route states are derived from (a transaction or a snapshot view)."""

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None: ...
    def get_interface(self, eni_id: str) -> NetworkInterface | None: ...
    def get_nat_gateway(self, nat_gateway_id: str) -> NatGateway | None: ...
    def get_egress_only_internet_gateway(
        self, eigw_id: str
    ) -> EgressOnlyInternetGateway | None: ...
    def get_peering(self, pcx_id: str) -> VpcPeeringConnection | None: ...


class SnapshotView:
    """A :class:`Snapshot` answering the getters of :class:`TargetView`."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._igws = {g.igw_id: g for g in snapshot.internet_gateways}
        self._eigws = {
            g.egress_only_internet_gateway_id: g for g in snapshot.egress_only_internet_gateways
        }

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None:
        return self._igws.get(igw_id)

    def get_interface(self, eni_id: str) -> NetworkInterface | None:
        return self._snapshot.interface_by_id.get(eni_id)

    def get_nat_gateway(self, nat_gateway_id: str) -> NatGateway | None:
        return self._snapshot.nat_gateway_by_id.get(nat_gateway_id)

    def get_egress_only_internet_gateway(self, eigw_id: str) -> EgressOnlyInternetGateway | None:
        return self._eigws.get(eigw_id)

    def get_peering(self, pcx_id: str) -> VpcPeeringConnection | None:
        return self._snapshot.peering_by_id.get(pcx_id)


Lookup = Callable[[Transaction, str], object]
Usable = Callable[[TargetView, Route, str], bool]
TargetRule = tuple[Lookup, Usable]


def _igw_usable(view: TargetView, route: Route, vpc_id: str) -> bool:
    """An internet gateway forwards while attached to the table's VPC."""
    igw = view.get_internet_gateway(route.target)
    return igw is not None and igw.vpc_id == vpc_id


def _eni_usable(view: TargetView, route: Route, vpc_id: str) -> bool:
    """An interface forwards while it exists in the VPC (and, for a route made with an
    instance, while it is still that instance's)."""
    eni = view.get_interface(route.target)
    if eni is None or eni.vpc_id != vpc_id:
        return False
    return route.instance_id is None or eni.instance_id == route.instance_id


def _nat_usable(view: TargetView, route: Route, vpc_id: str) -> bool:
    """A NAT gateway forwards while ``available`` in the table's VPC (a deleted one leaves
    its routes ``blackhole``)."""
    nat = view.get_nat_gateway(route.target)
    return nat is not None and nat.vpc_id == vpc_id and nat.is_available


def _eigw_usable(view: TargetView, route: Route, vpc_id: str) -> bool:
    """An egress-only gateway forwards while it exists, attached to the table's VPC."""
    eigw = view.get_egress_only_internet_gateway(route.target)
    return eigw is not None and eigw.vpc_id == vpc_id


def _pcx_usable(view: TargetView, route: Route, vpc_id: str) -> bool:
    """A peering forwards while active, for a table of one of its two VPCs."""
    peering = view.get_peering(route.target)
    return peering is not None and peering.is_active and peering.side_of(vpc_id) is not None


TARGETS: dict[str, TargetRule] = {
    "igw": (lookups.internet_gateway, _igw_usable),
    "eni": (lookups.interface, _eni_usable),
    "nat": (lookups.nat_gateway, _nat_usable),
    "eigw": (lookups.egress_only_internet_gateway, _eigw_usable),
    "pcx": (lookups.peering, _pcx_usable),
}


def usable_in(view: TargetView) -> TargetUsable:
    """:data:`TargetUsable` over a view: ``local`` always, other targets by their rule,
    targets of kinds stockade does not model never."""

    def usable(route: Route, vpc_id: str) -> bool:
        if route.target == LOCAL:
            return True
        rule = TARGETS.get(route.target.split("-", 1)[0])
        return rule is not None and rule[1](view, route, vpc_id)

    return usable


def resolve(
    tx: Transaction, vpc_id: str, route_table_id: str, kind: str, target_id: str
) -> tuple[str, str | None]:
    """The stored target of a route (and the instance it was made with) for the target
    parameter given; NotFound, Malformed or "different networks" errors otherwise.

    ``kind`` is the parameter's family (``igw``, ``eni``, ``i``, ``nat``, ``eigw``,
    ``pcx``). An instance must have exactly one interface (``InvalidInstanceID``); the
    route then targets that interface and remembers the instance.
    """
    if kind == "i":
        instance = lookups.instance(tx, target_id)
        enis = tx.list_interfaces(instance_id=instance.instance_id)
        if instance.state is InstanceState.TERMINATED or not enis:
            raise errors.error(
                "IncorrectInstanceState",
                f"The instance '{target_id}' is not in a state from which it can be routed to.",
            )
        if len(enis) != 1:
            raise errors.multiple_interfaces(target_id)
        _same_network(enis[0].vpc_id, vpc_id, route_table_id, "instance", target_id)
        return enis[0].eni_id, instance.instance_id
    found = TARGETS[kind][0](tx, target_id)
    if isinstance(found, VpcPeeringConnection) and found.side_of(vpc_id) is None:
        # [UNVERIFIED] AWS's wording for a peering that does not join this table's VPC.
        _same_network(None, vpc_id, route_table_id, "VPC peering connection", target_id)
    # A target that belongs to a VPC (a gateway attached to one, an interface, a NAT
    # gateway) must belong to this one; a detached internet gateway belongs to none.
    if hasattr(found, "vpc_id"):
        noun = _NOUNS.get(kind, "target")
        _same_network(found.vpc_id, vpc_id, route_table_id, noun, target_id)
    return target_id, None


#: How AWS's "belong to different networks" message names each kind of target.
_NOUNS = {
    "igw": "network gateway",
    "eni": "interface",
    "nat": "NAT gateway",
    "eigw": "egress-only internet gateway",
}


def _same_network(
    target_vpc: str | None, vpc_id: str, route_table_id: str, noun: str, target_id: str
) -> None:
    if target_vpc != vpc_id:
        raise errors.invalid_parameter_value(
            f"route table {route_table_id} and {noun} {target_id} belong to different networks"
        )
