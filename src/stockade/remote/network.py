"""VPCs, subnets and internet gateways through a stockade server."""

from __future__ import annotations

from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.shapes import read_network, tag_list


def _specs(kind: str, tags: RawTags) -> list[dict] | None:
    return [{"ResourceType": kind, "Tags": tag_list(tags)}] if tags else None


class RemoteNetworkService(Remote):
    """:class:`stockade.service.network.NetworkService`, over the EC2 API."""

    def create_vpc(
        self,
        cidr_block: str | None,
        amazon_provided_ipv6: bool = False,
        instance_tenancy: str = "default",
        tags: RawTags = (),
    ) -> Vpc:
        shape = self.call(
            "create_vpc",
            CidrBlock=cidr_block,
            AmazonProvidedIpv6CidrBlock=amazon_provided_ipv6 or None,
            InstanceTenancy=instance_tenancy,
            TagSpecifications=_specs("vpc", tags),
        )["Vpc"]
        return read_network.vpc(self.read(shape, "create_vpc"), self.origin)

    def create_default_vpc(self) -> Vpc:
        shape = self.call("create_default_vpc")["Vpc"]
        return read_network.vpc(self.read(shape, "create_default_vpc"), self.origin)

    def list_vpcs(self, vpc_ids: list[str] | None = None) -> list[Vpc]:
        return [
            read_network.vpc(self.read(v, "describe_vpcs"), self.origin)
            for v in self.pages("describe_vpcs", "Vpcs", VpcIds=vpc_ids)
        ]

    def get_vpc(self, vpc_id: str) -> Vpc:
        return self.list_vpcs([vpc_id])[0]

    def delete_vpc(self, vpc_id: str) -> None:
        self.call("delete_vpc", VpcId=vpc_id)

    def associate_ipv6_block(self, vpc_id: str) -> Vpc:
        self.call("associate_vpc_cidr_block", VpcId=vpc_id, AmazonProvidedIpv6CidrBlock=True)
        return self.get_vpc(vpc_id)

    def create_subnet(
        self,
        vpc_id: str,
        cidr_block: str | None,
        availability_zone: str | None = None,
        ipv6_cidr_block: str | None = None,
        tags: RawTags = (),
    ) -> Subnet:
        shape = self.call(
            "create_subnet",
            VpcId=vpc_id,
            CidrBlock=cidr_block,
            AvailabilityZone=availability_zone,
            Ipv6CidrBlock=ipv6_cidr_block,
            TagSpecifications=_specs("subnet", tags),
        )["Subnet"]
        return read_network.subnet(self.read(shape, "create_subnet"), self.origin)

    def list_subnets(self, subnet_ids: list[str] | None = None) -> list[Subnet]:
        items = self.pages("describe_subnets", "Subnets", SubnetIds=subnet_ids)
        return [read_network.subnet(self.read(s, "describe_subnets"), self.origin) for s in items]

    def available_ip_counts(self, subnet_ids: list[str] | None = None) -> dict[str, int]:
        items = self.pages("describe_subnets", "Subnets", SubnetIds=subnet_ids)
        return {s["SubnetId"]: s["AvailableIpAddressCount"] for s in items}

    def delete_subnet(self, subnet_id: str) -> None:
        self.call("delete_subnet", SubnetId=subnet_id)

    def modify_subnet_attribute(
        self,
        subnet_id: str,
        map_public_ip_on_launch: bool | None = None,
        assign_ipv6_address_on_creation: bool | None = None,
    ) -> Subnet:
        for name, value in (
            ("MapPublicIpOnLaunch", map_public_ip_on_launch),
            ("AssignIpv6AddressOnCreation", assign_ipv6_address_on_creation),
        ):
            if value is not None:  # EC2 takes one attribute per call
                self.call("modify_subnet_attribute", SubnetId=subnet_id, **{name: {"Value": value}})
        return self.list_subnets([subnet_id])[0]

    def create_internet_gateway(self, tags: RawTags = ()) -> InternetGateway:
        shape = self.call(
            "create_internet_gateway", TagSpecifications=_specs("internet-gateway", tags)
        )["InternetGateway"]
        return read_network.internet_gateway(
            self.read(shape, "create_internet_gateway"), self.origin
        )

    def list_internet_gateways(self, igw_ids: list[str] | None = None) -> list[InternetGateway]:
        items = self.pages(
            "describe_internet_gateways", "InternetGateways", InternetGatewayIds=igw_ids
        )
        return [
            read_network.internet_gateway(self.read(g, "describe_internet_gateways"), self.origin)
            for g in items
        ]

    def attach_internet_gateway(self, igw_id: str, vpc_id: str) -> None:
        self.call("attach_internet_gateway", InternetGatewayId=igw_id, VpcId=vpc_id)

    def detach_internet_gateway(self, igw_id: str, vpc_id: str) -> None:
        self.call("detach_internet_gateway", InternetGatewayId=igw_id, VpcId=vpc_id)

    def delete_internet_gateway(self, igw_id: str) -> None:
        self.call("delete_internet_gateway", InternetGatewayId=igw_id)
