"""RouteTable shapes (DescribeRouteTables, CreateRouteTable).

A route's ``State`` is not part of the domain object: it is derived from the target
(``service.route_targets``), so the writer takes the states beside the table.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.domain.routing import Route, RouteState, RouteTable, RouteTableAssociation, TargetKind
from stockade.shapes import tag_list

#: The shape key each kind of target is shown under (``local`` and gateways: GatewayId).
TARGET_KEYS: dict[TargetKind, str] = {
    TargetKind.LOCAL: "GatewayId",
    TargetKind.INTERNET_GATEWAY: "GatewayId",
    TargetKind.VIRTUAL_PRIVATE_GATEWAY: "GatewayId",
    TargetKind.VPC_ENDPOINT: "GatewayId",
    TargetKind.NAT_GATEWAY: "NatGatewayId",
    TargetKind.NETWORK_INTERFACE: "NetworkInterfaceId",
    TargetKind.EGRESS_ONLY_INTERNET_GATEWAY: "EgressOnlyInternetGatewayId",
    TargetKind.PEERING: "VpcPeeringConnectionId",
    TargetKind.TRANSIT_GATEWAY: "TransitGatewayId",
}


def destination_key(destination: str) -> str:
    if destination.startswith("pl-"):
        return "DestinationPrefixListId"
    return "DestinationIpv6CidrBlock" if ":" in destination else "DestinationCidrBlock"


def route(r: Route, state: RouteState, owner_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {destination_key(r.destination): r.destination}
    out[TARGET_KEYS[r.kind]] = r.target
    if r.instance_id:
        out["InstanceId"] = r.instance_id
        out["InstanceOwnerId"] = owner_id
    out["Origin"] = r.origin.value
    out["State"] = state.value
    return out


def association(a: RouteTableAssociation, route_table_id: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Main": a.main,
        "RouteTableAssociationId": a.association_id,
        "RouteTableId": route_table_id,
    }
    if a.subnet_id:
        out["SubnetId"] = a.subnet_id
    if a.gateway_id:
        out["GatewayId"] = a.gateway_id
    out["AssociationState"] = {"State": "associated"}
    return out


def route_table(t: RouteTable, states: Sequence[RouteState]) -> dict[str, Any]:
    return {
        "RouteTableId": t.route_table_id,
        "VpcId": t.vpc_id,
        "OwnerId": t.owner_id,
        "Routes": [route(r, s, t.owner_id) for r, s in zip(t.routes, states, strict=True)],
        "Associations": [association(a, t.route_table_id) for a in t.associations],
        "PropagatingVgws": [{"GatewayId": g} for g in t.propagating_vgws],
        "Tags": tag_list(t.tags),
    }
