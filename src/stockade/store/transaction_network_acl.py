"""Network ACLs in the store: one aggregate (the ACL, its entries, its associations).

An ACL is written whole (``put_network_acl`` replaces its entries and associations), the
way the service changes it, and read whole through :func:`loaders.load_network_acls`.
Associations are found by their own id (``network_acl_by_association``) because
ReplaceNetworkAclAssociation names only that. Every write touches the ACL's id, so the
change log (and the data plane's follower, which re-reads the snapshot for any id it
cannot patch) sees it.
"""

from __future__ import annotations

from sqlalchemy import delete, insert, select

from stockade.domain.network_acl import NetworkAcl
from stockade.store import loaders, mapping
from stockade.store import schema as s
from stockade.store.transaction_core import TransactionCore


class NetworkAclRepository(TransactionCore):
    """The network-ACL methods of :class:`stockade.store.transaction.SqlTransaction`."""

    def get_network_acl(self, network_acl_id: str) -> NetworkAcl | None:
        where = self._matching(s.network_acls, network_acl_id=network_acl_id)
        found = loaders.load_network_acls(self._c, where)
        return found[0] if found else None

    def list_network_acls(self, vpc_id: str | None = None) -> list[NetworkAcl]:
        return loaders.load_network_acls(self._c, self._matching(s.network_acls, vpc_id=vpc_id))

    def network_acl_by_association(self, association_id: str) -> NetworkAcl | None:
        """The ACL (of this scope) holding that association; None if none does."""
        na = s.network_acl_associations
        owner = self._c.scalar(
            select(na.c.network_acl_id).where(na.c.association_id == association_id)
        )
        return None if owner is None else self.get_network_acl(owner)

    def network_acl_of_subnet(self, subnet_id: str) -> NetworkAcl | None:
        """The ACL the subnet is associated with (every subnet has one once created)."""
        na = s.network_acl_associations
        owner = self._c.scalar(select(na.c.network_acl_id).where(na.c.subnet_id == subnet_id))
        return None if owner is None else self.get_network_acl(owner)

    def put_network_acl(self, acl: NetworkAcl) -> None:
        """Insert or replace an ACL with all its entries and associations."""
        acl_id = acl.network_acl_id
        self._upsert(s.network_acls, [{**mapping.network_acl_values(acl), **self._scope_params()}])
        conn = self._write(acl_id)
        for child, rows in (
            (s.network_acl_entries, mapping.acl_entry_rows(acl)),
            (s.network_acl_associations, mapping.acl_association_rows(acl)),
        ):
            conn.execute(delete(child).where(child.c.network_acl_id == acl_id))
            if rows:
                conn.execute(insert(child), rows)

    def delete_network_acl(self, network_acl_id: str) -> None:
        self._delete(
            s.network_acls, network_acl_id, s.network_acl_entries, s.network_acl_associations
        )
