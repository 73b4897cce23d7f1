"""A route blocker's fix as data (``Blocker.route_change``): the complete route-table
changes -- a route added, a blackhole's route replaced, a subnet associated or
disassociated -- carry their change, whose text is the remedy shown; a remedy that needs a
choice first (a placeholder target, a table with no id) carries none."""

from __future__ import annotations

from dataclasses import replace

from stockade.domain.peering import PeeringStatus
from stockade.policy.decide import decide
from stockade.policy.flow import Flow
from stockade.policy.route_change import RouteChange, RouteVerb

from .test_routes import INTERNET, Vpc


def _blocker(snapshot, flow: Flow):
    (blocker,) = decide(snapshot, flow).blockers
    return blocker


def test_an_association_and_a_route_to_the_gateway_are_changes(world):
    a = Vpc(world, 0)
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    out = _blocker(snap, Flow("10.0.2.20", INTERNET, "tcp", 443))
    assert out.route_change == RouteChange.associate(a.public, a.private_subnet)
    assert out.fix == out.remedy == out.route_change.text()
    alone = replace(
        snap, route_tables=tuple(t for t in snap.route_tables if t.route_table_id == a.main)
    )
    added = _blocker(alone, Flow("10.0.2.20", INTERNET, "tcp", 443)).route_change
    assert added == RouteChange(RouteVerb.ADD_ROUTE, a.main, "0.0.0.0/0", a.igw)


def test_a_subnet_on_a_dark_table_of_its_own_is_disassociated(world):
    a = Vpc(world, 0)
    a.add_route(a.main, "0.0.0.0/0", a.igw)
    dark = world.route_table(a.id, [], [a.private_subnet])
    a.instance(a.private_subnet, "10.0.2.20", "198.51.100.20")
    snap = world.snapshot()
    (association,) = (x.association_id for x in snap.route_table_by_id[dark].associations)
    change = _blocker(snap, Flow("10.0.2.20", INTERNET, "tcp", 443)).route_change
    assert change == RouteChange.disassociate(association)
    assert change.text() == f"stockade route-table disassociate {association}"


def test_a_route_to_a_gone_gateway_is_replaced_not_added(world):
    """The route exists (a blackhole): adding it again would be RouteAlreadyExists."""
    a = Vpc(world, 0)
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    snap = world.snapshot()
    fresh = replace(snap.internet_gateways[0], igw_id="igw-0123456789abcdef0")
    gone = replace(snap, internet_gateways=(fresh,))
    blocker = _blocker(gone, Flow("10.0.1.10", INTERNET, "tcp", 443))
    assert (blocker.code, blocker.reason.name) == ("BAD_STATE_ROUTE", "BLACKHOLE_ROUTE")
    assert blocker.route_change == RouteChange(
        RouteVerb.REPLACE_ROUTE, a.public, "0.0.0.0/0", fresh.igw_id
    )
    assert blocker.fix == (
        f"stockade route-table replace-route {a.public} 0.0.0.0/0 --target {fresh.igw_id}"
    )


def test_peered_vpcs_lacking_only_a_route_get_the_route_to_the_peering(world):
    a, b = Vpc(world, 0), Vpc(world, 1, igw=False)
    pcx = world.peering(a.id, b.id)
    a.instance(a.private_subnet, "10.0.2.20")
    b.instance(b.private_subnet, "10.1.2.30")
    a.add_route(a.main, b.cidr, pcx)
    snap = world.snapshot()
    # A -> B: the route back is missing (the check named the peering already)
    back = _blocker(snap, Flow("10.0.2.20", "10.1.2.30", "tcp", 22))
    assert back.route_change == RouteChange(RouteVerb.ADD_ROUTE, b.main, a.cidr, pcx)
    # B -> A: B routes nothing to A; the peering is active, so the route is the fix
    forward = _blocker(snap, Flow("10.1.2.30", "10.0.2.20", "tcp", 22))
    assert forward.route_change == RouteChange(RouteVerb.ADD_ROUTE, b.main, a.cidr, pcx)
    # not peered (or not active): peer first, words only
    pending = replace(
        snap, peerings=(replace(snap.peerings[0], status=PeeringStatus.PENDING_ACCEPTANCE),)
    )
    words = _blocker(pending, Flow("10.1.2.30", "10.0.2.20", "tcp", 22))
    assert words.route_change is None
    assert words.fix is not None and words.fix.startswith(f"peer {b.id} with {a.id}, then ")


def test_a_placeholder_target_is_words_not_a_change(world):
    a = Vpc(world, 0, igw=False)
    a.instance(a.public_subnet, "10.0.1.10", "198.51.100.10")
    blocker = decide(world.snapshot(), Flow("10.0.1.10", INTERNET, "tcp", 443)).blockers
    assert blocker and all(b.route_change is None for b in blocker)
    # the words still name the command, its target left to choose
    command = f"stockade route-table add-route {a.public} 0.0.0.0/0 --target <igw-id>"
    assert any(b.fix is not None and b.fix.endswith(command) for b in blocker)
