"""Customer-managed prefix lists: versioned entries, MaxEntries, one address family.

AWS-managed lists (the region's catalogue, ``domain/aws_prefix_lists.py``) are described
and read like any other but never changed: modify, delete and tags are refused.

A rule referencing a list costs its MaxEntries against the group's quota, so growing
MaxEntries re-checks every referencing group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids, text
from stockade.domain.addresses import canonical_cidr
from stockade.domain.aws_prefix_lists import is_aws_managed
from stockade.domain.prefix_list import FAMILIES, PrefixList, PrefixListEntry
from stockade.domain.quotas import check_rule_quota
from stockade.domain.tags import RawTags
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import Entry
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction


def _entries(values: Sequence[Entry], family: str) -> dict[str, PrefixListEntry]:
    version = 4 if family == "IPv4" else 6
    out: dict[str, PrefixListEntry] = {}
    for cidr, desc in values:
        canonical = canonical_cidr(cidr, version)
        if canonical in out:
            raise errors.invalid_parameter_value(
                f"The request contains duplicate entries for CIDR {canonical}"
            )
        out[canonical] = PrefixListEntry(canonical, text.rule_description(desc))
    return out


def _routed(tx: Transaction, prefix_list_id: str) -> bool:
    """Whether a route of the scope's tables has the list as its destination."""
    return any(
        route.destination == prefix_list_id
        for table in tx.list_route_tables()
        for route in table.routes
    )


class PrefixListService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def _check_max_entries(self, value: int | None) -> int:
        if value is None:
            raise errors.missing_parameter("MaxEntries")
        limit = self.ctx.quotas.prefix_list_max_entries
        if not 1 <= value <= limit:
            raise errors.invalid_value("MaxEntries", value, f"It must be between 1 and {limit}.")
        return value

    def create(
        self,
        name: str | None,
        max_entries: int | None,
        address_family: str | None,
        entries: Sequence[Entry] = (),
        tags: RawTags = (),
    ) -> PrefixList:
        name = text.prefix_list_name(name)
        max_entries = self._check_max_entries(max_entries)
        if address_family not in FAMILIES:
            raise errors.invalid_value("AddressFamily", address_family, "Use IPv4 or IPv6.")
        checked = _entries(entries, address_family)
        if len(checked) > max_entries:
            raise errors.error(
                "PrefixListMaxEntriesExceeded",
                f"The prefix list has {len(checked)} entries, "
                f"more than its MaxEntries ({max_entries}).",
            )
        with self.ctx.write() as tx:
            own = [p for p in tx.list_prefix_lists() if not is_aws_managed(p)]
            if len(own) >= self.ctx.quotas.prefix_lists_per_region:
                raise errors.error(
                    "PrefixListLimitExceeded",
                    "The maximum number of prefix lists has been reached.",
                )
            pl = PrefixList(
                ids.new_id("pl"),
                name,
                address_family,
                max_entries,
                1,
                tx.scope.account,
                tx.scope.region,
                tuple(sorted(checked.values())),
            )
            tx.put_prefix_list(pl)
            return replace(pl, tags=tag_new(tx, [pl.prefix_list_id], tags))

    def describe(self, prefix_list_ids: Sequence[str] = ()) -> list[PrefixList]:
        with self.ctx.read() as tx:
            if prefix_list_ids:
                return [lookups.prefix_list(tx, p) for p in prefix_list_ids]
            return tx.list_prefix_lists()

    def entries(self, prefix_list_id: str, version: int | None = None) -> list[PrefixListEntry]:
        with self.ctx.read() as tx:
            pl = lookups.prefix_list(tx, prefix_list_id)
            if version is None:
                return list(pl.entries)
            found = tx.prefix_list_entries(prefix_list_id, version)
            if found is None:
                raise errors.invalid_value("TargetVersion", version, "The version does not exist.")
            return found

    def modify(
        self,
        prefix_list_id: str,
        current_version: int | None = None,
        name: str | None = None,
        add: Sequence[Entry] = (),
        remove: Sequence[str] = (),
        max_entries: int | None = None,
    ) -> PrefixList:
        """Rename, resize, or change entries (a new version); entries and size not together."""
        if (add or remove) and max_entries is not None:
            raise errors.invalid_combination(
                "You cannot modify the entries and the maximum number of entries of a prefix "
                "list in the same request."
            )
        with self.ctx.write() as tx:
            pl = lookups.own_prefix_list(tx, prefix_list_id)
            if current_version is not None and current_version != pl.version:
                raise errors.error(
                    "PrefixListVersionMismatch",
                    f"The prefix list {prefix_list_id} has version {pl.version}, "
                    f"not {current_version}.",
                )
            if name is not None:
                pl = replace(pl, name=text.prefix_list_name(name))
            if max_entries is not None:
                pl = self._resize(tx, pl, self._check_max_entries(max_entries))
            if add or remove:
                pl = self._change_entries(pl, add, remove)
            tx.put_prefix_list(pl)
            return pl

    def _resize(self, tx: Transaction, pl: PrefixList, max_entries: int) -> PrefixList:
        if max_entries < len(pl.entries):
            raise errors.invalid_value(
                "MaxEntries", max_entries, f"The prefix list has {len(pl.entries)} entries."
            )
        resized = replace(pl, max_entries=max_entries)
        groups = {r.group_id for r in tx.rules_referencing_prefix_list(pl.prefix_list_id)}
        for gid in groups:
            specs = [r.spec for r in tx.rules_of([gid])]

            def weight(plid: str, _resized: PrefixList = resized) -> int:
                if plid == _resized.prefix_list_id:
                    return _resized.weight
                other = tx.get_prefix_list(plid)
                return other.weight if other else 0

            check_rule_quota(specs, weight, self.ctx.quotas)
        return resized

    def _change_entries(
        self, pl: PrefixList, add: Sequence[Entry], remove: Sequence[str]
    ) -> PrefixList:
        family = 4 if pl.address_family == "IPv4" else 6
        current = {e.cidr: e for e in pl.entries}
        for cidr in remove:
            canonical = canonical_cidr(cidr, family)
            if canonical not in current:
                raise errors.error(
                    "InvalidPrefixListModification",
                    f"The CIDR {canonical} is not an entry of {pl.prefix_list_id}.",
                )
            del current[canonical]
        current.update(_entries(add, pl.address_family))
        if len(current) > pl.max_entries:
            raise errors.error(
                "PrefixListMaxEntriesExceeded",
                f"The prefix list would have {len(current)} entries, more than its MaxEntries "
                f"({pl.max_entries}).",
            )
        return replace(
            pl,
            entries=tuple(sorted(current.values())),
            version=pl.version + 1,
            state="modify-complete",
        )

    def delete(self, prefix_list_id: str) -> PrefixList:
        with self.ctx.write() as tx:
            pl = lookups.own_prefix_list(tx, prefix_list_id)
            # [UNVERIFIED] code; AWS requires references (rules, routes) to go first.
            if tx.rules_referencing_prefix_list(prefix_list_id) or _routed(tx, prefix_list_id):
                raise errors.dependency_violation(prefix_list_id)
            tx.delete_prefix_list(prefix_list_id)
            return replace(pl, state="delete-complete")
