"""SecurityGroup, IpPermission and SecurityGroupRule shapes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from stockade.domain import ids
from stockade.domain.group_references import PeeredReference
from stockade.domain.permissions import GroupedPermission, IpPermission, group
from stockade.domain.security_group import PeerKind, SecurityGroup, SecurityGroupRule
from stockade.shapes import tag_list

_PORTED = ("tcp", "udp", "icmp", "icmpv6")


def _described(item: dict[str, Any], description: str | None) -> dict[str, Any]:
    if description:
        item["Description"] = description
    return item


#: Referenced groups of other VPCs, by group id (what a pair crosses; see ``_pair``).
Crossings = Mapping[str, PeeredReference]


def _pair(gid: str, owner: str | None, crossing: PeeredReference | None) -> dict[str, Any]:
    """A UserIdGroupPair; one reaching another VPC adds ``GroupName`` (while the group is
    known), ``VpcId``, ``VpcPeeringConnectionId`` and ``PeeringStatus``, as AWS shows them.
    ``UserId`` stays, from the rule: AWS drops it once the group is deleted, but a group
    that is merely not in view (an account not imported) must keep its owner."""
    pair: dict[str, Any] = {"UserId": owner, "GroupId": gid}
    if crossing is None:
        return pair
    if crossing.group_name is not None:
        pair["GroupName"] = crossing.group_name
    for key, value in (
        ("VpcId", crossing.vpc_id),
        ("VpcPeeringConnectionId", crossing.vpc_peering_connection_id),
        ("PeeringStatus", crossing.peering_status),
    ):
        if value is not None:
            pair[key] = value
    return pair


def ip_permission(perm: GroupedPermission, crossings: Crossings = {}) -> dict[str, Any]:  # noqa: B006
    """One grouped permission; ports are omitted for ``-1`` and other protocol numbers."""
    out: dict[str, Any] = {"IpProtocol": perm.ip_protocol}
    if perm.ip_protocol in _PORTED:
        out["FromPort"], out["ToPort"] = perm.from_port, perm.to_port
    out["UserIdGroupPairs"] = [
        _described(_pair(gid, owner, crossings.get(gid)), desc) for gid, owner, desc in perm.groups
    ]
    out["IpRanges"] = [_described({"CidrIp": c}, d) for c, d in perm.ip_ranges]
    out["Ipv6Ranges"] = [_described({"CidrIpv6": c}, d) for c, d in perm.ipv6_ranges]
    out["PrefixListIds"] = [_described({"PrefixListId": p}, d) for p, d in perm.prefix_list_ids]
    return out


def security_group(
    g: SecurityGroup,
    rules: Iterable[SecurityGroupRule],
    referenced: Iterable[PeeredReference] = (),
) -> dict[str, Any]:
    """A SecurityGroup; ``referenced`` details the rules' references to other VPCs."""
    rules = list(rules)
    crossings = {r.group_id: r for r in referenced}
    return {
        "GroupId": g.group_id,
        "GroupName": g.name,
        "Description": g.description,
        "OwnerId": g.owner_id,
        "VpcId": g.vpc_id,
        "SecurityGroupArn": ids.arn(g.region, g.owner_id, g.group_id),
        "IpPermissions": [
            ip_permission(p, crossings) for p in group(r for r in rules if not r.is_egress)
        ],
        "IpPermissionsEgress": [
            ip_permission(p, crossings) for p in group(r for r in rules if r.is_egress)
        ],
        "Tags": tag_list(g.tags),
    }


def security_group_rule(
    rule: SecurityGroupRule, region: str, crossing: PeeredReference | None = None
) -> dict[str, Any]:
    """A SecurityGroupRule; ``crossing`` (a reference to another VPC's group) adds
    ``VpcId``, ``VpcPeeringConnectionId`` and ``PeeringStatus`` to ``ReferencedGroupInfo``."""
    s = rule.spec
    out: dict[str, Any] = {
        "SecurityGroupRuleId": rule.rule_id,
        "GroupId": rule.group_id,
        "GroupOwnerId": rule.owner_id,
        "IsEgress": s.is_egress,
        "IpProtocol": s.protocol,
        "FromPort": s.from_port,
        "ToPort": s.to_port,
    }
    kind = s.peer.kind
    if kind is PeerKind.CIDR_V4:
        out["CidrIpv4"] = s.peer.value
    elif kind is PeerKind.CIDR_V6:
        out["CidrIpv6"] = s.peer.value
    elif kind is PeerKind.PREFIX_LIST:
        out["PrefixListId"] = s.peer.value
    else:
        info = {"GroupId": s.peer.value, "UserId": s.peer.owner_id}
        if crossing is not None:
            for key, value in (
                ("VpcId", crossing.vpc_id),
                ("VpcPeeringConnectionId", crossing.vpc_peering_connection_id),
                ("PeeringStatus", crossing.peering_status),
            ):
                if value is not None:
                    info[key] = value
        out["ReferencedGroupInfo"] = info
    if rule.description:
        out["Description"] = rule.description
    out["Tags"] = tag_list(rule.tags)
    out["SecurityGroupRuleArn"] = ids.arn(region, rule.owner_id, rule.rule_id)
    return out


def revoked_rule(rule: SecurityGroupRule) -> dict[str, Any]:
    """The RevokedSecurityGroupRule shape (flat, with ReferencedGroupId)."""
    s = rule.spec
    out: dict[str, Any] = {
        "SecurityGroupRuleId": rule.rule_id,
        "GroupId": rule.group_id,
        "IsEgress": s.is_egress,
        "IpProtocol": s.protocol,
        "FromPort": s.from_port,
        "ToPort": s.to_port,
    }
    key = {
        PeerKind.CIDR_V4: "CidrIpv4",
        PeerKind.CIDR_V6: "CidrIpv6",
        PeerKind.PREFIX_LIST: "PrefixListId",
        PeerKind.GROUP: "ReferencedGroupId",
    }[s.peer.kind]
    out[key] = s.peer.value
    if rule.description:
        out["Description"] = rule.description
    return out


def stale_security_group(
    g: SecurityGroup,
    stale_rules: Iterable[SecurityGroupRule],
    referenced: Iterable[PeeredReference] = (),
) -> dict[str, Any]:
    """A StaleSecurityGroup: the group and only its rules whose reference is stale (the
    group is gone, or no active peering reaches its VPC); stale permissions carry group
    pairs only, each with the vanished path (``PeeringStatus`` ``deleted``)."""
    stale_rules = list(stale_rules)
    crossings = {r.group_id: r for r in referenced}

    def perms(egress: bool) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for perm in group(r for r in stale_rules if r.is_egress == egress):
            item = ip_permission(perm, crossings)
            out.append(
                {
                    key: item[key]
                    for key in ("IpProtocol", "FromPort", "ToPort", "UserIdGroupPairs")
                    if key in item
                }
            )
        return out

    return {
        "GroupId": g.group_id,
        "GroupName": g.name,
        "Description": g.description,
        "VpcId": g.vpc_id,
        "StaleIpPermissions": perms(False),
        "StaleIpPermissionsEgress": perms(True),
    }


def requested_permission(perm: IpPermission) -> dict[str, Any]:
    """An IpPermission of a request, echoed back (RevokeSecurityGroup*'s
    UnknownIpPermissions), with the values as the caller gave them."""
    out: dict[str, Any] = {"IpProtocol": perm.ip_protocol}
    if perm.from_port is not None:
        out["FromPort"] = perm.from_port
    if perm.to_port is not None:
        out["ToPort"] = perm.to_port
    out["IpRanges"] = [_described({"CidrIp": c}, d) for c, d in perm.ip_ranges]
    out["Ipv6Ranges"] = [_described({"CidrIpv6": c}, d) for c, d in perm.ipv6_ranges]
    out["PrefixListIds"] = [_described({"PrefixListId": p}, d) for p, d in perm.prefix_list_ids]
    out["UserIdGroupPairs"] = [
        _described(
            {
                key: value
                for key, value in (
                    ("GroupId", pair.group_id),
                    ("GroupName", pair.group_name),
                    ("UserId", pair.user_id),
                    ("VpcId", pair.vpc_id),
                    ("VpcPeeringConnectionId", pair.vpc_peering_connection_id),
                )
                if value is not None
            },
            pair.description,
        )
        for pair in perm.groups
    ]
    return out
