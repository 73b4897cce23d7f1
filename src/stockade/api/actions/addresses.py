"""Elastic IPs: allocate, associate, disassociate, release, describe."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from stockade.api.actions.common import reject_unsupported, tag_specs
from stockade.api.actions.describe import select
from stockade.api.actions.registry import Call, action
from stockade.api.filters import TAG_FILTERS, compile_filters
from stockade.api.model import model_filter_names
from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.errors import AwsError
from stockade.domain.interface import NetworkInterface
from stockade.shapes import gateways as shapes

#: The model's filters, plus ``domain``, which botocore's own examples use.
_FILTERS = model_filter_names("DescribeAddresses") | {"domain", TAG_FILTERS}


def elastic_ips_by_interface(
    call: Call, interfaces: Iterable[NetworkInterface]
) -> dict[str, ElasticIp]:
    """Interface id -> its Elastic IP, for the interface shapes' ``Association`` (read only
    when some interface has a public IPv4 at all)."""
    if not any(e.public_ip for e in interfaces):
        return {}
    return {
        e.network_interface_id: e
        for e in call.services.addresses.describe()
        if e.network_interface_id
    }


@action("AllocateAddress")
def allocate_address(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "Address", "CustomerOwnedIpv4Pool", "IpamPoolId")
    pool = call.get("PublicIpv4Pool")
    if pool not in (None, "amazon"):
        raise AwsError("UnsupportedOperation", "Only the 'amazon' public IPv4 pool exists.")
    border = call.get("NetworkBorderGroup")
    if border not in (None, call.region):
        raise AwsError(
            "InvalidParameterValue", f"The network border group {border} is not {call.region}."
        )
    tags = tag_specs(call, accepted={"elastic-ip"}, default="elastic-ip")
    eip = call.services.addresses.allocate(call.get("Domain"), tags.get("elastic-ip", ()))
    return shapes.allocated(eip)


@action("AssociateAddress")
def associate_address(call: Call) -> dict[str, Any]:
    eip = call.services.addresses.associate(
        call.get("AllocationId"),
        instance_id=call.get("InstanceId"),
        eni_id=call.get("NetworkInterfaceId"),
        private_ip=call.get("PrivateIpAddress"),
        allow_reassociation=call.get("AllowReassociation"),
        public_ip=call.get("PublicIp"),
    )
    return {"AssociationId": eip.association_id}


@action("DisassociateAddress")
def disassociate_address(call: Call) -> None:
    call.services.addresses.disassociate(call.get("AssociationId"), call.get("PublicIp"))


@action("ReleaseAddress")
def release_address(call: Call) -> None:
    call.services.addresses.release(call.get("AllocationId"), call.get("PublicIp"))


@action("DescribeAddresses")
def describe_addresses(call: Call) -> dict[str, Any]:
    fs = compile_filters(call.get("Filters"), _FILTERS)
    found = call.services.addresses.describe(
        call.get("PublicIps") or (), call.get("AllocationIds") or ()
    )
    return {"Addresses": select(call, [shapes.address(e) for e in found], fs=fs)}
