"""Rule quotas (reference §3): counted per group x direction x address family."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain import quotas
from stockade.domain.errors import AwsError
from stockade.domain.quotas import Quotas, check_rule_quota, rule_counts
from stockade.domain.security_group import Peer, PeerKind, RuleSpec

WEIGHTS = {"pl-aaaaaaaa": 10, "pl-bbbbbbbb": 55, "pl-cccccccc": 1, "pl-dddddddd": 61}


def weight_of(pl_id):
    return WEIGHTS[pl_id]


def v4(i, egress=False, port=22):
    n = i % 256
    return RuleSpec(egress, "tcp", port, port, Peer(PeerKind.CIDR_V4, f"10.{i // 256}.{n}.0/24"))


def v6(i, egress=False, port=22):
    return RuleSpec(egress, "tcp", port, port, Peer(PeerKind.CIDR_V6, f"2001:db8:{i:x}::/48"))


def sg(i, egress=False):
    return RuleSpec(egress, "-1", -1, -1, Peer(PeerKind.GROUP, f"sg-{i:08x}", "123456789012"))


def pl(pl_id, egress=False):
    return RuleSpec(egress, "tcp", 443, 443, Peer(PeerKind.PREFIX_LIST, pl_id))


def zero():
    return {(False, 4): 0, (False, 6): 0, (True, 4): 0, (True, 6): 0}


def test_empty_counts_all_four_buckets():
    assert rule_counts([], weight_of) == zero()


@pytest.mark.parametrize("egress", [False, True])
def test_ipv4_cidr_counts_once_in_ipv4_only(egress):
    want = zero() | {(egress, 4): 1}
    assert rule_counts([v4(1, egress)], weight_of) == want


@pytest.mark.parametrize("egress", [False, True])
def test_ipv6_cidr_counts_once_in_ipv6_only(egress):
    want = zero() | {(egress, 6): 1}
    assert rule_counts([v6(1, egress)], weight_of) == want


@pytest.mark.parametrize("egress", [False, True])
def test_group_reference_counts_once_in_both_families(egress):
    want = zero() | {(egress, 4): 1, (egress, 6): 1}
    assert rule_counts([sg(1, egress)], weight_of) == want


@pytest.mark.parametrize("egress", [False, True])
def test_prefix_list_counts_its_weight_in_both_families(egress):
    want = zero() | {(egress, 4): 55, (egress, 6): 55}
    assert rule_counts([pl("pl-bbbbbbbb", egress)], weight_of) == want


def test_directions_are_counted_separately():
    specs = [v4(1), v4(2), v4(3, True), v6(1, True), sg(1), pl("pl-aaaaaaaa", True)]
    assert rule_counts(specs, weight_of) == {
        (False, 4): 3,
        (False, 6): 1,
        (True, 4): 11,
        (True, 6): 11,
    }


def test_weight_of_is_asked_only_about_prefix_lists():
    asked = []

    def spy(pl_id):
        asked.append(pl_id)
        return 3

    rule_counts([v4(1), v6(1), sg(1), pl("pl-aaaaaaaa"), pl("pl-bbbbbbbb", True)], spy)
    assert asked == ["pl-aaaaaaaa", "pl-bbbbbbbb"]


# --- check_rule_quota -------------------------------------------------------------------------


def assert_over(specs, q=None):
    with pytest.raises(AwsError) as info:
        check_rule_quota(specs, weight_of, q or Quotas())
    assert info.value.code == "RulesPerSecurityGroupLimitExceeded"
    # real AWS wording (§3)
    assert info.value.message == "The maximum number of rules per security group has been reached."


def test_sixty_ipv4_rules_fit_sixty_one_do_not():
    check_rule_quota([v4(i) for i in range(60)], weight_of, Quotas())
    assert_over([v4(i) for i in range(61)])


def test_sixty_per_family_per_direction_all_fit_together():
    specs = (
        [v4(i) for i in range(60)]
        + [v6(i) for i in range(60)]
        + [v4(i, True) for i in range(60)]
        + [v6(i, True) for i in range(60)]
    )
    check_rule_quota(specs, weight_of, Quotas())


def test_group_reference_uses_room_in_both_families():
    check_rule_quota([v4(i) for i in range(59)] + [sg(1)], weight_of, Quotas())
    assert_over([v4(i) for i in range(60)] + [sg(1)])
    assert_over([v6(i) for i in range(60)] + [sg(1)])
    # ... but not in the other direction
    check_rule_quota([v4(i) for i in range(60)] + [sg(1, True)], weight_of, Quotas())


def test_prefix_list_weight_counts_against_the_quota():
    check_rule_quota([pl("pl-bbbbbbbb")] + [v4(i) for i in range(5)], weight_of, Quotas())
    assert_over([pl("pl-bbbbbbbb")] + [v4(i) for i in range(6)])
    assert_over([pl("pl-bbbbbbbb")] + [v6(i) for i in range(6)])
    assert_over([pl("pl-dddddddd")])


def test_raised_quota_is_honoured():
    q = Quotas(rules_per_group=100, groups_per_interface=10)
    check_rule_quota([v4(i) for i in range(100)], weight_of, q)
    assert_over([v4(i) for i in range(101)], q)


def independent_counts(specs):
    out = {}
    for s in specs:
        if s.peer.kind == PeerKind.CIDR_V4:
            costs = {4: 1}
        elif s.peer.kind == PeerKind.CIDR_V6:
            costs = {6: 1}
        elif s.peer.kind == PeerKind.GROUP:
            costs = {4: 1, 6: 1}
        else:
            w = WEIGHTS[s.peer.value]
            costs = {4: w, 6: w}
        for fam, c in costs.items():
            out[(s.is_egress, fam)] = out.get((s.is_egress, fam), 0) + c
    return out


spec_strategy = st.tuples(
    st.sampled_from(["v4", "v6", "sg", "pl"]),
    st.booleans(),
    st.integers(0, 5000),
    st.sampled_from(sorted(WEIGHTS)),
).map(
    lambda t: {
        "v4": lambda: v4(t[2], t[1]),
        "v6": lambda: v6(t[2], t[1]),
        "sg": lambda: sg(t[2], t[1]),
        "pl": lambda: pl(t[3], t[1]),
    }[t[0]]()
)


@settings(max_examples=200, deadline=None)
@given(st.lists(spec_strategy, max_size=80), st.integers(1, 200))
def test_counts_match_an_independent_counter(specs, limit):
    got = rule_counts(specs, weight_of)
    want = independent_counts(specs)
    assert set(got) == {(e, f) for e in (False, True) for f in (4, 6)}
    for key, value in got.items():
        assert value == want.get(key, 0)
    q = Quotas(rules_per_group=limit, groups_per_interface=1)
    over = any(v > limit for v in want.values())
    if over:
        assert_over(specs, q)
    else:
        check_rule_quota(specs, weight_of, q)


# --- Quotas configuration ---------------------------------------------------------------------


def test_defaults_match_aws():
    q = Quotas()
    assert q.rules_per_group == 60
    assert q.groups_per_interface == 5
    assert q.groups_per_region == 2500
    assert q.vpcs_per_region == 5
    assert q.subnets_per_vpc == 200
    assert q.interfaces_per_region == 5000
    assert q.prefix_lists_per_region == 100
    assert q.prefix_list_max_entries == 1000


def test_groups_per_interface_can_be_raised_to_16_at_most():
    assert quotas.MAX_GROUPS_PER_INTERFACE == 16
    Quotas(groups_per_interface=16, rules_per_group=62)
    with pytest.raises(ValueError):
        Quotas(groups_per_interface=17, rules_per_group=1)


@pytest.mark.parametrize(
    ("rules", "groups", "ok"),
    [
        (100, 10, True),
        (101, 10, False),
        (1000, 1, True),
        (1001, 1, False),
        (60, 16, True),
        (63, 16, False),
        (200, 5, True),
        (201, 5, False),
    ],
)
def test_rules_times_groups_is_capped_at_1000(rules, groups, ok):
    if ok:
        Quotas(rules_per_group=rules, groups_per_interface=groups)
    else:
        with pytest.raises(ValueError):
            Quotas(rules_per_group=rules, groups_per_interface=groups)


@pytest.mark.parametrize("name", Quotas.names())
@pytest.mark.parametrize("value", [0, -1])
def test_every_quota_must_be_at_least_one(name, value):
    with pytest.raises(ValueError):
        Quotas(**{name: value})


def test_names_lists_every_field():
    assert Quotas.names() == [
        "rules_per_group",
        "groups_per_interface",
        "groups_per_region",
        "vpcs_per_region",
        "subnets_per_vpc",
        "interfaces_per_region",
        "prefix_lists_per_region",
        "prefix_list_max_entries",
        "elastic_ips_per_region",
        "nat_gateways_per_zone",
        "route_tables_per_vpc",
        "routes_per_table",
        "network_acls_per_vpc",
        "network_acl_entries",
        "active_peerings_per_vpc",
        "outstanding_peerings_per_account",
        "network_insights_paths",
        "private_ipv4_per_interface",
        "cidr_blocks_per_vpc",
    ]


def test_quotas_parse_settings() -> None:
    q = Quotas.parse("rules_per_group=100, groups-per-interface=10;groups_per_region=7")
    assert (q.rules_per_group, q.groups_per_interface, q.groups_per_region) == (100, 10, 7)
    assert Quotas.parse("") == Quotas() == Quotas.parse(None)
    bad_settings = (
        "nope=1",
        "rules_per_group",
        "rules_per_group=x",
        "rules_per_group=101,groups_per_interface=10",
    )
    for bad in bad_settings:
        with pytest.raises(ValueError):
            Quotas.parse(bad)
