"""VPC peering through the services: two accounts are two scopes of one store.

States and who may move them, every error of the reference, the route target's state,
security-group references across an active peering, and staleness after a delete.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from stockade.domain.errors import AwsError
from stockade.domain.peering import PeeringStatus
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.quotas import Quotas
from stockade.domain.route_targets import target_usable
from stockade.domain.routing import Route
from stockade.domain.scope import Scope
from stockade.policy.effective import effective_policy
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, PeeringRequest
from stockade.service.route_targets import TARGETS, resolve

ALICE, BOB, CAROL = "111111111111", "222222222222", "333333333333"


def services(store, account: str, quotas: Quotas | None = None) -> Services:
    ctx = ServiceContext(store, Scope(account), quotas or Quotas())
    with ctx.read():  # the account's default VPC now, so revisions below are stable
        pass
    return Services(ctx)


@pytest.fixture
def alice(store):
    return services(store, ALICE)


@pytest.fixture
def bob(store):
    return services(store, BOB)


@pytest.fixture
def carol(store):
    return services(store, CAROL)


def request(services: Services, vpc_id: str, peer_vpc_id: str, owner: str | None = None):
    return services.peering.create(PeeringRequest(vpc_id, peer_vpc_id, owner))


def ref(group_id: str, port: int = 22, **pair) -> IpPermission:
    return IpPermission("tcp", port, port, groups=(GroupPair(group_id=group_id, **pair),))


# -- lifecycle ------------------------------------------------------------------------------


def test_same_account_request_waits_for_acceptance(alice):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = alice.network.create_vpc("10.2.0.0/16").vpc_id
    pcx = request(alice, a, b)
    assert pcx.status is PeeringStatus.PENDING_ACCEPTANCE
    assert pcx.status_message == f"Pending Acceptance by {ALICE}"
    assert pcx.expiration_time is not None and pcx.expiration_time.endswith("Z")
    assert (pcx.requester.vpc_id, pcx.accepter.vpc_id) == (a, b)
    assert pcx.requester.cidr_blocks == ("10.1.0.0/16",)
    active = alice.peering.accept(pcx.vpc_peering_connection_id)
    assert (active.status, active.status_message) == (PeeringStatus.ACTIVE, "Active")
    assert active.expiration_time is None
    assert alice.peering.describe() == [active]


def test_cross_account_request_is_seen_by_both_and_accepted_by_the_accepter_only(
    alice, bob, carol, rejected
):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    pcx = request(alice, a, b, BOB)
    pid = pcx.vpc_peering_connection_id
    assert pcx.status_message == f"Pending Acceptance by {BOB}"
    assert [p.vpc_peering_connection_id for p in bob.peering.describe()] == [pid]
    assert bob.peering.describe([pid])[0].accepter.owner_id == BOB
    rejected("OperationNotPermitted", alice.peering.accept, pid)
    rejected("OperationNotPermitted", alice.peering.reject, pid)
    rejected("OperationNotPermitted", bob.peering.delete, pid)  # pending: requester only
    rejected("InvalidVpcPeeringConnectionID.NotFound", carol.peering.accept, pid)
    rejected("InvalidVpcPeeringConnectionID.NotFound", carol.peering.describe, [pid])
    assert carol.peering.describe() == []
    assert bob.peering.accept(pid).status is PeeringStatus.ACTIVE
    assert alice.peering.describe([pid])[0].status is PeeringStatus.ACTIVE
    rejected("InvalidStateTransition", bob.peering.accept, pid)
    rejected("InvalidStateTransition", bob.peering.reject, pid)
    deleted = bob.peering.delete(pid)  # either owner once active
    assert (deleted.status, deleted.status_message) == (PeeringStatus.DELETED, f"Deleted by {BOB}")
    assert alice.peering.describe([pid])[0].status is PeeringStatus.DELETED  # stays visible
    rejected("InvalidStateTransition", alice.peering.delete, pid)


def test_reject_and_requester_delete_keep_the_connection_visible(alice, bob, rejected):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    first = request(alice, a, b, BOB).vpc_peering_connection_id
    no = bob.peering.reject(first)
    assert (no.status, no.status_message) == (PeeringStatus.REJECTED, f"Rejected by {BOB}")
    rejected("InvalidStateTransition", bob.peering.accept, first)
    rejected("InvalidStateTransition", alice.peering.delete, first)
    second = request(alice, a, b, BOB).vpc_peering_connection_id  # the pair is free again
    assert alice.peering.delete(second).status is PeeringStatus.DELETED
    assert [p.status for p in bob.peering.describe()] == [
        PeeringStatus.REJECTED,
        PeeringStatus.DELETED,
    ]


def test_overlapping_blocks_create_a_failed_request_not_an_error(alice, rejected):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = alice.network.create_vpc("10.1.128.0/17").vpc_id
    failed = request(alice, a, b)
    assert failed.status is PeeringStatus.FAILED
    assert "overlapping CIDR" in failed.status_message
    rejected("InvalidStateTransition", alice.peering.accept, failed.vpc_peering_connection_id)
    rejected("InvalidStateTransition", alice.peering.delete, failed.vpc_peering_connection_id)
    assert request(alice, a, b).status is PeeringStatus.FAILED  # a failed one holds nothing


def test_one_pending_or_active_connection_per_vpc_pair(alice, bob, rejected):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    rejected("VpcPeeringConnectionAlreadyExists", request, alice, a, b, BOB)
    rejected("VpcPeeringConnectionAlreadyExists", request, bob, b, a, ALICE)  # either way
    bob.peering.accept(pid)
    rejected("VpcPeeringConnectionAlreadyExists", request, alice, a, b, BOB)


def test_bad_requests_change_nothing(alice, bob, rejected):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    rejected("InvalidVpcID.NotFound", request, alice, "vpc-0123456789abcdef0", b, BOB)
    rejected("InvalidVpcID.Malformed", request, alice, a, "vpc-nope", BOB)
    rejected("InvalidVpcID.NotFound", request, alice, a, "vpc-0123456789abcdef0", BOB)
    rejected("InvalidVpcID.NotFound", request, alice, a, b)  # Bob's VPC named as Alice's
    rejected("InvalidVpcID.NotFound", request, alice, b, a)  # not Alice's VPC to request from
    rejected("InvalidParameterValue", request, alice, a, a)
    rejected("InvalidParameterValue", request, alice, a, b, "bob")
    rejected("MissingParameter", alice.peering.create, PeeringRequest(a, None))
    other_region = PeeringRequest(a, b, BOB, "eu-west-1")
    rejected("UnsupportedOperation", alice.peering.create, other_region)
    rejected("InvalidVpcPeeringConnectionId.Malformed", alice.peering.accept, "pcx-zz")
    rejected("InvalidVpcPeeringConnectionId.Malformed", alice.peering.accept, None)
    rejected(
        "InvalidVpcPeeringConnectionID.NotFound", alice.peering.delete, "pcx-0123456789abcdef0"
    )
    assert alice.peering.describe() == []


def test_outstanding_and_active_limits(store, rejected):
    tight = Quotas(outstanding_peerings_per_account=2, active_peerings_per_vpc=1)
    alice, bob = services(store, ALICE, tight), services(store, BOB, tight)
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b1 = bob.network.create_vpc("10.2.0.0/16").vpc_id
    b2 = bob.network.create_vpc("10.3.0.0/16").vpc_id
    b3 = bob.network.create_vpc("10.4.0.0/16").vpc_id
    p1 = request(alice, a, b1, BOB).vpc_peering_connection_id
    p2 = request(alice, a, b2, BOB).vpc_peering_connection_id
    rejected("OutstandingVpcPeeringConnectionLimitExceeded", request, alice, a, b3, BOB)
    bob.peering.accept(p1)
    rejected("ActiveVpcPeeringConnectionPerVpcLimitExceeded", bob.peering.accept, p2)
    request(alice, a, b3, BOB)  # p1 no longer outstanding


def test_a_request_left_pending_past_its_expiry_is_expired(store, alice, rejected):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = alice.network.create_vpc("10.2.0.0/16").vpc_id
    pcx = request(alice, a, b)
    with store.write(Scope(ALICE)) as tx:
        tx.put_peering(replace(pcx, expiration_time="2020-01-01T00:00:00.000Z"))
    [seen] = alice.peering.describe()
    assert (seen.status, seen.status_message) == (PeeringStatus.EXPIRED, "Expired")
    rejected("InvalidStateTransition", alice.peering.accept, pcx.vpc_peering_connection_id)
    assert request(alice, a, b).status is PeeringStatus.PENDING_ACCEPTANCE  # pair is free


def test_dns_option_needs_an_active_connection_both_dns_attributes_and_its_own_side(
    alice, bob, rejected
):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    rejected("InvalidStateTransition", alice.peering.modify_options, pid, True)
    bob.peering.accept(pid)
    rejected("OperationNotPermitted", bob.peering.modify_options, pid, True)  # not Bob's side
    rejected("MissingParameter", alice.peering.modify_options, pid)
    # a new VPC has DNS hostnames off (AWS's default for non-default VPCs)
    rejected(
        "InvalidVpcPeeringConnectionState.DnsHostnamesDisabled",
        alice.peering.modify_options,
        pid,
        True,
    )
    off = bob.peering.modify_options(pid, accepter_dns=False)
    assert off.accepter.allow_dns_resolution_from_remote_vpc is False


def test_peerings_can_be_tagged_on_create_and_after(alice):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = alice.network.create_vpc("10.2.0.0/16").vpc_id
    pcx = alice.peering.create(PeeringRequest(a, b, tags=(("Name", "a-b"),)))
    assert pcx.tags == (("Name", "a-b"),)
    alice.tags.create_tags([pcx.vpc_peering_connection_id], (("env", "test"),))
    [seen] = alice.peering.describe()
    assert seen.tags == (("Name", "a-b"), ("env", "test"))


# -- the store: one row, two scopes ---------------------------------------------------------


def test_both_scopes_snapshot_the_peering_and_know_each_other_once_active(store, alice, bob):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    with store.read(Scope(ALICE)) as tx:
        assert tx.peered_scopes() == []
    bob.peering.accept(pid)
    for me, other in ((ALICE, BOB), (BOB, ALICE)):
        with store.read(Scope(me)) as tx:
            assert [p.vpc_peering_connection_id for p in tx.snapshot().peerings] == [pid]
            assert tx.peered_scopes() == [Scope(other)]
    with store.read(Scope(CAROL)) as tx:
        assert tx.snapshot().peerings == () and tx.get_peering(pid) is None


# -- the route target -----------------------------------------------------------------------


def test_a_route_to_the_peering_forwards_only_while_it_is_active(store, alice, bob):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    c = alice.network.create_vpc("10.3.0.0/16").vpc_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    lookup = TARGETS["pcx"]
    route = Route("10.2.0.0/16", pid)

    def forwards(vpc_id: str) -> tuple[bool, bool]:
        """As a describe derives it (a transaction) and as the policy does (a snapshot)."""
        with store.read(Scope(ALICE)) as tx:
            assert lookup(tx, pid).vpc_peering_connection_id == pid
            return target_usable(tx, route, vpc_id), target_usable(tx.snapshot(), route, vpc_id)

    assert forwards(a) == (False, False)  # pending: blackhole
    bob.peering.accept(pid)
    assert forwards(a) == (True, True)
    assert forwards(c) == (False, False)  # not a side of this peering
    alice.peering.delete(pid)
    assert forwards(a) == (False, False)
    with store.read(Scope(CAROL)) as tx, pytest.raises(AwsError) as info:
        lookup(tx, pid)
    assert info.value.code == "InvalidVpcPeeringConnectionID.NotFound"


def test_a_route_target_peering_must_join_the_tables_vpc(store, alice, bob):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    c = alice.network.create_vpc("10.3.0.0/16").vpc_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    with store.read(Scope(ALICE)) as tx:
        assert resolve(tx, a, "rtb-0123456789abcdef0", "pcx", pid) == (pid, None)
        with pytest.raises(AwsError) as info:
            resolve(tx, c, "rtb-0123456789abcdef0", "pcx", pid)
    assert info.value.code == "InvalidParameterValue"
    assert "belong to different networks" in info.value.message


# -- security-group references across the peering ------------------------------------------


@pytest.fixture
def peered(alice, bob):
    """Alice's VPC a and Bob's VPC b, a group in each, peered (active)."""
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    app = alice.groups.create("app", "app", a).group.group_id
    db = bob.groups.create("db", "db", b).group.group_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    return a, b, app, db, pid


def test_a_peer_group_is_unknown_until_the_peering_is_active(alice, bob, peered, rejected):
    a, b, app, db, pid = peered
    # pending: Bob's group is answered as if it did not exist (no oracle)
    err = rejected("InvalidGroup.NotFound", alice.rules.authorize, app, [ref(db, user_id=BOB)])
    assert "does not exist" in err.message
    # same account, other VPC, no peering: "different networks"
    mine = alice.network.create_vpc("10.9.0.0/16").vpc_id
    other = alice.groups.create("other", "o", mine).group.group_id
    err = rejected("InvalidGroup.NotFound", alice.rules.authorize, app, [ref(other)])
    assert "different networks" in err.message
    bob.peering.accept(pid)
    [rule] = alice.rules.authorize(app, [ref(db, user_id=BOB, vpc_peering_connection_id=pid)])
    assert (rule.spec.peer.value, rule.spec.peer.owner_id) == (db, BOB)
    [rule] = bob.rules.authorize(db, [ref(app, 5432)])  # and the other way round
    assert rule.spec.peer.owner_id == ALICE


def test_references_must_name_the_right_owner_vpc_and_peering(alice, bob, peered, rejected):
    a, b, app, db, pid = peered
    bob.peering.accept(pid)
    rejected("InvalidGroup.NotFound", alice.rules.authorize, app, [ref(db, user_id=CAROL)])
    rejected("InvalidGroup.NotFound", alice.rules.authorize, app, [ref(db, vpc_id=a)])
    wrong = "pcx-0123456789abcdef0"
    rejected(
        "InvalidVpcPeeringConnectionID.NotFound",
        alice.rules.authorize,
        app,
        [ref(db, vpc_peering_connection_id=wrong)],
    )


def test_describe_shows_the_peering_a_reference_crosses(alice, bob, peered):
    a, b, app, db, pid = peered
    bob.peering.accept(pid)
    alice.rules.authorize(app, [ref(db)])
    [detail] = alice.groups.describe([app])
    [crossing] = detail.referenced
    assert (crossing.group_id, crossing.vpc_id, crossing.owner_id) == (db, b, BOB)
    assert (crossing.vpc_peering_connection_id, crossing.peering_status) == (pid, "active")
    [reference] = bob.groups.references([db])
    assert (reference.referencing_vpc_id, reference.vpc_peering_connection_id) == (a, pid)
    assert alice.groups.stale(a) == []


def test_deleting_the_peering_makes_the_rules_stale_and_re_peering_clears_them(
    store, alice, bob, peered
):
    a, b, app, db, pid = peered
    bob.peering.accept(pid)
    alice.rules.authorize(app, [ref(db)])
    alice.rules.authorize(app, [ref(db, 443)], egress=True)
    bob.peering.delete(pid)
    [stale] = alice.groups.stale(a)
    assert stale.group.group_id == app
    assert sorted((r.is_egress, r.spec.from_port) for r in stale.stale_rules) == [
        (False, 22),
        (True, 443),
    ]
    [crossing] = stale.referenced
    assert (crossing.vpc_peering_connection_id, crossing.peering_status) == (pid, "deleted")
    assert bob.groups.references([db]) == []
    [detail] = alice.groups.describe([app])
    assert detail.referenced[0].peering_status == "deleted"
    again = request(bob, b, a, ALICE).vpc_peering_connection_id  # either side may re-peer
    assert alice.groups.stale(a) != []  # pending is not enough
    alice.peering.accept(again)
    assert alice.groups.stale(a) == []
    [reference] = bob.groups.references([db])
    assert reference.vpc_peering_connection_id == again


def test_a_deleted_peer_group_leaves_stale_rules_that_can_be_revoked(alice, bob, peered):
    a, b, app, db, pid = peered
    bob.peering.accept(pid)
    alice.rules.authorize(app, [ref(db)])
    bob.groups.delete(db)  # never blocked by a peer's reference
    [stale] = alice.groups.stale(a)
    [crossing] = stale.referenced
    assert (crossing.group_name, crossing.owner_id) == (None, None)
    result = alice.rules.revoke(app, [ref(db)])
    assert [r.spec.peer.value for r in result.revoked] == [db]
    assert alice.groups.stale(a) == []


def test_a_stale_reference_matches_nothing_in_the_policy(store, alice, bob, peered):
    """The policy engine over the merged snapshot of both accounts: members of the peer
    group are allowed while the peering is active, nothing once it is deleted."""
    a, b, app, db, pid = peered
    bob.peering.accept(pid)
    alice.rules.authorize(app, [ref(db)])
    subnet_a = alice.network.create_subnet(a, "10.1.1.0/24").subnet_id
    subnet_b = bob.network.create_subnet(b, "10.2.1.0/24").subnet_id
    [mine] = alice.instances.run(LaunchRequest(subnet_id=subnet_a, group_ids=(app,)))
    bob.instances.run(LaunchRequest(subnet_id=subnet_b, group_ids=(db,)))
    eni = mine.interfaces[0].eni_id

    def allowed_sources() -> list[str]:
        with store.read(Scope(ALICE)) as tx, store.read(Scope(BOB)) as other:
            merged = tx.snapshot().merged(other.snapshot())
        policy = effective_policy(merged, eni)
        assert policy is not None
        return [e.cidr for e in policy.ingress if e.peer.value == db]

    [source] = allowed_sources()
    assert source.startswith("10.2.1.")
    alice.peering.delete(pid)
    assert allowed_sources() == []


def test_a_vpc_with_a_pending_or_active_peering_cannot_be_deleted(alice, bob, rejected):
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = bob.network.create_vpc("10.2.0.0/16").vpc_id
    pid = request(alice, a, b, BOB).vpc_peering_connection_id
    rejected("DependencyViolation", bob.network.delete_vpc, b)  # pending holds the accepter
    bob.peering.accept(pid)
    rejected("DependencyViolation", alice.network.delete_vpc, a)
    alice.peering.delete(pid)
    alice.network.delete_vpc(a)
    bob.network.delete_vpc(b)
    assert [p.status for p in alice.peering.describe()] == [PeeringStatus.DELETED]


def test_the_data_plane_follower_reads_peerings_on_a_pcx_change(store, alice):
    from stockade.dataplane.follow import Follower

    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = alice.network.create_vpc("10.2.0.0/16").vpc_id
    follower = Follower(store)
    assert follower.full(Scope(ALICE)).snapshot.peerings == ()
    pid = request(alice, a, b).vpc_peering_connection_id
    [change] = store.changes_since(store.revision() - 1)
    assert pid in change.resource_ids  # the change log names the peering
    refresh = follower.refresh(Scope(ALICE), change.resource_ids, change.revision)
    assert refresh.full and [p.vpc_peering_connection_id for p in refresh.snapshot.peerings] == [
        pid
    ]


def test_a_request_expired_while_pending_keeps_the_blocks_it_had(store, alice):
    """An expired request is over: a block its requester's VPC gains later does not show on
    it (an active or still-pending one shows it)."""
    a = alice.network.create_vpc("10.1.0.0/16").vpc_id
    b = alice.network.create_vpc("10.2.0.0/16").vpc_id
    c = alice.network.create_vpc("10.3.0.0/16").vpc_id
    expired = request(alice, a, b)
    pending = request(alice, a, c)
    with store.write(Scope(ALICE)) as tx:
        tx.put_peering(replace(expired, expiration_time="2020-01-01T00:00:00.000Z"))
    alice.cidr_blocks.associate_vpc_ipv4(a, "10.11.0.0/16")
    seen = {p.vpc_peering_connection_id: p for p in alice.peering.describe()}
    assert seen[expired.vpc_peering_connection_id].status is PeeringStatus.EXPIRED
    assert seen[expired.vpc_peering_connection_id].requester.cidr_blocks == ("10.1.0.0/16",)
    assert seen[pending.vpc_peering_connection_id].requester.cidr_blocks == (
        "10.1.0.0/16",
        "10.11.0.0/16",
    )
