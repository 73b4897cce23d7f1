"""Prefix lists, network interfaces, instances and tags through a stockade server."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from stockade.domain.instance import InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.service.contracts import (
    Entry,
    InstanceDetail,
    LaunchRequest,
    StateChange,
    TrackingRequest,
)
from stockade.shapes import read_instances, read_network, tag_list


def _entries(values: Sequence[Entry]) -> list[dict[str, str]] | None:
    items = [{"Cidr": c, **({"Description": d} if d else {})} for c, d in values]
    return items or None


def _specs(kind: str, tags: RawTags) -> list[dict[str, Any]]:
    return [{"ResourceType": kind, "Tags": tag_list(tags)}] if tags else []


def _tracking(t: TrackingRequest | None) -> dict[str, int] | None:
    if t is None:
        return None
    values = {
        "TcpEstablishedTimeout": t.tcp_established_timeout,
        "UdpStreamTimeout": t.udp_stream_timeout,
        "UdpTimeout": t.udp_timeout,
    }
    return {k: v for k, v in values.items() if v is not None}


class RemotePrefixListService(Remote):
    """:class:`stockade.service.prefix_lists.PrefixListService`, over the EC2 API."""

    def _with_entries(self, shape: dict[str, Any]) -> PrefixList:
        entries = self.pages(
            "get_managed_prefix_list_entries", "Entries", PrefixListId=shape["PrefixListId"]
        )
        listed = self.read({"Entries": list(entries)}, "get_managed_prefix_list_entries")
        return read_network.prefix_list(
            self.read(shape, "describe_managed_prefix_lists"), self.origin, listed
        )

    def create(
        self,
        name: str | None,
        max_entries: int | None,
        address_family: str | None,
        entries: Sequence[Entry] = (),
        tags: RawTags = (),
    ) -> PrefixList:
        shape = self.call(
            "create_managed_prefix_list",
            PrefixListName=name,
            MaxEntries=max_entries,
            AddressFamily=address_family,
            Entries=_entries(entries),
            TagSpecifications=_specs("prefix-list", tags) or None,
        )["PrefixList"]
        return self._with_entries(shape)

    def describe(self, prefix_list_ids: Sequence[str] = ()) -> list[PrefixList]:
        shapes = self.pages(
            "describe_managed_prefix_lists",
            "PrefixLists",
            PrefixListIds=list(prefix_list_ids) or None,
        )
        return [self._with_entries(s) for s in shapes]

    def entries(self, prefix_list_id: str, version: int | None = None) -> list[PrefixListEntry]:
        shapes = self.pages(
            "get_managed_prefix_list_entries",
            "Entries",
            PrefixListId=prefix_list_id,
            TargetVersion=version,
        )
        listed = self.read({"Entries": list(shapes)}, "get_managed_prefix_list_entries")
        return list(read_network.prefix_list_entries(listed, None))

    def modify(
        self,
        prefix_list_id: str,
        current_version: int | None = None,
        name: str | None = None,
        add: Sequence[Entry] = (),
        remove: Sequence[str] = (),
        max_entries: int | None = None,
    ) -> PrefixList:
        shape = self.call(
            "modify_managed_prefix_list",
            PrefixListId=prefix_list_id,
            CurrentVersion=current_version,
            PrefixListName=name,
            AddEntries=_entries(add),
            RemoveEntries=[{"Cidr": c} for c in remove] or None,
            MaxEntries=max_entries,
        )["PrefixList"]
        return self._with_entries(shape)

    def delete(self, prefix_list_id: str) -> PrefixList:
        shape = self.call("delete_managed_prefix_list", PrefixListId=prefix_list_id)
        answer = self.read(shape["PrefixList"], "delete_managed_prefix_list")
        return read_network.prefix_list(answer, self.origin, None)


class RemoteInterfaceService(Remote):
    """:class:`stockade.service.interfaces.InterfaceService`, over the EC2 API."""

    def create(
        self,
        subnet_id: str,
        group_ids: Sequence[str] = (),
        private_ip: str | None = None,
        description: str | None = None,
        tracking: TrackingRequest | None = None,
        ipv6_count: int | None = None,
        tags: RawTags = (),
    ) -> NetworkInterface:
        shape = self.call(
            "create_network_interface",
            SubnetId=subnet_id,
            Groups=list(group_ids) or None,
            PrivateIpAddress=private_ip,
            Description=description,
            ConnectionTrackingSpecification=_tracking(tracking),
            Ipv6AddressCount=ipv6_count,
            TagSpecifications=_specs("network-interface", tags) or None,
        )["NetworkInterface"]
        return read_instances.network_interface(
            self.read(shape, "create_network_interface"), self.origin
        )

    def describe(self, eni_ids: Sequence[str] = ()) -> list[NetworkInterface]:
        shapes = self.pages(
            "describe_network_interfaces",
            "NetworkInterfaces",
            NetworkInterfaceIds=list(eni_ids) or None,
        )
        return [
            read_instances.network_interface(
                self.read(s, "describe_network_interfaces"), self.origin
            )
            for s in shapes
        ]

    def delete(self, eni_id: str) -> None:
        self.call("delete_network_interface", NetworkInterfaceId=eni_id)

    def attach(self, eni_id: str, instance_id: str, device_index: int | None) -> str:
        return self.call(
            "attach_network_interface",
            NetworkInterfaceId=eni_id,
            InstanceId=instance_id,
            DeviceIndex=device_index,
        )["AttachmentId"]

    def detach(self, attachment_id: str) -> None:
        self.call("detach_network_interface", AttachmentId=attachment_id)

    def modify_attribute(
        self,
        eni_id: str,
        group_ids: Sequence[str] | None = None,
        tracking: TrackingRequest | None = None,
        description: str | None = None,
        source_dest_check: bool | None = None,
    ) -> NetworkInterface:
        self.call(
            "modify_network_interface_attribute",
            NetworkInterfaceId=eni_id,
            Groups=list(group_ids) if group_ids is not None else None,
            ConnectionTrackingSpecification=_tracking(tracking),
            Description={"Value": description} if description is not None else None,
            SourceDestCheck={"Value": source_dest_check} if source_dest_check is not None else None,
        )
        return self.describe([eni_id])[0]


class RemoteInstanceService(Remote):
    """:class:`stockade.service.instances.InstanceService`, over the EC2 API."""

    def _details(self, reservations: list[dict[str, Any]]) -> list[InstanceDetail]:
        out = []
        for reservation in reservations:
            node = self.read(reservation, "describe_instances")
            for shape in node.items("Instances"):
                inst, enis = read_instances.instance(shape, node, self.origin)
                out.append(InstanceDetail(inst, tuple(eni for eni, _ in enis)))
        return out

    def run(self, request: LaunchRequest) -> list[InstanceDetail]:
        r = request
        interfaces = [
            {
                k: v
                for k, v in {
                    "DeviceIndex": i.device_index,
                    "SubnetId": i.subnet_id,
                    "Groups": list(i.group_ids) or None,
                    "AssociatePublicIpAddress": i.associate_public_ip,
                    "PrivateIpAddress": i.private_ip,
                    "NetworkInterfaceId": i.network_interface_id,
                    "Ipv6AddressCount": i.ipv6_count,
                    "ConnectionTrackingSpecification": _tracking(i.tracking),
                    "Description": i.description,
                }.items()
                if v is not None
            }
            for i in r.interfaces
        ]
        if not interfaces and r.associate_public_ip is not None:
            # EC2 takes AssociatePublicIpAddress only per interface.
            interfaces = [
                {
                    k: v
                    for k, v in {
                        "DeviceIndex": 0,
                        "SubnetId": r.subnet_id,
                        "Groups": list(r.group_ids) or None,
                        "AssociatePublicIpAddress": r.associate_public_ip,
                        "PrivateIpAddress": r.private_ip,
                    }.items()
                    if v is not None
                }
            ]
        plain = not interfaces
        reservation = self.call(
            "run_instances",
            ImageId=r.image_id,
            InstanceType=r.instance_type,
            MinCount=r.min_count,
            MaxCount=r.max_count,
            SubnetId=r.subnet_id if plain else None,
            SecurityGroupIds=(list(r.group_ids) or None) if plain else None,
            SecurityGroups=list(r.group_names) or None,
            PrivateIpAddress=r.private_ip if plain else None,
            NetworkInterfaces=interfaces or None,
            KeyName=r.key_name,
            TagSpecifications=(
                _specs("instance", r.tags) + _specs("network-interface", r.interface_tags)
            )
            or None,
        )
        return self.describe([i["InstanceId"] for i in reservation["Instances"]])

    def describe(self, instance_ids: Sequence[str] = ()) -> list[InstanceDetail]:
        reservations = self.pages(
            "describe_instances", "Reservations", InstanceIds=list(instance_ids) or None
        )
        return self._details(list(reservations))

    def get(self, instance_id: str) -> InstanceDetail:
        return self.describe([instance_id])[0]

    def _transition(
        self, operation: str, key: str, instance_ids: Sequence[str]
    ) -> list[StateChange]:
        changes = self.call(operation, InstanceIds=list(instance_ids))[key]
        return [
            StateChange(
                c["InstanceId"],
                InstanceState(c["PreviousState"]["Name"]),
                InstanceState(c["CurrentState"]["Name"]),
            )
            for c in changes
        ]

    def start(self, instance_ids: Sequence[str]) -> list[StateChange]:
        return self._transition("start_instances", "StartingInstances", instance_ids)

    def stop(self, instance_ids: Sequence[str]) -> list[StateChange]:
        return self._transition("stop_instances", "StoppingInstances", instance_ids)

    def terminate(self, instance_ids: Sequence[str]) -> list[StateChange]:
        return self._transition("terminate_instances", "TerminatingInstances", instance_ids)

    def modify_groups(self, instance_id: str, group_ids: Sequence[str]) -> InstanceDetail:
        self.call("modify_instance_attribute", InstanceId=instance_id, Groups=list(group_ids))
        return self.get(instance_id)

    def modify_type(self, instance_id: str, type_name: str) -> InstanceDetail:
        self.call(
            "modify_instance_attribute", InstanceId=instance_id, InstanceType={"Value": type_name}
        )
        return self.get(instance_id)


class RemoteTagService(Remote):
    """:class:`stockade.service.tags.TagService`, over the EC2 API."""

    def create_tags(self, resource_ids: Sequence[str], tags: RawTags) -> None:
        self.call("create_tags", Resources=list(resource_ids), Tags=tag_list(tags))

    def delete_tags(
        self, resource_ids: Sequence[str], tags: Sequence[tuple[str, str | None]] = ()
    ) -> None:
        items = [{"Key": k, **({"Value": v} if v is not None else {})} for k, v in tags]
        self.call("delete_tags", Resources=list(resource_ids), Tags=items or None)

    def list_tags(self) -> list[tuple[str, str, str]]:
        return [
            (t["ResourceId"], t["Key"], t["Value"]) for t in self.pages("describe_tags", "Tags")
        ]
