"""The agent's snapshots, patched from the change log, equal full reads (no root needed)."""

from __future__ import annotations

import random

from stockade.dataplane.follow import Follower
from stockade.demo.seed import build_seed
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.contracts import LaunchRequest


def _canonical(snapshot):
    return {
        "groups": sorted(snapshot.groups, key=lambda g: g.group_id),
        "rules": sorted(snapshot.rules, key=lambda r: r.rule_id),
        "interfaces": sorted(snapshot.interfaces, key=lambda e: e.eni_id),
        "instances": sorted(snapshot.instances, key=lambda i: i.instance_id),
        "vpcs": sorted(snapshot.vpcs, key=lambda v: v.vpc_id),
        "subnets": sorted(snapshot.subnets, key=lambda s: s.subnet_id),
    }


def test_patched_snapshots_equal_full_reads(store, ctx):
    seed = build_seed(ctx)
    services = Services(ctx)
    follower = Follower(store)
    scope = Scope()
    follower.full(scope)
    revision = store.revision()
    rng = random.Random(5)
    groups = list(seed.groups.values())
    instances = list(seed.instances.values())
    actions = [
        lambda: services.rules.authorize(
            rng.choice(groups),
            [
                IpPermission(
                    "tcp", p := rng.randrange(1, 60000), p, ip_ranges=(("198.51.100.0/24", None),)
                )
            ],
        ),
        lambda: services.rules.authorize(
            rng.choice(groups),
            [
                IpPermission(
                    "udp",
                    p := rng.randrange(1, 60000),
                    p,
                    groups=(GroupPair(group_id=rng.choice(groups)),),
                )
            ],
        ),
        lambda: services.instances.modify_groups(
            rng.choice(instances), rng.sample(groups, rng.randint(1, 3))
        ),
        lambda: services.instances.stop([rng.choice(instances)]),
        lambda: services.instances.start([rng.choice(instances)]),
        lambda: instances.append(
            services.instances.run(
                LaunchRequest(subnet_id=seed.subnet_id, group_ids=(rng.choice(groups),))
            )[0].instance.instance_id
        ),
        lambda: services.groups.create(f"extra-{rng.random()}", "x", seed.vpc_id),
    ]
    patched = 0
    for _ in range(40):
        try:
            rng.choice(actions)()
        except Exception:  # an AWS error (a duplicate rule, a wrong state): nothing changed
            continue
        changes = store.changes_since(revision)
        if not changes:  # e.g. starting a running instance
            continue
        revision = changes[-1].revision
        ids = {i for c in changes for i in c.resource_ids}
        refresh = follower.refresh(scope, ids, revision)
        patched += not refresh.full
        with store.read(scope) as tx:
            full = tx.snapshot()
        assert _canonical(refresh.snapshot) == _canonical(full)
    assert patched > 20  # most changes were patched in, not re-read


def test_a_routing_only_change_is_read_in_full_but_changes_no_group(store):
    """Route tables, NAT and egress-only gateways are the routers' business: the snapshot is
    read again, and the refresh names no group, interface or instance (nothing to
    recompile); anything else with them, or a peering, is a full refresh as before."""
    follower = Follower(store)
    scope = Scope()
    first = follower.full(scope).snapshot
    routing = follower.refresh(scope, ["rtb-0123456789abcdef0", "nat-0123456789abcdef0"], 2)
    assert not routing.full
    assert (routing.groups, routing.interfaces, routing.instances) == (frozenset(),) * 3
    assert routing.snapshot is not first and routing.snapshot == first
    assert follower.refresh(scope, ["rtb-0123456789abcdef0", "vpc-0123456789abcdef0"], 3).full
    assert follower.refresh(scope, ["pcx-0123456789abcdef0"], 4).full


def test_a_scope_is_compiled_over_the_scopes_it_is_peered_with(store):
    """Context and dependents follow active peerings between scopes (hand-built snapshots
    stand for what each scope's read returned)."""
    import dataclasses

    from dataplane.routed import Routed
    from stockade.domain.peering import PeeringStatus

    w = Routed()
    a, b, c = w.vpc("10.0.0.0/16"), w.vpc("10.1.0.0/16"), w.vpc("10.2.0.0/16")
    w.peering(a, b)
    w.peering(a, c, PeeringStatus.PENDING_ACCEPTANCE)
    scopes = {a: Scope("111111111111"), b: Scope("222222222222"), c: Scope("333333333333")}
    w.peerings = [
        dataclasses.replace(
            p,
            requester=dataclasses.replace(p.requester, owner_id=scopes[p.requester.vpc_id].account),
            accepter=dataclasses.replace(p.accepter, owner_id=scopes[p.accepter.vpc_id].account),
        )
        for p in w.peerings
    ]
    follower = Follower(store)
    for vpc, scope in scopes.items():
        follower.snapshots[scope] = w.scope_of(vpc)
    merged = follower.context(scopes[a])
    assert {v.vpc_id for v in merged.vpcs} == {a, b}  # not c: that peering is pending
    assert {v.vpc_id for v in follower.context(scopes[b]).vpcs} == {a, b}
    assert follower.context(scopes[c]) is None
    assert follower.dependents([scopes[b]]) == {scopes[a]}
    assert follower.dependents([scopes[c]]) == set()


def test_a_reachability_analysis_reads_nothing_and_changes_nothing(store):
    """Reachability Analyzer's paths and analyses are logged as changes, but the data plane
    has no part in them: no full read, nothing to recompile — also beside another change."""
    follower = Follower(store)
    scope = Scope()
    first = follower.full(scope).snapshot
    analysis = follower.refresh(scope, ["nip-0123456789abcdef0", "nia-0123456789abcdef0"], 2)
    assert not analysis.full
    assert (analysis.groups, analysis.interfaces, analysis.instances) == (frozenset(),) * 3
    assert _canonical(analysis.snapshot) == _canonical(first)
    mixed = follower.refresh(scope, ["nia-0123456789abcdef0", "rtb-0123456789abcdef0"], 3)
    assert not mixed.full and mixed.groups == frozenset()
