"""VPC peering connections: create, accept, reject, delete, describe, options."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.service.contracts import PeeringRequest
from stockade.shapes import peering as shapes

_ALIASES = {
    "accepter-vpc-info.cidr-block": "AccepterVpcInfo.CidrBlockSet.CidrBlock",
    "requester-vpc-info.cidr-block": "RequesterVpcInfo.CidrBlockSet.CidrBlock",
    "status-code": "Status.Code",
    "status-message": "Status.Message",
}


@action("CreateVpcPeeringConnection")
def create_vpc_peering_connection(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"vpc-peering-connection"}, default="vpc-peering-connection")
    peering = call.services.peering.create(
        PeeringRequest(
            call.get("VpcId"),
            call.get("PeerVpcId"),
            call.get("PeerOwnerId"),
            call.get("PeerRegion"),
            tags.get("vpc-peering-connection", ()),
        )
    )
    return {"VpcPeeringConnection": shapes.vpc_peering_connection(peering)}


@action("AcceptVpcPeeringConnection")
def accept_vpc_peering_connection(call: Call) -> dict[str, Any]:
    peering = call.services.peering.accept(call.get("VpcPeeringConnectionId"))
    return {"VpcPeeringConnection": shapes.vpc_peering_connection(peering)}


@action("RejectVpcPeeringConnection")
def reject_vpc_peering_connection(call: Call) -> dict[str, Any]:
    call.services.peering.reject(call.get("VpcPeeringConnectionId"))
    return {"Return": True}


@action("DeleteVpcPeeringConnection")
def delete_vpc_peering_connection(call: Call) -> dict[str, Any]:
    call.services.peering.delete(call.get("VpcPeeringConnectionId"))
    return {"Return": True}


@action("DescribeVpcPeeringConnections")
def describe_vpc_peering_connections(call: Call) -> dict[str, Any]:
    found = call.services.peering.describe(call.get("VpcPeeringConnectionIds") or ())
    selected = select(call, [shapes.vpc_peering_connection(p) for p in found], _ALIASES)
    items, token = page(call, selected, lambda s: s["VpcPeeringConnectionId"])
    return with_token({"VpcPeeringConnections": items}, token)


def _dns(options: dict[str, Any] | None) -> bool | None:
    return None if options is None else options.get("AllowDnsResolutionFromRemoteVpc")


@action("ModifyVpcPeeringConnectionOptions")
def modify_vpc_peering_connection_options(call: Call) -> dict[str, Any]:
    """Each side's options, set by that side's owner; the answer echoes the sides set."""
    requester = call.get("RequesterPeeringConnectionOptions")
    accepter = call.get("AccepterPeeringConnectionOptions")
    peering = call.services.peering.modify_options(
        call.get("VpcPeeringConnectionId"), _dns(requester), _dns(accepter)
    )
    out: dict[str, Any] = {}
    if requester is not None:
        out["RequesterPeeringConnectionOptions"] = shapes.peering_options(peering.requester)
    if accepter is not None:
        out["AccepterPeeringConnectionOptions"] = shapes.peering_options(peering.accepter)
    return out
