"""Route tables in the store: one aggregate (the table, its routes, its associations).

A table is written whole (``put_route_table`` replaces its routes and associations), the
way the service changes it, and read whole through :func:`loaders.load_route_tables`.
Associations are found by their own id (``route_table_by_association``) because
Disassociate/ReplaceRouteTableAssociation name only that. Every write touches the table's
id, so the change log (and the data plane's follower, which re-reads the snapshot for any
id it cannot patch) sees it.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from stockade.domain.routing import RouteTable
from stockade.store import loaders, mapping
from stockade.store import schema as s
from stockade.store.transaction_core import TransactionCore


class RouteTableRepository(TransactionCore):
    """The route-table methods of :class:`stockade.store.transaction.SqlTransaction`."""

    def get_route_table(self, route_table_id: str) -> RouteTable | None:
        where = self._matching(s.route_tables, route_table_id=route_table_id)
        found = loaders.load_route_tables(self._c, where)
        return found[0] if found else None

    def list_route_tables(self, vpc_id: str | None = None) -> list[RouteTable]:
        return loaders.load_route_tables(self._c, self._matching(s.route_tables, vpc_id=vpc_id))

    def route_table_by_association(self, association_id: str) -> RouteTable | None:
        """The table (of this scope) holding that association; None if none does."""
        ra = s.route_table_associations
        owner = self._c.scalar(
            select(ra.c.route_table_id).where(ra.c.association_id == association_id)
        )
        return None if owner is None else self.get_route_table(owner)

    def put_route_table(self, table: RouteTable) -> None:
        """Insert or replace a table with all its routes and associations."""
        rtb_id = table.route_table_id
        self._upsert(
            s.route_tables,
            [{**mapping.route_table_values(table), **self._scope_params()}],
        )
        conn = self._write(rtb_id)
        for child, rows in (
            (s.route_table_routes, mapping.route_rows(table)),
            (s.route_table_associations, mapping.association_rows(table)),
        ):
            conn.execute(delete(child).where(child.c.route_table_id == rtb_id))
            if rows:
                conn.execute(insert(child), rows)

    def delete_route_table(self, route_table_id: str) -> None:
        self._delete(
            s.route_tables, route_table_id, s.route_table_routes, s.route_table_associations
        )
