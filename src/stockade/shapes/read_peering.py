"""EC2 shapes back into VPC peering connections: the inverse of :mod:`stockade.shapes.peering`.

One reader for the import (strict: a captured ``describe-vpc-peering-connections`` file,
every field checked and located) and the remote client (lenient: the server's answer). A
side may be another account's VPC, so each side keeps the ``OwnerId`` it names — also in an
import, where the other account need not be imported (AWS shows such a peering too).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.scope import REGIONS
from stockade.shapes.fields import Node, Origin, cidr, resource_id

_ACCOUNT_RE = re.compile(r"^\d{12}\Z")


def vpc_peering_connection(p: Node, origin: Origin) -> VpcPeeringConnection:
    status = p.obj("Status")
    return VpcPeeringConnection(
        vpc_peering_connection_id=resource_id(p, "VpcPeeringConnectionId", "pcx"),
        requester=_side(p.obj("RequesterVpcInfo"), origin),
        accepter=_side(p.obj("AccepterVpcInfo"), origin),
        status=status.checked("Code", PeeringStatus, status.text("Code")),
        status_message=status.opt_text("Message") or "",
        expiration_time=_expiration(p),
        tags=p.tags(),
    )


def _side(v: Node, origin: Origin) -> PeeringSide:
    options = v.opt_obj("PeeringOptions")
    blocks = [cidr(c, "CidrBlock", 4) for c in v.items("CidrBlockSet")]
    if not blocks and v.has("CidrBlock"):
        blocks = [cidr(v, "CidrBlock", 4)]
    return PeeringSide(
        vpc_id=resource_id(v, "VpcId", "vpc"),
        owner_id=_account(v, origin),
        region=_region(v, origin),
        cidr_blocks=tuple(blocks),
        ipv6_cidr_blocks=tuple(cidr(c, "Ipv6CidrBlock", 6) for c in v.items("Ipv6CidrBlockSet")),
        allow_dns_resolution_from_remote_vpc=(
            options.flag("AllowDnsResolutionFromRemoteVpc") if options else False
        ),
    )


def _account(v: Node, origin: Origin) -> str:
    value = v.opt_text("OwnerId") or origin.account
    if v.strict and not _ACCOUNT_RE.match(value):
        raise v.problem(f"expected a 12-digit account id, got {value!r}", "OwnerId")
    return value


def _region(v: Node, origin: Origin) -> str:
    value = v.opt_text("Region") or origin.region
    if v.strict and value not in REGIONS:
        raise v.problem(f"unknown region {value!r}", "Region")
    return value


def _expiration(p: Node) -> str | None:
    """ISO 8601 as JSON holds it; boto3 parses the wire's timestamp into a datetime."""
    value = p.value.get("ExpirationTime")
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    return p.opt_text("ExpirationTime")
