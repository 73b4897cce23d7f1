"""Service methods and fixes added for the EC2 API (issue 4)."""

from __future__ import annotations

from helpers import tcp

from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.service.groups import GroupService
from stockade.service.instances import InstanceService
from stockade.service.interfaces import InterfaceService
from stockade.service.network import NetworkService
from stockade.service.rules import RuleService


def test_group_names_without_rules(ctx):
    groups = GroupService(ctx)
    web = groups.create("web", "d").group.group_id
    names = groups.names()
    assert names[web] == "web" and "default" in names.values()
    assert groups.names([web, "sg-0123456789abcdef0"]) == {web: "web"}
    assert groups.names([]) == {}


def test_available_ip_counts_follow_interfaces(ctx):
    net = NetworkService(ctx)
    vpc = net.create_vpc("10.0.0.0/16")
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/28")
    assert net.available_ip_counts([subnet.subnet_id]) == {subnet.subnet_id: 11}
    InterfaceService(ctx).create(subnet.subnet_id)
    assert net.available_ip_counts()[subnet.subnet_id] == 10


def test_rules_by_group_id_stay_in_the_callers_scope(store, ctx, rejected):
    gid = GroupService(ctx).create("web", "d").group.group_id
    RuleService(ctx).authorize(gid, [tcp(22, "10.0.0.0/8")])
    other = ServiceContext(store, Scope("999999999999"))
    assert RuleService(other).describe(group_ids=[gid]) == []
    assert len(RuleService(ctx).describe(group_ids=[gid])) == 2
    rejected("InvalidGroupId.Malformed", RuleService(ctx).describe, group_ids=["web"])


def test_one_reservation_per_run(ctx):
    launched = InstanceService(ctx).run(LaunchRequest(min_count=3, max_count=3))
    assert len({d.instance.reservation_id for d in launched}) == 1


def test_created_objects_equal_what_is_read_back(ctx):
    groups, rules = GroupService(ctx), RuleService(ctx)
    created = groups.create("web", "d", tags=(("b", "2"), ("a", "1")))
    assert created == groups.get(created.group.group_id)
    added = rules.authorize(created.group.group_id, [tcp(22, "10.0.0.0/8")], tags=(("k", "v"),))
    assert added == rules.describe([r.rule_id for r in added])


def test_find_by_name_is_case_insensitive(ctx, rejected):
    groups = GroupService(ctx)
    gid = groups.create("Web", "d").group.group_id
    assert groups.find("web").group.group_id == gid
    rejected("InvalidGroup.NotFound", groups.find, "nope")


def test_initialisation_is_remembered_per_store(store):
    scope = Scope("555555555555", "eu-west-1")
    services = Services(ServiceContext(store, scope))
    before = store.revision()
    [vpc] = services.network.list_vpcs()
    assert vpc.is_default and store.revision() == before + 1
    services.network.list_vpcs()
    assert store.revision() == before + 1
