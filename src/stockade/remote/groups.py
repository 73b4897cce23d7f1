"""Security groups and their rules through a stockade server."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from stockade.domain.group_references import PeeredReference
from stockade.domain.permissions import IpPermission
from stockade.domain.security_group import PeerKind, SecurityGroup, SecurityGroupRule
from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.service.contracts import (
    GroupDetail,
    GroupReference,
    RevokeResult,
    RuleUpdate,
    StaleGroup,
    pick_by_name,
)
from stockade.shapes import read_groups, tag_list


def _group_filter(group_ids: Iterable[str]) -> list[dict[str, Any]]:
    return [{"Name": "group-id", "Values": list(group_ids)}]


def _group(remote: Remote, shape: dict[str, Any]) -> SecurityGroup:
    return read_groups.security_group(remote.read(shape, "describe_security_groups"), remote.origin)


def _rule(remote: Remote, shape: dict[str, Any], operation: str) -> SecurityGroupRule:
    return read_groups.security_group_rule(remote.read(shape, operation), remote.origin)


def permission_params(perm: IpPermission) -> dict[str, Any]:
    """A domain IpPermission as boto3's ``IpPermissions`` element (a description given as
    ``""`` is sent: it clears one)."""

    def described(key: str, value: Any, desc: str | None) -> dict[str, Any]:
        return {key: value, **({"Description": desc} if desc is not None else {})}

    out: dict[str, Any] = {"IpProtocol": perm.ip_protocol}
    if perm.from_port is not None:
        out["FromPort"] = perm.from_port
    if perm.to_port is not None:
        out["ToPort"] = perm.to_port
    out["IpRanges"] = [described("CidrIp", c, d) for c, d in perm.ip_ranges]
    out["Ipv6Ranges"] = [described("CidrIpv6", c, d) for c, d in perm.ipv6_ranges]
    out["PrefixListIds"] = [described("PrefixListId", p, d) for p, d in perm.prefix_list_ids]
    out["UserIdGroupPairs"] = [
        {
            k: v
            for k, v in (
                ("GroupId", g.group_id),
                ("GroupName", g.group_name),
                ("UserId", g.user_id),
                ("VpcId", g.vpc_id),
                ("VpcPeeringConnectionId", g.vpc_peering_connection_id),
                ("Description", g.description),
            )
            if v is not None
        }
        for g in perm.groups
    ]
    return out


class RemoteGroupService(Remote):
    """:class:`stockade.service.groups.GroupService`, over the EC2 API."""

    def _rules(self, group_ids: Sequence[str] | None) -> dict[str, list[SecurityGroupRule]]:
        filters = _group_filter(group_ids) if group_ids is not None else None
        out: dict[str, list[SecurityGroupRule]] = {}
        if group_ids is not None and not group_ids:
            return out
        for shape in self.pages(
            "describe_security_group_rules", "SecurityGroupRules", Filters=filters
        ):
            rule = _rule(self, shape, "describe_security_group_rules")
            out.setdefault(rule.group_id, []).append(rule)
        return out

    def _details(self, shapes: list[dict[str, Any]], all_groups: bool) -> list[GroupDetail]:
        rules = self._rules(None if all_groups else [s["GroupId"] for s in shapes])
        return [
            GroupDetail(
                _group(self, s),
                tuple(rules.get(s["GroupId"], ())),
                read_groups.peered_references(self.read(s, "describe_security_groups")),
            )
            for s in shapes
        ]

    def create(
        self,
        name: str | None,
        description: str | None,
        vpc_id: str | None = None,
        tags: RawTags = (),
    ) -> GroupDetail:
        specs = [{"ResourceType": "security-group", "Tags": tag_list(tags)}]
        created = self.call(
            "create_security_group",
            GroupName=name,
            Description=description,
            VpcId=vpc_id,
            TagSpecifications=specs if tags else None,
        )
        return self.get(created["GroupId"])

    def delete(self, group_id: str | None = None, group_name: str | None = None) -> str:
        return self.call("delete_security_group", GroupId=group_id, GroupName=group_name)["GroupId"]

    def describe(
        self, group_ids: Sequence[str] = (), group_names: Sequence[str] = ()
    ) -> list[GroupDetail]:
        shapes = list(
            self.pages(
                "describe_security_groups",
                "SecurityGroups",
                GroupIds=list(group_ids) or None,
                GroupNames=list(group_names) or None,
            )
        )
        return self._details(shapes, all_groups=not group_ids and not group_names)

    def names(self, group_ids: Sequence[str] | None = None) -> dict[str, str]:
        filters = _group_filter(group_ids) if group_ids else None
        if group_ids is not None and not group_ids:
            return {}
        shapes = self.pages("describe_security_groups", "SecurityGroups", Filters=filters)
        return {s["GroupId"]: s["GroupName"] for s in shapes}

    def get(self, group_id: str) -> GroupDetail:
        return self.describe([group_id])[0]

    def find(self, name_or_id: str, vpc_id: str | None = None) -> GroupDetail:
        if name_or_id.startswith("sg-"):
            return self.get(name_or_id)
        filters = [{"Name": "vpc-id", "Values": [vpc_id]}] if vpc_id else None
        shapes = self.pages("describe_security_groups", "SecurityGroups", Filters=filters)
        groups: list[SecurityGroup] = [_group(self, s) for s in shapes]
        return self.get(pick_by_name(groups, name_or_id, vpc_id).group_id)

    def references(self, group_ids: Sequence[str]) -> list[GroupReference]:
        refs = self.call("describe_security_group_references", GroupId=list(group_ids))
        return [
            GroupReference(r["GroupId"], r["ReferencingVpcId"], r.get("VpcPeeringConnectionId"))
            for r in refs.get("SecurityGroupReferenceSet", [])
        ]

    def crossings(
        self, rules: Sequence[SecurityGroupRule]
    ) -> dict[str, tuple[PeeredReference, ...]]:
        """Read off the rules' groups as the server describes them."""
        group_ids = list(dict.fromkeys(r.group_id for r in rules))
        details = self.describe(group_ids) if group_ids else []
        return {d.group.group_id: d.referenced for d in details}

    def stale(self, vpc_id: str) -> list[StaleGroup]:
        """Stale permissions carry no rule ids, so the matching rules are looked up."""
        shapes = list(
            self.pages("describe_stale_security_groups", "StaleSecurityGroupSet", VpcId=vpc_id)
        )
        details = {d.group.group_id: d for d in self.describe([s["GroupId"] for s in shapes])}
        out = []
        for shape in shapes:
            wanted = {
                (egress, p["IpProtocol"], p.get("FromPort", -1), p.get("ToPort", -1), g["GroupId"])
                for egress, key in (
                    (False, "StaleIpPermissions"),
                    (True, "StaleIpPermissionsEgress"),
                )
                for p in shape.get(key, [])
                for g in p.get("UserIdGroupPairs", [])
            }
            detail = details[shape["GroupId"]]
            rules = tuple(
                r
                for r in detail.rules
                if r.spec.peer.kind is PeerKind.GROUP
                and (
                    r.is_egress,
                    r.spec.protocol,
                    r.spec.from_port,
                    r.spec.to_port,
                    r.spec.peer.value,
                )
                in wanted
            )
            crossings = read_groups.peered_references(
                self.read(shape, "describe_stale_security_groups"),
                ("StaleIpPermissions", "StaleIpPermissionsEgress"),
            )
            out.append(StaleGroup(detail.group, rules, crossings))
        return out


class RemoteRuleService(Remote):
    """:class:`stockade.service.rules.RuleService`, over the EC2 API."""

    def authorize(
        self,
        group_id: str | None,
        perms: Sequence[IpPermission],
        egress: bool = False,
        group_name: str | None = None,
        tags: RawTags = (),
    ) -> list[SecurityGroupRule]:
        operation = "authorize_security_group_" + ("egress" if egress else "ingress")
        specs = [{"ResourceType": "security-group-rule", "Tags": tag_list(tags)}]
        result = self.call(
            operation,
            GroupId=group_id,
            GroupName=group_name,
            IpPermissions=[permission_params(p) for p in perms],
            TagSpecifications=specs if tags else None,
        )
        return [_rule(self, r, operation) for r in result.get("SecurityGroupRules", [])]

    def revoke(
        self,
        group_id: str | None,
        perms: Sequence[IpPermission] = (),
        rule_ids: Sequence[str] = (),
        egress: bool = False,
        group_name: str | None = None,
    ) -> RevokeResult:
        operation = "revoke_security_group_" + ("egress" if egress else "ingress")
        result = self.call(
            operation,
            GroupId=group_id,
            GroupName=group_name,
            IpPermissions=[permission_params(p) for p in perms] or None,
            SecurityGroupRuleIds=list(rule_ids) or None,
        )
        revoked = tuple(
            _rule(self, r, operation) for r in result.get("RevokedSecurityGroupRules", [])
        )
        unknown = tuple(
            read_groups.ip_permission(self.read(p, operation))
            for p in result.get("UnknownIpPermissions", [])
        )
        return RevokeResult(revoked, unknown)

    def modify(self, group_id: str, updates: Sequence[RuleUpdate]) -> None:
        rules = []
        for u in updates:
            body = {
                "IpProtocol": u.ip_protocol,
                "FromPort": u.from_port,
                "ToPort": u.to_port,
                "CidrIpv4": u.cidr_ipv4,
                "CidrIpv6": u.cidr_ipv6,
                "PrefixListId": u.prefix_list_id,
                "ReferencedGroupId": u.referenced_group_id,
                "Description": u.description,
            }
            rules.append(
                {
                    "SecurityGroupRuleId": u.rule_id,
                    "SecurityGroupRule": {k: v for k, v in body.items() if v is not None},
                }
            )
        self.call("modify_security_group_rules", GroupId=group_id, SecurityGroupRules=rules)

    def update_descriptions(
        self,
        group_id: str | None,
        egress: bool,
        perms: Sequence[IpPermission] = (),
        descriptions: Sequence[tuple[str, str | None]] = (),
        group_name: str | None = None,
    ) -> None:
        operation = "update_security_group_rule_descriptions_" + ("egress" if egress else "ingress")
        self.call(
            operation,
            GroupId=group_id,
            GroupName=group_name,
            IpPermissions=[permission_params(p) for p in perms] or None,
            SecurityGroupRuleDescriptions=[
                {"SecurityGroupRuleId": rid, **({"Description": d} if d is not None else {})}
                for rid, d in descriptions
            ]
            or None,
        )

    def describe(
        self, rule_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
    ) -> list[SecurityGroupRule]:
        shapes = self.pages(
            "describe_security_group_rules",
            "SecurityGroupRules",
            SecurityGroupRuleIds=list(rule_ids) or None,
            Filters=_group_filter(group_ids) if group_ids and not rule_ids else None,
        )
        return [_rule(self, s, "describe_security_group_rules") for s in shapes]
