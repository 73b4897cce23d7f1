"""Create/Describe/DeleteDhcpOptions and AssociateDhcpOptions.

A set is kept as a resource setting of its ``dopt-`` id (``domain/dhcp_options.py`` says
what it holds); its tags go through the shared tag table, and a VPC points at it by
``dhcp_options_id``. A set a VPC uses cannot be deleted, and ``default`` (no options) can
always be associated.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids
from stockade.domain.dhcp_options import (
    DHCP_OPTIONS,
    NO_OPTIONS,
    DhcpOptions,
    configurations,
    option_sets,
)
from stockade.domain.tags import RawTags
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.tags import tag_new


class DhcpOptionsService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create(self, given: list[tuple[str | None, list[str]]], tags: RawTags = ()) -> DhcpOptions:
        checked = configurations(given)
        with self.ctx.write() as tx:
            created = DhcpOptions(ids.new_id("dopt"), tx.scope.account, checked)
            tx.set_setting(created.dhcp_options_id, DHCP_OPTIONS, created.as_value())
            return replace(created, tags=tag_new(tx, [created.dhcp_options_id], tags))

    def describe(self, dhcp_options_ids: Sequence[str] = ()) -> list[DhcpOptions]:
        """The scope's sets, or those named (each well formed and existing, checked in the
        order given), in id order; the named ones are found among the sets read once."""
        with self.ctx.read() as tx:
            found = option_sets(tx.list_settings_with_tags(DHCP_OPTIONS))
        if dhcp_options_ids:
            held = {d.dhcp_options_id for d in found}
            for named in dhcp_options_ids:
                ids.check("dopt", named)  # as lookups.dhcp_options, without a read per id
                if named not in held:
                    raise errors.not_found("dopt", named)
            found = [d for d in found if d.dhcp_options_id in dhcp_options_ids]
        return found

    def delete(self, dhcp_options_id: str | None) -> None:
        with self.ctx.write() as tx:
            found = lookups.dhcp_options(tx, dhcp_options_id)
            if any(v.dhcp_options_id == found.dhcp_options_id for v in tx.list_vpcs()):
                raise errors.error(
                    "DependencyViolation",
                    f"The dhcpOptions '{found.dhcp_options_id}' has dependencies and cannot "
                    "be deleted.",
                )
            tx.drop_settings(found.dhcp_options_id)
            tx.set_tags(found.dhcp_options_id, {})

    def associate(self, dhcp_options_id: str | None, vpc_id: str | None) -> None:
        if not dhcp_options_id:
            raise errors.missing_parameter("DhcpOptionsId")
        with self.ctx.write() as tx:
            if dhcp_options_id != NO_OPTIONS:
                lookups.dhcp_options(tx, dhcp_options_id)
            vpc = lookups.vpc(tx, vpc_id)
            if vpc.dhcp_options_id != dhcp_options_id:
                tx.put_vpc(replace(vpc, dhcp_options_id=dhcp_options_id))
