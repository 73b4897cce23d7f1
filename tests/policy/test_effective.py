"""Effective policies (union per direction, references and prefix lists resolved) and the
incremental report of which interfaces' policies changed."""

from __future__ import annotations

from dataclasses import replace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.domain.prefix_list import PrefixListEntry
from stockade.policy.changes import changed_interfaces, policy_delta
from stockade.policy.effective import Direction, effective_policies, effective_policy

from .strategies import PRIVATE, V4_PEERS, V6_ADDRESSES, rules_for, worlds


def test_union_of_groups_with_resolved_peers(world):
    vpc = world.vpc("10.0.0.0/16", "2001:db8:0:1::/64")
    web, admin, peers = (world.group(vpc, n) for n in ("web", "admin", "peers"))
    http = world.rule(web, "in", "tcp", 80, 80, "0.0.0.0/0")
    office = world.prefix_list(["192.0.2.0/24", "198.51.100.0/28"])
    ssh = world.rule(admin, "in", "tcp", 22, 22, office)
    mesh = world.rule(web, "in", "-1", None, None, peers)
    stale = world.rule(admin, "in", "tcp", 443, 443, "sg-0000000000000dead")
    member = world.instance(
        vpc, [peers], "10.0.1.7", public_ip="198.51.100.77", ipv6=["2001:db8:0:1::7"]
    )
    host = world.instance(vpc, [web, admin, web], "10.0.1.5")
    snapshot = world.snapshot()
    policy = effective_policy(snapshot, world.eni_of(host))
    assert policy.group_ids == tuple(sorted({web, admin}))
    ingress = {(e.rule_id, e.cidr, e.via) for e in policy.ingress}
    assert ingress == {
        (http, "0.0.0.0/0", None),
        (ssh, "192.0.2.0/24", None),
        (ssh, "198.51.100.0/28", None),
        # the member's private addresses, both families; never its public IP
        (mesh, "10.0.1.7/32", world.eni_of(member)),
        (mesh, "2001:db8:0:1::7/128", world.eni_of(member)),
    }
    assert all(
        e.group_id in (web, admin) and e.direction is Direction.INGRESS for e in policy.ingress
    )
    assert {e.rule_id for e in policy.egress} == {
        r.rule_id for r in snapshot.rules if r.is_egress and r.group_id in (web, admin)
    }
    (unresolved,) = policy.unresolved
    assert unresolved.rule_id == stale and "stale" in unresolved.reason
    assert effective_policy(snapshot, "eni-00000000000000fff") is None
    assert effective_policies(snapshot)[policy.eni_id] == policy


@st.composite
def mutation(draw, w):
    """Change a World in one of the ways that can (or cannot) alter effective policies."""
    kind = draw(
        st.sampled_from(
            [
                "add-rule",
                "drop-rule",
                "groups",
                "address",
                "prefix-list",
                "add-eni",
                "drop-eni",
                "describe",
                "drop-group",
            ]
        )
    )
    groups = [g.group_id for g in w.groups]
    if kind == "add-rule":
        lists = [p.prefix_list_id for p in w.prefix_lists]
        w.rule(draw(st.sampled_from(groups)), *draw(rules_for(groups, lists)))
    elif kind == "drop-rule" and w.rules:
        w.rules.pop(draw(st.integers(0, len(w.rules) - 1)))
    elif kind == "describe" and w.rules:
        i = draw(st.integers(0, len(w.rules) - 1))
        w.rules[i] = replace(w.rules[i], description="changed")
    elif kind in ("groups", "address") and w.interfaces:
        i = draw(st.integers(0, len(w.interfaces) - 1))
        eni = w.interfaces[i]
        if kind == "groups":
            chosen = draw(st.lists(st.sampled_from(groups), min_size=1, max_size=3))
            w.interfaces[i] = replace(eni, group_ids=tuple(chosen))
        else:
            w.interfaces[i] = replace(
                eni,
                private_ip=draw(st.sampled_from(PRIVATE["10.0.0.0/16"])),
                ipv6_addresses=tuple(
                    draw(st.lists(st.sampled_from(V6_ADDRESSES), max_size=2, unique=True))
                ),
            )
    elif kind == "prefix-list" and w.prefix_lists:
        i = draw(st.integers(0, len(w.prefix_lists) - 1))
        entries = draw(st.lists(st.sampled_from(V4_PEERS), max_size=3, unique=True))
        w.prefix_lists[i] = replace(
            w.prefix_lists[i], version=2, entries=tuple(PrefixListEntry(c) for c in entries)
        )
    elif kind == "add-eni":
        vpc = w.vpcs[0]
        w.interface(vpc.vpc_id, [draw(st.sampled_from(groups))], "10.0.9.9")
    elif kind == "drop-eni" and w.interfaces:
        w.interfaces.pop(draw(st.integers(0, len(w.interfaces) - 1)))
    elif kind == "drop-group" and len(w.groups) > 1:
        w.groups.pop(draw(st.integers(0, len(w.groups) - 1)))
    return kind


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data())
def test_policy_delta_is_exactly_the_interfaces_whose_policy_changed(data):
    w = data.draw(worlds(max_interfaces=6))
    old = w.snapshot()
    for _ in range(data.draw(st.integers(1, 3))):
        data.draw(mutation(w))
    new = w.snapshot()
    before, after = effective_policies(old), effective_policies(new)
    expected_changed = {e for e in before.keys() & after.keys() if before[e] != after[e]}
    delta = policy_delta(old, new)
    assert delta.changed == expected_changed
    assert delta.added == after.keys() - before.keys()
    assert delta.removed == before.keys() - after.keys()
    assert changed_interfaces(old, new) == delta.all
    assert not policy_delta(new, new)


def test_membership_change_reaches_referencing_interfaces_only(world):
    vpc = world.vpc()
    app, db, other = (world.group(vpc, n) for n in ("app", "db", "other"))
    world.rule(db, "in", "tcp", 5432, 5432, app)
    database = world.instance(vpc, [db], "10.0.1.6")
    bystander = world.instance(vpc, [other], "10.0.1.8")
    old = world.snapshot()
    new_app = world.instance(vpc, [app], "10.0.1.5")
    new = world.snapshot()
    delta = policy_delta(old, new)
    assert delta.added == {world.eni_of(new_app)}
    assert delta.changed == {world.eni_of(database)}
    assert world.eni_of(bystander) not in delta.all


def test_replace_starts_a_fresh_cache(seed):
    """Regression: dataclasses.replace used to copy Snapshot._cache by reference, so a
    derived snapshot could read its parent's cached policies."""
    snapshot, ids = seed
    before = effective_policies(snapshot)
    web_eni = snapshot.instance_by_id[ids["web"]].primary_eni_id
    fewer = replace(
        snapshot, rules=tuple(r for r in snapshot.rules if r.rule_id != ids["rule-ssh"])
    )
    assert fewer._cache is not snapshot._cache
    after = effective_policy(fewer, web_eni)
    assert ids["rule-ssh"] not in {e.rule_id for e in after.ingress}
    assert effective_policies(snapshot) == before
    assert policy_delta(snapshot, fewer).changed == {web_eni}
