"""VPC peering connections: request, accept, reject, delete, describe, options.

One connection joins two VPCs of one region, of one account or two accounts of this server.
The requester's owner creates it ``pending-acceptance`` (same-account requests too: the
AWS CLI guide shows them pending); only the accepter VPC's owner accepts or rejects it;
the requester's owner may delete it while pending, either owner once active. Overlapping
address blocks are no error: the request is created ``failed``. Deleted, rejected, failed
and expired connections stay visible with their status (stockade keeps them; AWS forgets
them after hours or days). A refused call changes nothing.

Which side may do what is decided here from the caller's scope; a caller who is neither
side sees ``InvalidVpcPeeringConnectionID.NotFound``, as for an id that does not exist.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from stockade.domain import errors, ids
from stockade.domain.network import Vpc
from stockade.domain.peering import (
    HOLDS_PAIR,
    OUTSTANDING,
    PeeringSide,
    PeeringStatus,
    VpcPeeringConnection,
    as_of,
    blocks_overlap,
    expiration_after,
    joins,
    status_message,
)
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import PeeringRequest
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction

_ACCOUNT_RE = re.compile(r"^\d{12}\Z")


def side_of_vpc(vpc: Vpc) -> PeeringSide:
    """A VPC as one side of a peering, with its blocks as they are now."""
    return PeeringSide(
        vpc_id=vpc.vpc_id,
        owner_id=vpc.owner_id,
        region=vpc.region,
        cidr_blocks=vpc.ipv4_blocks,
        ipv6_cidr_blocks=vpc.blocks(6),
    )


def refresh_sides(tx: Transaction, vpc: Vpc, now: datetime) -> None:
    """The VPC's side of each pending or active peering shows its blocks as they now are
    (a request left pending past its expiry is ``expired`` by then: it keeps its blocks).

    Call it wherever a VPC's blocks change (IPv4 or IPv6, added or taken away). AWS's
    ``VpcInfo.CidrBlockSet``/``Ipv6CidrBlockSet`` follow the VPC; the row keeps them as last
    seen because the policy engine and the data plane read a peer's blocks from the side
    when the peer's VPC is another account's, and writing the peering logs its ``pcx-`` id,
    which makes the other side's follower re-read. An ended peering keeps the blocks it
    ended with; a pending accepter's side shows none until it accepts. ``now`` is the
    caller's clock (the service context's), which says whether a request has expired.
    """
    for stored in tx.list_peerings(vpc.vpc_id):
        peering = as_of(stored, now)
        side = peering.side_of(vpc.vpc_id)
        if peering.status not in HOLDS_PAIR or side is None or not side.cidr_blocks:
            continue  # an accepter's blocks are shown only once it accepts
        fresh = replace(
            side_of_vpc(vpc),
            allow_dns_resolution_from_remote_vpc=side.allow_dns_resolution_from_remote_vpc,
        )
        if fresh == side:
            continue
        if stored.requester.vpc_id == vpc.vpc_id:
            tx.put_peering(replace(stored, requester=fresh))
        else:
            tx.put_peering(replace(stored, accepter=fresh))


def visible_peerings(tx: Transaction, now: datetime | None = None) -> list[VpcPeeringConnection]:
    """The scope's peerings as they stand now (pending requests past expiry: ``expired``)."""
    moment = now or datetime.now(UTC)
    return [as_of(p, moment) for p in tx.list_peerings()]


class PeeringService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- lifecycle -------------------------------------------------------------------------

    def create(self, request: PeeringRequest) -> VpcPeeringConnection:
        """A new request from one of the caller's VPCs to ``peer_vpc_id``."""
        scope = self.ctx.scope
        peer_owner = request.peer_owner_id or scope.account
        if not _ACCOUNT_RE.match(peer_owner):
            raise errors.invalid_value(
                "PeerOwnerId", peer_owner, "It must be a 12-digit account id."
            )
        if request.peer_region not in (None, scope.region):
            # [UNVERIFIED] stockade has no inter-region peering; AWS would accept the request.
            raise errors.error(
                "UnsupportedOperation",
                f"Inter-Region VPC peering (PeerRegion {request.peer_region}) is not supported "
                f"by stockade; peer VPCs of {scope.region}.",
            )
        if not request.peer_vpc_id:
            raise errors.missing_parameter("PeerVpcId")
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, request.vpc_id)
            ids.check("vpc", request.peer_vpc_id)
            peer = tx.find_vpc(request.peer_vpc_id)
            if peer is None or peer.owner_id != peer_owner or peer.region != scope.region:
                # another account's VPC named with the wrong owner answers as a missing one
                raise errors.not_found("vpc", request.peer_vpc_id)
            if peer.vpc_id == vpc.vpc_id:
                # [UNVERIFIED] AWS's code for peering a VPC with itself.
                raise errors.invalid_parameter_value(
                    f"The requester VPC ({vpc.vpc_id}) and the accepter VPC cannot be the same."
                )
            mine = visible_peerings(tx)
            for existing in mine:
                if existing.status in HOLDS_PAIR and joins(existing, vpc.vpc_id, peer.vpc_id):
                    raise errors.peering_exists(
                        vpc.vpc_id, peer.vpc_id, existing.vpc_peering_connection_id
                    )
            outstanding = sum(
                1 for p in mine if p.status in OUTSTANDING and p.requester.owner_id == scope.account
            )
            limit = self.ctx.quotas.outstanding_peerings_per_account
            if outstanding >= limit:
                raise errors.outstanding_peerings_limit(limit)
            requester, accepter = side_of_vpc(vpc), side_of_vpc(peer)
            now = datetime.now(UTC)
            if blocks_overlap(requester, accepter):
                status, expires = PeeringStatus.FAILED, None
            else:
                status, expires = PeeringStatus.PENDING_ACCEPTANCE, expiration_after(now)
            peering = VpcPeeringConnection(
                vpc_peering_connection_id=ids.new_id("pcx"),
                requester=requester,
                # the accepter's blocks are shown once it accepts (AWS's CLI examples)
                accepter=replace(accepter, cidr_blocks=(), ipv6_cidr_blocks=()),
                status=status,
                status_message=status_message(status, peer.owner_id),
                expiration_time=expires,
            )
            tx.put_peering(peering)
            tagged = tag_new(tx, [peering.vpc_peering_connection_id], request.tags)
            return replace(peering, tags=tagged)

    def accept(self, pcx_id: str | None) -> VpcPeeringConnection:
        """The accepter's owner makes a pending request active (both sides' blocks as now)."""
        with self.ctx.write() as tx:
            peering = self._current(tx, pcx_id)
            self._require_side(peering.accepter, "accept", peering)
            self._require_status(peering, PeeringStatus.PENDING_ACCEPTANCE)
            limit = self.ctx.quotas.active_peerings_per_vpc
            for side in (peering.requester, peering.accepter):
                active = [p for p in tx.list_peerings(side.vpc_id) if p.is_active]
                if len(active) >= limit:
                    raise errors.active_peerings_limit(side.vpc_id, limit)
            requester_vpc = tx.find_vpc(peering.requester.vpc_id)
            accepter_vpc = tx.find_vpc(peering.accepter.vpc_id)
            if requester_vpc is None or accepter_vpc is None:
                # [UNVERIFIED] a side's VPC deleted while the request waited.
                raise errors.not_found(
                    "vpc", (peering.requester if requester_vpc is None else peering.accepter).vpc_id
                )
            return self._save(
                tx,
                replace(
                    peering,
                    requester=side_of_vpc(requester_vpc),
                    accepter=side_of_vpc(accepter_vpc),
                    status=PeeringStatus.ACTIVE,
                    status_message=status_message(PeeringStatus.ACTIVE, tx.scope.account),
                    expiration_time=None,
                ),
            )

    def reject(self, pcx_id: str | None) -> VpcPeeringConnection:
        """The accepter's owner turns a pending request down; it stays visible, rejected."""
        with self.ctx.write() as tx:
            peering = self._current(tx, pcx_id)
            self._require_side(peering.accepter, "reject", peering)
            self._require_status(peering, PeeringStatus.PENDING_ACCEPTANCE)
            return self._save(tx, self._moved(peering, PeeringStatus.REJECTED, tx))

    def delete(self, pcx_id: str | None) -> VpcPeeringConnection:
        """Either owner deletes an active connection; the requester's owner a pending one.

        References across it go stale (they stay, matching nothing); routes to it become
        blackholes. Deleting twice, or a failed/rejected/expired one, is
        ``InvalidStateTransition``.
        """
        with self.ctx.write() as tx:
            peering = self._current(tx, pcx_id)
            if peering.status is PeeringStatus.PENDING_ACCEPTANCE:
                self._require_side(peering.requester, "delete", peering)
            elif not peering.is_active:
                raise errors.peering_state_transition(
                    peering.vpc_peering_connection_id, peering.status.value
                )
            return self._save(tx, self._moved(peering, PeeringStatus.DELETED, tx))

    def describe(self, pcx_ids: Sequence[str] = ()) -> list[VpcPeeringConnection]:
        """The named connections (each must be visible), or every one of the scope."""
        with self.ctx.read() as tx:
            if not pcx_ids:
                return visible_peerings(tx)
            chosen: dict[str, VpcPeeringConnection] = {}
            for pcx_id in pcx_ids:
                chosen.setdefault(pcx_id, self._current(tx, pcx_id))
            return list(chosen.values())

    def modify_options(
        self,
        pcx_id: str | None,
        requester_dns: bool | None = None,
        accepter_dns: bool | None = None,
    ) -> VpcPeeringConnection:
        """AllowDnsResolutionFromRemoteVpc per side, each set by its own owner, on an active
        connection whose two VPCs both resolve and name hosts (enableDnsSupport and
        enableDnsHostnames)."""
        if requester_dns is None and accepter_dns is None:
            raise errors.missing_parameter("RequesterPeeringConnectionOptions")
        with self.ctx.write() as tx:
            peering = self._current(tx, pcx_id)
            if requester_dns is not None:
                self._require_side(peering.requester, "modify", peering)
            if accepter_dns is not None:
                self._require_side(peering.accepter, "modify", peering)
            if not peering.is_active:
                # [UNVERIFIED] AWS's code for options on a connection not active.
                raise errors.peering_state_transition(
                    peering.vpc_peering_connection_id, peering.status.value
                )
            enabling = requester_dns or accepter_dns
            for side in (peering.requester, peering.accepter) if enabling else ():
                vpc = tx.find_vpc(side.vpc_id)
                if vpc is None or not (vpc.enable_dns_support and vpc.enable_dns_hostnames):
                    raise errors.peering_dns_disabled(side.vpc_id)
            requester, accepter = peering.requester, peering.accepter
            if requester_dns is not None:
                requester = replace(requester, allow_dns_resolution_from_remote_vpc=requester_dns)
            if accepter_dns is not None:
                accepter = replace(accepter, allow_dns_resolution_from_remote_vpc=accepter_dns)
            return self._save(tx, replace(peering, requester=requester, accepter=accepter))

    # -- helpers ---------------------------------------------------------------------------

    def _current(self, tx: Transaction, pcx_id: str | None) -> VpcPeeringConnection:
        return as_of(lookups.peering(tx, pcx_id), datetime.now(UTC))

    def _require_side(self, side: PeeringSide, verb: str, peering: VpcPeeringConnection) -> None:
        scope = self.ctx.scope
        if (side.owner_id, side.region) != (scope.account, scope.region):
            raise errors.peering_not_permitted(
                scope.account, verb, peering.vpc_peering_connection_id
            )

    @staticmethod
    def _require_status(peering: VpcPeeringConnection, wanted: PeeringStatus) -> None:
        if peering.status is not wanted:
            raise errors.peering_state_transition(
                peering.vpc_peering_connection_id, peering.status.value
            )

    @staticmethod
    def _moved(
        peering: VpcPeeringConnection, status: PeeringStatus, tx: Transaction
    ) -> VpcPeeringConnection:
        return replace(
            peering,
            status=status,
            status_message=status_message(status, tx.scope.account),
            expiration_time=None,
        )

    @staticmethod
    def _save(tx: Transaction, peering: VpcPeeringConnection) -> VpcPeeringConnection:
        """Write the connection back (the change log names it, so followers of either side
        re-read) and return it with its tags."""
        tx.put_peering(peering)
        found = tx.get_peering(peering.vpc_peering_connection_id)
        return found if found is not None else peering
