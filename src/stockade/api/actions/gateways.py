"""NAT gateways and egress-only internet gateways."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import reject_unsupported, tag_specs
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.api.filters import TAG_FILTERS, compile_filters
from stockade.shapes import gateways as shapes

#: DescribeNatGateways' filters (its ``Filter`` member's documentation names them in prose
#: the model reader does not parse, so they are listed here).
_NAT_FILTERS = frozenset({"nat-gateway-id", "state", "subnet-id", "vpc-id", "tag-key", TAG_FILTERS})


@action("CreateNatGateway")
def create_nat_gateway(call: Call) -> dict[str, Any]:
    reject_unsupported(
        call,
        "AvailabilityMode",
        "VpcId",
        "AvailabilityZoneAddresses",
        "SecondaryAllocationIds",
        "SecondaryPrivateIpAddresses",
        "SecondaryPrivateIpAddressCount",
    )
    tags = tag_specs(call, accepted={"natgateway"}, default="natgateway")
    nat = call.services.gateways.create_nat_gateway(
        call.get("SubnetId"),
        allocation_id=call.get("AllocationId"),
        connectivity_type=call.get("ConnectivityType"),
        private_ip=call.get("PrivateIpAddress"),
        tags=tags.get("natgateway", ()),
        client_token=call.get("ClientToken"),
    )
    out: dict[str, Any] = {"NatGateway": shapes.nat_gateway(nat)}
    if call.get("ClientToken"):
        out["ClientToken"] = call.get("ClientToken")
    return out


@action("DeleteNatGateway")
def delete_nat_gateway(call: Call) -> dict[str, Any]:
    return {"NatGatewayId": call.services.gateways.delete_nat_gateway(call.get("NatGatewayId"))}


@action("DescribeNatGateways")
def describe_nat_gateways(call: Call) -> dict[str, Any]:
    fs = compile_filters(call.get("Filter"), _NAT_FILTERS)
    found = call.services.gateways.describe_nat_gateways(call.get("NatGatewayIds") or ())
    selected = select(call, [shapes.nat_gateway(n) for n in found], fs=fs)
    items, token = page(call, selected, lambda s: s["NatGatewayId"], minimum=5, maximum=1000)
    return with_token({"NatGateways": items}, token)


@action("CreateEgressOnlyInternetGateway")
def create_egress_only_internet_gateway(call: Call) -> dict[str, Any]:
    kind = "egress-only-internet-gateway"
    tags = tag_specs(call, accepted={kind}, default=kind)
    eigw = call.services.gateways.create_egress_only_internet_gateway(
        call.get("VpcId"), tags.get(kind, ())
    )
    out: dict[str, Any] = {"EgressOnlyInternetGateway": shapes.egress_only_internet_gateway(eigw)}
    if call.get("ClientToken"):
        out["ClientToken"] = call.get("ClientToken")
    return out


@action("DeleteEgressOnlyInternetGateway")
def delete_egress_only_internet_gateway(call: Call) -> dict[str, Any]:
    call.services.gateways.delete_egress_only_internet_gateway(
        call.get("EgressOnlyInternetGatewayId")
    )
    return {"ReturnCode": True}


@action("DescribeEgressOnlyInternetGateways")
def describe_egress_only_internet_gateways(call: Call) -> dict[str, Any]:
    found = call.services.gateways.describe_egress_only_internet_gateways(
        call.get("EgressOnlyInternetGatewayIds") or ()
    )
    selected = select(call, [shapes.egress_only_internet_gateway(g) for g in found])
    items, token = page(
        call, selected, lambda s: s["EgressOnlyInternetGatewayId"], minimum=5, maximum=255
    )
    return with_token({"EgressOnlyInternetGateways": items}, token)
