"""Fetch-or-raise helpers shared by the services, so "not found" and "malformed" errors are
worded once: each checks the id's format (``*.Malformed``) and existence in the caller's
scope (``*.NotFound``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from stockade.domain import errors, ids
from stockade.domain.aws_prefix_lists import is_aws_managed
from stockade.domain.dhcp_options import DHCP_OPTIONS, DhcpOptions
from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.flow_log import FlowLog
from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.network_insights import NetworkInsightsAnalysis, NetworkInsightsPath
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.prefix_list import PrefixList
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, RouteTable
from stockade.domain.security_group import SecurityGroup, SecurityGroupRule
from stockade.domain.volume_modifications import VOLUME_SETTINGS, as_modified
from stockade.domain.volumes import RootVolume, root_volume, root_volume_id
from stockade.store.repository import GroupPlace, Transaction

T = TypeVar("T")


def _in_scope(tx: Transaction, obj: object | None) -> bool:
    return obj is not None and (
        getattr(obj, "owner_id", None) == tx.scope.account
        and getattr(obj, "region", None) == tx.scope.region
    )


def _fetch(
    tx: Transaction, prefix: str, resource_id: str | None, get: Callable[[str], T | None]
) -> T:
    """The resource of that id in the caller's scope; ``*.Malformed`` or ``*.NotFound``."""
    ids.check(prefix, resource_id)
    found = get(resource_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found(prefix, resource_id or "")
    return found  # type: ignore[return-value]


def vpc(tx: Transaction, vpc_id: str | None) -> Vpc:
    return _fetch(tx, "vpc", vpc_id, tx.get_vpc)


def default_vpc(tx: Transaction) -> Vpc:
    """The default VPC a call falls back on when it names none; VPCIdNotSpecified if absent."""
    found = tx.default_vpc()
    if found is None:
        raise errors.vpc_id_not_specified()
    return found


def group_place(tx: Transaction, vpc_id: str | None, name: str) -> GroupPlace:
    """Where a new group named ``name`` goes: the VPC ``vpc_id`` (``*.Malformed``/
    ``*.NotFound`` as :func:`vpc`), or the default VPC when none is named
    (``VPCIdNotSpecified`` as :func:`default_vpc`), with what its creation checks."""
    if vpc_id:
        ids.check("vpc", vpc_id)
    place = tx.group_place(vpc_id or None, name)
    if place is None:
        if vpc_id:
            raise errors.not_found("vpc", vpc_id)
        raise errors.vpc_id_not_specified()
    return place


def subnet(tx: Transaction, subnet_id: str | None) -> Subnet:
    return _fetch(tx, "subnet", subnet_id, tx.get_subnet)


def internet_gateway(tx: Transaction, igw_id: str | None) -> InternetGateway:
    return _fetch(tx, "igw", igw_id, tx.get_internet_gateway)


def group(tx: Transaction, group_id: str | None) -> SecurityGroup:
    return _fetch(tx, "sg", group_id, tx.get_group)


def group_in_scope(tx: Transaction, group_id: str) -> SecurityGroup | None:
    """The group of that id if it is the caller's (account and region), else ``None``:
    another account's group must be indistinguishable from one that does not exist."""
    found = tx.get_group(group_id)
    return found if _in_scope(tx, found) else None


def group_by_id_or_name(
    tx: Transaction, group_id: str | None, group_name: str | None
) -> SecurityGroup:
    """A group named by id, or by name in the default VPC (AWS's rule for name lookups)."""
    if group_id:
        return group(tx, group_id)
    if not group_name:
        raise errors.missing_parameter("GroupId")
    return group_in_default_vpc(tx, group_name)


def group_in_default_vpc(tx: Transaction, group_name: str) -> SecurityGroup:
    """A group named by name: it must be in the default VPC. The hit is one query; a miss
    looks up only the default VPC, to say which is missing (VPCIdNotSpecified, or the
    group: the first query already found none there)."""
    found = tx.find_group_in_default_vpc(group_name)
    if found is not None:
        return found
    raise errors.group_not_found_in_vpc(group_name, default_vpc(tx).vpc_id, default=True)


def prefix_list(tx: Transaction, prefix_list_id: str | None) -> PrefixList:
    """The caller's list or one of its region's AWS-managed lists (readable by everyone)."""
    ids.check("pl", prefix_list_id)
    found = tx.get_prefix_list(prefix_list_id)  # type: ignore[arg-type]
    aws_owned = found is not None and is_aws_managed(found) and found.region == tx.scope.region
    if found is None or not (aws_owned or _in_scope(tx, found)):
        raise errors.not_found("pl", prefix_list_id or "")
    return found


def own_prefix_list(tx: Transaction, prefix_list_id: str | None) -> PrefixList:
    """A list the caller may change: its own. An AWS-managed list is read-only."""
    found = prefix_list(tx, prefix_list_id)
    if is_aws_managed(found):
        raise errors.aws_managed_prefix_list(found.prefix_list_id)
    return found


def interface(tx: Transaction, eni_id: str | None) -> NetworkInterface:
    return _fetch(tx, "eni", eni_id, tx.get_interface)


def instance(tx: Transaction, instance_id: str | None) -> Instance:
    return _fetch(tx, "i", instance_id, tx.get_instance)


def dhcp_options(tx: Transaction, dhcp_options_id: str | None) -> DhcpOptions:
    """A DHCP options set, kept as a setting of its ``dopt-`` id."""
    ids.check("dopt", dhcp_options_id)
    value = tx.settings_of(dhcp_options_id or "").get(DHCP_OPTIONS)
    if value is None:
        raise errors.not_found("dopt", dhcp_options_id or "")
    return DhcpOptions.from_value(dhcp_options_id or "", value)


def unmodified_volume(tx: Transaction, volume_id: str | None) -> RootVolume:
    """A root volume as its instance makes it, before what ModifyVolume changed (stockade
    stores no volumes). Its id is a digest of its instance's, so the one instance is found
    among the scope's ids and only it is loaded; a terminated instance has no volume."""
    ids.check("vol", volume_id)
    owner = next((i for i in tx.instance_ids() if root_volume_id(i) == volume_id), None)
    found = tx.get_instance(owner) if owner is not None else None
    volume = root_volume(found) if found is not None else None
    if volume is None:
        raise errors.not_found("vol", volume_id or "")
    return volume


def volume(tx: Transaction, volume_id: str | None) -> RootVolume:
    """A root volume as DescribeVolumes shows it (:func:`unmodified_volume`, with what
    ModifyVolume changed)."""
    volume = unmodified_volume(tx, volume_id)
    return as_modified(volume, tx.settings_of(volume.volume_id).get(VOLUME_SETTINGS))


def rule(tx: Transaction, rule_id: str | None) -> SecurityGroupRule:
    """A rule whose group is in the caller's scope (account and region)."""
    ids.check("sgr", rule_id)
    found = tx.get_rule(rule_id)  # type: ignore[arg-type]
    if found is None or not _in_scope(tx, tx.get_group(found.group_id)):
        raise errors.not_found("sgr", rule_id or "")
    return found


def nat_gateway(tx: Transaction, nat_gateway_id: str | None) -> NatGateway:
    return _fetch(tx, "nat", nat_gateway_id, tx.get_nat_gateway)


def egress_only_internet_gateway(tx: Transaction, eigw_id: str | None) -> EgressOnlyInternetGateway:
    return _fetch(tx, "eigw", eigw_id, tx.get_egress_only_internet_gateway)


def elastic_ip(tx: Transaction, allocation_id: str | None) -> ElasticIp:
    return _fetch(tx, "eipalloc", allocation_id, tx.get_elastic_ip)


def route_table(tx: Transaction, route_table_id: str | None) -> RouteTable:
    return _fetch(tx, "rtb", route_table_id, tx.get_route_table)


def route_table_association(tx: Transaction, association_id: str | None) -> RouteTable:
    """The table holding a ``rtbassoc-`` association (``InvalidAssociationID.*``)."""
    return _fetch(tx, "rtbassoc", association_id, tx.route_table_by_association)


def network_acl(tx: Transaction, network_acl_id: str | None) -> NetworkAcl:
    return _fetch(tx, "acl", network_acl_id, tx.get_network_acl)


def network_acl_association(tx: Transaction, association_id: str | None) -> NetworkAcl:
    """The ACL holding an ``aclassoc-`` association (``InvalidAssociationID.*``)."""
    return _fetch(tx, "aclassoc", association_id, tx.network_acl_by_association)


def peering(tx: Transaction, pcx_id: str | None) -> VpcPeeringConnection:
    """A peering with a side in the caller's scope (either owner sees it)."""
    ids.check("pcx", pcx_id)
    found = tx.get_peering(pcx_id)  # type: ignore[arg-type]
    if found is None:
        raise errors.not_found("pcx", pcx_id or "")
    return found


def network_insights_path(tx: Transaction, path_id: str | None) -> NetworkInsightsPath:
    return _fetch(tx, "nip", path_id, tx.get_network_insights_path)


def flow_log(tx: Transaction, flow_log_id: str | None) -> FlowLog:
    return _fetch(tx, "fl", flow_log_id, tx.get_flow_log)


def network_insights_analysis(tx: Transaction, analysis_id: str | None) -> NetworkInsightsAnalysis:
    return _fetch(tx, "nia", analysis_id, tx.get_network_insights_analysis)
