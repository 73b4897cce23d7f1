"""Network interfaces and instances from ``describe-network-interfaces`` and
``describe-instances`` output.

Interfaces are where groups attach, so they decide what a group reference means (the
members' private addresses). They come from describe-network-interfaces and, for instances,
also from each instance's ``NetworkInterfaces``; when both describe one interface the
describe-network-interfaces copy wins (it has the zone and tags). Terminated instances
have no interfaces and are skipped. What the domain does not model (secondary private
IPv4 addresses, delegated prefixes) is reported, because a reference to the interface's
group would match those addresses in AWS.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from stockade.analysis.aws_fields import Node
from stockade.analysis.aws_network import Parsed
from stockade.domain import ids
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.scope import Scope


@dataclass(frozen=True)
class InterfaceContext:
    """What an interface listed inside an instance inherits from it."""

    instance_id: str
    availability_zone: str


def parse_interfaces(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    out = []
    for doc in documents:
        for e in doc.items("NetworkInterfaces"):
            out.append(interface(e, scope, None))
    return out


def interface(
    e: Node, scope: Scope, context: InterfaceContext | None
) -> Parsed:
    eni_id = e.checked("NetworkInterfaceId", ids.check, "eni", e.text("NetworkInterfaceId"))
    if not e.has("PrivateIpAddress"):
        raise e.problem("missing: IPv6-only interfaces are not supported", "PrivateIpAddress")
    private_ip = e.text("PrivateIpAddress")
    _check_address(e, "PrivateIpAddress", private_ip, 4)
    ipv6 = []
    for a in e.items("Ipv6Addresses"):
        address = a.text("Ipv6Address")
        _check_address(a, "Ipv6Address", address, 6)
        ipv6.append(address)
    association = e.opt_obj("Association")
    public_ip = association.opt_text("PublicIp") if association else None
    attachment = e.opt_obj("Attachment")
    instance_id = attachment.opt_text("InstanceId") if attachment else None
    if context is not None:
        instance_id = context.instance_id
    zone = e.opt_text("AvailabilityZone") or (context.availability_zone if context else None)
    if zone is None:
        raise e.problem("missing (required)", "AvailabilityZone")
    tracking = e.opt_obj("ConnectionTrackingConfiguration")
    defaults = ConnectionTracking()
    eni = NetworkInterface(
        eni_id=eni_id,
        owner_id=scope.account,
        region=scope.region,
        vpc_id=e.checked("VpcId", ids.check, "vpc", e.text("VpcId")),
        subnet_id=e.checked("SubnetId", ids.check, "subnet", e.text("SubnetId")),
        availability_zone=zone,
        private_ip=private_ip,
        mac_address=e.opt_text("MacAddress") or "",
        group_ids=tuple(
            g.checked("GroupId", ids.check, "sg", g.text("GroupId")) for g in e.items("Groups")
        ),
        ipv6_addresses=tuple(ipv6),
        public_ip=public_ip,
        associate_public_ip=public_ip is not None,
        instance_id=instance_id,
        device_index=attachment.opt_integer("DeviceIndex") if instance_id and attachment else None,
        attachment_id=attachment.opt_text("AttachmentId") if instance_id and attachment else None,
        delete_on_termination=(
            attachment.flag("DeleteOnTermination") if instance_id and attachment else False
        ),
        description=e.opt_text("Description") or "",
        source_dest_check=e.flag("SourceDestCheck", True),
        connection_tracking=ConnectionTracking(
            tracking.opt_integer("TcpEstablishedTimeout") or defaults.tcp_established_timeout,
            tracking.opt_integer("UdpStreamTimeout") or defaults.udp_stream_timeout,
            tracking.opt_integer("UdpTimeout") or defaults.udp_timeout,
        ) if tracking else defaults,
        connection_tracking_set=tracking is not None,
        interface_type=e.opt_text("InterfaceType") or "interface",
    )
    return Parsed(eni, e.tags("TagSet"), e)


def interface_notes(parsed: Parsed) -> list[str]:
    """What AWS says about an interface that the domain cannot hold (said once per
    interface, whichever output described it)."""
    e, eni_id = parsed.node, parsed.obj.eni_id
    notes = []
    secondary = [
        a.text("PrivateIpAddress") for a in e.items("PrivateIpAddresses")
        if not a.flag("Primary") and a.has("PrivateIpAddress")
    ]
    if secondary:
        notes.append(f"{e.file}: {eni_id}: secondary private IPv4 addresses "
                     f"{', '.join(secondary)} are not modelled; references to its groups will "
                     "not match them")
    for key in ("Ipv4Prefixes", "Ipv6Prefixes"):
        if list(e.items(key)):
            notes.append(f"{e.file}: {eni_id}: {key} (delegated prefixes) are not modelled")
    return notes


def _check_address(node: Node, key: str, text: str, family: int) -> None:
    try:
        ok = ipaddress.ip_address(text).version == family
    except ValueError:
        ok = False
    if not ok:
        raise node.problem(f"{text!r} is not an IPv{family} address", key)


def parse_instances(
    documents: Iterable[Node], scope: Scope, warn: list[str]
) -> tuple[list[Parsed], list[Parsed]]:
    """Instances, and the interfaces their output lists (for interfaces not described)."""
    instances: list[Parsed] = []
    interfaces: list[Parsed] = []
    skipped: list[str] = []
    for doc in documents:
        for reservation in doc.items("Reservations"):
            reservation_id = reservation.checked(
                "ReservationId", ids.check, "r", reservation.text("ReservationId"))
            for i in reservation.items("Instances", required=True):
                instance_id = i.checked("InstanceId", ids.check, "i", i.text("InstanceId"))
                state_name = i.obj("State").text("Name")
                state = i.checked("State", InstanceState, state_name)
                if state is InstanceState.TERMINATED:
                    skipped.append(instance_id)
                    continue
                zone = i.obj("Placement").text("AvailabilityZone")
                context = InterfaceContext(instance_id, zone)
                own = [interface(n, scope, context) for n in i.items("NetworkInterfaces")]
                primary = [p for p in own if p.obj.device_index == 0]
                if not primary:
                    raise i.problem("no interface with Attachment.DeviceIndex 0 (the primary)",
                                    "NetworkInterfaces")
                interfaces.extend(own)
                instance = Instance(
                    instance_id=instance_id,
                    owner_id=scope.account,
                    region=scope.region,
                    reservation_id=reservation_id,
                    vpc_id=i.checked("VpcId", ids.check, "vpc", i.text("VpcId")),
                    subnet_id=i.checked("SubnetId", ids.check, "subnet", i.text("SubnetId")),
                    availability_zone=zone,
                    image_id=i.opt_text("ImageId") or "",
                    instance_type=i.opt_text("InstanceType") or "",
                    state=state,
                    launch_time=i.opt_text("LaunchTime") or "",
                    primary_eni_id=primary[0].obj.eni_id,
                    key_name=i.opt_text("KeyName"),
                )
                instances.append(Parsed(instance, i.tags(), i))
    if skipped:
        warn.append(f"terminated instances skipped (they have no interfaces): "
                    f"{', '.join(skipped)}")
    return instances, interfaces
