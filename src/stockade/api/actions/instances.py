"""Instances: run, describe, start, stop, terminate, and their security groups."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.api.actions.addresses import elastic_ips_by_interface
from stockade.api.actions.common import (
    reject_unsupported,
    split_private_ips,
    tag_specs,
    tracking,
)
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.instance_options import metadata_request, profile_given
from stockade.api.actions.registry import Call, action
from stockade.domain.errors import invalid_combination
from stockade.domain.instance_types import (
    DEFAULT_INSTANCE_TYPE,
    check_credit_option,
    launchable_type,
)
from stockade.service.contracts import InstanceDetail, InterfaceSpec, LaunchRequest, StateChange
from stockade.shapes import instances as shapes

_ALIASES: dict[str, Any] = {
    "instance-state-name": "State.Name",
    "instance-state-code": "State.Code",
    "instance.group-id": "SecurityGroups.GroupId",
    "instance.group-name": "SecurityGroups.GroupName",
    "ip-address": "PublicIpAddress",
    "dns-name": "PublicDnsName",
    "availability-zone": "Placement.AvailabilityZone",
    "tenancy": "Placement.Tenancy",
    "monitoring-state": "Monitoring.State",
    "launch-index": "AmiLaunchIndex",
    "ipv6-address": "NetworkInterfaces.Ipv6Addresses.Ipv6Address",
    "network-interface.ipv6-address": "NetworkInterfaces.Ipv6Addresses.Ipv6Address",
    "network-interface.group-id": "NetworkInterfaces.Groups.GroupId",
    "network-interface.group-name": "NetworkInterfaces.Groups.GroupName",
    **{
        f"network-interface.addresses.{name}": f"NetworkInterfaces.PrivateIpAddresses.{path}"
        for name, path in (
            ("private-ip-address", "PrivateIpAddress"),
            ("private-dns-name", "PrivateDnsName"),
            ("primary", "Primary"),
            ("association.public-ip", "Association.PublicIp"),
            ("association.ip-owner-id", "Association.IpOwnerId"),
            ("association.allocation-id", "Association.AllocationId"),
            ("association.association-id", "Association.AssociationId"),
            ("association.public-dns-name", "Association.PublicDnsName"),
        )
    },
    "network-interface.availability-zone": "Placement.AvailabilityZone",
}
#: TagSpecification resource types RunInstances accepts; only the first two are modelled.
_RUN_TAGGABLE = {"instance", "network-interface", "volume", "spot-instances-request"}


def _names(call: Call, details: Sequence[InstanceDetail]) -> dict[str, str]:
    return call.services.groups.names(
        [g for d in details for e in d.interfaces for g in e.group_ids]
    )


def _interface_spec(item: dict[str, Any]) -> InterfaceSpec:
    primary, secondary = split_private_ips(item.get("PrivateIpAddresses"))
    return InterfaceSpec(
        device_index=item.get("DeviceIndex"),
        subnet_id=item.get("SubnetId"),
        group_ids=tuple(item.get("Groups") or ()),
        associate_public_ip=item.get("AssociatePublicIpAddress"),
        private_ip=item.get("PrivateIpAddress") or primary,
        secondary_ips=secondary,
        secondary_count=item.get("SecondaryPrivateIpAddressCount"),
        network_interface_id=item.get("NetworkInterfaceId"),
        ipv6_count=item.get("Ipv6AddressCount"),
        tracking=tracking(item.get("ConnectionTrackingSpecification")),
        description=item.get("Description"),
    )


@action("RunInstances")
def run_instances(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "LaunchTemplate", "Ipv6Addresses")
    tags = tag_specs(call, accepted=_RUN_TAGGABLE, default="instance")
    instance_type = call.get("InstanceType") or DEFAULT_INSTANCE_TYPE
    credits = (call.get("CreditSpecification") or {}).get("CpuCredits")
    check_credit_option(launchable_type(instance_type), credits)
    given_metadata = call.get("MetadataOptions")
    metadata = metadata_request(given_metadata) if given_metadata is not None else None
    monitoring = bool((call.get("Monitoring") or {}).get("Enabled"))
    options = call.services.instance_options
    profile = options.check_launch(metadata, *profile_given(call))  # refused before any launch
    request = LaunchRequest(
        image_id=call.get("ImageId") or "ami-00000000000000000",
        instance_type=instance_type,
        min_count=call.get("MinCount"),
        max_count=call.get("MaxCount"),
        subnet_id=call.get("SubnetId"),
        group_ids=tuple(call.get("SecurityGroupIds") or ()),
        group_names=tuple(call.get("SecurityGroups") or ()),
        interfaces=tuple(_interface_spec(i) for i in call.get("NetworkInterfaces") or ()),
        private_ip=call.get("PrivateIpAddress"),
        key_name=call.get("KeyName"),
        tags=tags.get("instance", ()),
        interface_tags=tags.get("network-interface", ()),
    )
    details = call.services.instances.run(request)
    launched = options.apply_at_launch(
        [d.instance.instance_id for d in details], monitoring, metadata, profile
    )
    names = _names(call, details)
    instances = [
        shapes.instance(
            d.instance,
            d.interfaces,
            names,
            state_override="pending",
            launch_index=i,
            options=launched.get(d.instance.instance_id, shapes.DEFAULT_OPTIONS),
        )
        for i, d in enumerate(details)
    ]
    first = details[0].instance
    return shapes.reservation(first.reservation_id, first.owner_id, instances)


@action("DescribeInstances")
def describe_instances(call: Call) -> dict[str, Any]:
    ids = call.get("InstanceIds") or ()
    if ids and call.get("MaxResults") is not None:
        raise invalid_combination(
            "The parameter instancesSet cannot be used with the parameter maxResults"
        )
    details = call.services.instances.describe(ids)
    names = _names(call, details)
    eips = elastic_ips_by_interface(call, (e for d in details for e in d.interfaces))
    by_id = {d.instance.instance_id: d.instance for d in details}
    aliases = {
        **_ALIASES,
        "reservation-id": lambda s: [by_id[s["InstanceId"]].reservation_id],
        "owner-id": lambda s: [by_id[s["InstanceId"]].owner_id],
    }
    options = call.services.instance_options.options()
    all_shapes = [
        shapes.instance(
            d.instance,
            d.interfaces,
            names,
            eips=eips,
            options=options.get(d.instance.instance_id, shapes.DEFAULT_OPTIONS),
        )
        for d in details
    ]
    items, token = page(
        call, select(call, all_shapes, aliases), lambda s: s["InstanceId"], minimum=5, maximum=1000
    )
    reservations: dict[str, dict[str, Any]] = {}
    for item in items:
        inst = by_id[item["InstanceId"]]
        reservation = reservations.setdefault(
            inst.reservation_id, shapes.reservation(inst.reservation_id, inst.owner_id, [])
        )
        reservation["Instances"].append(item)
    return with_token({"Reservations": list(reservations.values())}, token)


def _changes(changes: list[StateChange]) -> list[dict[str, Any]]:
    return [
        {
            "InstanceId": c.instance_id,
            "PreviousState": {"Code": c.previous.code, "Name": c.previous.value},
            "CurrentState": {"Code": c.current.code, "Name": c.current.value},
        }
        for c in changes
    ]


@action("StartInstances")
def start_instances(call: Call) -> dict[str, Any]:
    return {"StartingInstances": _changes(call.services.instances.start(call.get("InstanceIds")))}


@action("StopInstances")
def stop_instances(call: Call) -> dict[str, Any]:
    return {"StoppingInstances": _changes(call.services.instances.stop(call.get("InstanceIds")))}


@action("TerminateInstances")
def terminate_instances(call: Call) -> dict[str, Any]:
    changes = call.services.instances.terminate(call.get("InstanceIds"))
    return {"TerminatingInstances": _changes(changes)}
