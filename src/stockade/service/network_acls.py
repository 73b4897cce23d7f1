"""Network ACLs: create/delete, entries, associations, and the hooks VPCs and subnets call.

Every VPC has exactly one default ACL (made with it by
:func:`defaults.create_default_network_acl`, deleted with it) and every subnet exactly one
association — with the default ACL from its creation (:func:`associate_new_subnet`), moved
only by ReplaceNetworkAclAssociation, dropped with the subnet. Each call is one transaction
and a refused call changes nothing (every check runs before the one ``put_network_acl``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids
from stockade.domain.network import Subnet
from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    check_rule_number,
    deny_all_entries,
    entry,
    entry_count,
    with_ipv6,
)
from stockade.domain.tags import RawTags
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import NetworkAclEntryRequest
from stockade.service.defaults import create_default_network_acl
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction


class NetworkAclService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- ACLs ------------------------------------------------------------------------------
    def create(self, vpc_id: str, tags: RawTags = ()) -> NetworkAcl:
        """A custom ACL: only the ``*`` deny entries (it denies everything until entries are
        added) and no associations."""
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, vpc_id)
            if len(tx.list_network_acls(vpc.vpc_id)) >= self.ctx.quotas.network_acls_per_vpc:
                raise errors.error(
                    "NetworkAclLimitExceeded",
                    "The maximum number of network ACLs has been reached.",
                )
            acl = NetworkAcl(
                ids.new_id("acl"),
                vpc.vpc_id,
                tx.scope.account,
                tx.scope.region,
                entries=deny_all_entries(vpc.ipv6_cidr_block is not None),
            )
            tx.put_network_acl(acl)
            return replace(acl, tags=tag_new(tx, [acl.network_acl_id], tags))

    def delete(self, network_acl_id: str) -> None:
        with self.ctx.write() as tx:
            acl = lookups.network_acl(tx, network_acl_id)
            if acl.is_default:
                raise errors.invalid_parameter_value(
                    f"cannot delete default network ACL {acl.network_acl_id}"
                )
            if acl.associations:
                raise errors.error(
                    "DependencyViolation",
                    f"The networkAcl '{acl.network_acl_id}' has dependencies and cannot be "
                    "deleted.",
                )
            tx.delete_network_acl(acl.network_acl_id)

    def describe(self, network_acl_ids: Sequence[str] = ()) -> list[NetworkAcl]:
        with self.ctx.read() as tx:
            if network_acl_ids:
                return [lookups.network_acl(tx, a) for a in network_acl_ids]
            return tx.list_network_acls()

    def get(self, network_acl_id: str) -> NetworkAcl:
        with self.ctx.read() as tx:
            return lookups.network_acl(tx, network_acl_id)

    # -- entries ---------------------------------------------------------------------------
    def create_entry(self, network_acl_id: str, request: NetworkAclEntryRequest) -> None:
        new = _entry(request)
        with self.ctx.write() as tx:
            acl = lookups.network_acl(tx, network_acl_id)
            if acl.entry(new.egress, new.rule_number) is not None:
                raise errors.error(
                    "NetworkAclEntryAlreadyExists",
                    f"The network acl entry identified by {new.rule_number} already exists.",
                )
            entries = (*acl.entries, new)
            if entry_count(entries, new.egress, new.family) > self.ctx.quotas.network_acl_entries:
                raise errors.error(
                    "NetworkAclEntryLimitExceeded",
                    f"The maximum number of network acl entries has been reached in "
                    f"{acl.network_acl_id}.",
                )
            tx.put_network_acl(replace(acl, entries=entries))

    def replace_entry(self, network_acl_id: str, request: NetworkAclEntryRequest) -> None:
        """Entries are immutable: replace one (same direction and number) with another.
        The family may change, so the quota is checked again."""
        new = _entry(request)
        with self.ctx.write() as tx:
            acl = lookups.network_acl(tx, network_acl_id)
            old = acl.entry(new.egress, new.rule_number)
            if old is None:
                raise _entry_not_found(new.egress, new.rule_number)
            entries = tuple(new if e is old else e for e in acl.entries)
            if entry_count(entries, new.egress, new.family) > self.ctx.quotas.network_acl_entries:
                raise errors.error(
                    "NetworkAclEntryLimitExceeded",
                    f"The maximum number of network acl entries has been reached in "
                    f"{acl.network_acl_id}.",
                )
            tx.put_network_acl(replace(acl, entries=entries))

    def delete_entry(
        self, network_acl_id: str, rule_number: int | None, egress: bool | None
    ) -> None:
        number, direction = _key(rule_number, egress)
        with self.ctx.write() as tx:
            acl = lookups.network_acl(tx, network_acl_id)
            old = acl.entry(direction, number)
            if old is None:
                raise _entry_not_found(direction, number)
            tx.put_network_acl(replace(acl, entries=tuple(e for e in acl.entries if e is not old)))

    # -- associations ------------------------------------------------------------------------
    def replace_association(self, association_id: str, network_acl_id: str) -> str:
        """Move a subnet to another ACL of its VPC under a new ``aclassoc-`` id (there is no
        associate or disassociate: every subnet always has one ACL)."""
        with self.ctx.write() as tx:
            old = lookups.network_acl_association(tx, association_id)
            new = lookups.network_acl(tx, network_acl_id)
            if new.vpc_id != old.vpc_id:
                raise errors.invalid_parameter_value(
                    f"Network ACL {new.network_acl_id} and association {association_id} belong "
                    "to different networks"
                )
            moving = next(a for a in old.associations if a.association_id == association_id)
            moved = NetworkAclAssociation(ids.new_id("aclassoc"), moving.subnet_id)
            old = _without(old, association_id)
            tx.put_network_acl(old)
            if new.network_acl_id == old.network_acl_id:
                new = old
            tx.put_network_acl(replace(new, associations=(*new.associations, moved)))
            return moved.association_id


# -- hooks for VPCs and subnets -------------------------------------------------------------------


def associate_new_subnet(tx: Transaction, subnet: Subnet) -> None:
    """A new subnet starts with its VPC's default ACL."""
    default = next((a for a in tx.list_network_acls(subnet.vpc_id) if a.is_default), None)
    if default is None:  # a VPC from before network ACLs, never migrated: give it one
        default = create_default_network_acl(tx, lookups.vpc(tx, subnet.vpc_id))
        if subnet.subnet_id in default.subnet_ids:
            return
    association = NetworkAclAssociation(ids.new_id("aclassoc"), subnet.subnet_id)
    tx.put_network_acl(replace(default, associations=(*default.associations, association)))


def forget_subnet(tx: Transaction, subnet_id: str) -> None:
    """A deleted subnet's association goes with it."""
    acl = tx.network_acl_of_subnet(subnet_id)
    if acl is not None:
        tx.put_network_acl(
            replace(
                acl, associations=tuple(a for a in acl.associations if a.subnet_id != subnet_id)
            )
        )


def check_vpc_deletable(tx: Transaction, vpc_id: str) -> list[NetworkAcl]:
    """The VPC's ACLs, to go with it; ``DependencyViolation`` while it has an ACL other
    than the default one (AWS: delete custom ACLs before the VPC; Terraform's destroy
    order does — an ``aws_network_acl`` depends on its VPC)."""
    acls = tx.list_network_acls(vpc_id)
    if any(not a.is_default for a in acls):
        raise errors.error(
            "DependencyViolation", f"The vpc '{vpc_id}' has dependencies and cannot be deleted."
        )
    return acls


def add_ipv6(tx: Transaction, vpc_id: str) -> None:
    """A VPC that got an IPv6 block: every ACL gets the 32768 deny, the default ACL also
    101 allow ``::/0`` in the directions never modified (:func:`network_acl.with_ipv6`)."""
    for acl in tx.list_network_acls(vpc_id):
        tx.put_network_acl(with_ipv6(acl))


# -- pieces ---------------------------------------------------------------------------------------


def _entry(request: NetworkAclEntryRequest) -> NetworkAclEntry:
    return entry(
        request.rule_number,
        request.egress,
        request.rule_action,
        request.protocol,
        request.cidr_block,
        request.ipv6_cidr_block,
        request.port_range,
        request.icmp,
    )


def _key(rule_number: int | None, egress: bool | None) -> tuple[int, bool]:
    if rule_number is None:
        raise errors.missing_parameter("ruleNumber")
    if egress is None:
        raise errors.missing_parameter("egress")
    return check_rule_number(rule_number), egress


def _entry_not_found(egress: bool, rule_number: int) -> errors.AwsError:
    direction = "egress" if egress else "ingress"
    return errors.error(
        "InvalidNetworkAclEntry.NotFound", f"no {direction} entry with number {rule_number}"
    )


def _without(acl: NetworkAcl, association_id: str) -> NetworkAcl:
    kept = tuple(a for a in acl.associations if a.association_id != association_id)
    return replace(acl, associations=kept)
