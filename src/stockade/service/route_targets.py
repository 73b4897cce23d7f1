"""Route targets: one table, id prefix → how to find the target and whether it forwards.

CreateRoute/ReplaceRoute validate a target through :data:`TARGETS` (``lookup`` raises the
target's NotFound/Malformed error); a route's ``active``/``blackhole`` state is derived
through ``usable`` (see :func:`stockade.domain.routing.route_state`), from a transaction
or a snapshot alike. Each family adds its own entries (gateways: ``nat``, ``eigw``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from ipaddress import ip_network
from typing import Any, NamedTuple

from stockade.domain import errors
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, Route
from stockade.service import lookups


class TargetRule(NamedTuple):
    #: fetch-or-raise the target named by a route (``(tx, target_id) -> object``)
    lookup: Callable[[Any, str], object]
    #: whether the target forwards for a table of ``vpc_id``: ``(tx or snapshot, route, vpc_id)``
    usable: Callable[[Any, Route, str], bool]


def _find(view: Any, getter: str, items: str, key: str, wanted: str) -> Any:
    """A resource from a transaction (``get_*``) or a snapshot (its tuple), else None."""
    if hasattr(view, getter):
        return getattr(view, getter)(wanted)
    found: Iterable[Any] = getattr(view, items)
    return next((x for x in found if getattr(x, key) == wanted), None)


def _nat_usable(view: Any, route: Route, vpc_id: str) -> bool:
    nat: NatGateway | None = _find(
        view, "get_nat_gateway", "nat_gateways", "nat_gateway_id", route.target
    )
    return nat is not None and nat.vpc_id == vpc_id and nat.is_available


def _eigw_usable(view: Any, route: Route, vpc_id: str) -> bool:
    eigw: EgressOnlyInternetGateway | None = _find(
        view,
        "get_egress_only_internet_gateway",
        "egress_only_internet_gateways",
        "egress_only_internet_gateway_id",
        route.target,
    )
    return eigw is not None and eigw.vpc_id == vpc_id


TARGETS: dict[str, TargetRule] = {
    "nat": TargetRule(lookups.nat_gateway, _nat_usable),
    "eigw": TargetRule(lookups.egress_only_internet_gateway, _eigw_usable),
}

#: Targets that carry one address family only: NatGatewayId is "[IPv4 traffic only]",
#: EgressOnlyInternetGatewayId IPv6 only.
TARGET_FAMILY = {"nat": 4, "eigw": 6}
#: The NAT64 well-known prefix, the one IPv6 destination a NAT gateway takes (DNS64 + NAT64)
NAT64_PREFIX = ip_network("64:ff9b::/96")


def check_family(route: Route) -> None:
    """A route to a one-family target must have a destination of that family (a NAT
    gateway also takes the NAT64 prefix)."""
    family = TARGET_FAMILY.get(route.target.split("-", 1)[0])
    if route.kind.value == "nat" and not route.is_prefix_list:
        destination = ip_network(route.destination)
        if destination.version == 6 and destination.subnet_of(NAT64_PREFIX):  # type: ignore[arg-type]
            return
    if family is not None and route.family is not None and route.family != family:
        parameter = "NatGatewayId" if family == 4 else "EgressOnlyInternetGatewayId"
        raise errors.invalid_parameter_value(
            f"The {parameter} {route.target} can route only IPv{family} destinations, "
            f"not {route.destination}"
        )
