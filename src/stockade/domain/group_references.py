"""Whether a rule's reference to another security group is live or stale — one definition.

A rule of a group in VPC A may reference a group of VPC A, or a group of a VPC B joined to
A by an **active** peering (same region, any account of the server). The reference is
**stale** when the referenced group is gone, or sits in another VPC with no active peering
between the two (the peering was deleted, rejected, expired…). A stale rule stays (AWS
never removes it: it must be revoked) but matches nothing; peering the same VPCs again
makes it live again — staleness is derived from the state, never stored.

The services (DescribeStaleSecurityGroups, DescribeSecurityGroupReferences, the
``PeeringStatus`` of a described pair) and the policy engine (a stale reference resolves to
no address) both ask :func:`reference_state`, so the API's answer and the verdicts agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from stockade.domain.peering import VpcPeeringConnection, last_between
from stockade.domain.security_group import PeerKind, SecurityGroup, SecurityGroupRule


@dataclass(frozen=True)
class ReferenceState:
    """A reference seen from the referencing group's VPC.

    ``peering`` is the peering the reference crosses: the active one while live, else the
    most recent that joined the two VPCs (``None`` within one VPC, or when no peering ever
    joined them or the referenced group is gone without trace).
    """

    live: bool
    peering: VpcPeeringConnection | None = None

    @property
    def stale(self) -> bool:
        return not self.live


def reference_state(
    referencing_vpc_id: str,
    target: SecurityGroup | None,
    peerings: Sequence[VpcPeeringConnection],
) -> ReferenceState:
    """Live or stale: ``target`` is the referenced group (``None``: it does not exist);
    ``peerings`` those visible to the referencing side, in creation order."""
    if target is None:
        return ReferenceState(False)
    if target.vpc_id == referencing_vpc_id:
        return ReferenceState(True)
    peering = last_between(peerings, referencing_vpc_id, target.vpc_id)
    return ReferenceState(peering is not None and peering.is_active, peering)


@dataclass(frozen=True)
class PeeredReference:
    """A reference to a group of another VPC, as a described ``UserIdGroupPair`` shows it:
    the group's VPC, the peering it crosses and that peering's status (``active`` while
    live, ``deleted`` once stale; ``None`` when no peering is known, e.g. the group is gone
    and with it the knowledge of its VPC). ``group_name``/``owner_id`` are ``None`` once
    the group is gone (AWS then omits ``GroupName`` and ``UserId``)."""

    group_id: str
    vpc_id: str | None
    vpc_peering_connection_id: str | None
    peering_status: str | None
    group_name: str | None = None
    owner_id: str | None = None


def peered_reference(
    group_id: str, target: SecurityGroup | None, state: ReferenceState
) -> PeeredReference:
    """The pair details of a cross-VPC (or vanished) reference in ``state``."""
    peering = state.peering
    vpc_id = target.vpc_id if target is not None else None
    return PeeredReference(
        group_id=group_id,
        vpc_id=vpc_id,
        vpc_peering_connection_id=peering.vpc_peering_connection_id if peering else None,
        peering_status=None if peering is None else ("active" if state.live else "deleted"),
        group_name=target.name if target is not None else None,
        owner_id=target.owner_id if target is not None else None,
    )


def crossings(
    group: SecurityGroup,
    rules: Iterable[SecurityGroupRule],
    group_by_id: Mapping[str, SecurityGroup],
    peerings: Sequence[VpcPeeringConnection],
) -> tuple[PeeredReference, ...]:
    """One :class:`PeeredReference` per group ``rules`` reference outside ``group``'s VPC
    (or gone), from a snapshot's view: what a described group's pairs show."""
    out: dict[str, PeeredReference] = {}
    for rule in rules:
        peer = rule.spec.peer
        if peer.kind is not PeerKind.GROUP or peer.value in out:
            continue
        target = group_by_id.get(peer.value)
        if target is not None and target.vpc_id == group.vpc_id:
            continue
        state = reference_state(group.vpc_id, target, peerings)
        out[peer.value] = peered_reference(peer.value, target, state)
    return tuple(out.values())
