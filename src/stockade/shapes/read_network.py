"""EC2 shapes back into VPCs, subnets, internet gateways and prefix lists: the inverse of
:mod:`stockade.shapes.network`.

One reader for both the import (strict nodes: captured files, every field checked and
located) and the remote client (lenient nodes: a server's answer); see
:mod:`stockade.shapes.fields`. What the domain does not model (a VPC's second IPv6
block…) is said in ``warn`` when the caller collects warnings, never silently kept; a VPC's
live IPv4 blocks are all kept (``Vpc.secondary_cidr_blocks``).
"""

from __future__ import annotations

from stockade.domain import text
from stockade.domain.addresses import canonical_cidr
from stockade.domain.aws_prefix_lists import AWS_OWNER
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.shapes.fields import Node, Origin, cidr, owner, resource_id

#: An association in one of these states is the resource's; others are on their way out.
_LIVE_ASSOCIATION = ("associated", "associating")
#: An internet gateway attachment in one of these states attaches it (AWS says "available").
_ATTACHED = ("available", "attached")


def vpc(v: Node, origin: Origin, warn: list[str] | None = None) -> Vpc:
    vpc_id = resource_id(v, "VpcId", "vpc")
    primary = cidr(v, "CidrBlock", 4)
    secondary: list[str] = []
    for a in v.items("CidrBlockAssociationSet"):
        if not (a.has("CidrBlock") and _live(a, "CidrBlockState")):
            continue
        block = cidr(a, "CidrBlock", 4)
        if block not in (primary, *secondary):
            secondary.append(block)
    return Vpc(
        vpc_id=vpc_id,
        owner_id=owner(v, origin),
        region=origin.region,
        cidr_block=primary,
        ipv6_cidr_block=_ipv6_block(v, vpc_id, warn),
        secondary_cidr_blocks=tuple(secondary),
        is_default=v.flag("IsDefault"),
        state=v.opt_text("State") or "available",
        instance_tenancy=v.opt_text("InstanceTenancy") or "default",
        dhcp_options_id=v.opt_text("DhcpOptionsId") or "default",
        tags=v.tags(),
    )


def _live(association: Node, state_key: str) -> bool:
    state = association.opt_obj(state_key)
    return state is None or (state.opt_text("State") or "associated") in _LIVE_ASSOCIATION


def _ipv6_block(node: Node, owner_id: str, warn: list[str] | None) -> str | None:
    """The first live IPv6 block (a disassociated one is no longer the resource's)."""
    blocks = [
        cidr(a, "Ipv6CidrBlock", 6)
        for a in node.items("Ipv6CidrBlockAssociationSet")
        if _live(a, "Ipv6CidrBlockState") and a.has("Ipv6CidrBlock")
    ]
    if len(blocks) > 1 and warn is not None:
        warn.append(
            f"{node.file}: {owner_id}: IPv6 CIDRs {', '.join(blocks[1:])} beyond the first "
            "are not modelled"
        )
    return blocks[0] if blocks else None


def subnet(s: Node, origin: Origin, warn: list[str] | None = None) -> Subnet:
    subnet_id = resource_id(s, "SubnetId", "subnet")
    if not s.has("CidrBlock"):
        raise s.problem("missing: IPv6-only subnets are not supported", "CidrBlock")
    return Subnet(
        subnet_id=subnet_id,
        vpc_id=resource_id(s, "VpcId", "vpc"),
        owner_id=owner(s, origin),
        region=origin.region,
        cidr_block=cidr(s, "CidrBlock", 4),
        availability_zone=s.text("AvailabilityZone"),
        availability_zone_id=s.opt_text("AvailabilityZoneId") or "",
        ipv6_cidr_block=_ipv6_block(s, subnet_id, warn),
        map_public_ip_on_launch=s.flag("MapPublicIpOnLaunch"),
        assign_ipv6_address_on_creation=s.flag("AssignIpv6AddressOnCreation"),
        default_for_az=s.flag("DefaultForAz"),
        state=s.opt_text("State") or "available",
        tags=s.tags(),
    )


def internet_gateway(g: Node, origin: Origin) -> InternetGateway:
    attached = [
        a.text("VpcId")
        for a in g.items("Attachments")
        if (a.opt_text("State") or "available") in _ATTACHED
    ]
    return InternetGateway(
        resource_id(g, "InternetGatewayId", "igw"),
        owner(g, origin),
        origin.region,
        attached[0] if attached else None,
        tags=g.tags(),
    )


def prefix_list(p: Node, origin: Origin, entries: Node | None) -> PrefixList:
    """A describe-managed-prefix-lists item with its entries (a get-managed-prefix-list-
    entries answer; ``None``: none known), or a describe-prefix-lists item (an AWS service
    list, its CIDRs inline as ``Cidrs``)."""
    pl_id = resource_id(p, "PrefixListId", "pl")
    if p.has("Cidrs"):
        return _service_list(p, pl_id, origin)
    family = p.text("AddressFamily")
    if family not in ("IPv4", "IPv6"):
        raise p.problem(f"expected IPv4 or IPv6, got {family!r}", "AddressFamily")
    listed = prefix_list_entries(entries, 4 if family == "IPv4" else 6) if entries else ()
    return PrefixList(
        pl_id,
        p.text("PrefixListName"),
        family,
        p.opt_integer("MaxEntries") or max(len(listed), 1),
        p.opt_integer("Version") or 1,
        _list_owner(p, origin),
        origin.region,
        listed,
        state=p.opt_text("State") or "create-complete",
        tags=p.tags(),
    )


def _list_owner(p: Node, origin: Origin) -> str:
    """AWS's own lists keep their owner ``AWS`` (read-only, seen by every account of the
    region); any other list belongs to the account whose output it is."""
    return AWS_OWNER if p.opt_text("OwnerId") == AWS_OWNER else owner(p, origin)


def _service_list(p: Node, pl_id: str, origin: Origin) -> PrefixList:
    listed = p.value["Cidrs"]
    if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
        raise p.problem("expected a list of CIDR strings", "Cidrs")
    cidrs = [p.canonical("Cidrs", canonical_cidr, c) for c in listed]
    family = "IPv6" if any(":" in c for c in cidrs) else "IPv4"
    entries = tuple(PrefixListEntry(c) for c in cidrs)
    name = p.opt_text("PrefixListName") or pl_id
    return PrefixList(pl_id, name, family, max(len(cidrs), 1), 1, AWS_OWNER, origin.region, entries)


def prefix_list_entries(doc: Node, family: int | None) -> tuple[PrefixListEntry, ...]:
    """The ``Entries`` of a get-managed-prefix-list-entries answer."""
    return tuple(
        PrefixListEntry(
            cidr(e, "Cidr", family),
            e.canonical("Description", text.rule_description, e.opt_text("Description")),
        )
        for e in doc.items("Entries")
    )
