"""Every service of one scope, behind one object.

The API builds one :class:`Services` per request (one scope per request); the CLI builds one
per command, or swaps in :class:`stockade.remote.RemoteServices`, which talks to a running
server instead; both satisfy :class:`stockade.service.contracts.Services` (checked by mypy
below). Services are created on first use, so a call that needs one family costs only that
family.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING

from stockade.service import contracts
from stockade.service.address_attributes import AddressAttributeService
from stockade.service.addresses import AddressService
from stockade.service.cidr_blocks import CidrBlockService
from stockade.service.context import ServiceContext
from stockade.service.dhcp_options import DhcpOptionsService
from stockade.service.flow_logs import FlowLogService
from stockade.service.gateways import GatewayService
from stockade.service.groups import GroupService
from stockade.service.instance_options import InstanceOptionService
from stockade.service.instances import InstanceService
from stockade.service.interfaces import InterfaceService
from stockade.service.network import NetworkService
from stockade.service.network_acls import NetworkAclService
from stockade.service.network_insights import NetworkInsightsService
from stockade.service.peering import PeeringService
from stockade.service.prefix_lists import PrefixListService
from stockade.service.routing import RouteTableService
from stockade.service.rules import RuleService
from stockade.service.tags import TagService
from stockade.service.volumes import VolumeService
from stockade.service.vpc_attributes import VpcAttributeService


class Services:
    """The local services over one :class:`ServiceContext` (store, scope, quotas)."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    @property
    def region(self) -> str:
        return self.ctx.scope.region

    @property
    def account(self) -> str:
        return self.ctx.scope.account

    @cached_property
    def network(self) -> NetworkService:
        return NetworkService(self.ctx)

    @cached_property
    def groups(self) -> GroupService:
        return GroupService(self.ctx)

    @cached_property
    def rules(self) -> RuleService:
        return RuleService(self.ctx)

    @cached_property
    def prefix_lists(self) -> PrefixListService:
        return PrefixListService(self.ctx)

    @cached_property
    def interfaces(self) -> InterfaceService:
        return InterfaceService(self.ctx)

    @cached_property
    def instances(self) -> InstanceService:
        return InstanceService(self.ctx)

    @cached_property
    def tags(self) -> TagService:
        return TagService(self.ctx)

    @cached_property
    def addresses(self) -> AddressService:
        return AddressService(self.ctx)

    @cached_property
    def gateways(self) -> GatewayService:
        return GatewayService(self.ctx)

    @cached_property
    def vpc_attributes(self) -> VpcAttributeService:
        return VpcAttributeService(self.ctx)

    @cached_property
    def route_tables(self) -> RouteTableService:
        return RouteTableService(self.ctx)

    @cached_property
    def network_acls(self) -> NetworkAclService:
        return NetworkAclService(self.ctx)

    @cached_property
    def peering(self) -> PeeringService:
        return PeeringService(self.ctx)

    @cached_property
    def network_insights(self) -> NetworkInsightsService:
        return NetworkInsightsService(self.ctx)

    @cached_property
    def flow_logs(self) -> FlowLogService:
        return FlowLogService(self.ctx)

    @cached_property
    def cidr_blocks(self) -> CidrBlockService:
        return CidrBlockService(self.ctx)

    @cached_property
    def instance_options(self) -> InstanceOptionService:
        return InstanceOptionService(self.ctx)

    @cached_property
    def address_attributes(self) -> AddressAttributeService:
        return AddressAttributeService(self.ctx)

    @cached_property
    def volumes(self) -> VolumeService:
        return VolumeService(self.ctx)

    @cached_property
    def dhcp_options(self) -> DhcpOptionsService:
        return DhcpOptionsService(self.ctx)


if TYPE_CHECKING:

    def _satisfies_contract(services: Services) -> contracts.Services:
        """Never called: mypy checks here that the local services keep the contract."""
        return services
