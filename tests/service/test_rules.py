"""Rules: protocols, ports, CIDRs, peers, duplicates, quotas, revoke and modify semantics."""

from __future__ import annotations

import pytest
from helpers import perm, tcp

from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.quotas import Quotas
from stockade.service.context import ServiceContext
from stockade.service.contracts import RuleUpdate
from stockade.service.groups import GroupService
from stockade.service.network import NetworkService
from stockade.service.prefix_lists import PrefixListService
from stockade.service.rules import RuleService


@pytest.fixture
def vpc(ctx):
    return NetworkService(ctx).create_vpc("10.0.0.0/16")


@pytest.fixture
def gid(ctx, vpc):
    return GroupService(ctx).create("web", "web servers", vpc.vpc_id).group.group_id


@pytest.fixture
def rules(ctx):
    return RuleService(ctx)


def specs(ctx, gid, egress=False):
    return [
        (r.spec.protocol, r.spec.from_port, r.spec.to_port, r.spec.peer.value)
        for r in RuleService(ctx).describe(group_ids=[gid])
        if r.is_egress == egress
    ]


@pytest.mark.parametrize(
    "protocol, stored",
    [
        ("TCP", "tcp"),
        ("6", "tcp"),
        ("17", "udp"),
        ("Udp", "udp"),
        ("1", "icmp"),
        ("58", "icmpv6"),
        ("47", "47"),
        ("-1", "-1"),
        ("132", "132"),
        ("0", "0"),
    ],
)
def test_protocols_are_canonicalised(ctx, gid, rules, protocol, stored):
    ports = (
        (22, 22)
        if stored in ("tcp", "udp")
        else (8, -1)
        if stored in ("icmp", "icmpv6")
        else (None, None)
    )
    [rule] = rules.authorize(gid, [perm(protocol, *ports)])
    assert rule.spec.protocol == stored


def test_all_and_other_protocols_ignore_ports(ctx, gid, rules):
    [a] = rules.authorize(gid, [perm("-1", 5, 10)])
    [b] = rules.authorize(gid, [perm("47", 1, 2, "10.1.0.0/16")])
    assert (a.spec.from_port, a.spec.to_port) == (-1, -1) == (b.spec.from_port, b.spec.to_port)


@pytest.mark.parametrize(
    "protocol, from_port, to_port, code",
    [
        ("tcp", None, 22, "InvalidParameterValue"),
        ("udp", 53, None, "InvalidParameterValue"),
        ("tcp", -1, -1, "InvalidPermission.Malformed"),
        ("tcp", 0, 65536, "InvalidPermission.Malformed"),
        ("tcp", 80, 22, "InvalidParameterValue"),
        ("icmp", None, None, "InvalidParameterValue"),
        ("icmp", 256, 0, "InvalidPermission.Malformed"),
        ("icmp", -1, 4, "InvalidPermission.Malformed"),
        ("foo", 1, 2, "InvalidParameterValue"),
        ("256", None, None, "InvalidParameterValue"),
        (None, 1, 2, "MissingParameter"),
    ],
)
def test_invalid_ports_and_protocols(gid, rules, rejected, protocol, from_port, to_port, code):
    rejected(code, rules.authorize, gid, [perm(protocol, from_port, to_port)])


def test_icmpv6_without_ports_means_all(gid, rules):
    [rule] = rules.authorize(gid, [perm("icmpv6", cidr="::/0")])
    assert (rule.spec.from_port, rule.spec.to_port) == (-1, -1)


def test_tcp_error_messages_are_aws_wording(gid, rules, rejected):
    err = rejected("InvalidParameterValue", rules.authorize, gid, [perm("tcp", None, None)])
    assert (
        err.message
        == "Invalid value 'Must specify both from and to ports with TCP/UDP.' for portRange."
    )
    err = rejected("InvalidPermission.Malformed", rules.authorize, gid, [perm("tcp", -1, -1)])
    assert err.message == "TCP/UDP port (-1) out of range"


def test_cidrs_are_canonicalised(ctx, gid, rules):
    rules.authorize(gid, [tcp(22, "10.0.0.5/16", "2001:DB8:0:0::1/32")])
    assert sorted(s[3] for s in specs(ctx, gid)) == ["10.0.0.0/16", "2001:db8::/32"]


@pytest.mark.parametrize(
    "cidr", ["10.0.0.1", "10.0.0.0/33", "::/0-as-v4", "garbage", "10.0.0.0/8 "]
)
def test_malformed_cidrs(gid, rules, rejected, cidr):
    err = rejected(
        "InvalidParameterValue",
        rules.authorize,
        gid,
        [IpPermission("tcp", 22, 22, ip_ranges=((cidr, None),))],
    )
    assert err.message == f"CIDR block {cidr} is malformed"


def test_ipv6_cidr_in_ipv4_field_is_malformed(gid, rules, rejected):
    err = rejected(
        "InvalidParameterValue",
        rules.authorize,
        gid,
        [IpPermission("tcp", 22, 22, ip_ranges=(("::/0", None),))],
    )
    assert err.message == "CIDR block ::/0 is malformed"


def test_one_rule_per_peer_each_with_its_own_id_and_description(ctx, gid, rules):
    other = GroupService(ctx).create("other", "d", GroupService(ctx).get(gid).group.vpc_id)
    pl = PrefixListService(ctx).create("office", 2, "IPv4", [("192.0.2.0/24", None)])
    added = rules.authorize(
        gid,
        [
            IpPermission(
                "tcp",
                443,
                443,
                ip_ranges=(("10.0.0.0/16", "a"), ("192.0.2.0/24", "b")),
                ipv6_ranges=(("2001:db8::/32", "c"),),
                prefix_list_ids=((pl.prefix_list_id, "d"),),
                groups=(GroupPair(group_id=other.group.group_id, description="e"),),
            )
        ],
    )
    assert len(added) == 5 and len({r.rule_id for r in added}) == 5
    assert [r.description for r in added] == ["a", "b", "c", "d", "e"]


def test_duplicate_rule_is_rejected_and_description_does_not_matter(gid, rules, rejected):
    rules.authorize(gid, [tcp(22, "10.0.0.0/16", desc="one")])
    err = rejected(
        "InvalidPermission.Duplicate", rules.authorize, gid, [tcp(22, "10.0.0.7/16", desc="two")]
    )
    assert err.message == (
        'the specified rule "peer: 10.0.0.0/16, TCP, from port: 22, to port: 22, ALLOW" '
        "already exists"
    )
    rules.authorize(gid, [tcp(22, "10.0.0.0/16")], egress=True)  # other direction is distinct


def test_duplicate_inside_one_request(gid, rules, rejected):
    err = rejected(
        "InvalidParameterValue",
        rules.authorize,
        gid,
        [tcp(22, "10.0.0.0/16"), IpPermission("6", 22, 22, ip_ranges=(("10.0.1.0/16", "x"),))],
    )
    assert err.message == "The same permission must not appear multiple times"


def test_authorize_is_all_or_nothing(ctx, gid, rules, rejected):
    rules.authorize(gid, [tcp(22, "10.0.0.0/16")])
    before = specs(ctx, gid)
    rejected(
        "InvalidPermission.Duplicate",
        rules.authorize,
        gid,
        [tcp(80, "0.0.0.0/0"), tcp(22, "10.0.0.0/16")],
    )
    rejected(
        "InvalidParameterValue",
        rules.authorize,
        gid,
        [tcp(80, "0.0.0.0/0"), tcp(443, "not-a-cidr")],
    )
    assert specs(ctx, gid) == before


def test_group_references(ctx, vpc, gid, rules, rejected):
    other = GroupService(ctx).create("db", "d", vpc.vpc_id).group.group_id
    [rule] = rules.authorize(gid, [tcp(5432, groups=(other,))])
    assert rule.spec.peer.value == other and rule.spec.peer.owner_id == "123456789012"
    rejected(
        "InvalidGroup.NotFound", rules.authorize, gid, [tcp(1, groups=("sg-0123456789abcdef0",))]
    )
    rejected("InvalidGroupId.Malformed", rules.authorize, gid, [tcp(1, groups=("db",))])
    foreign_vpc = NetworkService(ctx).create_vpc("10.5.0.0/16")
    foreign = GroupService(ctx).create("x", "x", foreign_vpc.vpc_id).group.group_id
    err = rejected("InvalidGroup.NotFound", rules.authorize, gid, [tcp(1, groups=(foreign,))])
    assert err.message == "You have specified two resources that belong to different networks."


def test_group_reference_by_name_only_in_default_vpc(ctx, gid, rules, rejected):
    by_name = IpPermission("tcp", 1, 1, groups=(GroupPair(group_name="web"),))
    rejected("InvalidParameterValue", rules.authorize, gid, [by_name])
    groups = GroupService(ctx)
    a = groups.create("a", "a").group.group_id
    groups.create("b", "b")
    [rule] = rules.authorize(a, [IpPermission("tcp", 1, 1, groups=(GroupPair(group_name="b"),))])
    assert rule.spec.peer.value == groups.find("b").group.group_id


def test_prefix_list_references(ctx, gid, rules, rejected):
    rejected(
        "InvalidPrefixListId.NotFound",
        rules.authorize,
        gid,
        [tcp(1, prefix_lists=("pl-0123456789abcdef0",))],
    )
    rejected(
        "InvalidPrefixListId.Malformed", rules.authorize, gid, [tcp(1, prefix_lists=("office",))]
    )


# -- quotas --------------------------------------------------------------------------------


def _quota_ctx(ctx, **quotas) -> ServiceContext:
    return ServiceContext(ctx.store, ctx.scope, Quotas(**quotas))


def test_rule_quota_counts_families_and_directions_separately(ctx, gid, rejected):
    small = RuleService(_quota_ctx(ctx, rules_per_group=3))
    small.authorize(gid, [tcp(p, "10.0.0.0/8") for p in (1, 2)])  # + default egress is outbound
    small.authorize(gid, [tcp(p, "2001:db8::/32") for p in (1, 2, 3)])  # IPv6 counts apart
    small.authorize(gid, [tcp(p, "10.0.0.0/8") for p in (1, 2)], egress=True)  # 3 v4 outbound
    rejected(
        "RulesPerSecurityGroupLimitExceeded",
        small.authorize,
        gid,
        [tcp(4, "10.0.0.0/8")],
        egress=True,
    )
    small.authorize(gid, [tcp(3, "10.0.0.0/8")])
    err = rejected(
        "RulesPerSecurityGroupLimitExceeded", small.authorize, gid, [tcp(9, "10.0.0.0/8")]
    )
    assert err.message == "The maximum number of rules per security group has been reached."


def test_group_reference_counts_in_both_families(ctx, vpc, gid, rejected):
    small = RuleService(_quota_ctx(ctx, rules_per_group=2))
    small.authorize(gid, [tcp(1, "2001:db8::/32")])
    small.authorize(gid, [tcp(2, groups=(gid,))])  # v4: 1, v6: 2
    rejected("RulesPerSecurityGroupLimitExceeded", small.authorize, gid, [tcp(3, "2001:db8::/48")])
    small.authorize(gid, [tcp(3, "10.0.0.0/8")])  # v4 has room


def test_prefix_list_reference_costs_max_entries(ctx, gid, rejected):
    small = _quota_ctx(ctx, rules_per_group=10)
    pl = PrefixListService(small).create("big", 8, "IPv4", [("10.0.0.0/8", None)])
    RuleService(small).authorize(gid, [tcp(1, prefix_lists=(pl.prefix_list_id,))])  # 8
    RuleService(small).authorize(gid, [tcp(2, "10.0.0.0/8"), tcp(3, "10.0.0.0/8")])  # 10
    rejected(
        "RulesPerSecurityGroupLimitExceeded",
        RuleService(small).authorize,
        gid,
        [tcp(4, "10.0.0.0/8")],
    )
    # growing the list's MaxEntries would push the group over: rejected
    rejected(
        "RulesPerSecurityGroupLimitExceeded",
        PrefixListService(small).modify,
        pl.prefix_list_id,
        max_entries=9,
    )


def test_default_quota_is_sixty(ctx, gid, rules, rejected):
    rules.authorize(gid, [tcp(p, "10.0.0.0/8") for p in range(1, 61)])
    rejected("RulesPerSecurityGroupLimitExceeded", rules.authorize, gid, [tcp(61, "10.0.0.0/8")])
    rules.authorize(gid, [tcp(p, "2001:db8::/32") for p in range(1, 61)])


# -- revoke --------------------------------------------------------------------------------


def test_revoke_by_properties_ignores_description(ctx, gid, rules):
    rules.authorize(gid, [tcp(22, "10.0.0.0/16", desc="ssh")])
    result = rules.revoke(gid, [tcp(22, "10.0.9.9/16")])
    assert len(result.revoked) == 1 and specs(ctx, gid) == []


def test_revoke_needs_an_exact_match(ctx, gid, rules, rejected):
    rules.authorize(gid, [tcp((0, 65535), "10.0.0.0/16")])
    err = rejected("InvalidPermission.NotFound", rules.revoke, gid, [tcp(22, "10.0.0.0/16")])
    assert err.message == "The specified rule does not exist in this security group."


def test_revoke_missing_rule_in_non_default_vpc_revokes_nothing(ctx, gid, rules, rejected):
    rules.authorize(gid, [tcp(22, "10.0.0.0/16")])
    rejected(
        "InvalidPermission.NotFound",
        rules.revoke,
        gid,
        [tcp(22, "10.0.0.0/16"), tcp(23, "10.0.0.0/16")],
    )
    assert len(specs(ctx, gid)) == 1


def test_revoke_missing_rule_in_default_vpc_reports_unknown(ctx, rules):
    gid = GroupService(ctx).create("web", "d").group.group_id  # default VPC
    rules.authorize(gid, [tcp(22, "10.0.0.0/16")])
    result = rules.revoke(gid, [tcp(22, "10.0.0.0/16"), tcp(23, "10.0.0.0/16")])
    assert len(result.revoked) == 1
    assert [p.from_port for p in result.unknown] == [23]
    assert specs(ctx, gid) == []


def test_revoke_by_id(ctx, gid, rules, rejected):
    a, b = rules.authorize(gid, [tcp(22, "10.0.0.0/16", "10.1.0.0/16")])
    rejected(
        "InvalidSecurityGroupRuleId.NotFound",
        rules.revoke,
        gid,
        rule_ids=[a.rule_id, "sgr-0123456789abcdef0"],
    )
    rejected("InvalidSecurityGroupRuleId.Malformed", rules.revoke, gid, rule_ids=["sgr-x"])
    egress = [r for r in rules.describe(group_ids=[gid]) if r.is_egress][0]
    rejected("InvalidSecurityGroupRuleId.NotFound", rules.revoke, gid, rule_ids=[egress.rule_id])
    result = rules.revoke(gid, rule_ids=[a.rule_id])
    assert [r.rule_id for r in result.revoked] == [a.rule_id]
    assert [r.rule_id for r in rules.describe(group_ids=[gid]) if not r.is_egress] == [b.rule_id]


def test_revoke_egress_requires_group_id(rules, rejected):
    rejected(
        "MissingParameter",
        rules.revoke,
        None,
        [tcp(22, "10.0.0.0/16")],
        egress=True,
        group_name="web",
    )


# -- modify and descriptions ---------------------------------------------------------------


def test_modify_keeps_the_id_and_rejects_kind_changes(ctx, gid, rules, rejected):
    [rule] = rules.authorize(gid, [tcp(22, "10.0.0.0/16")])
    rules.modify(
        gid,
        [RuleUpdate(rule.rule_id, "tcp", 2222, 2222, cidr_ipv4="10.1.0.9/16", description="new")],
    )
    [after] = rules.describe([rule.rule_id])
    assert (after.spec.from_port, after.spec.peer.value, after.description) == (
        2222,
        "10.1.0.0/16",
        "new",
    )
    err = rejected(
        "InvalidParameterValue",
        rules.modify,
        gid,
        [RuleUpdate(rule.rule_id, "tcp", 22, 22, referenced_group_id=gid)],
    )
    assert "You may not specify a referenced group id for an existing IPv4 CIDR rule" in err.message
    rejected(
        "InvalidPermission.Malformed",
        rules.modify,
        gid,
        [RuleUpdate(rule.rule_id, "tcp", -1, 22, cidr_ipv4="10.0.0.0/16")],
    )


def test_modify_into_a_duplicate_is_rejected(ctx, gid, rules, rejected):
    a, b = rules.authorize(gid, [tcp(22, "10.0.0.0/16"), tcp(23, "10.0.0.0/16")])
    rejected(
        "InvalidPermission.Duplicate",
        rules.modify,
        gid,
        [RuleUpdate(b.rule_id, "tcp", 22, 22, cidr_ipv4="10.0.0.0/16")],
    )
    # swapping two rules in one call is fine
    rules.modify(
        gid,
        [
            RuleUpdate(a.rule_id, "tcp", 23, 23, cidr_ipv4="10.0.0.0/16"),
            RuleUpdate(b.rule_id, "tcp", 22, 22, cidr_ipv4="10.0.0.0/16"),
        ],
    )


def test_update_descriptions(ctx, gid, rules, rejected):
    [rule] = rules.authorize(gid, [tcp(22, "10.0.0.0/16", desc="old")])
    rules.update_descriptions(gid, False, [tcp(22, "10.0.0.0/16", desc="new")])
    assert rules.describe([rule.rule_id])[0].description == "new"
    rules.update_descriptions(gid, False, [tcp(22, "10.0.0.0/16")])
    assert rules.describe([rule.rule_id])[0].description is None
    rules.update_descriptions(gid, False, descriptions=[(rule.rule_id, "by id")])
    assert rules.describe([rule.rule_id])[0].description == "by id"
    rejected(
        "InvalidPermission.NotFound",
        rules.update_descriptions,
        gid,
        False,
        [tcp(23, "10.0.0.0/16")],
    )
    err = rejected(
        "InvalidParameterValue",
        rules.update_descriptions,
        gid,
        True,
        [perm("-1", 1, 2, "0.0.0.0/0")],
    )
    assert err.message == "When protocol is ALL, you cannot specify from-port."


def test_invalid_rule_description(gid, rules, rejected):
    err = rejected(
        "InvalidParameterValue", rules.authorize, gid, [tcp(22, "10.0.0.0/16", desc="caf\u00e9")]
    )
    assert err.message.startswith("Invalid rule description.")
