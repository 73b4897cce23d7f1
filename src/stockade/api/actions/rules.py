"""Security group rules: authorize, revoke, modify, describe and update descriptions."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import ip_permissions, tag_specs
from stockade.api.actions.describe import filters, page, select, with_token
from stockade.api.actions.groups import check_group_id_filter
from stockade.api.actions.registry import Call, action
from stockade.api.filters import wildcard_regex
from stockade.domain.group_references import PeeredReference
from stockade.domain.security_group import PeerKind, SecurityGroupRule
from stockade.service.contracts import RuleUpdate
from stockade.shapes import groups as shapes


def _authorize(call: Call, egress: bool) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"security-group-rule"}, default="security-group-rule")
    rules = call.services.rules.authorize(
        call.get("GroupId"),
        ip_permissions(call),
        egress=egress,
        group_name=None if egress else call.get("GroupName"),
        tags=tags.get("security-group-rule", ()),
    )
    return {
        "Return": True,
        "SecurityGroupRules": [shapes.security_group_rule(r, call.region) for r in rules],
    }


@action("AuthorizeSecurityGroupIngress")
def authorize_ingress(call: Call) -> dict[str, Any]:
    return _authorize(call, egress=False)


@action("AuthorizeSecurityGroupEgress")
def authorize_egress(call: Call) -> dict[str, Any]:
    return _authorize(call, egress=True)


def _revoke(call: Call, egress: bool) -> dict[str, Any]:
    result = call.services.rules.revoke(
        call.get("GroupId"),
        ip_permissions(call),
        call.get("SecurityGroupRuleIds") or (),
        egress=egress,
        group_name=None if egress else call.get("GroupName"),
    )
    data: dict[str, Any] = {
        "Return": True,
        "RevokedSecurityGroupRules": [shapes.revoked_rule(r) for r in result.revoked],
    }
    if result.unknown:
        data["UnknownIpPermissions"] = [shapes.requested_permission(p) for p in result.unknown]
    return data


@action("RevokeSecurityGroupIngress")
def revoke_ingress(call: Call) -> dict[str, Any]:
    return _revoke(call, egress=False)


@action("RevokeSecurityGroupEgress")
def revoke_egress(call: Call) -> dict[str, Any]:
    return _revoke(call, egress=True)


@action("ModifySecurityGroupRules")
def modify_security_group_rules(call: Call) -> dict[str, Any]:
    updates = []
    for item in call.get("SecurityGroupRules") or ():
        rule = item.get("SecurityGroupRule") or {}
        updates.append(
            RuleUpdate(
                item.get("SecurityGroupRuleId"),
                rule.get("IpProtocol"),
                rule.get("FromPort"),
                rule.get("ToPort"),
                rule.get("CidrIpv4"),
                rule.get("CidrIpv6"),
                rule.get("PrefixListId"),
                rule.get("ReferencedGroupId"),
                rule.get("Description"),
            )
        )
    call.services.rules.modify(call.get("GroupId"), updates)
    return {"Return": True}


def _update_descriptions(call: Call, egress: bool) -> dict[str, Any]:
    by_id = [
        (d.get("SecurityGroupRuleId"), d.get("Description"))
        for d in call.get("SecurityGroupRuleDescriptions") or ()
    ]
    call.services.rules.update_descriptions(
        call.get("GroupId"),
        egress,
        ip_permissions(call),
        by_id,
        group_name=None if egress else call.get("GroupName"),
    )
    return {"Return": True}


@action("UpdateSecurityGroupRuleDescriptionsIngress")
def update_descriptions_ingress(call: Call) -> dict[str, Any]:
    return _update_descriptions(call, egress=False)


@action("UpdateSecurityGroupRuleDescriptionsEgress")
def update_descriptions_egress(call: Call) -> dict[str, Any]:
    return _update_descriptions(call, egress=True)


@action("DescribeSecurityGroupRules")
def describe_security_group_rules(call: Call) -> dict[str, Any]:
    fs = filters(call)
    check_group_id_filter(fs)
    group_ids = fs.values("group-id")
    exact = (
        group_ids
        and len(fs.names) == len(set(fs.names))
        and not any(wildcard_regex(v) for v in group_ids)
    )
    # Exact group ids go to the service, which also rejects malformed ones as AWS does.
    rules = call.services.rules.describe(
        call.get("SecurityGroupRuleIds") or (), group_ids if exact else ()
    )
    crossed = _crossings(call, rules)
    all_shapes = [
        shapes.security_group_rule(r, call.region, crossed.get((r.group_id, r.spec.peer.value)))
        for r in rules
    ]
    items, token = page(call, select(call, all_shapes, fs=fs), lambda s: s["SecurityGroupRuleId"])
    return with_token({"SecurityGroupRules": items}, token)


def _crossings(
    call: Call, rules: list[SecurityGroupRule]
) -> dict[tuple[str, str], PeeredReference]:
    """References to other VPCs' groups, by (the rule's group, the referenced group): only
    looked up when some rule references a group."""
    referencing = [r for r in rules if r.spec.peer.kind is PeerKind.GROUP]
    if not referencing:
        return {}
    found = call.services.groups.crossings(referencing)
    return {(gid, c.group_id): c for gid, items in found.items() for c in items}
