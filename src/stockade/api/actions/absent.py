"""Resource kinds stockade has none of: empty answers in AWS's shape.

Prowler lists launch templates, client VPN endpoints, transit gateways, VPN connections and
VPC endpoint services in every region. Stockade models none of these, so the truthful answer is an
empty list (filters still validated as AWS does); naming one by id is its kind's NotFound,
since none exists. A refused call instead would drop a whole region of Prowler's results.
"""

from __future__ import annotations

from typing import Any

from stockade.api.actions.describe import filters
from stockade.api.actions.registry import Call, action
from stockade.domain import errors


def _none_exist(call: Call, ids_param: str, code: str, noun: str) -> None:
    """Filters checked; any named id is ``code`` (the first one, as EC2 reports it)."""
    filters(call)
    for resource_id in call.get(ids_param) or ():
        raise errors.error(code, f"The {noun} ID '{resource_id}' does not exist")


@action("DescribeLaunchTemplates")
def describe_launch_templates(call: Call) -> dict[str, Any]:
    _none_exist(call, "LaunchTemplateIds", "InvalidLaunchTemplateId.NotFound", "launch template")
    for name in call.get("LaunchTemplateNames") or ():
        raise errors.error(
            "InvalidLaunchTemplateName.NotFoundException",
            f"At least one of the launch templates specified in the request does not exist: {name}",
        )
    return {"LaunchTemplates": []}


@action("DescribeLaunchTemplateVersions")
def describe_launch_template_versions(call: Call) -> dict[str, Any]:
    filters(call)
    named = call.get("LaunchTemplateId") or call.get("LaunchTemplateName")
    if named is None:
        return {"LaunchTemplateVersions": []}  # the account's $Latest/$Default: there are none
    raise errors.error(
        "InvalidLaunchTemplateId.NotFound", f"The launch template ID '{named}' does not exist"
    )


@action("DescribeClientVpnEndpoints")
def describe_client_vpn_endpoints(call: Call) -> dict[str, Any]:
    _none_exist(
        call, "ClientVpnEndpointIds", "InvalidClientVpnEndpointId.NotFound", "Client VPN endpoint"
    )
    return {"ClientVpnEndpoints": []}


@action("DescribeTransitGateways")
def describe_transit_gateways(call: Call) -> dict[str, Any]:
    _none_exist(call, "TransitGatewayIds", "InvalidTransitGatewayID.NotFound", "transit gateway")
    return {"TransitGateways": []}


@action("DescribeVpnConnections")
def describe_vpn_connections(call: Call) -> dict[str, Any]:
    _none_exist(call, "VpnConnectionIds", "InvalidVpnConnectionID.NotFound", "VPN connection")
    return {"VpnConnections": []}


@action("DescribeVpcEndpointServices")
def describe_vpc_endpoint_services(call: Call) -> dict[str, Any]:
    """No endpoint services: stockade serves no AWS service one could reach privately."""
    filters(call)
    for name in call.get("ServiceNames") or ():
        # [UNVERIFIED] AWS's code and wording for an unknown service name.
        raise errors.invalid_parameter_value(f"The Vpc Endpoint Service '{name}' does not exist")
    return {"ServiceNames": [], "ServiceDetails": []}


def _no_virtual_private_gateway(call: Call) -> None:
    """Route propagation needs a virtual private gateway, and stockade has none: the route
    table is looked up first (its own NotFound), then any gateway named is unknown."""
    call.services.route_tables.get(call.get("RouteTableId"))
    gateway_id = call.get("GatewayId")
    if not gateway_id:
        raise errors.missing_parameter("GatewayId")
    raise errors.error(
        "InvalidVpnGatewayID.NotFound",
        f"The virtual private gateway ID '{gateway_id}' does not exist",
    )


@action("EnableVgwRoutePropagation")
def enable_vgw_route_propagation(call: Call) -> None:
    _no_virtual_private_gateway(call)


@action("DisableVgwRoutePropagation")
def disable_vgw_route_propagation(call: Call) -> None:
    _no_virtual_private_gateway(call)


@action("DescribeVpcEndpointServicePermissions")
def describe_vpc_endpoint_service_permissions(call: Call) -> dict[str, Any]:
    """No endpoint services exist, so every ``ServiceId`` is unknown."""
    filters(call)
    service_id = call.get("ServiceId")
    if not service_id:
        raise errors.missing_parameter("ServiceId")
    raise errors.error(
        "InvalidVpcEndpointServiceId.NotFound",
        f"The VpcEndpointService Id '{service_id}' does not exist",
    )
