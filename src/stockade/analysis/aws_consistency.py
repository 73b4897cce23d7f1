"""Cross-file checks of an import: the state must be one AWS could hold.

Each file can be well-formed and the whole still impossible: an instance in a subnet no
file describes, an address outside its subnet or held by two interfaces, subnets outside
or overlapping their VPC, more groups on an interface than AWS ever allows, group names
AWS would refuse (control characters, 10,000 characters) or two groups of one name in a
VPC. Stockade would then hold — and its audit, data plane and CLI would act on — a state
that never existed, so the import refuses it with one line naming the file and field.

The rules are the domain's, called here rather than restated: CIDR and address rules from
:mod:`stockade.domain.addresses`, names from :mod:`stockade.domain.text`, the hard cap of
groups per interface from :mod:`stockade.domain.quotas`. Deliberately *not* checked:
account quotas that can be raised (rules per group, groups per region…) and references
to groups or prefix lists that no file describes (stale and cross-account references are
real, and exactly what an audit must see).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable
from typing import Any

from stockade.analysis.aws_network import Parsed
from stockade.analysis.aws_state import ScopeState
from stockade.domain import text
from stockade.domain.addresses import check_private_ip, check_subnet_conflict, check_subnet_in_vpc
from stockade.domain.network import Subnet
from stockade.domain.quotas import MAX_GROUPS_PER_INTERFACE
from stockade.shapes.fields import ImportProblem, Node
from stockade.store.mapping import name_key


def check_state(state: ScopeState, where: str) -> None:
    """Raise :class:`ImportProblem` at the first impossibility in one scope's state."""
    _check_references(state, where)
    _check_subnets(state)
    _check_interfaces(state)
    _check_names(state)
    _check_route_tables(state)
    _check_network_acls(state)


def _unique(items: Iterable[tuple[str, Node]], what: str) -> set[str]:
    seen: set[str] = set()
    for resource_id, node in items:
        if resource_id in seen:
            raise node.problem(f"{what} {resource_id} is described twice")
        seen.add(resource_id)
    return seen


def _need(node: Node, key: str, value: str, known: Iterable[str] | dict, output: str) -> None:
    if value not in known:
        raise node.problem(f"{value} is in no {output} output", key)


def _check_references(state: ScopeState, where: str) -> None:
    """Every reference between the files resolves, so the snapshot is whole."""
    vpcs = _unique(((p.obj.vpc_id, p.node) for p in state.vpcs), "VPC")
    subnets = _unique(((p.obj.subnet_id, p.node) for p in state.subnets), "subnet")
    groups = _unique(((p.group.group_id, p.node) for p in state.groups), "security group")
    _unique(((p.obj.igw_id, p.node) for p in state.internet_gateways), "internet gateway")
    _unique(((p.obj.prefix_list_id, p.node) for p in state.prefix_lists), "prefix list")
    _unique(((p.obj.eni_id, p.node) for p in state.interfaces), "network interface")
    _unique(((p.obj.instance_id, p.node) for p in state.instances), "instance")
    has_anything = state.groups or state.interfaces or state.instances or state.subnets
    if has_anything and not state.vpcs:
        raise ImportProblem(
            where, "", "no describe-vpcs output (Vpcs): every other resource lives in a VPC"
        )
    if (state.interfaces or state.instances) and not state.groups:
        raise ImportProblem(
            where,
            "",
            "no describe-security-groups output (SecurityGroups), but interfaces carry groups",
        )
    for p in state.subnets:
        _need(p.node, "VpcId", p.obj.vpc_id, vpcs, "describe-vpcs")
    for g in state.groups:
        _need(g.node, "VpcId", g.group.vpc_id, vpcs, "describe-vpcs")
    vpc_of_subnet = {p.obj.subnet_id: p.obj.vpc_id for p in state.subnets}
    vpc_of_group = {g.group.group_id: g.group.vpc_id for g in state.groups}
    for p in [*state.interfaces, *state.instances]:
        obj = p.obj
        _need(p.node, "VpcId", obj.vpc_id, vpcs, "describe-vpcs")
        _need(p.node, "SubnetId", obj.subnet_id, subnets, "describe-subnets")
        if vpc_of_subnet[obj.subnet_id] != obj.vpc_id:
            raise p.node.problem(
                f"{obj.subnet_id} is in {vpc_of_subnet[obj.subnet_id]}, not in {obj.vpc_id}",
                "SubnetId",
            )
    for p in state.interfaces:
        for group_id in p.obj.group_ids:
            _need(p.node, "Groups", group_id, groups, "describe-security-groups")
            if vpc_of_group[group_id] != p.obj.vpc_id:
                raise p.node.problem(
                    f"{group_id} is in {vpc_of_group[group_id]}, not in the "
                    f"interface's VPC {p.obj.vpc_id}",
                    "Groups",
                )


def _check_subnets(state: ScopeState) -> None:
    """Each subnet inside its VPC's IPv4 block; no two subnets of a VPC overlap."""
    vpc_cidr = {p.obj.vpc_id: p.obj.ipv4_blocks for p in state.vpcs}
    siblings: dict[str, list[str]] = {}
    for p in state.subnets:
        subnet: Subnet = p.obj
        others = siblings.setdefault(subnet.vpc_id, [])
        p.node.checked("CidrBlock", check_subnet_in_vpc, subnet.cidr_block, vpc_cidr[subnet.vpc_id])
        p.node.checked("CidrBlock", check_subnet_conflict, subnet.cidr_block, others)
        others.append(subnet.cidr_block)


def _check_interfaces(state: ScopeState) -> None:
    """Addresses inside the interface's subnet and held once; groups within the hard cap."""
    subnets: dict[str, Subnet] = {p.obj.subnet_id: p.obj for p in state.subnets}
    used: dict[str, set[str]] = {}  # VPC -> addresses held (private IPv4 and IPv6)
    for p in state.interfaces:
        eni, node = p.obj, p.node
        subnet = subnets[eni.subnet_id]
        taken = used.setdefault(eni.vpc_id, set())
        node.checked(
            "PrivateIpAddress",
            check_private_ip,
            subnet.cidr_block,
            subnet.subnet_id,
            eni.private_ip,
            taken,
        )
        taken.add(eni.private_ip)
        for address in eni.secondary_private_ips:
            node.checked(
                "PrivateIpAddresses",
                check_private_ip,
                subnet.cidr_block,
                subnet.subnet_id,
                address,
                taken,
            )
            taken.add(address)
        for address in eni.ipv6_addresses:
            canonical = str(ipaddress.IPv6Address(address))
            block = subnet.ipv6_cidr_block
            if block is None or ipaddress.IPv6Address(address) not in ipaddress.IPv6Network(block):
                raise node.problem(
                    f"{address} is not in subnet {subnet.subnet_id}'s IPv6 block "
                    f"({block or 'none'})",
                    "Ipv6Addresses",
                )
            if canonical in taken:
                raise node.problem(f"{address} is in use by another interface", "Ipv6Addresses")
            taken.add(canonical)
        if len(set(eni.group_ids)) > MAX_GROUPS_PER_INTERFACE:
            raise node.problem(
                f"{len(eni.group_ids)} security groups: AWS allows at most "
                f"{MAX_GROUPS_PER_INTERFACE} on one interface",
                "Groups",
            )


def _check_names(state: ScopeState) -> None:
    """Names and descriptions by AWS's rules; group names unique per VPC (any case)."""
    names: dict[tuple[str, str], str] = {}
    for g in state.groups:
        group, node = g.group, g.node
        node.checked("GroupName", text.group_name, group.name)
        if group.description:
            node.checked("Description", text.group_description, group.description)
        key = (group.vpc_id, name_key(group.name))
        if key in names:
            raise node.problem(
                f"{group.name!r} is also the name of {names[key]} in "
                f"{group.vpc_id} (group names are unique per VPC)",
                "GroupName",
            )
        names[key] = group.group_id
    for p in state.prefix_lists:
        # AWS-managed lists are named com.amazonaws.*, which create refuses: only the
        # length and control characters apply to what AWS already holds.
        p.node.checked("PrefixListName", text.printable_name, "PrefixListName", p.obj.name)


def _check_route_tables(state: ScopeState) -> None:
    """Each table in a described VPC; one main table per VPC; a subnet explicitly associated
    at most once, and only with a table of its own VPC."""
    _check_subnet_holders(
        state,
        state.route_tables,
        ("route table", "main route table", "Associations"),
        lambda t: str(t.route_table_id),
        lambda t: bool(t.is_main),
    )


def _check_network_acls(state: ScopeState) -> None:
    """Each ACL in a described VPC; one default ACL per VPC; a subnet associated with
    exactly one ACL, of its own VPC."""
    _check_subnet_holders(
        state,
        state.network_acls,
        ("network ACL", "default network ACL", "IsDefault"),
        lambda a: str(a.network_acl_id),
        lambda a: bool(a.is_default),
    )


def _check_subnet_holders(
    state: ScopeState,
    holders: list[Parsed],
    nouns: tuple[str, str, str],
    id_of: Callable[[Any], str],
    is_special: Callable[[Any], bool],
) -> None:
    """What route tables and network ACLs share: each in a described VPC, at most one
    special one per VPC (the main table, the default ACL; ``nouns`` = the kind, the special
    kind and the field that makes it special), a subnet held at most once and only by one
    of its own VPC."""
    kind, special_kind, special_field = nouns
    _unique(((id_of(p.obj), p.node) for p in holders), kind)
    vpcs = {p.obj.vpc_id for p in state.vpcs}
    vpc_of_subnet = {p.obj.subnet_id: p.obj.vpc_id for p in state.subnets}
    specials: dict[str, str] = {}
    associated: dict[str, str] = {}
    for p in holders:
        holder, holder_id = p.obj, id_of(p.obj)
        _need(p.node, "VpcId", holder.vpc_id, vpcs, "describe-vpcs")
        if is_special(holder):
            if holder.vpc_id in specials:
                raise p.node.problem(
                    f"{holder.vpc_id} has two {special_kind}s ({specials[holder.vpc_id]} and "
                    f"{holder_id})",
                    special_field,
                )
            specials[holder.vpc_id] = holder_id
        for subnet_id in holder.subnet_ids:
            _need(p.node, "Associations", subnet_id, vpc_of_subnet, "describe-subnets")
            if vpc_of_subnet[subnet_id] != holder.vpc_id:
                raise p.node.problem(
                    f"{subnet_id} is in {vpc_of_subnet[subnet_id]}, not in {holder.vpc_id}",
                    "Associations",
                )
            if subnet_id in associated:
                raise p.node.problem(
                    f"{subnet_id} is also associated with {associated[subnet_id]}",
                    "Associations",
                )
            associated[subnet_id] = holder_id
