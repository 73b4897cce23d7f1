"""EC2 shapes back into security groups and rules: the inverse of :mod:`stockade.shapes.groups`.

``IpPermissions`` become rules through :func:`stockade.domain.permissions.expand`, the one
expansion the API's authorize calls use too; this module only reads the fields, checking
each where it stands so a bad one is named (``…IpRanges[0].CidrIp: …``) before the
expansion sees it. References to groups are kept whatever they point at: a group of another
account or in a peered VPC is a peer whose members are unknown, never a dropped rule.
"""

from __future__ import annotations

from stockade.domain import protocols, text
from stockade.domain.group_references import PeeredReference
from stockade.domain.permissions import GroupPair, IpPermission, expand
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.shapes.fields import Node, Origin, cidr, owner, resource_id

_PEER_KEYS = ("CidrIpv4", "CidrIpv6", "PrefixListId", "ReferencedGroupInfo", "ReferencedGroupId")


def security_group(g: Node, origin: Origin) -> SecurityGroup:
    group_id = resource_id(g, "GroupId", "sg")
    if not g.has("VpcId"):
        raise g.problem("missing: EC2-Classic groups (no VPC) are not supported", "VpcId")
    return SecurityGroup(
        group_id=group_id,
        name=g.text("GroupName"),
        description=g.opt_text("Description") or "",
        vpc_id=resource_id(g, "VpcId", "vpc"),
        owner_id=owner(g, origin),
        region=origin.region,
        tags=g.tags(),
    )


def rule_specs(g: Node, origin: Origin) -> dict[RuleSpec, str | None]:
    """A group's ``IpPermissions`` and ``IpPermissionsEgress`` as rule identities (with
    their descriptions), in order; a rule given twice is a problem."""
    specs: dict[RuleSpec, str | None] = {}
    for key, egress in (("IpPermissions", False), ("IpPermissionsEgress", True)):
        for perm in g.items(key):
            for spec, description in _expanded(perm, egress, origin):
                if spec in specs:
                    raise perm.problem(f"the rule {spec_text(spec)} appears twice")
                specs[spec] = description
    return specs


def _expanded(perm: Node, egress: bool, origin: Origin) -> list[tuple[RuleSpec, str | None]]:
    protocol = _protocol(perm)
    _ports(perm, protocol)
    for r in perm.items("IpRanges"):
        cidr(r, "CidrIp", 4)
        _description(r)
    for r in perm.items("Ipv6Ranges"):
        cidr(r, "CidrIpv6", 6)
        _description(r)
    for r in perm.items("PrefixListIds"):
        resource_id(r, "PrefixListId", "pl")
        _description(r)
    for r in perm.items("UserIdGroupPairs"):
        _pair_group_id(r)
        _description(r)

    def resolve_group(pair: GroupPair) -> Peer:
        return Peer(PeerKind.GROUP, pair.group_id or "", pair.user_id or origin.account)

    def resolve_prefix_list(pl_id: str) -> Peer:
        return Peer(PeerKind.PREFIX_LIST, pl_id)

    rules = perm.checked("", expand, [ip_permission(perm)], egress, resolve_group,
                         resolve_prefix_list)  # fmt: skip
    return [(r.spec, r.description) for r in rules]


def ip_permission(perm: Node) -> IpPermission:
    """An IpPermission shape as the domain's request type, values as given (unchecked: an
    echo such as ``UnknownIpPermissions`` holds what a caller sent)."""

    def ranges(key: str, field: str) -> tuple[tuple[str, str | None], ...]:
        return tuple((r.text(field), r.opt_text("Description")) for r in perm.items(key))

    return IpPermission(
        perm.opt_text("IpProtocol"),
        perm.opt_integer("FromPort"),
        perm.opt_integer("ToPort"),
        ip_ranges=ranges("IpRanges", "CidrIp"),
        ipv6_ranges=ranges("Ipv6Ranges", "CidrIpv6"),
        prefix_list_ids=ranges("PrefixListIds", "PrefixListId"),
        groups=tuple(
            GroupPair(
                group_id=g.opt_text("GroupId"),
                group_name=g.opt_text("GroupName"),
                user_id=g.opt_text("UserId"),
                vpc_id=g.opt_text("VpcId"),
                vpc_peering_connection_id=g.opt_text("VpcPeeringConnectionId"),
                description=g.opt_text("Description"),
            )
            for g in perm.items("UserIdGroupPairs")
        ),
    )


def _protocol(node: Node) -> str:
    return node.canonical("IpProtocol", protocols.canonical_protocol, node.text("IpProtocol"))


def _ports(node: Node, protocol: str) -> tuple[int, int]:
    from_port, to_port = node.opt_integer("FromPort"), node.opt_integer("ToPort")
    if not node.strict:  # as sent; a shape leaves ports out only when they do not apply
        return (-1 if from_port is None else from_port, -1 if to_port is None else to_port)
    return node.checked("FromPort", protocols.canonical_ports, protocol, from_port, to_port)


def _description(node: Node) -> str | None:
    """A rule's description, by AWS's rules for rule descriptions."""
    return node.canonical("Description", text.rule_description, node.opt_text("Description"))


def _pair_group_id(pair: Node) -> str:
    if not pair.has("GroupId"):
        raise pair.problem(
            "missing: a group referenced by name only (EC2-Classic) cannot be resolved",
            "GroupId",
        )
    return resource_id(pair, "GroupId", "sg")


def security_group_rule(r: Node, origin: Origin) -> SecurityGroupRule:
    """A SecurityGroupRule shape (describe-security-group-rules), or a
    RevokedSecurityGroupRule (whose peer group is a flat ``ReferencedGroupId``)."""
    rule_id = resource_id(r, "SecurityGroupRuleId", "sgr")
    group_id = resource_id(r, "GroupId", "sg")
    if "IsEgress" not in r.value:
        raise r.problem("missing (required)", "IsEgress")
    protocol = _protocol(r)
    from_port, to_port = _ports(r, protocol)
    spec = RuleSpec(r.flag("IsEgress"), protocol, from_port, to_port, _rule_peer(r, origin))
    return SecurityGroupRule(
        rule_id,
        group_id,
        owner(r, origin, "GroupOwnerId"),
        spec,
        _description(r),
        tags=r.tags(),
    )


def _rule_peer(r: Node, origin: Origin) -> Peer:
    present = [k for k in _PEER_KEYS if r.has(k)]
    if len(present) != 1:
        raise r.problem(
            "a rule needs exactly one of CidrIpv4, CidrIpv6, PrefixListId or "
            f"ReferencedGroupInfo (found {len(present)})"
        )
    key = present[0]
    if key == "CidrIpv4":
        return Peer(PeerKind.CIDR_V4, cidr(r, key, 4))
    if key == "CidrIpv6":
        return Peer(PeerKind.CIDR_V6, cidr(r, key, 6))
    if key == "PrefixListId":
        return Peer(PeerKind.PREFIX_LIST, resource_id(r, key, "pl"))
    if key == "ReferencedGroupId":
        return Peer(PeerKind.GROUP, resource_id(r, key, "sg"), origin.account)
    pair = r.obj(key)
    return Peer(PeerKind.GROUP, _pair_group_id(pair), pair.opt_text("UserId") or origin.account)


def spec_text(spec: RuleSpec) -> str:
    """A rule identity as a message quotes it: ``'inbound tcp 22-22 10.0.0.0/8'``."""
    direction = "outbound" if spec.is_egress else "inbound"
    ports = "" if spec.from_port == -1 else f" {spec.from_port}-{spec.to_port}"
    return f"'{direction} {spec.protocol}{ports} {spec.peer.value}'"


def peered_references(
    g: Node, keys: tuple[str, ...] = ("IpPermissions", "IpPermissionsEgress")
) -> tuple[PeeredReference, ...]:
    """The pairs of a group shape that reach another VPC (they carry ``VpcId``,
    ``VpcPeeringConnectionId`` or ``PeeringStatus``), once per referenced group: the
    inverse of the writer's crossings."""
    out: dict[str, PeeredReference] = {}
    for key in keys:
        for perm in g.items(key):
            for pair in perm.items("UserIdGroupPairs"):
                if not any(
                    pair.has(k) for k in ("VpcId", "VpcPeeringConnectionId", "PeeringStatus")
                ):
                    continue
                gid = _pair_group_id(pair)
                out.setdefault(
                    gid,
                    PeeredReference(
                        group_id=gid,
                        vpc_id=pair.opt_text("VpcId"),
                        vpc_peering_connection_id=pair.opt_text("VpcPeeringConnectionId"),
                        peering_status=pair.opt_text("PeeringStatus"),
                        group_name=pair.opt_text("GroupName"),
                        owner_id=pair.opt_text("UserId"),
                    ),
                )
    return tuple(out.values())
