"""Route tables: tables, routes and associations."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import reject_unsupported, tag_specs
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.service.contracts import RouteRequest, RouteTableDetail
from stockade.shapes import routing as shapes

#: Targets stockade does not model: refused, never silently dropped.
_UNMODELLED_TARGETS = ("LocalGatewayId", "CarrierGatewayId", "CoreNetworkArn", "OdbNetworkArn")


def _shape(detail: RouteTableDetail) -> dict[str, Any]:
    return shapes.route_table(detail.table, detail.states)


def _route_request(call: Call) -> RouteRequest:
    reject_unsupported(call, *_UNMODELLED_TARGETS)
    return RouteRequest(
        destination_cidr_block=call.get("DestinationCidrBlock"),
        destination_ipv6_cidr_block=call.get("DestinationIpv6CidrBlock"),
        destination_prefix_list_id=call.get("DestinationPrefixListId"),
        gateway_id=call.get("GatewayId"),
        nat_gateway_id=call.get("NatGatewayId"),
        network_interface_id=call.get("NetworkInterfaceId"),
        instance_id=call.get("InstanceId"),
        vpc_peering_connection_id=call.get("VpcPeeringConnectionId"),
        egress_only_internet_gateway_id=call.get("EgressOnlyInternetGatewayId"),
        transit_gateway_id=call.get("TransitGatewayId"),
        vpc_endpoint_id=call.get("VpcEndpointId"),
        local_target=bool(call.get("LocalTarget")),
    )


@action("CreateRouteTable")
def create_route_table(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"route-table"}, default="route-table")
    detail = call.services.route_tables.create(call.get("VpcId"), tags.get("route-table", ()))
    out = {"RouteTable": _shape(detail)}
    if call.get("ClientToken"):
        out["ClientToken"] = call.get("ClientToken")
    return out


@action("DeleteRouteTable")
def delete_route_table(call: Call) -> None:
    call.services.route_tables.delete(call.get("RouteTableId"))


@action("DescribeRouteTables")
def describe_route_tables(call: Call) -> dict[str, Any]:
    details = call.services.route_tables.describe(call.get("RouteTableIds") or ())
    selected = select(call, (_shape(d) for d in details))
    items, token = page(call, selected, lambda s: s["RouteTableId"], minimum=5, maximum=100)
    return with_token({"RouteTables": items}, token)


@action("CreateRoute")
def create_route(call: Call) -> dict[str, Any]:
    call.services.route_tables.create_route(call.get("RouteTableId"), _route_request(call))
    return {"Return": True}


@action("ReplaceRoute")
def replace_route(call: Call) -> None:
    call.services.route_tables.replace_route(call.get("RouteTableId"), _route_request(call))


@action("DeleteRoute")
def delete_route(call: Call) -> None:
    call.services.route_tables.delete_route(call.get("RouteTableId"), _route_request(call))


@action("AssociateRouteTable")
def associate_route_table(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "PublicIpv4Pool")
    association_id = call.services.route_tables.associate(
        call.get("RouteTableId"), call.get("SubnetId"), call.get("GatewayId")
    )
    return {"AssociationId": association_id, "AssociationState": {"State": "associated"}}


@action("DisassociateRouteTable")
def disassociate_route_table(call: Call) -> None:
    call.services.route_tables.disassociate(call.get("AssociationId"))


@action("ReplaceRouteTableAssociation")
def replace_route_table_association(call: Call) -> dict[str, Any]:
    new_id = call.services.route_tables.replace_association(
        call.get("AssociationId"), call.get("RouteTableId")
    )
    return {"NewAssociationId": new_id, "AssociationState": {"State": "associated"}}
