"""Elastic IPs, NAT and egress-only gateways, VPC and account attributes through a
stockade server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.network import Vpc
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway
from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.service.contracts import VPC_ATTRIBUTES
from stockade.shapes import read_gateways, read_network, tag_list


def _specs(kind: str, tags: RawTags) -> list[dict] | None:
    return [{"ResourceType": kind, "Tags": tag_list(tags)}] if tags else None


class RemoteAddressService(Remote):
    """:class:`stockade.service.addresses.AddressService`, over the EC2 API."""

    def allocate(self, domain: str | None = None, tags: RawTags = ()) -> ElasticIp:
        shape = self.call(
            "allocate_address", Domain=domain, TagSpecifications=_specs("elastic-ip", tags)
        )
        return self.describe(allocation_ids=[shape["AllocationId"]])[0]

    def associate(
        self,
        allocation_id: str | None,
        instance_id: str | None = None,
        eni_id: str | None = None,
        private_ip: str | None = None,
        allow_reassociation: bool | None = None,
        public_ip: str | None = None,
    ) -> ElasticIp:
        association = self.call(
            "associate_address",
            AllocationId=allocation_id,
            InstanceId=instance_id,
            NetworkInterfaceId=eni_id,
            PrivateIpAddress=private_ip,
            AllowReassociation=allow_reassociation,
            PublicIp=public_ip,
        )["AssociationId"]
        return self._matching("association-id", association)[0]

    def disassociate(self, association_id: str | None = None, public_ip: str | None = None) -> None:
        self.call("disassociate_address", AssociationId=association_id, PublicIp=public_ip)

    def release(self, allocation_id: str | None = None, public_ip: str | None = None) -> None:
        self.call("release_address", AllocationId=allocation_id, PublicIp=public_ip)

    def describe(
        self, public_ips: Sequence[str] = (), allocation_ids: Sequence[str] = ()
    ) -> list[ElasticIp]:
        answer = self.call(
            "describe_addresses",
            PublicIps=list(public_ips) or None,
            AllocationIds=list(allocation_ids) or None,
        )
        return self._read(answer["Addresses"])

    def _matching(self, name: str, value: str) -> list[ElasticIp]:
        answer = self.call("describe_addresses", Filters=[{"Name": name, "Values": [value]}])
        return self._read(answer["Addresses"])

    def _read(self, shapes: list[dict]) -> list[ElasticIp]:
        found = [
            read_gateways.address(self.read(a, "describe_addresses"), self.origin) for a in shapes
        ]
        if not any(e.network_interface_id and not e.instance_id for e in found):
            return found  # no address a NAT gateway could hold
        gateways = RemoteGatewayService(self.client, self.account, self.region)
        return read_gateways.with_nat_gateways(found, gateways.describe_nat_gateways())


class RemoteGatewayService(Remote):
    """:class:`stockade.service.gateways.GatewayService`, over the EC2 API."""

    def create_nat_gateway(
        self,
        subnet_id: str | None,
        allocation_id: str | None = None,
        connectivity_type: str | None = None,
        private_ip: str | None = None,
        tags: RawTags = (),
        client_token: str | None = None,
    ) -> NatGateway:
        shape = self.call(
            "create_nat_gateway",
            SubnetId=subnet_id,
            AllocationId=allocation_id,
            ConnectivityType=connectivity_type,
            PrivateIpAddress=private_ip,
            TagSpecifications=_specs("natgateway", tags),
            ClientToken=client_token,
        )["NatGateway"]
        nat = read_gateways.nat_gateway(self.read(shape, "create_nat_gateway"), self.origin)
        return replace(nat, client_token=client_token)

    def delete_nat_gateway(self, nat_gateway_id: str | None) -> str:
        return str(self.call("delete_nat_gateway", NatGatewayId=nat_gateway_id)["NatGatewayId"])

    def describe_nat_gateways(self, nat_gateway_ids: Sequence[str] = ()) -> list[NatGateway]:
        items = self.pages(
            "describe_nat_gateways", "NatGateways", NatGatewayIds=list(nat_gateway_ids) or None
        )
        return [
            read_gateways.nat_gateway(self.read(n, "describe_nat_gateways"), self.origin)
            for n in items
        ]

    def create_egress_only_internet_gateway(
        self, vpc_id: str | None, tags: RawTags = ()
    ) -> EgressOnlyInternetGateway:
        shape = self.call(
            "create_egress_only_internet_gateway",
            VpcId=vpc_id,
            TagSpecifications=_specs("egress-only-internet-gateway", tags),
        )["EgressOnlyInternetGateway"]
        return read_gateways.egress_only_internet_gateway(
            self.read(shape, "create_egress_only_internet_gateway"), self.origin
        )

    def delete_egress_only_internet_gateway(self, eigw_id: str | None) -> None:
        self.call("delete_egress_only_internet_gateway", EgressOnlyInternetGatewayId=eigw_id)

    def describe_egress_only_internet_gateways(
        self, eigw_ids: Sequence[str] = ()
    ) -> list[EgressOnlyInternetGateway]:
        items = self.pages(
            "describe_egress_only_internet_gateways",
            "EgressOnlyInternetGateways",
            EgressOnlyInternetGatewayIds=list(eigw_ids) or None,
        )
        return [
            read_gateways.egress_only_internet_gateway(
                self.read(g, "describe_egress_only_internet_gateways"), self.origin
            )
            for g in items
        ]


class RemoteVpcAttributeService(Remote):
    """:class:`stockade.service.vpc_attributes.VpcAttributeService`, over the EC2 API."""

    def describe_vpc_attribute(self, vpc_id: str | None, attribute: str | None) -> bool:
        answer = self.call("describe_vpc_attribute", VpcId=vpc_id, Attribute=attribute)
        key = (attribute or "")[:1].upper() + (attribute or "")[1:]
        return bool(answer[key]["Value"])

    def modify_vpc_attribute(
        self,
        vpc_id: str | None,
        enable_dns_support: bool | None = None,
        enable_dns_hostnames: bool | None = None,
        enable_network_address_usage_metrics: bool | None = None,
    ) -> Vpc:
        given = {
            "EnableDnsSupport": enable_dns_support,
            "EnableDnsHostnames": enable_dns_hostnames,
            "EnableNetworkAddressUsageMetrics": enable_network_address_usage_metrics,
        }
        self.call(
            "modify_vpc_attribute",
            VpcId=vpc_id,
            **{name: {"Value": value} for name, value in given.items() if value is not None},
        )
        [shape] = self.call("describe_vpcs", VpcIds=[vpc_id])["Vpcs"]
        vpc = read_network.vpc(self.read(shape, "describe_vpcs"), self.origin)
        # DescribeVpcs does not show the attributes: read each back
        values = {
            field: self.describe_vpc_attribute(vpc.vpc_id, name)
            for name, field in VPC_ATTRIBUTES.items()
        }
        return replace(vpc, **values)  # type: ignore[arg-type]

    def describe_account_attributes(self, names: Sequence[str] = ()) -> dict[str, list[str]]:
        answer = self.call("describe_account_attributes", AttributeNames=list(names) or None)
        return {
            a["AttributeName"]: [v["AttributeValue"] for v in a.get("AttributeValues", [])]
            for a in answer["AccountAttributes"]
        }
