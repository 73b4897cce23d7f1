"""NAT gateways and egress-only internet gateways: create, delete, describe.

A NAT gateway holds a private IPv4 of its subnet (the allocator never hands it out again
while the gateway lives) and, when public, an Elastic IP, whose association then names the
gateway. Its requester-managed interface is not modelled as an interface row: it gets an
``eni-`` id for the shapes, and the policy engine and the data plane never see it as an
instance's interface. AWS creates a gateway asynchronously; stockade makes it ``available``
at once (the ``nat_gateway_available`` waiter passes on its first poll), and a deleted one
stays visible as ``deleted`` (AWS keeps it about an hour), its addresses freed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime

from stockade.domain import errors, ids
from stockade.domain.addresses import check_private_ip
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, NatGatewayState
from stockade.domain.tags import RawTags
from stockade.service import addressing, lookups
from stockade.service.addresses import check_unassociated, unassociated
from stockade.service.context import ServiceContext
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction

CONNECTIVITY_TYPES = ("public", "private")
#: States in which a NAT gateway counts against the per-zone quota and holds its addresses.
_LIVE = (NatGatewayState.PENDING, NatGatewayState.AVAILABLE, NatGatewayState.DELETING)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


class GatewayService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    # -- NAT gateways --------------------------------------------------------------------------

    def create_nat_gateway(
        self,
        subnet_id: str | None,
        allocation_id: str | None = None,
        connectivity_type: str | None = None,
        private_ip: str | None = None,
        tags: RawTags = (),
        client_token: str | None = None,
    ) -> NatGateway:
        kind = connectivity_type or "public"
        if kind not in CONNECTIVITY_TYPES:
            raise errors.invalid_value(
                "ConnectivityType", kind, "It must be 'public' or 'private'."
            )
        if subnet_id is None:
            raise errors.missing_parameter("SubnetId")
        if kind == "public" and not allocation_id:
            # [UNVERIFIED] AWS's code for a public NAT gateway without an Elastic IP
            raise errors.error(
                "MissingParameter",
                "The request must contain the parameter AllocationId for a public NAT gateway",
            )
        if kind == "private" and allocation_id:
            raise errors.invalid_combination(
                "A private NAT gateway cannot have an Elastic IP address (AllocationId)"
            )
        with self.ctx.write() as tx:
            if client_token:
                earlier = next(
                    (n for n in tx.list_nat_gateways() if n.client_token == client_token), None
                )
                if earlier is not None:
                    return earlier
            subnet = lookups.subnet(tx, subnet_id)
            self._check_zone_quota(tx, subnet.availability_zone)
            eip = lookups.elastic_ip(tx, allocation_id) if allocation_id else None
            if eip is not None:
                check_unassociated(eip)
                if not any(g.vpc_id == subnet.vpc_id for g in tx.list_internet_gateways()):
                    raise errors.error(
                        "Gateway.NotAttached",
                        f"Network {subnet.vpc_id} has no Internet gateway attached",
                    )
            used = tx.used_private_ips(subnet.subnet_id)
            ip = (
                check_private_ip(subnet.cidr_block, subnet.subnet_id, private_ip, used)
                if private_ip
                else addressing.allocate_private_ip(subnet, used)
            )
            nat = NatGateway(
                ids.new_id("nat"),
                subnet.vpc_id,
                subnet.subnet_id,
                tx.scope.account,
                tx.scope.region,
                ip,
                _now(),
                connectivity_type=kind,
                allocation_id=eip.allocation_id if eip else None,
                public_ip=eip.public_ip if eip else None,
                network_interface_id=ids.new_id("eni"),
                client_token=client_token,
            )
            tx.put_nat_gateway(nat)
            if eip is not None:
                tx.put_elastic_ip(
                    replace(
                        eip,
                        association_id=ids.new_id("eipassoc"),
                        network_interface_id=nat.network_interface_id,
                        private_ip=nat.private_ip,
                        nat_gateway_id=nat.nat_gateway_id,
                    )
                )
            return replace(nat, tags=tag_new(tx, [nat.nat_gateway_id], tags))

    def _check_zone_quota(self, tx: Transaction, zone: str) -> None:
        subnets = {s.subnet_id: s.availability_zone for s in tx.list_subnets()}
        live = [
            n
            for n in tx.list_nat_gateways()
            if n.state in _LIVE and subnets.get(n.subnet_id) == zone
        ]
        limit = self.ctx.quotas.nat_gateways_per_zone
        if len(live) >= limit:
            raise errors.error(
                "NatGatewayLimitExceeded",
                f"Performing this operation would exceed the limit of {limit} NAT gateways "
                f"in availability zone {zone}",
            )

    def delete_nat_gateway(self, nat_gateway_id: str | None) -> str:
        """Delete: the gateway stays visible as ``deleted``; its Elastic IP is freed (routes
        to it turn ``blackhole``). Deleting a deleted gateway changes nothing."""
        with self.ctx.write() as tx:
            nat = lookups.nat_gateway(tx, nat_gateway_id)
            if nat.state is NatGatewayState.DELETED:
                return nat.nat_gateway_id
            tx.put_nat_gateway(replace(nat, state=NatGatewayState.DELETED, delete_time=_now()))
            if nat.allocation_id:
                eip = tx.get_elastic_ip(nat.allocation_id)
                if eip is not None and eip.nat_gateway_id == nat.nat_gateway_id:
                    tx.put_elastic_ip(unassociated(eip))
            return nat.nat_gateway_id

    def describe_nat_gateways(self, nat_gateway_ids: Sequence[str] = ()) -> list[NatGateway]:
        with self.ctx.read() as tx:
            if nat_gateway_ids:
                return [lookups.nat_gateway(tx, n) for n in dict.fromkeys(nat_gateway_ids)]
            return tx.list_nat_gateways()

    # -- egress-only internet gateways ---------------------------------------------------------

    def create_egress_only_internet_gateway(
        self, vpc_id: str | None, tags: RawTags = ()
    ) -> EgressOnlyInternetGateway:
        with self.ctx.write() as tx:
            vpc = lookups.vpc(tx, vpc_id)
            if tx.list_egress_only_internet_gateways(vpc_id=vpc.vpc_id):
                # [UNVERIFIED] AWS's code: one egress-only gateway per VPC
                raise errors.error(
                    "Resource.AlreadyAssociated",
                    f"network {vpc.vpc_id} already has an egress-only internet gateway attached",
                )
            eigw = EgressOnlyInternetGateway(
                ids.new_id("eigw"), tx.scope.account, tx.scope.region, vpc.vpc_id
            )
            tx.put_egress_only_internet_gateway(eigw)
            eigw_id = eigw.egress_only_internet_gateway_id
            return replace(eigw, tags=tag_new(tx, [eigw_id], tags))

    def delete_egress_only_internet_gateway(self, eigw_id: str | None) -> None:
        """Delete; routes to it turn ``blackhole`` (AWS keeps them)."""
        with self.ctx.write() as tx:
            eigw = lookups.egress_only_internet_gateway(tx, eigw_id)
            tx.delete_egress_only_internet_gateway(eigw.egress_only_internet_gateway_id)

    def describe_egress_only_internet_gateways(
        self, eigw_ids: Sequence[str] = ()
    ) -> list[EgressOnlyInternetGateway]:
        with self.ctx.read() as tx:
            if eigw_ids:
                return [
                    lookups.egress_only_internet_gateway(tx, e) for e in dict.fromkeys(eigw_ids)
                ]
            return tx.list_egress_only_internet_gateways()
