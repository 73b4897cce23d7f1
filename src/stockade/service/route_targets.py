"""Route targets: one table, id prefix -> how to find the target and whether it forwards.

CreateRoute/ReplaceRoute validate a target through ``TARGETS[prefix].lookup`` (fetch-or-raise
with the catalogue's codes), and a route's ``active``/``blackhole`` state is derived from
``TARGETS[prefix].usable`` — never stored (``domain.routing.route_state``). Each gateway
family adds its own entry; this branch holds the peering's.

``usable`` takes a *view*: a :class:`~stockade.domain.state.Snapshot` (policy, data plane)
or a :class:`~stockade.store.repository.Transaction` (the service, describing routes).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.routing import Route
from stockade.domain.state import Snapshot
from stockade.service import lookups
from stockade.store.repository import Transaction


class TargetRule(NamedTuple):
    #: the target by id, or the catalogue's Malformed/NotFound error
    lookup: Callable[[Transaction, str], object]
    #: whether a route of ``vpc_id``'s table to this target forwards now
    usable: Callable[[Any, Route, str], bool]


def _peering_in(view: Snapshot | Transaction, pcx_id: str) -> VpcPeeringConnection | None:
    if isinstance(view, Snapshot):
        return view.peering_by_id.get(pcx_id)
    return view.get_peering(pcx_id)


def peering_usable(view: Snapshot | Transaction, route: Route, vpc_id: str) -> bool:
    """A route to a ``pcx-`` forwards only while the peering is ``active`` and the table's
    VPC is one of its two sides (pending, rejected, deleted…: blackhole)."""
    peering = _peering_in(view, route.target)
    return peering is not None and peering.is_active and peering.side_of(vpc_id) is not None


TARGETS: dict[str, TargetRule] = {
    "pcx": TargetRule(lookups.peering, peering_usable),
}
