"""Fetch-or-raise helpers shared by the services, so "not found" and "malformed" errors are
worded once: each checks the id's format (``*.Malformed``) and existence in the caller's
scope (``*.NotFound``)."""

from __future__ import annotations

from stockade.domain import errors, ids
from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList
from stockade.domain.security_group import SecurityGroup
from stockade.store.repository import Transaction


def _in_scope(tx: Transaction, obj: object | None) -> bool:
    return obj is not None and (
        getattr(obj, "owner_id", None) == tx.scope.account
        and getattr(obj, "region", None) == tx.scope.region
    )


def vpc(tx: Transaction, vpc_id: str | None) -> Vpc:
    ids.check("vpc", vpc_id)
    found = tx.get_vpc(vpc_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("vpc", vpc_id or "")
    return found  # type: ignore[return-value]


def default_vpc(tx: Transaction) -> Vpc | None:
    return next((v for v in tx.list_vpcs() if v.is_default), None)


def subnet(tx: Transaction, subnet_id: str | None) -> Subnet:
    ids.check("subnet", subnet_id)
    found = tx.get_subnet(subnet_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("subnet", subnet_id or "")
    return found  # type: ignore[return-value]


def internet_gateway(tx: Transaction, igw_id: str | None) -> InternetGateway:
    ids.check("igw", igw_id)
    found = tx.get_internet_gateway(igw_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("igw", igw_id or "")
    return found  # type: ignore[return-value]


def group(tx: Transaction, group_id: str | None) -> SecurityGroup:
    ids.check("sg", group_id)
    found = tx.get_group(group_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("sg", group_id or "")
    return found  # type: ignore[return-value]


def group_by_id_or_name(
    tx: Transaction, group_id: str | None, group_name: str | None
) -> SecurityGroup:
    """A group named by id, or by name in the default VPC (AWS's rule for name lookups)."""
    if group_id:
        return group(tx, group_id)
    if not group_name:
        raise errors.missing_parameter("GroupId")
    default = default_vpc(tx)
    if default is None:
        raise errors.vpc_id_not_specified()
    found = tx.find_group_by_name(default.vpc_id, group_name)
    if found is None:
        raise errors.group_not_found_in_vpc(group_name, default.vpc_id, default=True)
    return found


def prefix_list(tx: Transaction, prefix_list_id: str | None) -> PrefixList:
    ids.check("pl", prefix_list_id)
    found = tx.get_prefix_list(prefix_list_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("pl", prefix_list_id or "")
    return found  # type: ignore[return-value]


def interface(tx: Transaction, eni_id: str | None) -> NetworkInterface:
    ids.check("eni", eni_id)
    found = tx.get_interface(eni_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("eni", eni_id or "")
    return found  # type: ignore[return-value]


def instance(tx: Transaction, instance_id: str | None) -> Instance:
    ids.check("i", instance_id)
    found = tx.get_instance(instance_id)  # type: ignore[arg-type]
    if not _in_scope(tx, found):
        raise errors.not_found("i", instance_id or "")
    return found  # type: ignore[return-value]
