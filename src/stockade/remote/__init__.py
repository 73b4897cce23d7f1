"""The services, through a running ``stockade serve`` instead of the local store.

:class:`RemoteServices` satisfies :class:`stockade.service.contracts.Services`, as the local
:class:`stockade.service.bundle.Services` does (checked by mypy below): each remote service
has the same method signatures as its local twin and returns the same domain objects, built
back from the EC2 shapes a boto3 client receives. The CLI picks one or the other with
``--endpoint``; everything above the services is unchanged. Nothing here loads the store
(SQLAlchemy): the request and result types come from the pure ``service.contracts``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from stockade.remote.cidr_blocks import RemoteCidrBlockService
from stockade.remote.client import Remote, make_client
from stockade.remote.flow_logs import RemoteFlowLogService
from stockade.remote.gateways import (
    RemoteAddressService,
    RemoteGatewayService,
    RemoteVpcAttributeService,
)
from stockade.remote.groups import RemoteGroupService, RemoteRuleService
from stockade.remote.network import RemoteNetworkService
from stockade.remote.network_acls import RemoteNetworkAclService
from stockade.remote.network_insights import RemoteNetworkInsightsService
from stockade.remote.peering import RemotePeeringService
from stockade.remote.resources import (
    RemoteInstanceService,
    RemoteInterfaceService,
    RemotePrefixListService,
    RemoteTagService,
)
from stockade.remote.routing import RemoteRouteTableService

if TYPE_CHECKING:
    from stockade.service import contracts

_R = TypeVar("_R", bound=Remote)


class RemoteServices:
    """Every service of one (account, region), over the EC2 API at ``endpoint``."""

    def __init__(self, endpoint: str, account: str, region: str) -> None:
        self.endpoint, self.account, self.region = endpoint, account, region

    @cached_property
    def client(self) -> Any:
        return make_client(self.endpoint, self.account, self.region)

    def _make(self, cls: type[_R]) -> _R:
        return cls(self.client, self.account, self.region)

    @cached_property
    def network(self) -> RemoteNetworkService:
        return self._make(RemoteNetworkService)

    @cached_property
    def groups(self) -> RemoteGroupService:
        return self._make(RemoteGroupService)

    @cached_property
    def rules(self) -> RemoteRuleService:
        return self._make(RemoteRuleService)

    @cached_property
    def prefix_lists(self) -> RemotePrefixListService:
        return self._make(RemotePrefixListService)

    @cached_property
    def interfaces(self) -> RemoteInterfaceService:
        return self._make(RemoteInterfaceService)

    @cached_property
    def instances(self) -> RemoteInstanceService:
        return self._make(RemoteInstanceService)

    @cached_property
    def tags(self) -> RemoteTagService:
        return self._make(RemoteTagService)

    @cached_property
    def addresses(self) -> RemoteAddressService:
        return self._make(RemoteAddressService)

    @cached_property
    def gateways(self) -> RemoteGatewayService:
        return self._make(RemoteGatewayService)

    @cached_property
    def vpc_attributes(self) -> RemoteVpcAttributeService:
        return self._make(RemoteVpcAttributeService)

    @cached_property
    def route_tables(self) -> RemoteRouteTableService:
        return self._make(RemoteRouteTableService)

    @cached_property
    def network_acls(self) -> RemoteNetworkAclService:
        return self._make(RemoteNetworkAclService)

    @cached_property
    def peering(self) -> RemotePeeringService:
        return self._make(RemotePeeringService)

    @cached_property
    def network_insights(self) -> RemoteNetworkInsightsService:
        return self._make(RemoteNetworkInsightsService)

    @cached_property
    def flow_logs(self) -> RemoteFlowLogService:
        return self._make(RemoteFlowLogService)

    @cached_property
    def cidr_blocks(self) -> RemoteCidrBlockService:
        return self._make(RemoteCidrBlockService)


if TYPE_CHECKING:

    def _satisfies_contract(services: RemoteServices) -> contracts.Services:
        """Never called: mypy checks here that the remote services keep the contract."""
        return services
