"""The store's view of AWS-managed prefix lists: the one place they join a scope's reads.

A scope sees its own lists, the AWS-owned lists of its region that an import stored
(rows whose ``account`` is ``AWS``: a real account's ``describe-managed-prefix-lists``
lists them, with their real ids), and the region's catalogue lists
(:mod:`stockade.domain.aws_prefix_lists`) that no stored AWS list already names. Every
reader — services, lookups, snapshots, hence the policy engine, exposure, routes and the
data plane — goes through :class:`~stockade.store.transaction.SqlTransaction`'s prefix-list
methods, which use these helpers, so nothing else needs to know a list is AWS's.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Table

from stockade.domain.aws_prefix_lists import AWS_OWNER, aws_prefix_lists
from stockade.domain.prefix_list import PrefixList
from stockade.domain.scope import Scope
from stockade.store.loaders import Where


def visible(table: Table, scope: Scope) -> Where:
    """Rows of the scope's own lists and of the AWS lists stored for its region."""
    return (table.c.region == scope.region) & (
        (table.c.account == scope.account) | (table.c.account == AWS_OWNER)
    )


def with_catalogue(region: str, stored: Iterable[PrefixList]) -> list[PrefixList]:
    """The stored lists, then the region's catalogue lists not already stored (by id or,
    for an imported AWS list with its real id, by name)."""
    out = list(stored)
    ids = {p.prefix_list_id for p in out}
    aws_names = {p.name for p in out if p.owner_id == AWS_OWNER}
    out.extend(
        p
        for p in aws_prefix_lists(region)
        if p.prefix_list_id not in ids and p.name not in aws_names
    )
    return out
