"""Managed prefix lists (the caller's and its region's AWS-managed ones) and the older
``DescribePrefixLists`` (AWS's gateway-endpoint service lists)."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain import errors
from stockade.domain.aws_prefix_lists import is_service_list
from stockade.shapes import network as shapes


def _entries(items: Any) -> list[tuple[str, str | None]]:
    return [(e.get("Cidr"), e.get("Description")) for e in items or ()]


@action("CreateManagedPrefixList")
def create_managed_prefix_list(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"prefix-list"}, default="prefix-list")
    pl = call.services.prefix_lists.create(
        call.get("PrefixListName"),
        call.get("MaxEntries"),
        call.get("AddressFamily"),
        _entries(call.get("Entries")),
        tags.get("prefix-list", ()),
    )
    return {"PrefixList": shapes.prefix_list(pl)}


@action("DescribeManagedPrefixLists")
def describe_managed_prefix_lists(call: Call) -> dict[str, Any]:
    lists = call.services.prefix_lists.describe(call.get("PrefixListIds") or ())
    selected = select(call, (shapes.prefix_list(p) for p in lists))
    items, token = page(call, selected, lambda s: s["PrefixListId"])
    return with_token({"PrefixLists": items}, token)


@action("GetManagedPrefixListEntries")
def get_managed_prefix_list_entries(call: Call) -> dict[str, Any]:
    entries = call.services.prefix_lists.entries(
        call.get("PrefixListId"), call.get("TargetVersion")
    )
    shaped = [
        {"Cidr": e.cidr, **({"Description": e.description} if e.description else {})}
        for e in entries
    ]
    items, token = page(call, shaped, lambda s: s["Cidr"])
    return with_token({"Entries": items}, token)


@action("ModifyManagedPrefixList")
def modify_managed_prefix_list(call: Call) -> dict[str, Any]:
    pl = call.services.prefix_lists.modify(
        call.get("PrefixListId"),
        call.get("CurrentVersion"),
        call.get("PrefixListName"),
        _entries(call.get("AddEntries")),
        [e.get("Cidr") for e in call.get("RemoveEntries") or ()],
        call.get("MaxEntries"),
    )
    return {"PrefixList": shapes.prefix_list(pl)}


@action("DeleteManagedPrefixList")
def delete_managed_prefix_list(call: Call) -> dict[str, Any]:
    pl = call.services.prefix_lists.delete(call.get("PrefixListId"))
    return {"PrefixList": shapes.prefix_list(pl)}


@action("DescribePrefixLists")
def describe_prefix_lists(call: Call) -> dict[str, Any]:
    wanted = call.get("PrefixListIds") or ()
    lists = call.services.prefix_lists.describe(wanted)
    for p in lists if wanted else ():
        if not is_service_list(p):  # a customer list or another AWS list is no service's
            raise errors.not_found("pl", p.prefix_list_id)
    shown = (shapes.service_prefix_list(p) for p in lists if is_service_list(p))
    items, token = page(call, select(call, shown), lambda s: s["PrefixListId"])
    return with_token({"PrefixLists": items}, token)
