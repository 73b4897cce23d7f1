"""Security groups: names, descriptions, the default group, deletion rules."""

from __future__ import annotations

import pytest
from helpers import tcp

from stockade.domain.quotas import Quotas
from stockade.domain.security_group import PeerKind
from stockade.service.contracts import LaunchRequest
from stockade.service.groups import GroupService
from stockade.service.instances import InstanceService
from stockade.service.network import NetworkService
from stockade.service.rules import RuleService


@pytest.fixture
def vpc(ctx):
    return NetworkService(ctx).create_vpc("10.0.0.0/16")


@pytest.fixture
def groups(ctx):
    return GroupService(ctx)


def test_new_group_has_default_egress_and_no_ingress(groups, vpc):
    d = groups.create("web", "web servers", vpc.vpc_id)
    assert d.ingress == []
    [egress] = d.egress
    assert (egress.spec.protocol, egress.spec.peer.value) == ("-1", "0.0.0.0/0")
    assert egress.rule_id.startswith("sgr-") and len(egress.rule_id) == 21


def test_group_in_ipv6_vpc_also_gets_ipv6_egress(ctx, groups):
    vpc = NetworkService(ctx).create_vpc("10.1.0.0/16", amazon_provided_ipv6=True)
    d = groups.create("web", "web", vpc.vpc_id)
    assert sorted(r.spec.peer.value for r in d.egress) == ["0.0.0.0/0", "::/0"]


def test_default_group_of_a_vpc(ctx, groups, vpc):
    [default] = [d for d in groups.describe() if d.group.vpc_id == vpc.vpc_id]
    assert default.group.name == "default"
    assert default.group.description == "default VPC security group"
    [inbound] = default.ingress
    assert inbound.spec.protocol == "-1"
    assert inbound.spec.peer.kind is PeerKind.GROUP
    assert inbound.spec.peer.value == default.group.group_id
    assert inbound.spec.peer.owner_id == "123456789012"
    assert [r.spec.peer.value for r in default.egress] == ["0.0.0.0/0"]


def test_default_group_of_an_ipv6_vpc_allows_ipv6_out(ctx, groups):
    vpc = NetworkService(ctx).create_vpc("10.2.0.0/16", amazon_provided_ipv6=True)
    [default] = [d for d in groups.describe() if d.group.vpc_id == vpc.vpc_id]
    assert sorted(r.spec.peer.value for r in default.egress) == ["0.0.0.0/0", "::/0"]


def test_associating_ipv6_adds_egress_to_untouched_groups_only(ctx, groups, vpc):
    untouched = groups.create("a", "a", vpc.vpc_id).group.group_id
    changed = groups.create("b", "b", vpc.vpc_id).group.group_id
    RuleService(ctx).authorize(changed, [tcp(443, "0.0.0.0/0")], egress=True)
    NetworkService(ctx).associate_ipv6_block(vpc.vpc_id)
    assert "::/0" in [r.spec.peer.value for r in groups.get(untouched).egress]
    assert "::/0" not in [r.spec.peer.value for r in groups.get(changed).egress]


@pytest.mark.parametrize(
    "name, code",
    [
        ("x" * 256, "InvalidParameterValue"),
        ("bad\u00e9name", "InvalidParameterValue"),
        ("tab\tname", "InvalidParameterValue"),
        ("sg-web", "InvalidParameterValue"),
        ("", "MissingParameter"),
        ("default", "InvalidGroup.Reserved"),
        ("DEFAULT", "InvalidGroup.Reserved"),
    ],
)
def test_invalid_group_names(groups, vpc, rejected, name, code):
    rejected(code, groups.create, name, "desc", vpc.vpc_id)


def test_name_with_every_allowed_character(groups, vpc):
    name = "a-zA-Z0-9 ._-:/()#,@[]+=&;{}!$*"
    assert groups.create(name, name, vpc.vpc_id).group.name == name


def test_trailing_spaces_are_trimmed(groups, vpc):
    assert (
        groups.create("Test Security Group ", "d", vpc.vpc_id).group.name == "Test Security Group"
    )


def test_names_are_unique_per_vpc_case_insensitively(ctx, groups, vpc, rejected):
    groups.create("Web", "d", vpc.vpc_id)
    err = rejected("InvalidGroup.Duplicate", groups.create, "wEB", "d", vpc.vpc_id)
    assert err.message == f"The security group 'wEB' already exists for VPC '{vpc.vpc_id}'"
    other = NetworkService(ctx).create_vpc("10.9.0.0/16")
    groups.create("web", "d", other.vpc_id)  # another VPC is fine


@pytest.mark.parametrize(
    "description, code",
    [
        ("", "MissingParameter"),
        (None, "MissingParameter"),
        ("caf\u00e9", "InvalidParameterValue"),
        ("x" * 256, "InvalidParameterValue"),
        ('semi"quote', "InvalidParameterValue"),
    ],
)
def test_invalid_descriptions(groups, vpc, rejected, description, code):
    rejected(code, groups.create, "g", description, vpc.vpc_id)


def test_group_without_vpc_goes_to_the_default_vpc(ctx, groups):
    d = groups.create("g", "d")
    [default_vpc] = [v for v in NetworkService(ctx).list_vpcs() if v.is_default]
    assert d.group.vpc_id == default_vpc.vpc_id


def test_unknown_vpc(groups, rejected):
    rejected("InvalidVpcID.NotFound", groups.create, "g", "d", "vpc-0123456789abcdef0")
    rejected("InvalidVpcID.Malformed", groups.create, "g", "d", "vpc-nothex")


def test_groups_per_region_quota(ctx, store, vpc, rejected):
    with ctx.read() as tx:
        existing = tx.count_groups()
    small = ctx.__class__(store, ctx.scope, Quotas(groups_per_region=existing + 2))
    g = GroupService(small)
    g.create("a", "a", vpc.vpc_id)
    g.create("b", "b", vpc.vpc_id)
    rejected("SecurityGroupLimitExceeded", g.create, "c", "c", vpc.vpc_id)


def test_default_group_cannot_be_deleted(groups, vpc, rejected):
    [default] = [d for d in groups.describe() if d.group.vpc_id == vpc.vpc_id]
    err = rejected("CannotDelete", groups.delete, default.group.group_id)
    assert 'name: "default" cannot be deleted by a user' in err.message


def test_group_in_use_cannot_be_deleted(ctx, groups, vpc, rejected):
    subnet = NetworkService(ctx).create_subnet(vpc.vpc_id, "10.0.1.0/24")
    gid = groups.create("web", "d", vpc.vpc_id).group.group_id
    [inst] = InstanceService(ctx).run(LaunchRequest(subnet_id=subnet.subnet_id, group_ids=(gid,)))
    err = rejected("DependencyViolation", groups.delete, gid)
    assert err.message == f"resource {gid} has a dependent object"
    InstanceService(ctx).terminate([inst.instance.instance_id])
    assert groups.delete(gid) == gid


def test_group_referenced_by_another_group_cannot_be_deleted(ctx, groups, vpc, rejected):
    target = groups.create("db", "d", vpc.vpc_id).group.group_id
    app = groups.create("app", "d", vpc.vpc_id).group.group_id
    rule = RuleService(ctx).authorize(app, [tcp(5432, groups=(target,))])[0]
    rejected("DependencyViolation", groups.delete, target)
    RuleService(ctx).revoke(app, rule_ids=[rule.rule_id])
    groups.delete(target)


def test_self_reference_does_not_block_deletion(ctx, groups, vpc):
    gid = groups.create("cluster", "d", vpc.vpc_id).group.group_id
    RuleService(ctx).authorize(gid, [tcp(7000, groups=(gid,))])
    assert groups.delete(gid) == gid
    assert RuleService(ctx).describe(group_ids=[gid]) == []


def test_delete_unknown_and_malformed(groups, rejected):
    rejected("InvalidGroup.NotFound", groups.delete, "sg-0123456789abcdef0")
    rejected("InvalidGroupId.Malformed", groups.delete, "web")


def test_delete_by_name_only_in_the_default_vpc(groups, vpc, rejected):
    groups.create("web", "d", vpc.vpc_id)
    rejected("InvalidGroup.NotFound", groups.delete, None, "web")
    groups.create("web", "d")  # default VPC
    assert groups.delete(None, "web").startswith("sg-")


def test_describe_unknown_id_is_an_error(groups, rejected):
    rejected("InvalidGroup.NotFound", groups.describe, ["sg-0123456789abcdef0"])


def test_stale_references_after_cross_vpc_state(ctx, store, groups, vpc):
    """A rule whose referenced group is gone is stale (import can produce such state)."""
    gid = groups.create("app", "d", vpc.vpc_id).group.group_id
    other = NetworkService(ctx).create_vpc("10.7.0.0/16")
    foreign = groups.create("foreign", "d", other.vpc_id).group.group_id
    from dataclasses import replace

    rule = RuleService(ctx).authorize(gid, [tcp(22, "10.0.0.0/8")])[0]
    with store.write(ctx.scope) as tx:  # craft a cross-VPC reference, as an import could
        ref = replace(rule.spec.peer, kind=PeerKind.GROUP, value=foreign, owner_id="123456789012")
        tx.put_rules([replace(rule, spec=replace(rule.spec, peer=ref))])
    [stale] = groups.stale(vpc.vpc_id)
    assert stale.group.group_id == gid and stale.stale_rules[0].spec.peer.value == foreign
    # references are listed across an active peering only; none joins these VPCs
    assert groups.references([foreign]) == []
    groups.delete(foreign)  # a reference from another VPC does not block deletion
