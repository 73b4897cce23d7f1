"""EC2 shapes back into network interfaces and instances: the inverse of
:mod:`stockade.shapes.instances`.

An interface is read from a NetworkInterface shape (describe-network-interfaces) or from an
InstanceNetworkInterface inside an instance, which lacks the zone and names no instance:
both come from the instance (:class:`InterfaceContext`). A terminated instance has no
interfaces, VPC or subnet (AWS releases them), so those are required of every other one.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.shapes.fields import Node, Origin, owner, resource_id, timestamp


@dataclass(frozen=True)
class InterfaceContext:
    """What an interface listed inside an instance inherits from it."""

    instance_id: str
    availability_zone: str


def network_interface(
    e: Node, origin: Origin, context: InterfaceContext | None = None
) -> NetworkInterface:
    eni_id = resource_id(e, "NetworkInterfaceId", "eni")
    if not e.has("PrivateIpAddress"):
        raise e.problem("missing: IPv6-only interfaces are not supported", "PrivateIpAddress")
    private_ip = _address(e, "PrivateIpAddress", 4)
    association = e.opt_obj("Association")
    public_ip = association.opt_text("PublicIp") if association else None
    attachment = e.opt_obj("Attachment")
    instance_id = attachment.opt_text("InstanceId") if attachment else None
    if context is not None:
        instance_id = context.instance_id
    zone = e.opt_text("AvailabilityZone") or (context.availability_zone if context else None)
    if zone is None:
        raise e.problem("missing (required)", "AvailabilityZone")
    attached = attachment if instance_id else None
    tracking = e.opt_obj("ConnectionTrackingConfiguration")
    return NetworkInterface(
        eni_id=eni_id,
        owner_id=owner(e, origin),
        region=origin.region,
        vpc_id=resource_id(e, "VpcId", "vpc"),
        subnet_id=resource_id(e, "SubnetId", "subnet"),
        availability_zone=zone,
        private_ip=private_ip,
        mac_address=e.opt_text("MacAddress") or "",
        group_ids=tuple(resource_id(g, "GroupId", "sg") for g in e.items("Groups")),
        ipv6_addresses=tuple(_address(a, "Ipv6Address", 6) for a in e.items("Ipv6Addresses")),
        secondary_private_ips=tuple(
            _address(a, "PrivateIpAddress", 4)
            for a in e.items("PrivateIpAddresses")
            if not a.flag("Primary") and a.has("PrivateIpAddress")
        ),
        public_ip=public_ip,
        # an automatic address (owned by ``amazon``) says the interface wants one; an
        # Elastic IP (owned by the account) says nothing about it
        associate_public_ip=public_ip is not None and _automatic(association),
        instance_id=instance_id,
        device_index=attached.opt_integer("DeviceIndex") if attached else None,
        attachment_id=attached.opt_text("AttachmentId") if attached else None,
        delete_on_termination=attached.flag("DeleteOnTermination") if attached else False,
        description=e.opt_text("Description") or "",
        source_dest_check=e.flag("SourceDestCheck", True),
        connection_tracking=_tracking(tracking) if tracking else ConnectionTracking(),
        connection_tracking_set=tracking is not None,
        interface_type=e.opt_text("InterfaceType") or "interface",
        tags=e.tags("TagSet"),
    )


def _tracking(node: Node) -> ConnectionTracking:
    """Timeouts the shape leaves out are AWS's defaults."""
    defaults = ConnectionTracking()

    def timeout(key: str, default: int) -> int:
        value = node.opt_integer(key)
        return default if value is None else value

    return ConnectionTracking(
        timeout("TcpEstablishedTimeout", defaults.tcp_established_timeout),
        timeout("UdpStreamTimeout", defaults.udp_stream_timeout),
        timeout("UdpTimeout", defaults.udp_timeout),
    )


def _address(node: Node, key: str, family: int) -> str:
    return node.canonical(key, _checked_address, node.text(key), family)


def _checked_address(text: str, family: int) -> str:
    try:
        ok = ipaddress.ip_address(text).version == family
    except ValueError:
        ok = False
    if not ok:
        raise ValueError(f"{text!r} is not an IPv{family} address")
    return text


def instance_state(i: Node) -> InstanceState:
    return i.checked("State", InstanceState, i.obj("State").text("Name"))


def reservation_id(reservation: Node) -> str:
    return resource_id(reservation, "ReservationId", "r")


def instance(
    i: Node, reservation: Node, origin: Origin
) -> tuple[Instance, list[tuple[NetworkInterface, Node]]]:
    """An instance of a reservation, and its interfaces (each with the node it came from)."""
    instance_id = resource_id(i, "InstanceId", "i")
    state = instance_state(i)
    zone = i.obj("Placement").text("AvailabilityZone")
    context = InterfaceContext(instance_id, zone)
    interfaces = [(network_interface(n, origin, context), n) for n in i.items("NetworkInterfaces")]
    primary = [eni for eni, _ in interfaces if eni.device_index == 0]
    released = state is InstanceState.TERMINATED
    if not primary and not released:
        raise i.problem(
            "no interface with Attachment.DeviceIndex 0 (the primary)", "NetworkInterfaces"
        )
    return (
        Instance(
            instance_id=instance_id,
            owner_id=owner(reservation, origin),
            region=origin.region,
            reservation_id=reservation_id(reservation),
            vpc_id=_released_or(i, "VpcId", "vpc", released),
            subnet_id=_released_or(i, "SubnetId", "subnet", released),
            availability_zone=zone,
            image_id=i.opt_text("ImageId") or "",
            instance_type=i.opt_text("InstanceType") or "",
            state=state,
            launch_time=_launch_time(i),
            primary_eni_id=primary[0].eni_id if primary else "",
            key_name=i.opt_text("KeyName"),
            tags=i.tags(),
        ),
        interfaces,
    )


def _released_or(i: Node, key: str, kind: str, released: bool) -> str:
    """A terminated instance's VPC and subnet are gone: ``""`` when the shape omits them."""
    if released and not i.has(key):
        return ""
    return resource_id(i, key, kind)


def _automatic(association: Node | None) -> bool:
    return association is not None and (association.opt_text("IpOwnerId") or "amazon") == "amazon"


def _launch_time(i: Node) -> str:
    return timestamp(i, "LaunchTime") or ""
