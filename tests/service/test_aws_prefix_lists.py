"""AWS-managed prefix lists: present in every region, read-only, usable like any list."""

from __future__ import annotations

import pytest
from helpers import tcp

from stockade.domain.aws_prefix_lists import AWS_OWNER, aws_list_id, aws_prefix_lists
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import RouteRequest

NAMES = {
    "com.amazonaws.us-east-1.s3": 1,
    "com.amazonaws.us-east-1.dynamodb": 1,
    "com.amazonaws.global.cloudfront.origin-facing": 55,
    "com.amazonaws.global.ipv6.cloudfront.origin-facing": 55,
    "com.amazonaws.us-east-1.ec2-instance-connect": 2,
    "com.amazonaws.us-east-1.route53-healthchecks": 25,
}


@pytest.fixture
def svc(ctx) -> Services:
    return Services(ctx)


def _aws(svc: Services, name: str):
    [found] = [p for p in svc.prefix_lists.describe() if p.name == name]
    return found


def test_every_region_holds_the_aws_lists_with_their_weights(svc):
    aws = [p for p in svc.prefix_lists.describe() if p.owner_id == AWS_OWNER]
    assert {p.name: p.weight for p in aws} == NAMES
    s3 = _aws(svc, "com.amazonaws.us-east-1.s3")
    assert s3.prefix_list_id == aws_list_id("us-east-1", s3.name)  # stable, from region+name
    assert s3.prefix_list_id.startswith("pl-") and len(s3.prefix_list_id) == 11
    assert [e.cidr for e in svc.prefix_lists.entries(s3.prefix_list_id)] == ["198.51.100.128/26"]
    assert svc.prefix_lists.entries(s3.prefix_list_id, 1) == list(s3.entries)
    ids = {p.prefix_list_id for p in aws_prefix_lists("eu-west-1")}
    assert s3.prefix_list_id not in ids  # another region: other ids
    six = _aws(svc, "com.amazonaws.global.ipv6.cloudfront.origin-facing")
    assert six.address_family == "IPv6"


def test_aws_lists_are_read_only(svc, rejected):
    plid = _aws(svc, "com.amazonaws.us-east-1.s3").prefix_list_id
    error = rejected("UnauthorizedOperation", svc.prefix_lists.modify, plid, name="mine")
    assert plid in error.message
    rejected("UnauthorizedOperation", svc.prefix_lists.modify, plid, add=[("10.0.0.0/8", None)])
    rejected("UnauthorizedOperation", svc.prefix_lists.delete, plid)
    rejected("UnauthorizedOperation", svc.tags.create_tags, [plid], [("k", "v")])
    rejected("UnauthorizedOperation", svc.tags.delete_tags, [plid])

    assert _aws(svc, "com.amazonaws.us-east-1.s3").name == "com.amazonaws.us-east-1.s3"


def test_aws_list_version_beyond_the_first_does_not_exist(svc, rejected):
    plid = _aws(svc, "com.amazonaws.us-east-1.dynamodb").prefix_list_id
    rejected("InvalidParameterValue", svc.prefix_lists.entries, plid, 2)


def test_a_rule_to_an_aws_list_costs_its_weight(store, svc, rejected):
    small = Services(ServiceContext(store, svc.ctx.scope, Quotas(rules_per_group=60)))
    gid = small.groups.create("web", "d").group.group_id
    cloudfront = _aws(svc, "com.amazonaws.global.cloudfront.origin-facing").prefix_list_id
    [rule] = small.rules.authorize(gid, [tcp(443, prefix_lists=(cloudfront,))])
    assert rule.spec.peer.value == cloudfront
    small.rules.authorize(gid, [tcp(p, "192.0.2.1/32") for p in range(1, 6)])  # 55 + 5 = 60
    rejected(
        "RulesPerSecurityGroupLimitExceeded", small.rules.authorize, gid, [tcp(9, "192.0.2.9/32")]
    )
    s3 = _aws(svc, "com.amazonaws.us-east-1.s3").prefix_list_id
    rejected(
        "RulesPerSecurityGroupLimitExceeded",
        small.rules.authorize,
        gid,
        [tcp(443, prefix_lists=(s3,))],
    )


def test_a_route_to_an_aws_list(svc):
    vpc = svc.network.create_vpc("10.0.0.0/16")
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    s3 = _aws(svc, "com.amazonaws.us-east-1.s3").prefix_list_id
    svc.route_tables.create_route(
        rtb, RouteRequest(destination_prefix_list_id=s3, gateway_id=igw.igw_id)
    )
    [route] = [r for r in svc.route_tables.get(rtb).table.routes if r.destination == s3]
    assert route.target == igw.igw_id


def test_own_list_quota_ignores_aws_lists(store, svc, rejected):
    small = Services(ServiceContext(store, svc.ctx.scope, Quotas(prefix_lists_per_region=1)))
    small.prefix_lists.create("a", 1, "IPv4")  # the six AWS lists do not count
    rejected("PrefixListLimitExceeded", small.prefix_lists.create, "b", 1, "IPv4")


def test_a_list_still_routed_cannot_be_deleted(svc, rejected):
    vpc = svc.network.create_vpc("10.0.0.0/16")
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    pl = svc.prefix_lists.create("office", 5, "IPv4", [("198.51.100.0/24", None)])
    request = RouteRequest(destination_prefix_list_id=pl.prefix_list_id, gateway_id=igw.igw_id)
    svc.route_tables.create_route(rtb, request)
    rejected("DependencyViolation", svc.prefix_lists.delete, pl.prefix_list_id)
    svc.route_tables.delete_route(rtb, RouteRequest(destination_prefix_list_id=pl.prefix_list_id))
    assert svc.prefix_lists.delete(pl.prefix_list_id).state == "delete-complete"


def test_snapshot_and_other_accounts_see_the_region_lists(store, svc):
    with store.read(Scope("210987654321", "eu-west-1")) as tx:
        names = {p.name for p in tx.snapshot().prefix_lists}
    assert "com.amazonaws.eu-west-1.s3" in names and "com.amazonaws.us-east-1.s3" not in names
