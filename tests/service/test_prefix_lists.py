"""Customer-managed prefix lists: versions, MaxEntries, families, references."""

from __future__ import annotations

import pytest
from helpers import tcp

from stockade.service.groups import GroupService
from stockade.service.prefix_lists import PrefixListService
from stockade.service.rules import RuleService


@pytest.fixture
def lists(ctx):
    return PrefixListService(ctx)


def test_create_and_version_entries(lists):
    pl = lists.create("office", 5, "IPv4", [("192.0.2.7/24", "hq"), ("198.51.100.0/25", None)])
    assert pl.version == 1 and [e.cidr for e in pl.entries] == ["192.0.2.0/24", "198.51.100.0/25"]
    v2 = lists.modify(
        pl.prefix_list_id,
        current_version=1,
        add=[("203.0.113.0/24", "dr")],
        remove=["198.51.100.0/25"],
    )
    assert v2.version == 2 and [e.cidr for e in v2.entries] == ["192.0.2.0/24", "203.0.113.0/24"]
    assert [e.cidr for e in lists.entries(pl.prefix_list_id, 1)] == [
        "192.0.2.0/24",
        "198.51.100.0/25",
    ]
    renamed = lists.modify(pl.prefix_list_id, name="head-office")
    assert renamed.version == 2 and renamed.name == "head-office"  # renaming is not a new version


@pytest.mark.parametrize(
    "args, code",
    [
        (("x", 5, "IPv5", []), "InvalidParameterValue"),
        (("x", 0, "IPv4", []), "InvalidParameterValue"),
        (("x", 1001, "IPv4", []), "InvalidParameterValue"),
        (
            ("x", 1, "IPv4", [("10.0.0.0/8", None), ("11.0.0.0/8", None)]),
            "PrefixListMaxEntriesExceeded",
        ),
        (("x", 5, "IPv4", [("2001:db8::/32", None)]), "InvalidParameterValue"),
        (("x", 5, "IPv6", [("10.0.0.0/8", None)]), "InvalidParameterValue"),
        (("x", 5, "IPv4", [("10.0.0.0/8", None), ("10.0.0.1/8", None)]), "InvalidParameterValue"),
        (("com.amazonaws.s3", 5, "IPv4", []), "InvalidParameterValue"),
        ((None, 5, "IPv4", []), "MissingParameter"),
    ],
)
def test_invalid_prefix_lists(lists, rejected, args, code):
    rejected(code, lists.create, *args)


def test_modify_rules(lists, rejected):
    pl = lists.create("office", 2, "IPv4", [("10.0.0.0/8", None)])
    plid = pl.prefix_list_id
    rejected(
        "PrefixListVersionMismatch",
        lists.modify,
        plid,
        current_version=7,
        add=[("11.0.0.0/8", None)],
    )
    rejected(
        "InvalidParameterCombination", lists.modify, plid, add=[("11.0.0.0/8", None)], max_entries=3
    )
    rejected(
        "PrefixListMaxEntriesExceeded",
        lists.modify,
        plid,
        add=[("11.0.0.0/8", None), ("12.0.0.0/8", None)],
    )
    rejected("InvalidPrefixListModification", lists.modify, plid, remove=["12.0.0.0/8"])
    rejected("InvalidParameterValue", lists.modify, plid, max_entries=0)
    assert lists.modify(plid, max_entries=3).max_entries == 3


def test_referenced_list_cannot_be_deleted(ctx, lists, rejected):
    pl = lists.create("office", 2, "IPv4", [("10.0.0.0/8", None)])
    gid = GroupService(ctx).create("web", "d").group.group_id
    [rule] = RuleService(ctx).authorize(gid, [tcp(22, prefix_lists=(pl.prefix_list_id,))])
    rejected("DependencyViolation", lists.delete, pl.prefix_list_id)
    RuleService(ctx).revoke(gid, rule_ids=[rule.rule_id])
    assert lists.delete(pl.prefix_list_id).state == "delete-complete"
    rejected("InvalidPrefixListId.NotFound", lists.describe, [pl.prefix_list_id])


def test_prefix_list_quota(ctx, rejected):
    from stockade.domain.quotas import Quotas
    from stockade.service.context import ServiceContext

    small = PrefixListService(
        ServiceContext(ctx.store, ctx.scope, Quotas(prefix_lists_per_region=1))
    )
    small.create("a", 1, "IPv4")
    rejected("PrefixListLimitExceeded", small.create, "b", 1, "IPv4")
