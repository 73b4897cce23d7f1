"""DHCP options sets (Ansible's ``ec2_vpc_dhcp_option``, Terraform's
``aws_vpc_dhcp_options`` and its association)."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.shapes.settings import dhcp_options as _shape

_ALIASES = {
    "key": "DhcpConfigurations.Key",
    "value": "DhcpConfigurations.Values.Value",
}


@action("CreateDhcpOptions")
def create_dhcp_options(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"dhcp-options"}, default="dhcp-options")
    given = [
        (c.get("Key"), list(c.get("Values") or ())) for c in call.get("DhcpConfigurations") or ()
    ]
    created = call.services.dhcp_options.create(given, tags.get("dhcp-options", ()))
    return {"DhcpOptions": _shape(created)}


@action("DescribeDhcpOptions")
def describe_dhcp_options(call: Call) -> dict[str, Any]:
    found = call.services.dhcp_options.describe(call.get("DhcpOptionsIds") or ())
    selected = select(call, [_shape(d) for d in found], _ALIASES)
    items, token = page(call, selected, lambda s: s["DhcpOptionsId"], minimum=5, maximum=1000)
    return with_token({"DhcpOptions": items}, token)


@action("DeleteDhcpOptions")
def delete_dhcp_options(call: Call) -> None:
    call.services.dhcp_options.delete(call.get("DhcpOptionsId"))


@action("AssociateDhcpOptions")
def associate_dhcp_options(call: Call) -> None:
    call.services.dhcp_options.associate(call.get("DhcpOptionsId"), call.get("VpcId"))
