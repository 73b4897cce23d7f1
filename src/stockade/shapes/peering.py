"""VpcPeeringConnection shapes (DescribeVpcPeeringConnections, Create/Accept answers)."""

from __future__ import annotations

from typing import Any

from stockade.domain.peering import PeeringSide, VpcPeeringConnection
from stockade.shapes import tag_list


def vpc_info(side: PeeringSide) -> dict[str, Any]:
    """One side (``RequesterVpcInfo``/``AccepterVpcInfo``). Address blocks appear only when
    known: an accepter's are shown once the connection has been accepted, as in AWS."""
    out: dict[str, Any] = {"VpcId": side.vpc_id, "OwnerId": side.owner_id, "Region": side.region}
    if side.cidr_blocks:
        out["CidrBlock"] = side.cidr_blocks[0]
        out["CidrBlockSet"] = [{"CidrBlock": c} for c in side.cidr_blocks]
    if side.ipv6_cidr_blocks:
        out["Ipv6CidrBlockSet"] = [{"Ipv6CidrBlock": c} for c in side.ipv6_cidr_blocks]
    out["PeeringOptions"] = peering_options(side)
    return out


def peering_options(side: PeeringSide) -> dict[str, bool]:
    return {
        "AllowDnsResolutionFromRemoteVpc": side.allow_dns_resolution_from_remote_vpc,
        "AllowEgressFromLocalClassicLinkToRemoteVpc": False,
        "AllowEgressFromLocalVpcToRemoteClassicLink": False,
    }


def vpc_peering_connection(p: VpcPeeringConnection) -> dict[str, Any]:
    out: dict[str, Any] = {
        "VpcPeeringConnectionId": p.vpc_peering_connection_id,
        "Status": {"Code": p.status.value, "Message": p.status_message},
        "RequesterVpcInfo": vpc_info(p.requester),
        "AccepterVpcInfo": vpc_info(p.accepter),
        "Tags": tag_list(p.tags),
    }
    if p.expiration_time is not None:
        out["ExpirationTime"] = p.expiration_time
    return out
