"""Route tables through a stockade server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.service.contracts import RouteRequest, RouteTableDetail
from stockade.shapes import read_routing, tag_list


def _route_params(request: RouteRequest) -> dict[str, Any]:
    """The CreateRoute / ReplaceRoute / DeleteRoute parameters of a request."""
    return {
        "DestinationCidrBlock": request.destination_cidr_block,
        "DestinationIpv6CidrBlock": request.destination_ipv6_cidr_block,
        "DestinationPrefixListId": request.destination_prefix_list_id,
        "GatewayId": request.gateway_id,
        "NatGatewayId": request.nat_gateway_id,
        "NetworkInterfaceId": request.network_interface_id,
        "InstanceId": request.instance_id,
        "VpcPeeringConnectionId": request.vpc_peering_connection_id,
        "EgressOnlyInternetGatewayId": request.egress_only_internet_gateway_id,
        "TransitGatewayId": request.transit_gateway_id,
        "VpcEndpointId": request.vpc_endpoint_id,
    }


_DESTINATIONS = ("DestinationCidrBlock", "DestinationIpv6CidrBlock", "DestinationPrefixListId")


class RemoteRouteTableService(Remote):
    """:class:`stockade.service.routing.RouteTableService`, over the EC2 API."""

    def _detail(self, shape: Any, operation: str) -> RouteTableDetail:
        node = self.read(shape, operation)
        return RouteTableDetail(
            read_routing.route_table(node, self.origin), read_routing.route_states(node)
        )

    def create(self, vpc_id: str, tags: RawTags = ()) -> RouteTableDetail:
        specs = [{"ResourceType": "route-table", "Tags": tag_list(tags)}] if tags else None
        shape = self.call("create_route_table", VpcId=vpc_id, TagSpecifications=specs)
        return self._detail(shape["RouteTable"], "create_route_table")

    def delete(self, route_table_id: str) -> None:
        self.call("delete_route_table", RouteTableId=route_table_id)

    def describe(self, route_table_ids: Sequence[str] = ()) -> list[RouteTableDetail]:
        items = self.pages(
            "describe_route_tables", "RouteTables", RouteTableIds=list(route_table_ids) or None
        )
        return [self._detail(t, "describe_route_tables") for t in items]

    def get(self, route_table_id: str) -> RouteTableDetail:
        return self.describe([route_table_id])[0]

    def create_route(self, route_table_id: str, request: RouteRequest) -> None:
        self.call("create_route", RouteTableId=route_table_id, **_route_params(request))

    def replace_route(self, route_table_id: str, request: RouteRequest) -> None:
        self.call(
            "replace_route",
            RouteTableId=route_table_id,
            LocalTarget=request.local_target or None,
            **_route_params(request),
        )

    def delete_route(self, route_table_id: str, request: RouteRequest) -> None:
        given = _route_params(request)
        destination = {k: given[k] for k in _DESTINATIONS}
        self.call("delete_route", RouteTableId=route_table_id, **destination)

    def associate(
        self, route_table_id: str, subnet_id: str | None = None, gateway_id: str | None = None
    ) -> str:
        answer = self.call(
            "associate_route_table",
            RouteTableId=route_table_id,
            SubnetId=subnet_id,
            GatewayId=gateway_id,
        )
        return str(answer["AssociationId"])

    def disassociate(self, association_id: str) -> None:
        self.call("disassociate_route_table", AssociationId=association_id)

    def replace_association(self, association_id: str, route_table_id: str) -> str:
        answer = self.call(
            "replace_route_table_association",
            AssociationId=association_id,
            RouteTableId=route_table_id,
        )
        return str(answer["NewAssociationId"])
