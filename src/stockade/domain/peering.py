"""VPC peering connections: two VPCs' private addresses routed to each other, nothing else.

A peering connects exactly two VPCs, of one account or of two accounts of one server, in
one region. It carries traffic only while ``active``, only where both sides' route tables
send it (a route to the ``pcx-``), and only to and from addresses inside the two VPCs'
CIDR blocks: no transit through the peer to the internet, a NAT gateway or a third VPC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from ipaddress import ip_network

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


#: Statuses that hold the VPC pair: no second request between the same VPCs meanwhile.
HOLDS_PAIR = frozenset(
    {
        PeeringStatus.INITIATING_REQUEST,
        PeeringStatus.PENDING_ACCEPTANCE,
        PeeringStatus.PROVISIONING,
        PeeringStatus.ACTIVE,
    }
)
#: Statuses of a request still waiting for its accepter (the per-account quota counts them).
OUTSTANDING = frozenset({PeeringStatus.INITIATING_REQUEST, PeeringStatus.PENDING_ACCEPTANCE})
#: A request not accepted within this many hours expires (AWS: 168 h, fixed).
EXPIRY_HOURS = 168
#: Why a request failed at creation ([UNVERIFIED] obs: the message AWS shows for overlaps).
OVERLAP_MESSAGE = "Failed due to incorrect VPC-ID, Account ID, or overlapping CIDR range"


def status_message(status: PeeringStatus, account: str) -> str:
    """AWS's ``Status.Message`` for a status reached by ``account``'s action (the accepter's
    account for a pending request). Pending/active as in the CLI guide; others [UNVERIFIED]."""
    return {
        PeeringStatus.INITIATING_REQUEST: f"Initiating Request to {account}",
        PeeringStatus.PENDING_ACCEPTANCE: f"Pending Acceptance by {account}",
        PeeringStatus.PROVISIONING: "Provisioning",
        PeeringStatus.ACTIVE: "Active",
        PeeringStatus.FAILED: OVERLAP_MESSAGE,
        PeeringStatus.REJECTED: f"Rejected by {account}",
        PeeringStatus.EXPIRED: "Expired",
        PeeringStatus.DELETING: f"Deleting by {account}",
        PeeringStatus.DELETED: f"Deleted by {account}",
    }[status]


def blocks_overlap(a: PeeringSide, b: PeeringSide) -> bool:
    """Whether two sides' address blocks overlap (any IPv4 pair, or any IPv6 pair): such a
    request is created ``failed``, not refused."""

    def overlap(xs: tuple[str, ...], ys: tuple[str, ...]) -> bool:
        return any(ip_network(x).overlaps(ip_network(y)) for x in xs for y in ys)

    return overlap(a.cidr_blocks, b.cidr_blocks) or overlap(a.ipv6_cidr_blocks, b.ipv6_cidr_blocks)


def joins(peering: VpcPeeringConnection, vpc_a: str, vpc_b: str) -> bool:
    """Whether the peering is between these two VPCs (either way round)."""
    return {peering.requester.vpc_id, peering.accepter.vpc_id} == {vpc_a, vpc_b}


def active_between(
    peerings: Iterable[VpcPeeringConnection], vpc_a: str, vpc_b: str
) -> VpcPeeringConnection | None:
    """The active peering joining two VPCs, if any (there is at most one)."""
    return next((p for p in peerings if p.is_active and joins(p, vpc_a, vpc_b)), None)


def last_between(
    peerings: Sequence[VpcPeeringConnection], vpc_a: str, vpc_b: str
) -> VpcPeeringConnection | None:
    """The active peering joining two VPCs, else the most recent one that did (``peerings``
    in creation order): what a stale reference names as its vanished path."""
    active = active_between(peerings, vpc_a, vpc_b)
    if active is not None:
        return active
    return next((p for p in reversed(peerings) if joins(p, vpc_a, vpc_b)), None)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def expiration_after(now: datetime) -> str:
    """When a request made ``now`` expires, as AWS writes timestamps."""
    return _timestamp(now + timedelta(hours=EXPIRY_HOURS))


def as_of(peering: VpcPeeringConnection, now: datetime) -> VpcPeeringConnection:
    """The peering as it stands at ``now``: a request left pending past its expiration time
    is ``expired`` (derived on read, so no timer has to run)."""
    if (
        peering.status is PeeringStatus.PENDING_ACCEPTANCE
        and peering.expiration_time is not None
        and peering.expiration_time <= _timestamp(now)
    ):
        return replace(peering, status=PeeringStatus.EXPIRED, status_message="Expired")
    return peering
