"""VPC peering connections: two VPCs' private addresses routed to each other, nothing else.

A peering connects exactly two VPCs, of one account or of two accounts of one server, in
one region. It carries traffic only while ``active``, only where both sides' route tables
send it (a route to the ``pcx-``), and only to and from addresses inside the two VPCs'
CIDR blocks: no transit through the peer to the internet, a NAT gateway or a third VPC.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from stockade.domain.tags import Tags


class PeeringStatus(StrEnum):
    INITIATING_REQUEST = "initiating-request"
    PENDING_ACCEPTANCE = "pending-acceptance"
    PROVISIONING = "provisioning"
    ACTIVE = "active"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"
    DELETING = "deleting"
    DELETED = "deleted"


@dataclass(frozen=True)
class PeeringSide:
    """One side of a peering (AWS's ``VpcInfo``): the VPC, its owner and region.

    The CIDR blocks are the VPC's own, read when shown (they may change); they are kept
    here as last seen so a side in another account can be shown without reading it.
    """

    vpc_id: str
    owner_id: str
    region: str
    cidr_blocks: tuple[str, ...] = ()
    ipv6_cidr_blocks: tuple[str, ...] = ()
    allow_dns_resolution_from_remote_vpc: bool = False


@dataclass(frozen=True)
class VpcPeeringConnection:
    vpc_peering_connection_id: str
    requester: PeeringSide
    accepter: PeeringSide
    status: PeeringStatus
    status_message: str
    expiration_time: str | None = None  # ISO 8601, UTC; pending requests expire
    tags: Tags = ()

    @property
    def is_active(self) -> bool:
        return self.status is PeeringStatus.ACTIVE

    def side_of(self, vpc_id: str) -> PeeringSide | None:
        """This VPC's side, if it is one of the two."""
        if self.requester.vpc_id == vpc_id:
            return self.requester
        if self.accepter.vpc_id == vpc_id:
            return self.accepter
        return None

    def peer_of(self, vpc_id: str) -> PeeringSide | None:
        """The other side, seen from ``vpc_id`` (``None`` when ``vpc_id`` is neither)."""
        if self.requester.vpc_id == vpc_id:
            return self.accepter
        if self.accepter.vpc_id == vpc_id:
            return self.requester
        return None
