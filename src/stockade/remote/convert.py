"""EC2 shapes (what boto3 returns) back into domain objects, and domain requests into
boto3 parameters: the inverse of :mod:`stockade.shapes` and ``api/actions/common.py``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.tags import Tags

Shape = dict[str, Any]


def tags(items: list[Shape] | None) -> Tags:
    return tuple((t["Key"], t.get("Value", "")) for t in items or ())


def tag_list(pairs: Any) -> list[Shape]:
    return [{"Key": k, "Value": "" if v is None else v} for k, v in pairs]


def vpc(s: Shape, region: str) -> Vpc:
    ipv6 = [a["Ipv6CidrBlock"] for a in s.get("Ipv6CidrBlockAssociationSet") or ()]
    return Vpc(
        s["VpcId"],
        s["OwnerId"],
        region,
        s["CidrBlock"],
        ipv6_cidr_block=ipv6[0] if ipv6 else None,
        is_default=bool(s.get("IsDefault")),
        state=s.get("State", "available"),
        instance_tenancy=s.get("InstanceTenancy", "default"),
        dhcp_options_id=s.get("DhcpOptionsId", "default"),
        tags=tags(s.get("Tags")),
    )


def subnet(s: Shape, region: str) -> Subnet:
    ipv6 = [a["Ipv6CidrBlock"] for a in s.get("Ipv6CidrBlockAssociationSet") or ()]
    return Subnet(
        s["SubnetId"],
        s["VpcId"],
        s["OwnerId"],
        region,
        s["CidrBlock"],
        s["AvailabilityZone"],
        s["AvailabilityZoneId"],
        ipv6_cidr_block=ipv6[0] if ipv6 else None,
        map_public_ip_on_launch=bool(s.get("MapPublicIpOnLaunch")),
        assign_ipv6_address_on_creation=bool(s.get("AssignIpv6AddressOnCreation")),
        default_for_az=bool(s.get("DefaultForAz")),
        state=s.get("State", "available"),
        tags=tags(s.get("Tags")),
    )


def internet_gateway(s: Shape, region: str) -> InternetGateway:
    attached = [a["VpcId"] for a in s.get("Attachments") or ()]
    return InternetGateway(
        s["InternetGatewayId"],
        s["OwnerId"],
        region,
        attached[0] if attached else None,
        tags=tags(s.get("Tags")),
    )


def security_group(s: Shape, region: str) -> SecurityGroup:
    return SecurityGroup(
        s["GroupId"],
        s["GroupName"],
        s["Description"],
        s["VpcId"],
        s["OwnerId"],
        region,
        tags=tags(s.get("Tags")),
    )


def _peer(s: Shape) -> Peer:
    if "CidrIpv4" in s:
        return Peer(PeerKind.CIDR_V4, s["CidrIpv4"])
    if "CidrIpv6" in s:
        return Peer(PeerKind.CIDR_V6, s["CidrIpv6"])
    if "PrefixListId" in s:
        return Peer(PeerKind.PREFIX_LIST, s["PrefixListId"])
    ref = s.get("ReferencedGroupInfo") or {}
    return Peer(
        PeerKind.GROUP, ref.get("GroupId", s.get("ReferencedGroupId", "")), ref.get("UserId")
    )


def security_group_rule(s: Shape) -> SecurityGroupRule:
    """A SecurityGroupRule (or RevokedSecurityGroupRule) shape."""
    spec = RuleSpec(
        bool(s["IsEgress"]), s["IpProtocol"], s.get("FromPort", -1), s.get("ToPort", -1), _peer(s)
    )
    return SecurityGroupRule(
        s["SecurityGroupRuleId"],
        s["GroupId"],
        s.get("GroupOwnerId", ""),
        spec,
        s.get("Description"),
        tags=tags(s.get("Tags")),
    )


def permission_params(perm: IpPermission) -> Shape:
    """A domain IpPermission as boto3's ``IpPermissions`` element."""

    def described(key: str, value: Any, desc: str | None) -> Shape:
        return {key: value, **({"Description": desc} if desc is not None else {})}

    out: Shape = {"IpProtocol": perm.ip_protocol}
    if perm.from_port is not None:
        out["FromPort"] = perm.from_port
    if perm.to_port is not None:
        out["ToPort"] = perm.to_port
    out["IpRanges"] = [described("CidrIp", c, d) for c, d in perm.ip_ranges]
    out["Ipv6Ranges"] = [described("CidrIpv6", c, d) for c, d in perm.ipv6_ranges]
    out["PrefixListIds"] = [described("PrefixListId", p, d) for p, d in perm.prefix_list_ids]
    out["UserIdGroupPairs"] = [
        {
            k: v
            for k, v in (
                ("GroupId", g.group_id),
                ("GroupName", g.group_name),
                ("UserId", g.user_id),
                ("VpcId", g.vpc_id),
                ("VpcPeeringConnectionId", g.vpc_peering_connection_id),
                ("Description", g.description),
            )
            if v is not None
        }
        for g in perm.groups
    ]
    return out


def permission(s: Shape) -> IpPermission:
    """An IpPermission shape (e.g. UnknownIpPermissions) as the domain's request type."""
    return IpPermission(
        s.get("IpProtocol"),
        s.get("FromPort"),
        s.get("ToPort"),
        ip_ranges=tuple((r["CidrIp"], r.get("Description")) for r in s.get("IpRanges") or ()),
        ipv6_ranges=tuple((r["CidrIpv6"], r.get("Description")) for r in s.get("Ipv6Ranges") or ()),
        prefix_list_ids=tuple(
            (r["PrefixListId"], r.get("Description")) for r in s.get("PrefixListIds") or ()
        ),
        groups=tuple(
            GroupPair(group_id=g.get("GroupId"), user_id=g.get("UserId"))
            for g in s.get("UserIdGroupPairs") or ()
        ),
    )


def prefix_list(s: Shape, region: str, entries: list[Shape]) -> PrefixList:
    return PrefixList(
        s["PrefixListId"],
        s["PrefixListName"],
        s["AddressFamily"],
        s["MaxEntries"],
        s["Version"],
        s["OwnerId"],
        region,
        tuple(prefix_list_entry(e) for e in entries),
        state=s.get("State", "create-complete"),
        tags=tags(s.get("Tags")),
    )


def prefix_list_entry(e: Shape) -> PrefixListEntry:
    return PrefixListEntry(e["Cidr"], e.get("Description"))


def _tracking(s: Shape) -> tuple[ConnectionTracking, bool]:
    ct = s.get("ConnectionTrackingConfiguration")
    if not ct:
        return ConnectionTracking(), False
    base = ConnectionTracking()
    return (
        ConnectionTracking(
            ct.get("TcpEstablishedTimeout", base.tcp_established_timeout),
            ct.get("UdpStreamTimeout", base.udp_stream_timeout),
            ct.get("UdpTimeout", base.udp_timeout),
        ),
        True,
    )


def network_interface(
    s: Shape, region: str, availability_zone: str | None = None
) -> NetworkInterface:
    """A NetworkInterface or InstanceNetworkInterface shape (the latter lacks the zone)."""
    attachment = s.get("Attachment") or {}
    public_ip = (s.get("Association") or {}).get("PublicIp")
    tracking, tracking_set = _tracking(s)
    return NetworkInterface(
        s["NetworkInterfaceId"],
        s["OwnerId"],
        region,
        s["VpcId"],
        s["SubnetId"],
        s.get("AvailabilityZone", availability_zone or ""),
        s["PrivateIpAddress"],
        s.get("MacAddress", ""),
        tuple(g["GroupId"] for g in s.get("Groups") or ()),
        ipv6_addresses=tuple(a["Ipv6Address"] for a in s.get("Ipv6Addresses") or ()),
        public_ip=public_ip,
        associate_public_ip=public_ip is not None,
        instance_id=attachment.get("InstanceId"),
        device_index=attachment.get("DeviceIndex"),
        attachment_id=attachment.get("AttachmentId"),
        delete_on_termination=bool(attachment.get("DeleteOnTermination")),
        description=s.get("Description", ""),
        source_dest_check=s.get("SourceDestCheck", True),
        connection_tracking=tracking,
        connection_tracking_set=tracking_set,
        interface_type=s.get("InterfaceType", "interface"),
        tags=tags(s.get("TagSet")),
    )


def launch_time(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return str(value)


def instance(s: Shape, region: str, reservation_id: str, owner_id: str) -> Instance:
    primary = next(
        (e for e in s.get("NetworkInterfaces") or () if e["Attachment"]["DeviceIndex"] == 0),
        None,
    )
    return Instance(
        s["InstanceId"],
        owner_id,
        region,
        reservation_id,
        s.get("VpcId", ""),
        s.get("SubnetId", ""),
        s["Placement"]["AvailabilityZone"],
        s["ImageId"],
        s["InstanceType"],
        InstanceState(s["State"]["Name"]),
        launch_time(s["LaunchTime"]),
        primary["NetworkInterfaceId"] if primary else "",
        key_name=s.get("KeyName"),
        tags=tags(s.get("Tags")),
    )
