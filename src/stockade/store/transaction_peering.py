"""The peering repository of :class:`stockade.store.transaction.SqlTransaction`.

A peering is one row seen by two scopes: the requester's (the row's ``account``/``region``)
and the accepter's (``accepter_account``/``accepter_region``). Getters and lists answer
for either side; nothing here decides who may do what (that is the service's job).
"""

from __future__ import annotations

from sqlalchemy import select

from stockade.domain.network import Vpc
from stockade.domain.peering import PeeringStatus, VpcPeeringConnection
from stockade.domain.scope import Scope
from stockade.store import loaders, mapping
from stockade.store import schema as s
from stockade.store.loaders import Where
from stockade.store.transaction_core import TransactionCore

_P = s.vpc_peering_connections


class PeeringTransaction(TransactionCore):
    """Peerings, and the cross-scope reads a peering needs (the other side's VPC)."""

    def _either_side(self) -> Where:
        """Peerings with a side in this scope."""
        accepter = (_P.c.accepter_account == self.scope.account) & (
            _P.c.accepter_region == self.scope.region
        )
        return self._in_scope(_P) | accepter

    def get_peering(self, pcx_id: str) -> VpcPeeringConnection | None:
        where = (_P.c.vpc_peering_connection_id == pcx_id) & self._either_side()
        found = loaders.load_peerings(self._c, where)
        return found[0] if found else None

    def list_peerings(self, vpc_id: str | None = None) -> list[VpcPeeringConnection]:
        where = self._either_side()
        if vpc_id is not None:
            where &= (_P.c.requester_vpc_id == vpc_id) | (_P.c.accepter_vpc_id == vpc_id)
        return loaders.load_peerings(self._c, where)

    def put_peering(self, peering: VpcPeeringConnection) -> None:
        self._upsert(_P, [mapping.peering_values(peering)])

    def peered_scopes(self) -> list[Scope]:
        """The other scopes joined to this one by an active peering, sorted: the scopes
        whose resources a flow across a peering needs (``Snapshot.merged``)."""
        rows = self._c.execute(
            select(_P.c.account, _P.c.region, _P.c.accepter_account, _P.c.accepter_region).where(
                self._either_side(), _P.c.status == PeeringStatus.ACTIVE.value
            )
        ).all()
        found = {
            scope
            for row in rows
            for scope in (Scope(row[0], row[1]), Scope(row[2], row[3]))
            if scope != self.scope
        }
        return sorted(found, key=lambda sc: (sc.account, sc.region))

    def find_vpc(self, vpc_id: str) -> Vpc | None:
        """Any scope's VPC by id: a peering request names the accepter's VPC, which may be
        another account's (the service decides what the caller may learn of it)."""
        found = loaders.load_vpcs(self._c, s.vpcs.c.vpc_id == vpc_id)
        return found[0] if found else None
