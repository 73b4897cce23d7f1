"""NetworkInterface, Instance and Reservation shapes.

Group names are looked up by the caller (``names``: group id → name) because interfaces
store only ids; so are Elastic IPs (``eips``: interface id → its Elastic IP), whose
``Association`` names the allocation and the account instead of ``amazon``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.instance_options import InstanceOptions, MetadataOptions, ProfileAssociation
from stockade.domain.instance_types import instance_type
from stockade.domain.interface import NetworkInterface
from stockade.domain.volumes import root_volume
from stockade.shapes import tag_list
from stockade.shapes.catalogue import root_device_mapping
from stockade.shapes.gateways import interface_association

#: interface id -> the Elastic IP associated with it
ElasticIps = Mapping[str, ElasticIp]
_NONE: ElasticIps = {}


def _dns(ip: str, region: str) -> str:
    suffix = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
    return f"ip-{ip.replace('.', '-')}.{suffix}"


def public_dns_name(ip: str, region: str) -> str:
    """The public DNS name AWS gives a public IPv4 (also an Elastic IP's default PTR record)."""
    suffix = (
        "compute-1.amazonaws.com" if region == "us-east-1" else f"{region}.compute.amazonaws.com"
    )
    return f"ec2-{ip.replace('.', '-')}.{suffix}"


def _groups(eni: NetworkInterface, names: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"GroupId": g, "GroupName": names.get(g, "")} for g in eni.group_ids]


def _association(eni: NetworkInterface, eips: ElasticIps) -> dict[str, Any] | None:
    if not eni.public_ip:
        return None
    eip = eips.get(eni.eni_id)
    if eip is not None and eip.public_ip == eni.public_ip:
        return interface_association(eip, public_dns_name(eni.public_ip, eni.region))
    return {
        "IpOwnerId": "amazon",
        "PublicIp": eni.public_ip,
        "PublicDnsName": public_dns_name(eni.public_ip, eni.region),
    }


def _private_ips(eni: NetworkInterface, eips: ElasticIps) -> list[dict[str, Any]]:
    item: dict[str, Any] = {
        "Primary": True,
        "PrivateIpAddress": eni.private_ip,
        "PrivateDnsName": _dns(eni.private_ip, eni.region),
    }
    if (assoc := _association(eni, eips)) is not None:
        item["Association"] = assoc
    secondary = [
        {"Primary": False, "PrivateIpAddress": a, "PrivateDnsName": _dns(a, eni.region)}
        for a in eni.secondary_private_ips
    ]
    return [item, *secondary]


def _tracking(eni: NetworkInterface) -> dict[str, int]:
    ct = eni.connection_tracking
    return {
        "TcpEstablishedTimeout": ct.tcp_established_timeout,
        "UdpStreamTimeout": ct.udp_stream_timeout,
        "UdpTimeout": ct.udp_timeout,
    }


def network_interface(
    eni: NetworkInterface, names: Mapping[str, str], eips: ElasticIps = _NONE
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "NetworkInterfaceId": eni.eni_id,
        "AvailabilityZone": eni.availability_zone,
        "Description": eni.description,
        "Groups": _groups(eni, names),
        "InterfaceType": eni.interface_type,
        "Ipv6Addresses": [{"Ipv6Address": a} for a in eni.ipv6_addresses],
        "MacAddress": eni.mac_address,
        "OwnerId": eni.owner_id,
        "PrivateDnsName": _dns(eni.private_ip, eni.region),
        "PrivateIpAddress": eni.private_ip,
        "PrivateIpAddresses": _private_ips(eni, eips),
        "RequesterManaged": False,
        "SourceDestCheck": eni.source_dest_check,
        "Status": eni.status,
        "SubnetId": eni.subnet_id,
        "VpcId": eni.vpc_id,
        "TagSet": tag_list(eni.tags),
    }
    if eni.connection_tracking_set:
        out["ConnectionTrackingConfiguration"] = _tracking(eni)
    if (assoc := _association(eni, eips)) is not None:
        out["Association"] = assoc
    if eni.instance_id:
        out["Attachment"] = {
            "AttachmentId": eni.attachment_id,
            "DeleteOnTermination": eni.delete_on_termination,
            "DeviceIndex": eni.device_index,
            "NetworkCardIndex": 0,
            "InstanceId": eni.instance_id,
            "InstanceOwnerId": eni.owner_id,
            "Status": "attached",
        }
    return out


def instance_network_interface(
    eni: NetworkInterface, names: Mapping[str, str], eips: ElasticIps = _NONE
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "Attachment": {
            "AttachmentId": eni.attachment_id,
            "DeleteOnTermination": eni.delete_on_termination,
            "DeviceIndex": eni.device_index,
            "NetworkCardIndex": 0,
            "Status": "attached",
        },
        "Description": eni.description,
        "Groups": _groups(eni, names),
        "Ipv6Addresses": [{"Ipv6Address": a} for a in eni.ipv6_addresses],
        "MacAddress": eni.mac_address,
        "NetworkInterfaceId": eni.eni_id,
        "OwnerId": eni.owner_id,
        "PrivateDnsName": _dns(eni.private_ip, eni.region),
        "PrivateIpAddress": eni.private_ip,
        "PrivateIpAddresses": _private_ips(eni, eips),
        "SourceDestCheck": eni.source_dest_check,
        "Status": eni.status,
        "SubnetId": eni.subnet_id,
        "VpcId": eni.vpc_id,
        "InterfaceType": eni.interface_type,
    }
    if eni.connection_tracking_set:
        out["ConnectionTrackingConfiguration"] = _tracking(eni)
    if (assoc := _association(eni, eips)) is not None:
        out["Association"] = assoc
    return out


DEFAULT_OPTIONS = InstanceOptions()


def metadata_options(options: MetadataOptions) -> dict[str, Any]:
    """``InstanceMetadataOptionsResponse``'s members but ``State``."""
    return {
        "HttpTokens": options.http_tokens,
        "HttpPutResponseHopLimit": options.http_put_response_hop_limit,
        "HttpEndpoint": options.http_endpoint,
        "HttpProtocolIpv6": options.http_protocol_ipv6,
        "InstanceMetadataTags": options.instance_metadata_tags,
    }


def profile_association(association: ProfileAssociation, state: str) -> dict[str, Any]:
    """An ``IamInstanceProfileAssociation``."""
    return {
        "AssociationId": association.association_id,
        "InstanceId": association.instance_id,
        "IamInstanceProfile": {"Arn": association.arn, "Id": association.profile_id},
        "State": state,
        "Timestamp": association.timestamp,
    }


def instance(
    inst: Instance,
    interfaces: tuple[NetworkInterface, ...],
    names: Mapping[str, str],
    state_override: str | None = None,
    launch_index: int = 0,
    eips: ElasticIps = _NONE,
    options: InstanceOptions = DEFAULT_OPTIONS,
) -> dict[str, Any]:
    primary = next((e for e in interfaces if e.device_index == 0), None)
    state = state_override or inst.state.value
    kind = instance_type(inst.instance_type)
    volume = root_volume(inst)
    out: dict[str, Any] = {
        "AmiLaunchIndex": launch_index,
        "ImageId": inst.image_id,
        "InstanceId": inst.instance_id,
        "InstanceType": inst.instance_type,
        "LaunchTime": inst.launch_time,
        "Placement": {"AvailabilityZone": inst.availability_zone, "Tenancy": "default"},
        "State": {"Code": InstanceState(state).code, "Name": state},
        "StateTransitionReason": "",
        "Architecture": kind.architecture if kind else "x86_64",
        "EbsOptimized": bool(kind and kind.ebs_optimized_by_default),
        "RootDeviceType": "ebs",
        "RootDeviceName": "/dev/xvda",
        "Hypervisor": "xen",
        "VirtualizationType": "hvm",
        "Monitoring": {"State": "enabled" if options.monitoring else "disabled"},
        "MetadataOptions": {"State": "applied", **metadata_options(options.metadata)},
        "BlockDeviceMappings": [root_device_mapping(volume)] if volume else [],
        "SecurityGroups": _groups(primary, names) if primary else [],
        "NetworkInterfaces": [instance_network_interface(e, names, eips) for e in interfaces],
        "Tags": tag_list(inst.tags),
        "PrivateDnsName": "",
        "PublicDnsName": "",
    }
    if inst.key_name:
        out["KeyName"] = inst.key_name
    if options.profile is not None:
        out["IamInstanceProfile"] = {"Arn": options.profile.arn, "Id": options.profile.profile_id}
    if primary is not None:
        out.update(
            SubnetId=inst.subnet_id,
            VpcId=inst.vpc_id,
            PrivateIpAddress=primary.private_ip,
            PrivateDnsName=_dns(primary.private_ip, inst.region),
            SourceDestCheck=primary.source_dest_check,
        )
        if primary.public_ip:
            out["PublicIpAddress"] = primary.public_ip
            out["PublicDnsName"] = public_dns_name(primary.public_ip, inst.region)
    return out


def reservation(
    reservation_id: str, owner_id: str, instances: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "ReservationId": reservation_id,
        "OwnerId": owner_id,
        "Groups": [],
        "Instances": instances,
    }
