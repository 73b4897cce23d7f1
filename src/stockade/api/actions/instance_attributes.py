"""DescribeInstanceAttribute (all sixteen attributes) and ModifyInstanceAttribute.

Terraform reads four attributes of every instance on every plan, Ansible's ``ec2_instance``
and Prowler more; which ones stockade keeps, and what it reports for the rest, is
:mod:`stockade.domain.instance_attributes`.
"""

from __future__ import annotations

from typing import Any

from stockade.api.actions.registry import Call, action
from stockade.domain import errors
from stockade.domain import instance_attributes as attrs
from stockade.domain.images import ROOT_DEVICE
from stockade.domain.instance import InstanceState
from stockade.domain.instance_types import instance_type
from stockade.domain.volumes import root_volume
from stockade.service.contracts import InstanceDetail
from stockade.shapes.catalogue import root_device_mapping


def _wrapped(value: Any) -> dict[str, Any]:
    return {} if value is None else {"Value": value}


def _groups(call: Call, detail: InstanceDetail) -> list[dict[str, str]]:
    names = call.services.groups.names(list(detail.group_ids))
    return [{"GroupId": g, "GroupName": names.get(g, "")} for g in detail.group_ids]


@action("DescribeInstanceAttribute")
def describe_instance_attribute(call: Call) -> dict[str, Any]:
    attribute = call.get("Attribute")
    member = attrs.ATTRIBUTE_MEMBERS.get(attribute)
    if member is None:
        raise attrs.unknown_attribute(attribute)
    detail = call.services.instances.get(call.get("InstanceId"))
    inst = detail.instance
    data: dict[str, Any] = {"InstanceId": inst.instance_id}
    defaults = attrs.defaults(instance_type(inst.instance_type))
    if member == "Groups":
        data["Groups"] = _groups(call, detail)
    elif member == "InstanceType":
        data["InstanceType"] = {"Value": inst.instance_type}
    elif member == "SourceDestCheck":
        primary = detail.primary
        data["SourceDestCheck"] = {"Value": primary.source_dest_check if primary else True}
    elif member == "RootDeviceName":
        data["RootDeviceName"] = {"Value": ROOT_DEVICE}
    elif member == "BlockDeviceMappings":
        volume = root_volume(inst)
        data["BlockDeviceMappings"] = [root_device_mapping(volume)] if volume else []
    elif member == "ProductCodes":
        data["ProductCodes"] = []
    elif member == "EnclaveOptions":
        data["EnclaveOptions"] = {"Enabled": False}
    else:
        key = {"KernelId": "Kernel", "RamdiskId": "Ramdisk"}.get(member, member)
        data[member] = _wrapped(defaults[key])
    return data


def _requested_changes(call: Call) -> dict[str, Any]:
    """member -> new value, from the structured members and the ``Attribute``/``Value`` form."""
    changes: dict[str, Any] = {}
    for member in set(attrs.MODIFY_MEMBERS.values()) | {"BlockDeviceMappings", "EnclaveOptions"}:
        given = call.get(member)
        if given is None:
            continue
        if member == "Groups" or member == "BlockDeviceMappings":
            changes[member] = given
        elif member == "EnclaveOptions":
            changes[member] = given.get("Enabled") or None  # disabled: EC2's only state
        else:
            changes[member] = given.get("Value")
    name = call.get("Attribute")
    if name is not None:
        named = attrs.MODIFY_MEMBERS.get(name)
        if named is None:
            raise attrs.unknown_attribute(name)
        value = call.get("Value")
        if named in attrs.BOOLEAN_MEMBERS:
            if value not in ("true", "false"):
                raise errors.invalid_value(name, value)
            value = value == "true"
        changes[named] = [value] if named == "Groups" else value
    return changes


@action("ModifyInstanceAttribute")
def modify_instance_attribute(call: Call) -> None:
    member, value = attrs.one_change(_requested_changes(call))
    instance_id = call.get("InstanceId")
    if member == "Groups":
        call.services.instances.modify_groups(instance_id, value)
        return
    if member == "InstanceType":
        call.services.instances.modify_type(instance_id, value)
        return
    detail = call.services.instances.get(instance_id)
    if detail.instance.state is InstanceState.TERMINATED:
        raise errors.incorrect_instance_state(instance_id, "terminated", "modified")
    if member == "SourceDestCheck":
        if len(detail.interfaces) > 1:
            raise errors.multiple_interfaces(instance_id)
        primary = detail.primary
        if primary is None or not isinstance(value, bool):
            raise errors.invalid_value("SourceDestCheck", value)
        call.services.interfaces.modify_attribute(primary.eni_id, source_dest_check=value)
        return
    attrs.check_unkept_value(member, value, instance_type(detail.instance.instance_type))
