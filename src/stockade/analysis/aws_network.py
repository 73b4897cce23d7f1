"""VPCs, subnets, internet gateways and managed prefix lists from ``aws ec2 describe-*``.

Each parser turns the unmodified CLI output into frozen domain objects of one scope, with
their tags beside them (the store writes tags separately). Anything stockade's domain does
not model (a VPC's secondary IPv4 CIDRs…) is reported as a warning rather than silently
dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from stockade.analysis.aws_fields import ImportProblem, Node
from stockade.domain import ids, text
from stockade.domain.addresses import canonical_cidr
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.scope import Scope

_LIVE_ASSOCIATION = ("associated", "associating")


@dataclass(frozen=True)
class Parsed:
    """A domain object, its tags, and where it came from."""

    obj: Any
    tags: dict[str, str]
    node: Node


def parse_vpcs(documents: Iterable[Node], scope: Scope, warn: list[str]) -> list[Parsed]:
    out = []
    for doc in documents:
        for v in doc.items("Vpcs"):
            vpc_id = v.checked("VpcId", ids.check, "vpc", v.text("VpcId"))
            cidr = v.checked("CidrBlock", canonical_cidr, v.text("CidrBlock"), 4)
            extra = [
                a.text("CidrBlock") for a in v.items("CidrBlockAssociationSet")
                if _live(a, "CidrBlockState") and a.opt_text("CidrBlock") not in (None, cidr)
            ]
            if extra:
                warn.append(f"{v.file}: {vpc_id}: secondary IPv4 CIDRs {', '.join(extra)} are "
                            "not modelled (only the primary CidrBlock is kept)")
            vpc = Vpc(
                vpc_id=vpc_id, owner_id=scope.account, region=scope.region, cidr_block=cidr,
                ipv6_cidr_block=_ipv6_block(v, warn, vpc_id), is_default=v.flag("IsDefault"),
                state=v.opt_text("State") or "available",
                instance_tenancy=v.opt_text("InstanceTenancy") or "default",
                dhcp_options_id=v.opt_text("DhcpOptionsId") or "default",
            )
            out.append(Parsed(vpc, v.tags(), v))
    return out


def _live(association: Node, state_key: str) -> bool:
    state = association.opt_obj(state_key)
    return state is None or (state.opt_text("State") or "associated") in _LIVE_ASSOCIATION


def _ipv6_block(node: Node, warn: list[str], owner: str) -> str | None:
    blocks = []
    for a in node.items("Ipv6CidrBlockAssociationSet"):
        if _live(a, "Ipv6CidrBlockState") and a.has("Ipv6CidrBlock"):
            blocks.append(a.checked("Ipv6CidrBlock", canonical_cidr, a.text("Ipv6CidrBlock"), 6))
    if len(blocks) > 1:
        warn.append(f"{node.file}: {owner}: IPv6 CIDRs {', '.join(blocks[1:])} beyond the first "
                    "are not modelled")
    return blocks[0] if blocks else None


def parse_subnets(documents: Iterable[Node], scope: Scope, warn: list[str]) -> list[Parsed]:
    out = []
    for doc in documents:
        for s in doc.items("Subnets"):
            subnet_id = s.checked("SubnetId", ids.check, "subnet", s.text("SubnetId"))
            if not s.has("CidrBlock"):
                raise s.problem("missing: IPv6-only subnets are not supported", "CidrBlock")
            subnet = Subnet(
                subnet_id=subnet_id,
                vpc_id=s.checked("VpcId", ids.check, "vpc", s.text("VpcId")),
                owner_id=scope.account,
                region=scope.region,
                cidr_block=s.checked("CidrBlock", canonical_cidr, s.text("CidrBlock"), 4),
                availability_zone=s.text("AvailabilityZone"),
                availability_zone_id=s.opt_text("AvailabilityZoneId") or "",
                ipv6_cidr_block=_ipv6_block(s, warn, subnet_id),
                map_public_ip_on_launch=s.flag("MapPublicIpOnLaunch"),
                assign_ipv6_address_on_creation=s.flag("AssignIpv6AddressOnCreation"),
                default_for_az=s.flag("DefaultForAz"),
                state=s.opt_text("State") or "available",
            )
            out.append(Parsed(subnet, s.tags(), s))
    return out


def parse_internet_gateways(documents: Iterable[Node], scope: Scope) -> list[Parsed]:
    out = []
    for doc in documents:
        for g in doc.items("InternetGateways"):
            igw_id = g.checked("InternetGatewayId", ids.check, "igw", g.text("InternetGatewayId"))
            attached = [
                a.text("VpcId") for a in g.items("Attachments")
                if (a.opt_text("State") or "available") in ("available", "attached")
            ]
            igw = InternetGateway(igw_id, scope.account, scope.region,
                                  attached[0] if attached else None)
            out.append(Parsed(igw, g.tags(), g))
    return out


def parse_prefix_lists(
    documents: Iterable[Node], entries: dict[str, Node], scope: Scope, warn: list[str]
) -> list[Parsed]:
    """describe-managed-prefix-lists (entries from ``pl-….json``) or describe-prefix-lists
    (AWS service lists, entries inline as ``Cidrs``)."""
    out: list[Parsed] = []
    used: set[str] = set()
    for doc in documents:
        for p in doc.items("PrefixLists"):
            pl_id = p.checked("PrefixListId", ids.check, "pl", p.text("PrefixListId"))
            if p.has("Cidrs"):  # describe-prefix-lists: AWS-managed, entries inline
                listed = p.value["Cidrs"]
                if not isinstance(listed, list) or not all(isinstance(c, str) for c in listed):
                    raise p.problem("expected a list of CIDR strings", "Cidrs")
                cidrs = [p.checked("Cidrs", canonical_cidr, c) for c in listed]
                family = "IPv6" if any(":" in c for c in cidrs) else "IPv4"
                plist = PrefixList(pl_id, p.opt_text("PrefixListName") or pl_id, family,
                                   max(len(cidrs), 1), 1, scope.account, scope.region,
                                   tuple(PrefixListEntry(c) for c in cidrs))
                out.append(Parsed(plist, {}, p))
                continue
            family = p.text("AddressFamily")
            if family not in ("IPv4", "IPv6"):
                raise p.problem(f"expected IPv4 or IPv6, got {family!r}", "AddressFamily")
            found = entries.get(pl_id)
            used.add(pl_id)
            if found is None:
                warn.append(f"{p.file}: {pl_id}: no {pl_id}.json (get-managed-prefix-list-"
                            "entries output); imported with no entries, so its rules match "
                            "nothing")
            listed_entries = _entries(found, 4 if family == "IPv4" else 6) if found else ()
            max_entries = p.opt_integer("MaxEntries") or max(len(listed_entries), 1)
            plist = PrefixList(
                pl_id, p.text("PrefixListName"), family, max_entries,
                p.opt_integer("Version") or 1, scope.account, scope.region, listed_entries,
                state=p.opt_text("State") or "create-complete",
            )
            out.append(Parsed(plist, p.tags(), p))
    for pl_id, node in entries.items():
        if pl_id not in used:
            raise ImportProblem(node.file, "Entries", f"{pl_id} is in no describe-managed-"
                                "prefix-lists output (its family and name are unknown)")
    return out


def _entries(doc: Node, family: int) -> tuple[PrefixListEntry, ...]:
    out = []
    for e in doc.items("Entries"):
        cidr = e.checked("Cidr", canonical_cidr, e.text("Cidr"), family)
        out.append(PrefixListEntry(cidr, e.checked("Description", text.rule_description,
                                                      e.opt_text("Description"))))
    return tuple(out)
