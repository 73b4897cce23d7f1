"""Network interfaces: where security groups attach."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.api.actions.addresses import elastic_ips_by_interface
from stockade.api.actions.common import (
    attribute_value,
    reject_unsupported,
    split_private_ips,
    tag_specs,
    tracking,
)
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain.errors import invalid_combination
from stockade.domain.interface import NetworkInterface
from stockade.shapes import instances as shapes

_ALIASES = {
    "group-id": "Groups.GroupId",
    "addresses.private-ip-address": "PrivateIpAddresses.PrivateIpAddress",
    "addresses.primary": "PrivateIpAddresses.Primary",
    "addresses.association.public-ip": "PrivateIpAddresses.Association.PublicIp",
    "addresses.association.owner-id": "PrivateIpAddresses.Association.IpOwnerId",
}


def interface_shapes(call: Call, enis: Sequence[NetworkInterface]) -> list[dict[str, Any]]:
    """ENI shapes with their groups' names (interfaces store only group ids) and their
    Elastic IPs."""
    names = call.services.groups.names([g for e in enis for g in e.group_ids])
    eips = elastic_ips_by_interface(call, enis)
    return [shapes.network_interface(e, names, eips) for e in enis]


@action("CreateNetworkInterface")
def create_network_interface(call: Call) -> dict[str, Any]:
    reject_unsupported(
        call,
        "Ipv6Addresses",
        "Ipv4Prefixes",
        "Ipv4PrefixCount",
        "Ipv6Prefixes",
        "Ipv6PrefixCount",
    )
    tags = tag_specs(call, accepted={"network-interface"}, default="network-interface")
    primary, secondary = split_private_ips(call.get("PrivateIpAddresses"))
    eni = call.services.interfaces.create(
        call.get("SubnetId"),
        call.get("Groups") or (),
        private_ip=call.get("PrivateIpAddress") or primary,
        description=call.get("Description"),
        tracking=tracking(call.get("ConnectionTrackingSpecification")),
        ipv6_count=call.get("Ipv6AddressCount"),
        tags=tags.get("network-interface", ()),
        secondary_ips=secondary,
        secondary_count=call.get("SecondaryPrivateIpAddressCount"),
    )
    return {"NetworkInterface": interface_shapes(call, [eni])[0]}


@action("DescribeNetworkInterfaces")
def describe_network_interfaces(call: Call) -> dict[str, Any]:
    ids = call.get("NetworkInterfaceIds") or ()
    if ids and call.get("MaxResults") is not None:
        raise invalid_combination(
            "The parameter NetworkInterfaceIds cannot be used with the parameter maxResults"
        )
    enis = call.services.interfaces.describe(ids)
    selected = select(call, interface_shapes(call, enis), _ALIASES)
    items, token = page(call, selected, lambda s: s["NetworkInterfaceId"])
    return with_token({"NetworkInterfaces": items}, token)


@action("DeleteNetworkInterface")
def delete_network_interface(call: Call) -> None:
    call.services.interfaces.delete(call.get("NetworkInterfaceId"))


@action("AttachNetworkInterface")
def attach_network_interface(call: Call) -> dict[str, Any]:
    if call.get("NetworkCardIndex") not in (None, 0):
        reject_unsupported(call, "NetworkCardIndex")
    attachment = call.services.interfaces.attach(
        call.get("NetworkInterfaceId"), call.get("InstanceId"), call.get("DeviceIndex")
    )
    return {"AttachmentId": attachment, "NetworkCardIndex": 0}


@action("DetachNetworkInterface")
def detach_network_interface(call: Call) -> None:
    call.services.interfaces.detach(call.get("AttachmentId"))


@action("ModifyNetworkInterfaceAttribute")
def modify_network_interface_attribute(call: Call) -> None:
    reject_unsupported(
        call, "Attachment", "AssociatePublicIpAddress", "EnaSrdSpecification", "EnablePrimaryIpv6"
    )
    call.services.interfaces.modify_attribute(
        call.get("NetworkInterfaceId"),
        group_ids=call.get("Groups"),
        tracking=tracking(call.get("ConnectionTrackingSpecification")),
        description=attribute_value(call.get("Description")),
        source_dest_check=attribute_value(call.get("SourceDestCheck")),
    )


@action("AssignPrivateIpAddresses")
def assign_private_ip_addresses(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "Ipv4Prefixes", "Ipv4PrefixCount")
    named = list(dict.fromkeys(call.get("PrivateIpAddresses") or ()))
    count = call.get("SecondaryPrivateIpAddressCount")
    eni = call.services.interfaces.assign_private_ips(
        call.get("NetworkInterfaceId"),
        named,
        count,
        bool(call.get("AllowReassignment")),
    )
    added = eni.secondary_private_ips[-(len(named) or count) :]  # appended, in order
    return {
        "NetworkInterfaceId": eni.eni_id,
        "AssignedPrivateIpAddresses": [{"PrivateIpAddress": a} for a in added],
    }


@action("UnassignPrivateIpAddresses")
def unassign_private_ip_addresses(call: Call) -> None:
    reject_unsupported(call, "Ipv4Prefixes")
    call.services.interfaces.unassign_private_ips(
        call.get("NetworkInterfaceId"), call.get("PrivateIpAddresses") or ()
    )


@action("AssignIpv6Addresses")
def assign_ipv6_addresses(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "Ipv6Prefixes", "Ipv6PrefixCount")
    eni, assigned = call.services.interfaces.assign_ipv6_addresses(
        call.get("NetworkInterfaceId"),
        call.get("Ipv6Addresses") or (),
        call.get("Ipv6AddressCount"),
    )
    return {"NetworkInterfaceId": eni.eni_id, "AssignedIpv6Addresses": assigned}


@action("UnassignIpv6Addresses")
def unassign_ipv6_addresses(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "Ipv6Prefixes")
    named = call.get("Ipv6Addresses") or ()
    eni = call.services.interfaces.unassign_ipv6_addresses(call.get("NetworkInterfaceId"), named)
    return {"NetworkInterfaceId": eni.eni_id, "UnassignedIpv6Addresses": list(named)}
