"""What a route may point at: one table, target-id prefix -> (lookup, usable).

``lookup(tx, target_id)`` fetches the target or raises its kind's NotFound/Malformed
error (CreateRoute, ReplaceRoute); ``usable(view, route, vpc_id)`` says whether the route
can forward *now* — the source of the derived ``active``/``blackhole`` state
(:func:`stockade.domain.routing.route_state`), so a detached gateway or a deleted
interface shows as ``blackhole`` without anything being rewritten. The view is anything
that answers the getters below: a store transaction (describe answers) or a snapshot
(:class:`SnapshotView`).

The NAT gateway, egress-only gateway and peering entries belong to their families; here
they only check the id's form (the lead merges their real lookups in).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from stockade.domain import errors, ids
from stockade.domain.instance import InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway
from stockade.domain.routing import LOCAL, Route, TargetUsable
from stockade.domain.state import Snapshot
from stockade.service import lookups
from stockade.store.repository import Transaction


class TargetView(Protocol):
    """The getters route states are derived from (a transaction or a snapshot view)."""

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None: ...
    def get_interface(self, eni_id: str) -> NetworkInterface | None: ...


class SnapshotView:
    """A :class:`Snapshot` answering the getters of :class:`TargetView`."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._snapshot = snapshot
        self._igws = {g.igw_id: g for g in snapshot.internet_gateways}

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None:
        return self._igws.get(igw_id)

    def get_interface(self, eni_id: str) -> NetworkInterface | None:
        return self._snapshot.interface_by_id.get(eni_id)


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


def _well_formed(prefix: str) -> Lookup:
    """The lookup of a target family another branch owns: the id's form only."""

    def lookup(tx: Transaction, target_id: str) -> object:
        return ids.check(prefix, target_id)

    return lookup


def _never(view: TargetView, route: Route, vpc_id: str) -> bool:
    """No gateway of this kind exists in this branch: nothing can forward through it."""
    return False


TARGETS: dict[str, TargetRule] = {
    "igw": (lookups.internet_gateway, _igw_usable),
    "eni": (lookups.interface, _eni_usable),
    "nat": (_well_formed("nat"), _never),
    "eigw": (_well_formed("eigw"), _never),
    "pcx": (_well_formed("pcx"), _never),
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
    # A target that belongs to a VPC (a gateway attached to one, an interface, a NAT
    # gateway) must belong to this one; a detached internet gateway belongs to none.
    if hasattr(found, "vpc_id"):
        noun = _NOUNS.get(kind, "target")
        _same_network(found.vpc_id, vpc_id, route_table_id, noun, target_id)
    return target_id, None


#: How AWS's "belong to different networks" message names each kind of target.
_NOUNS = {"igw": "network gateway", "eni": "interface", "nat": "NAT gateway"}


def _same_network(
    target_vpc: str | None, vpc_id: str, route_table_id: str, noun: str, target_id: str
) -> None:
    if target_vpc != vpc_id:
        raise errors.invalid_parameter_value(
            f"route table {route_table_id} and {noun} {target_id} belong to different networks"
        )
