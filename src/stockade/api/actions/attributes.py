"""VPC attributes (one per call) and the account's attributes."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import attribute_value
from stockade.api.actions.registry import Call, action
from stockade.shapes import gateways as shapes


@action("DescribeVpcAttribute")
def describe_vpc_attribute(call: Call) -> dict[str, Any]:
    name = call.get("Attribute")
    value = call.services.vpc_attributes.describe_vpc_attribute(call.get("VpcId"), name)
    return {"VpcId": call.get("VpcId"), name[:1].upper() + name[1:]: {"Value": value}}


@action("ModifyVpcAttribute")
def modify_vpc_attribute(call: Call) -> None:
    call.services.vpc_attributes.modify_vpc_attribute(
        call.get("VpcId"),
        enable_dns_support=attribute_value(call.get("EnableDnsSupport")),
        enable_dns_hostnames=attribute_value(call.get("EnableDnsHostnames")),
        enable_network_address_usage_metrics=attribute_value(
            call.get("EnableNetworkAddressUsageMetrics")
        ),
    )


@action("DescribeAccountAttributes")
def describe_account_attributes(call: Call) -> dict[str, Any]:
    values = call.services.vpc_attributes.describe_account_attributes(
        call.get("AttributeNames") or ()
    )
    return {"AccountAttributes": shapes.account_attributes(values)}
