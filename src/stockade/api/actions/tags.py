"""Tags on any resource: CreateTags, DeleteTags, DescribeTags."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import tag_pairs
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain import ids


def _tag_filter(name: str):
    """``tag:<key>`` in DescribeTags: the tag's value, when the tag has that key."""
    wanted = name[len("tag:") :]
    return lambda s: [s["Value"]] if s["Key"] == wanted else []


@action("CreateTags")
def create_tags(call: Call) -> None:
    call.services.tags.create_tags(call.get("Resources") or (), tag_pairs(call.get("Tags")))


@action("DeleteTags")
def delete_tags(call: Call) -> None:
    call.services.tags.delete_tags(call.get("Resources") or (), tag_pairs(call.get("Tags")))


@action("DescribeTags")
def describe_tags(call: Call) -> dict[str, Any]:
    shaped = [
        {"ResourceId": rid, "ResourceType": ids.resource_type(rid) or "", "Key": k, "Value": v}
        for rid, k, v in call.services.tags.list_tags()
    ]
    fs_names = [f.get("Name") or "" for f in call.get("Filters") or ()]
    aliases: dict[str, Any] = {n: _tag_filter(n) for n in fs_names if n.startswith("tag:")}
    aliases.update({"tag-key": "Key", "tag-value": "Value"})
    items, token = page(
        call,
        select(call, shaped, aliases),
        lambda s: f"{s['ResourceId']}\x00{s['Key']}",
        minimum=5,
        maximum=1000,
    )
    return with_token({"Tags": items}, token)
