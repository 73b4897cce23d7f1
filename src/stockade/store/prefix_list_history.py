"""Versioned prefix-list entries: every version stays answerable after later edits.

EC2 lets callers read a prefix list's entries at any past version (``TargetVersion``)
and restore one, so entries are never updated in place. A row of ``prefix_list_entries``
says "this CIDR, with this description, belonged to versions ``first_version`` through
``last_version``" (``last_version`` NULL: it still belongs). Recording a new version
closes the rows that left or changed and opens rows for what arrived or changed; unchanged
entries keep their row, so history grows with the edits, not with the list size.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Connection, insert, or_, select, update

from stockade.domain.prefix_list import PrefixListEntry
from stockade.store import mapping
from stockade.store import schema as s
from stockade.store.batching import chunks


def entries_at(conn: Connection, prefix_list_id: str, version: int) -> list[PrefixListEntry]:
    """The entries as of ``version`` (the caller checks the version exists)."""
    e = s.prefix_list_entries
    rows = conn.execute(
        select(e.c.cidr, e.c.description).where(
            e.c.prefix_list_id == prefix_list_id,
            e.c.first_version <= version,
            or_(e.c.last_version.is_(None), e.c.last_version >= version),
        )
    )
    return list(mapping.entries_from(rows))


def record_version(
    conn: Connection, prefix_list_id: str, version: int, entries: Iterable[PrefixListEntry]
) -> None:
    """Make ``entries`` the current set as of ``version`` (newer than any recorded one).

    Closed rows end at ``version - 1``: if versions were skipped, the skipped ones read
    as the previous set, which is what they would have been.
    """
    e = s.prefix_list_entries
    current_rows = (e.c.prefix_list_id == prefix_list_id) & e.c.last_version.is_(None)
    wanted = {entry.cidr: entry.description for entry in entries}
    current = dict(conn.execute(select(e.c.cidr, e.c.description).where(current_rows)).all())
    gone = [cidr for cidr, desc in current.items() if cidr not in wanted or wanted[cidr] != desc]
    new = [cidr for cidr, desc in wanted.items() if cidr not in current or current[cidr] != desc]
    for part in chunks(gone):
        conn.execute(
            update(e).where(current_rows, e.c.cidr.in_(part)).values(last_version=version - 1)
        )
    if new:
        conn.execute(
            insert(e),
            [
                {
                    "prefix_list_id": prefix_list_id,
                    "cidr": cidr,
                    "description": wanted[cidr],
                    "first_version": version,
                    "last_version": None,
                }
                for cidr in new
            ],
        )
