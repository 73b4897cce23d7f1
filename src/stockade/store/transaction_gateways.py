"""The store's repositories for NAT gateways, egress-only internet gateways and Elastic IPs.

Kept apart from :mod:`stockade.store.transaction` so that module stays readable; the
:class:`SqlTransaction` there inherits these. Getters, lists and deletes are scoped to the
transaction's (account, region) like the other resources, except the public-IPv4 checks
(:meth:`GatewayRepositories.elastic_ip_public_ips`), which span every scope because the
pool of public addresses is shared.
"""

from __future__ import annotations

from sqlalchemy import select

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, NatGatewayState
from stockade.store import loaders, mapping
from stockade.store import schema as s
from stockade.store.transaction_core import TransactionCore


class GatewayRepositories(TransactionCore):
    """NAT gateways, egress-only internet gateways and Elastic IPs over one transaction."""

    # -- NAT gateways ----------------------------------------------------------------------------

    def get_nat_gateway(self, nat_gateway_id: str) -> NatGateway | None:
        where = self._matching(s.nat_gateways, nat_gateway_id=nat_gateway_id)
        found = loaders.load_nat_gateways(self._c, where)
        return found[0] if found else None

    def list_nat_gateways(
        self, vpc_id: str | None = None, subnet_id: str | None = None
    ) -> list[NatGateway]:
        where = self._matching(s.nat_gateways, vpc_id=vpc_id, subnet_id=subnet_id)
        return loaders.load_nat_gateways(self._c, where)

    def put_nat_gateway(self, nat: NatGateway) -> None:
        self._upsert(s.nat_gateways, [mapping.nat_gateway_values(nat)])

    def nat_gateway_private_ips(self, subnet_id: str) -> set[str]:
        """Private addresses NAT gateways hold in the subnet (a deleted one holds none)."""
        t = s.nat_gateways
        return set(
            self._c.scalars(
                select(t.c.private_ip).where(
                    t.c.subnet_id == subnet_id, t.c.state != NatGatewayState.DELETED.value
                )
            )
        )

    # -- egress-only internet gateways -----------------------------------------------------------

    def get_egress_only_internet_gateway(self, eigw_id: str) -> EgressOnlyInternetGateway | None:
        t = s.egress_only_internet_gateways
        where = self._matching(t, egress_only_internet_gateway_id=eigw_id)
        found = loaders.load_egress_only_internet_gateways(self._c, where)
        return found[0] if found else None

    def list_egress_only_internet_gateways(
        self, vpc_id: str | None = None
    ) -> list[EgressOnlyInternetGateway]:
        where = self._matching(s.egress_only_internet_gateways, vpc_id=vpc_id)
        return loaders.load_egress_only_internet_gateways(self._c, where)

    def put_egress_only_internet_gateway(self, eigw: EgressOnlyInternetGateway) -> None:
        self._upsert(s.egress_only_internet_gateways, [mapping.eigw_values(eigw)])

    def delete_egress_only_internet_gateway(self, eigw_id: str) -> None:
        self._delete(s.egress_only_internet_gateways, eigw_id)

    # -- Elastic IPs -----------------------------------------------------------------------------

    def get_elastic_ip(self, allocation_id: str) -> ElasticIp | None:
        where = self._matching(s.elastic_ips, allocation_id=allocation_id)
        found = loaders.load_elastic_ips(self._c, where)
        return found[0] if found else None

    def list_elastic_ips(self) -> list[ElasticIp]:
        return loaders.load_elastic_ips(self._c, self._in_scope(s.elastic_ips))

    def put_elastic_ip(self, eip: ElasticIp) -> None:
        self._upsert(s.elastic_ips, [mapping.elastic_ip_values(eip)])

    def delete_elastic_ip(self, allocation_id: str) -> None:
        self._delete(s.elastic_ips, allocation_id)

    def elastic_ip_public_ips(self) -> set[str]:
        """Public IPv4s allocated as Elastic IPs in any scope (one shared pool)."""
        return set(self._c.scalars(select(s.elastic_ips.c.public_ip)))
