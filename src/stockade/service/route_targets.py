"""What a route may point at: one table, target-id prefix -> lookup.

``lookup(tx, target_id)`` fetches the target or raises its kind's NotFound/Malformed error
(CreateRoute, ReplaceRoute); a peering (``pcx``) is found if either side is the caller's.
Whether a route can forward *now* — its derived ``active``/``blackhole`` state — is
:mod:`stockade.domain.route_targets`' one definition, shared with the policy engine and
the data plane.
"""

from __future__ import annotations

from collections.abc import Callable

from stockade.domain import errors
from stockade.domain.instance import InstanceState
from stockade.domain.peering import VpcPeeringConnection
from stockade.service import lookups
from stockade.store.repository import Transaction

Lookup = Callable[[Transaction, str], object]


TARGETS: dict[str, Lookup] = {
    "igw": lookups.internet_gateway,
    "eni": lookups.interface,
    "nat": lookups.nat_gateway,
    "eigw": lookups.egress_only_internet_gateway,
    "pcx": lookups.peering,
}


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
    found = TARGETS[kind](tx, target_id)
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
