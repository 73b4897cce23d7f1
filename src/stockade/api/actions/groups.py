"""Security groups: create, delete, describe, references and stale rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import filters, page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.api.filters import FilterSet, wildcard_regex
from stockade.domain import ids
from stockade.domain.errors import malformed_group_id_filter
from stockade.shapes import groups as shapes
from stockade.shapes import tag_list

#: Rule filters read the grouped permissions of one direction.
_RULE_FILTERS = {
    "cidr": "IpRanges.CidrIp",
    "ipv6-cidr": "Ipv6Ranges.CidrIpv6",
    "prefix-list-id": "PrefixListIds.PrefixListId",
    "group-id": "UserIdGroupPairs.GroupId",
    "user-id": "UserIdGroupPairs.UserId",
    "protocol": "IpProtocol",
    "from-port": "FromPort",
    "to-port": "ToPort",
}
_ALIASES: dict[str, Any] = {
    f"{prefix}ip-permission.{name}": f"{key}.{path}"
    for prefix, key in (("", "IpPermissions"), ("egress.", "IpPermissionsEgress"))
    for name, path in _RULE_FILTERS.items()
}


@action("CreateSecurityGroup")
def create_security_group(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"security-group"}, default="security-group")
    detail = call.services.groups.create(
        call.get("GroupName"),
        call.get("Description"),
        call.get("VpcId"),
        tags.get("security-group", ()),
    )
    g = detail.group
    return {
        "GroupId": g.group_id,
        "Tags": tag_list(g.tags),
        "SecurityGroupArn": ids.arn(g.region, g.owner_id, g.group_id),
    }


@action("DeleteSecurityGroup")
def delete_security_group(call: Call) -> dict[str, Any]:
    group_id = call.services.groups.delete(call.get("GroupId"), call.get("GroupName"))
    return {"Return": True, "GroupId": group_id}


def check_group_id_filter(fs: FilterSet) -> None:
    """AWS refuses a ``group-id`` filter value that is no security group id rather than
    matching nothing (values with wildcards are patterns, not ids, and pass)."""
    for value in fs.values("group-id"):
        if wildcard_regex(value) is None and not ids.is_valid("sg", value):
            raise malformed_group_id_filter(value)


def _group_name_filter(call: Call, key: str):
    """``ip-permission.group-name``: names of referenced groups, looked up once per call."""
    names: dict[str, str] | None = None

    def candidates(shape: Mapping[str, Any]) -> list[str]:
        nonlocal names
        refs = [p["GroupId"] for perm in shape[key] for p in perm["UserIdGroupPairs"]]
        if names is None:
            names = call.services.groups.names(None)
        missing = [r for r in refs if r not in names]
        if missing:
            names.update(call.services.groups.names(missing))
        return [names[r] for r in refs if r in names]

    return candidates


@action("DescribeSecurityGroups")
def describe_security_groups(call: Call) -> dict[str, Any]:
    fs = filters(call)  # invalid filter names fail before any work
    check_group_id_filter(fs)
    details = call.services.groups.describe(
        call.get("GroupIds") or (), call.get("GroupNames") or ()
    )
    all_shapes = [shapes.security_group(d.group, d.rules, d.referenced) for d in details]
    aliases = dict(_ALIASES)
    if any(name.endswith("ip-permission.group-name") for name in fs.names):
        aliases["ip-permission.group-name"] = _group_name_filter(call, "IpPermissions")
        aliases["egress.ip-permission.group-name"] = _group_name_filter(call, "IpPermissionsEgress")
    items, token = page(call, select(call, all_shapes, aliases, fs), lambda s: s["GroupId"])
    return with_token({"SecurityGroups": items}, token)


@action("DescribeSecurityGroupReferences")
def describe_security_group_references(call: Call) -> dict[str, Any]:
    refs = call.services.groups.references(call.get("GroupId") or ())
    return {
        "SecurityGroupReferenceSet": [
            {
                "GroupId": r.group_id,
                "ReferencingVpcId": r.referencing_vpc_id,
                **(
                    {"VpcPeeringConnectionId": r.vpc_peering_connection_id}
                    if r.vpc_peering_connection_id
                    else {}
                ),
            }
            for r in refs
        ]
    }


@action("DescribeStaleSecurityGroups")
def describe_stale_security_groups(call: Call) -> dict[str, Any]:
    stale = call.services.groups.stale(call.get("VpcId"))
    all_shapes = [shapes.stale_security_group(s.group, s.stale_rules, s.referenced) for s in stale]
    items, token = page(call, all_shapes, lambda s: s["GroupId"])
    return with_token({"StaleSecurityGroupSet": items}, token)
