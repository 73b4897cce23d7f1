"""Tags on any resource."""

from __future__ import annotations

from helpers import tcp

from stockade.service.groups import GroupService
from stockade.service.rules import RuleService
from stockade.service.tags import TagService


def test_create_and_delete_tags(ctx, rejected):
    gid = GroupService(ctx).create("web", "d").group.group_id
    [rule] = RuleService(ctx).authorize(gid, [tcp(22, "10.0.0.0/8")])
    tags = TagService(ctx)
    tags.create_tags([gid, rule.rule_id], (("Env", "prod"), ("Team", "")))
    assert dict(GroupService(ctx).get(gid).group.tags) == {"Env": "prod", "Team": ""}
    assert dict(RuleService(ctx).describe([rule.rule_id])[0].tags) == {"Env": "prod", "Team": ""}
    tags.delete_tags([gid], (("Env", "dev"),))  # value differs: kept
    assert dict(GroupService(ctx).get(gid).group.tags)["Env"] == "prod"
    tags.delete_tags([gid], (("Env", None),))
    assert dict(GroupService(ctx).get(gid).group.tags) == {"Team": ""}
    rejected("InvalidParameterValue", tags.create_tags, [gid], (("aws:x", "y"),))
    rejected("InvalidGroup.NotFound", tags.create_tags, ["sg-0123456789abcdef0"], (("a", "b"),))
    rejected("InvalidID", tags.create_tags, ["nonsense"], (("a", "b"),))
    rejected("TagLimitExceeded", tags.create_tags, [gid], tuple((f"k{i}", "v") for i in range(50)))


def test_tags_on_create(ctx):
    d = GroupService(ctx).create("web", "d", tags=(("Name", "web"),))
    assert dict(d.group.tags) == {"Name": "web"}
    [rule] = RuleService(ctx).authorize(
        d.group.group_id, [tcp(22, "10.0.0.0/8")], tags=(("a", "b"),)
    )
    assert dict(rule.tags) == {"a": "b"}
