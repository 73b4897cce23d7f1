"""An Elastic IP's PTR record (Ansible's ``ec2_eip`` reads and sets it)."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.describe import page, with_token
from stockade.api.actions.registry import Call, action
from stockade.service.address_attributes import check_attribute
from stockade.shapes.settings import address_attribute as _address


@action("DescribeAddressesAttribute")
def describe_addresses_attribute(call: Call) -> dict[str, Any]:
    check_attribute(call.get("Attribute"))
    found = call.services.address_attributes.ptr_records(call.get("AllocationIds") or ())
    shaped = [_address(eip, record) for eip, record in found]
    items, token = page(call, shaped, lambda s: s["AllocationId"], minimum=1, maximum=1000)
    return with_token({"Addresses": items}, token)


@action("ModifyAddressAttribute")
def modify_address_attribute(call: Call) -> dict[str, Any]:
    eip = call.services.address_attributes.set_ptr_record(
        call.get("AllocationId"), call.get("DomainName")
    )
    address = _address(eip, None)
    address["PtrRecordUpdate"] = {"Value": call.get("DomainName"), "Status": "PENDING"}
    return {"Address": address}


@action("ResetAddressAttribute")
def reset_address_attribute(call: Call) -> dict[str, Any]:
    eip = call.services.address_attributes.reset_ptr_record(
        call.get("AllocationId"), call.get("Attribute")
    )
    address = _address(eip, None)
    address["PtrRecordUpdate"] = {"Value": "", "Status": "PENDING"}
    return {"Address": address}
