"""What the services take and return, and the calls every implementation offers.

Two implementations answer these calls: the local services (``service/``, over a store)
and the remote ones (``remote/``, over a running server's EC2 API); the CLI and the demos
use either through :class:`Services`. This module is their shared contract, so it imports
only ``domain/``: a boto3 client of a server never loads the store (SQLAlchemy) just to
name a ``LaunchRequest``. mypy checks that both implementations satisfy the protocols.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from stockade.domain import errors
from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.flow_log import FlowLog, Unsuccessful
from stockade.domain.group_references import PeeredReference
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.network_insights import (
    NetworkInsightsAnalysis,
    NetworkInsightsPath,
    PathFilter,
)
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.permissions import IpPermission
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, RouteState, RouteTable
from stockade.domain.security_group import SecurityGroup, SecurityGroupRule
from stockade.domain.tags import RawTags

#: One prefix-list entry as given: (cidr, description)
Entry = tuple[str, str | None]

#: (min, max) per ConnectionTrackingSpecification member, in seconds
_CT_LIMITS = {
    "TcpEstablishedTimeout": (60, 432000),
    "UdpStreamTimeout": (60, 180),
    "UdpTimeout": (30, 60),
}


# -- requests ------------------------------------------------------------------------------
@dataclass(frozen=True)
class TrackingRequest:
    """A ConnectionTrackingSpecification as given (members left out keep their value)."""

    tcp_established_timeout: int | None = None
    udp_stream_timeout: int | None = None
    udp_timeout: int | None = None

    def applied_to(self, base: ConnectionTracking) -> ConnectionTracking:
        values = {
            "TcpEstablishedTimeout": self.tcp_established_timeout,
            "UdpStreamTimeout": self.udp_stream_timeout,
            "UdpTimeout": self.udp_timeout,
        }
        for name, value in values.items():
            low, high = _CT_LIMITS[name]
            if value is not None and not low <= value <= high:
                raise errors.invalid_value(name, value, f"It must be between {low} and {high}.")
        return ConnectionTracking(
            self.tcp_established_timeout or base.tcp_established_timeout,
            self.udp_stream_timeout or base.udp_stream_timeout,
            self.udp_timeout or base.udp_timeout,
        )


@dataclass(frozen=True)
class InterfaceSpec:
    """One ``NetworkInterface.N`` of RunInstances."""

    device_index: int | None = 0
    subnet_id: str | None = None
    group_ids: tuple[str, ...] = ()
    associate_public_ip: bool | None = None
    private_ip: str | None = None
    network_interface_id: str | None = None
    ipv6_count: int | None = None
    tracking: TrackingRequest | None = None
    description: str | None = None
    #: secondary private IPv4 addresses, named or counted (not both)
    secondary_ips: tuple[str, ...] = ()
    secondary_count: int | None = None


@dataclass(frozen=True)
class LaunchRequest:
    image_id: str = "ami-00000000000000000"
    instance_type: str = "t3.micro"
    min_count: int = 1
    max_count: int = 1
    subnet_id: str | None = None
    group_ids: tuple[str, ...] = ()
    group_names: tuple[str, ...] = ()
    interfaces: tuple[InterfaceSpec, ...] = ()
    associate_public_ip: bool | None = None
    private_ip: str | None = None
    key_name: str | None = None
    tags: RawTags = ()
    interface_tags: RawTags = ()
    tracking: TrackingRequest | None = None


@dataclass(frozen=True)
class RuleUpdate:
    """One ``SecurityGroupRule.N`` of ModifySecurityGroupRules: the rule's new definition."""

    rule_id: str
    ip_protocol: str | None
    from_port: int | None = None
    to_port: int | None = None
    cidr_ipv4: str | None = None
    cidr_ipv6: str | None = None
    prefix_list_id: str | None = None
    referenced_group_id: str | None = None
    description: str | None = None


# -- results -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupDetail:
    """A group with its rules, as DescribeSecurityGroups shows it; ``referenced`` describes
    the rules' references to groups of other VPCs (across a peering, live or stale)."""

    group: SecurityGroup
    rules: tuple[SecurityGroupRule, ...]
    referenced: tuple[PeeredReference, ...] = ()

    @property
    def ingress(self) -> list[SecurityGroupRule]:
        return [r for r in self.rules if not r.is_egress]

    @property
    def egress(self) -> list[SecurityGroupRule]:
        return [r for r in self.rules if r.is_egress]


@dataclass(frozen=True)
class StaleGroup:
    group: SecurityGroup
    stale_rules: tuple[SecurityGroupRule, ...]
    #: what each stale rule's referenced group was reached through (by group id)
    referenced: tuple[PeeredReference, ...] = ()


@dataclass(frozen=True)
class GroupReference:
    group_id: str
    referencing_vpc_id: str
    vpc_peering_connection_id: str | None = None


@dataclass(frozen=True)
class RevokeResult:
    revoked: tuple[SecurityGroupRule, ...]
    #: permissions that matched nothing (default VPC only; elsewhere that is an error)
    unknown: tuple[IpPermission, ...] = ()


@dataclass(frozen=True)
class InstanceDetail:
    instance: Instance
    interfaces: tuple[NetworkInterface, ...] = field(default_factory=tuple)

    @property
    def group_ids(self) -> tuple[str, ...]:
        primary = self.primary
        return primary.group_ids if primary else ()

    @property
    def primary(self) -> NetworkInterface | None:
        return next((e for e in self.interfaces if e.device_index == 0), None)


@dataclass(frozen=True)
class StateChange:
    instance_id: str
    previous: InstanceState
    current: InstanceState


def pick_by_name(
    groups: Sequence[SecurityGroup], name: str, vpc_id: str | None = None
) -> SecurityGroup:
    """The one group called ``name`` (case-insensitively, as AWS compares names) among
    ``groups`` (those of ``vpc_id``, if given). Part of the contract: both implementations
    resolve a group name this way."""
    matches = [g for g in groups if g.name.lower() == name.lower()]
    if len(matches) > 1:
        raise errors.invalid_parameter_value(
            f"The security group name '{name}' is used in several VPCs; give the group id or a VPC"
        )
    if not matches:
        where = f" in VPC '{vpc_id}'" if vpc_id else ""
        raise errors.error(
            "InvalidGroup.NotFound", f"The security group '{name}' does not exist{where}"
        )
    return matches[0]


# -- the calls -----------------------------------------------------------------------------
class NetworkCalls(Protocol):
    """VPCs, subnets and internet gateways."""

    def create_vpc(
        self,
        cidr_block: str | None,
        amazon_provided_ipv6: bool = False,
        instance_tenancy: str = "default",
        tags: RawTags = (),
    ) -> Vpc: ...
    def create_default_vpc(self) -> Vpc: ...
    def list_vpcs(self, vpc_ids: list[str] | None = None) -> list[Vpc]: ...
    def get_vpc(self, vpc_id: str) -> Vpc: ...
    def delete_vpc(self, vpc_id: str) -> None: ...
    def associate_ipv6_block(self, vpc_id: str) -> Vpc: ...
    def create_subnet(
        self,
        vpc_id: str,
        cidr_block: str | None,
        availability_zone: str | None = None,
        ipv6_cidr_block: str | None = None,
        tags: RawTags = (),
    ) -> Subnet: ...
    def list_subnets(self, subnet_ids: list[str] | None = None) -> list[Subnet]: ...
    def available_ip_counts(self, subnet_ids: list[str] | None = None) -> dict[str, int]: ...
    def delete_subnet(self, subnet_id: str) -> None: ...
    def modify_subnet_attribute(
        self,
        subnet_id: str,
        map_public_ip_on_launch: bool | None = None,
        assign_ipv6_address_on_creation: bool | None = None,
    ) -> Subnet: ...
    def create_internet_gateway(self, tags: RawTags = ()) -> InternetGateway: ...
    def list_internet_gateways(self, igw_ids: list[str] | None = None) -> list[InternetGateway]: ...
    def attach_internet_gateway(self, igw_id: str, vpc_id: str) -> None: ...
    def detach_internet_gateway(self, igw_id: str, vpc_id: str) -> None: ...
    def delete_internet_gateway(self, igw_id: str) -> None: ...


class GroupCalls(Protocol):
    """Security groups and who references them."""

    def create(
        self,
        name: str | None,
        description: str | None,
        vpc_id: str | None = None,
        tags: RawTags = (),
    ) -> GroupDetail: ...
    def delete(self, group_id: str | None = None, group_name: str | None = None) -> str: ...
    def describe(
        self, group_ids: Sequence[str] = (), group_names: Sequence[str] = ()
    ) -> list[GroupDetail]: ...
    def names(self, group_ids: Sequence[str] | None = None) -> dict[str, str]: ...
    def get(self, group_id: str) -> GroupDetail: ...
    def find(self, name_or_id: str, vpc_id: str | None = None) -> GroupDetail: ...
    def references(self, group_ids: Sequence[str]) -> list[GroupReference]: ...
    def stale(self, vpc_id: str) -> list[StaleGroup]: ...
    def crossings(
        self, rules: Sequence[SecurityGroupRule]
    ) -> dict[str, tuple[PeeredReference, ...]]: ...


class RuleCalls(Protocol):
    """Security group rules."""

    def authorize(
        self,
        group_id: str | None,
        perms: Sequence[IpPermission],
        egress: bool = False,
        group_name: str | None = None,
        tags: RawTags = (),
    ) -> list[SecurityGroupRule]: ...
    def revoke(
        self,
        group_id: str | None,
        perms: Sequence[IpPermission] = (),
        rule_ids: Sequence[str] = (),
        egress: bool = False,
        group_name: str | None = None,
    ) -> RevokeResult: ...
    def modify(self, group_id: str, updates: Sequence[RuleUpdate]) -> None: ...
    def update_descriptions(
        self,
        group_id: str | None,
        egress: bool,
        perms: Sequence[IpPermission] = (),
        descriptions: Sequence[tuple[str, str | None]] = (),
        group_name: str | None = None,
    ) -> None: ...
    def describe(
        self, rule_ids: Sequence[str] = (), group_ids: Sequence[str] = ()
    ) -> list[SecurityGroupRule]: ...


class PrefixListCalls(Protocol):
    """Customer-managed prefix lists."""

    def create(
        self,
        name: str | None,
        max_entries: int | None,
        address_family: str | None,
        entries: Sequence[Entry] = (),
        tags: RawTags = (),
    ) -> PrefixList: ...
    def describe(self, prefix_list_ids: Sequence[str] = ()) -> list[PrefixList]: ...
    def entries(self, prefix_list_id: str, version: int | None = None) -> list[PrefixListEntry]: ...
    def modify(
        self,
        prefix_list_id: str,
        current_version: int | None = None,
        name: str | None = None,
        add: Sequence[Entry] = (),
        remove: Sequence[str] = (),
        max_entries: int | None = None,
    ) -> PrefixList: ...
    def delete(self, prefix_list_id: str) -> PrefixList: ...


class InterfaceCalls(Protocol):
    """Network interfaces."""

    def create(
        self,
        subnet_id: str,
        group_ids: Sequence[str] = (),
        private_ip: str | None = None,
        description: str | None = None,
        tracking: TrackingRequest | None = None,
        ipv6_count: int | None = None,
        tags: RawTags = (),
        secondary_ips: Sequence[str] = (),
        secondary_count: int | None = None,
    ) -> NetworkInterface: ...
    def describe(self, eni_ids: Sequence[str] = ()) -> list[NetworkInterface]: ...
    def delete(self, eni_id: str) -> None: ...
    def attach(self, eni_id: str, instance_id: str, device_index: int | None) -> str: ...
    def detach(self, attachment_id: str) -> None: ...
    def modify_attribute(
        self,
        eni_id: str,
        group_ids: Sequence[str] | None = None,
        tracking: TrackingRequest | None = None,
        description: str | None = None,
        source_dest_check: bool | None = None,
    ) -> NetworkInterface: ...
    def assign_private_ips(
        self,
        eni_id: str,
        addresses: Sequence[str] = (),
        count: int | None = None,
        allow_reassignment: bool = False,
    ) -> NetworkInterface: ...
    def unassign_private_ips(self, eni_id: str, addresses: Sequence[str]) -> NetworkInterface: ...


class InstanceCalls(Protocol):
    """Instances and their lifecycle."""

    def run(self, request: LaunchRequest) -> list[InstanceDetail]: ...
    def describe(self, instance_ids: Sequence[str] = ()) -> list[InstanceDetail]: ...
    def get(self, instance_id: str) -> InstanceDetail: ...
    def start(self, instance_ids: Sequence[str]) -> list[StateChange]: ...
    def stop(self, instance_ids: Sequence[str]) -> list[StateChange]: ...
    def terminate(self, instance_ids: Sequence[str]) -> list[StateChange]: ...
    def modify_groups(self, instance_id: str, group_ids: Sequence[str]) -> InstanceDetail: ...
    def modify_type(self, instance_id: str, type_name: str) -> InstanceDetail: ...


class TagCalls(Protocol):
    """Tags on any resource."""

    def create_tags(self, resource_ids: Sequence[str], tags: RawTags) -> None: ...
    def delete_tags(
        self, resource_ids: Sequence[str], tags: Sequence[tuple[str, str | None]] = ()
    ) -> None: ...
    def list_tags(self) -> list[tuple[str, str, str]]: ...


# -- gateways: Elastic IPs, NAT and egress-only gateways, VPC and account attributes --------
class AddressCalls(Protocol):
    """Elastic IPs."""

    def allocate(self, domain: str | None = None, tags: RawTags = ()) -> ElasticIp: ...
    def associate(
        self,
        allocation_id: str | None,
        instance_id: str | None = None,
        eni_id: str | None = None,
        private_ip: str | None = None,
        allow_reassociation: bool | None = None,
        public_ip: str | None = None,
    ) -> ElasticIp: ...
    def disassociate(
        self, association_id: str | None = None, public_ip: str | None = None
    ) -> None: ...
    def release(self, allocation_id: str | None = None, public_ip: str | None = None) -> None: ...
    def describe(
        self, public_ips: Sequence[str] = (), allocation_ids: Sequence[str] = ()
    ) -> list[ElasticIp]: ...


class GatewayCalls(Protocol):
    """NAT gateways and egress-only internet gateways."""

    def create_nat_gateway(
        self,
        subnet_id: str | None,
        allocation_id: str | None = None,
        connectivity_type: str | None = None,
        private_ip: str | None = None,
        tags: RawTags = (),
        client_token: str | None = None,
    ) -> NatGateway: ...
    def delete_nat_gateway(self, nat_gateway_id: str | None) -> str: ...
    def describe_nat_gateways(self, nat_gateway_ids: Sequence[str] = ()) -> list[NatGateway]: ...
    def create_egress_only_internet_gateway(
        self, vpc_id: str | None, tags: RawTags = ()
    ) -> EgressOnlyInternetGateway: ...
    def delete_egress_only_internet_gateway(self, eigw_id: str | None) -> None: ...
    def describe_egress_only_internet_gateways(
        self, eigw_ids: Sequence[str] = ()
    ) -> list[EgressOnlyInternetGateway]: ...


#: DescribeVpcAttribute's attribute name -> the Vpc field holding it
VPC_ATTRIBUTES = {
    "enableDnsSupport": "enable_dns_support",
    "enableDnsHostnames": "enable_dns_hostnames",
    "enableNetworkAddressUsageMetrics": "enable_network_address_usage_metrics",
}


class VpcAttributeCalls(Protocol):
    """VPC attributes (one per call) and the account's attributes."""

    def describe_vpc_attribute(self, vpc_id: str | None, attribute: str | None) -> bool: ...
    def modify_vpc_attribute(
        self,
        vpc_id: str | None,
        enable_dns_support: bool | None = None,
        enable_dns_hostnames: bool | None = None,
        enable_network_address_usage_metrics: bool | None = None,
    ) -> Vpc: ...
    def describe_account_attributes(self, names: Sequence[str] = ()) -> dict[str, list[str]]: ...


class CidrBlockCalls(Protocol):
    """A VPC's blocks after creation (AssociateVpcCidrBlock with ``CidrBlock``,
    DisassociateVpcCidrBlock)."""

    def associate_vpc_ipv4(self, vpc_id: str | None, cidr_block: str) -> tuple[Vpc, str]:
        """The VPC as it now is and the block, canonical."""
        ...

    def disassociate_vpc_block(self, association_id: str | None) -> tuple[Vpc, str]:
        """The VPC as it was and the block taken away (IPv4 or IPv6)."""
        ...


class Services(Protocol):
    """Every service family of one (account, region): the local
    :class:`stockade.service.bundle.Services` or :class:`stockade.remote.RemoteServices`."""

    @property
    def account(self) -> str: ...
    @property
    def region(self) -> str: ...
    @property
    def network(self) -> NetworkCalls: ...
    @property
    def groups(self) -> GroupCalls: ...
    @property
    def rules(self) -> RuleCalls: ...
    @property
    def prefix_lists(self) -> PrefixListCalls: ...
    @property
    def interfaces(self) -> InterfaceCalls: ...
    @property
    def instances(self) -> InstanceCalls: ...
    @property
    def tags(self) -> TagCalls: ...
    @property
    def addresses(self) -> AddressCalls: ...
    @property
    def gateways(self) -> GatewayCalls: ...
    @property
    def vpc_attributes(self) -> VpcAttributeCalls: ...
    @property
    def route_tables(self) -> RouteTableCalls: ...
    @property
    def network_acls(self) -> NetworkAclCalls: ...
    @property
    def peering(self) -> PeeringCalls: ...
    @property
    def network_insights(self) -> NetworkInsightsCalls: ...
    @property
    def flow_logs(self) -> FlowLogCalls: ...
    @property
    def cidr_blocks(self) -> CidrBlockCalls: ...


# -- route tables --------------------------------------------------------------------------
@dataclass(frozen=True)
class RouteRequest:
    """The destination and target of CreateRoute / ReplaceRoute, as given.

    Exactly one destination and (but for ``local_target``) exactly one target; the service
    checks that, and everything else, with AWS's errors.
    """

    destination_cidr_block: str | None = None
    destination_ipv6_cidr_block: str | None = None
    destination_prefix_list_id: str | None = None
    gateway_id: str | None = None
    nat_gateway_id: str | None = None
    network_interface_id: str | None = None
    instance_id: str | None = None
    vpc_peering_connection_id: str | None = None
    egress_only_internet_gateway_id: str | None = None
    transit_gateway_id: str | None = None
    vpc_endpoint_id: str | None = None
    local_target: bool = False

    @classmethod
    def of(cls, destination: str, target: str | None = None) -> RouteRequest:
        """A request from a destination (CIDR of either family, or ``pl-…``) and a target
        named by its id alone (``igw-…``, ``nat-…``, ``i-…``, ``local``…), as the CLI
        takes them; a target of no known kind goes to ``GatewayId`` (AWS then says why)."""
        if destination.startswith("pl-"):
            where: dict[str, Any] = {"destination_prefix_list_id": destination}
        elif ":" in destination:
            where = {"destination_ipv6_cidr_block": destination}
        else:
            where = {"destination_cidr_block": destination}
        if target is None:
            return cls(**where)
        if target == "local":
            return cls(**where, local_target=True)
        where[_TARGET_FIELDS.get(target.split("-", 1)[0], "gateway_id")] = target
        return cls(**where)


#: target id prefix -> the RouteRequest field that carries it
_TARGET_FIELDS = {
    "igw": "gateway_id",
    "vgw": "gateway_id",
    "nat": "nat_gateway_id",
    "eni": "network_interface_id",
    "i": "instance_id",
    "pcx": "vpc_peering_connection_id",
    "eigw": "egress_only_internet_gateway_id",
    "tgw": "transit_gateway_id",
    "vpce": "vpc_endpoint_id",
}


@dataclass(frozen=True)
class RouteTableDetail:
    """A table with each route's state (derived from its target, in route order)."""

    table: RouteTable
    states: tuple[RouteState, ...]


class RouteTableCalls(Protocol):
    """Route tables, their routes and associations."""

    def create(self, vpc_id: str, tags: RawTags = ()) -> RouteTableDetail: ...
    def delete(self, route_table_id: str) -> None: ...
    def describe(self, route_table_ids: Sequence[str] = ()) -> list[RouteTableDetail]: ...
    def get(self, route_table_id: str) -> RouteTableDetail: ...
    def create_route(self, route_table_id: str, request: RouteRequest) -> None: ...
    def replace_route(self, route_table_id: str, request: RouteRequest) -> None: ...
    def delete_route(self, route_table_id: str, request: RouteRequest) -> None: ...
    def associate(
        self, route_table_id: str, subnet_id: str | None = None, gateway_id: str | None = None
    ) -> str: ...
    def disassociate(self, association_id: str) -> None: ...
    def replace_association(self, association_id: str, route_table_id: str) -> str: ...


# -- network ACLs --------------------------------------------------------------------------
@dataclass(frozen=True)
class NetworkAclEntryRequest:
    """CreateNetworkAclEntry / ReplaceNetworkAclEntry as given; the domain checks it
    (``network_acl.entry``) with AWS's errors."""

    rule_number: int | None
    egress: bool | None
    rule_action: str | None
    protocol: str | None
    cidr_block: str | None = None
    ipv6_cidr_block: str | None = None
    port_from: int | None = None
    port_to: int | None = None
    icmp_type: int | None = None
    icmp_code: int | None = None

    @property
    def port_range(self) -> tuple[int | None, int | None] | None:
        return (
            None
            if self.port_from is None and self.port_to is None
            else (
                self.port_from,
                self.port_to,
            )
        )

    @property
    def icmp(self) -> tuple[int | None, int | None] | None:
        return (
            None
            if self.icmp_type is None and self.icmp_code is None
            else (
                self.icmp_type,
                self.icmp_code,
            )
        )


class NetworkAclCalls(Protocol):
    """Network ACLs, their entries and subnet associations."""

    def create(self, vpc_id: str, tags: RawTags = ()) -> NetworkAcl: ...
    def delete(self, network_acl_id: str) -> None: ...
    def describe(self, network_acl_ids: Sequence[str] = ()) -> list[NetworkAcl]: ...
    def get(self, network_acl_id: str) -> NetworkAcl: ...
    def create_entry(self, network_acl_id: str, request: NetworkAclEntryRequest) -> None: ...
    def replace_entry(self, network_acl_id: str, request: NetworkAclEntryRequest) -> None: ...
    def delete_entry(
        self, network_acl_id: str, rule_number: int | None, egress: bool | None
    ) -> None: ...
    def replace_association(self, association_id: str, network_acl_id: str) -> str: ...


# -- VPC peering ---------------------------------------------------------------------------
@dataclass(frozen=True)
class PeeringRequest:
    """CreateVpcPeeringConnection as given (``None``: the caller's account / region)."""

    vpc_id: str | None
    peer_vpc_id: str | None
    peer_owner_id: str | None = None
    peer_region: str | None = None
    tags: RawTags = ()


class PeeringCalls(Protocol):
    """VPC peering connections (both sides' owners see the same connection)."""

    def create(self, request: PeeringRequest) -> VpcPeeringConnection: ...
    def accept(self, pcx_id: str | None) -> VpcPeeringConnection: ...
    def reject(self, pcx_id: str | None) -> VpcPeeringConnection: ...
    def delete(self, pcx_id: str | None) -> VpcPeeringConnection: ...
    def describe(self, pcx_ids: Sequence[str] = ()) -> list[VpcPeeringConnection]: ...
    def modify_options(
        self,
        pcx_id: str | None,
        requester_dns: bool | None = None,
        accepter_dns: bool | None = None,
    ) -> VpcPeeringConnection: ...


# -- Reachability Analyzer (network insights) ----------------------------------------------
@dataclass(frozen=True)
class InsightsPathRequest:
    """CreateNetworkInsightsPath as given; ``domain.network_insights`` checks it."""

    source: str | None
    protocol: str | None
    destination: str | None = None
    source_ip: str | None = None
    destination_ip: str | None = None
    destination_port: int | None = None
    filter_at_source: PathFilter | None = None
    filter_at_destination: PathFilter | None = None
    client_token: str | None = None
    tags: RawTags = ()


@dataclass(frozen=True)
class AnalysisRequest:
    """StartNetworkInsightsAnalysis as given (the ARN lists are kept, not applied)."""

    path_id: str | None
    client_token: str | None = None
    tags: RawTags = ()
    additional_accounts: tuple[str, ...] = ()
    filter_in_arns: tuple[str, ...] = ()
    filter_out_arns: tuple[str, ...] = ()


class NetworkInsightsCalls(Protocol):
    """Reachability Analyzer's paths and analyses (an analysis is answered at once)."""

    def create_path(self, request: InsightsPathRequest) -> NetworkInsightsPath: ...
    def describe_paths(self, path_ids: Sequence[str] = ()) -> list[NetworkInsightsPath]: ...
    def delete_path(self, path_id: str | None) -> str: ...
    def start_analysis(self, request: AnalysisRequest) -> NetworkInsightsAnalysis:
        """The analysis as AWS answers the call (``running``); the stored one has already
        ``succeeded``, with its result."""

    def describe_analyses(
        self, analysis_ids: Sequence[str] = (), path_id: str | None = None
    ) -> list[NetworkInsightsAnalysis]: ...
    def delete_analysis(self, analysis_id: str | None) -> str: ...


# -- VPC Flow Logs --------------------------------------------------------------------------


@dataclass(frozen=True)
class FlowLogRequest:
    """CreateFlowLogs as given; :mod:`stockade.domain.flow_log` checks it."""

    resource_type: str | None
    resource_ids: Sequence[str]
    traffic_type: str | None
    log_destination_type: str | None = None
    log_destination: str | None = None
    log_group_name: str | None = None
    deliver_logs_permission_arn: str | None = None
    log_format: str | None = None
    max_aggregation_interval: int | None = None
    tags: RawTags = ()


class FlowLogCalls(Protocol):
    """CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs (``service/flow_logs.py``)."""

    def create(self, request: FlowLogRequest) -> tuple[list[FlowLog], list[Unsuccessful]]: ...
    def describe(self, flow_log_ids: Sequence[str] = ()) -> list[FlowLog]: ...
    def delete(self, flow_log_ids: Sequence[str]) -> list[Unsuccessful]: ...
