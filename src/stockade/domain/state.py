"""A consistent, read-only snapshot of one scope's resources.

The policy engine, the data-plane compiler and the analyzer all work from a snapshot,
never from the store directly, so they stay pure and testable with hand-built state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.instance import Instance
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import NetworkAcl, default_entries
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.prefix_list import PrefixList
from stockade.domain.routing import (
    LOCAL,
    EgressOnlyInternetGateway,
    NatGateway,
    Route,
    RouteOrigin,
    RouteTable,
    RouteTableAssociation,
)
from stockade.domain.security_group import SecurityGroup, SecurityGroupRule


@dataclass(frozen=True)
class Snapshot:
    revision: int = 0
    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    groups: tuple[SecurityGroup, ...] = ()
    rules: tuple[SecurityGroupRule, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    interfaces: tuple[NetworkInterface, ...] = ()
    instances: tuple[Instance, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    nat_gateways: tuple[NatGateway, ...] = ()
    egress_only_internet_gateways: tuple[EgressOnlyInternetGateway, ...] = ()
    elastic_ips: tuple[ElasticIp, ...] = ()
    #: peerings with a side in this scope; a merged snapshot (:meth:`merged`) also holds
    #: the other side's resources, which is what a flow across a peering needs
    peerings: tuple[VpcPeeringConnection, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    #: derived values memoised by :mod:`stockade.policy.cache`, keyed by name
    _cache: dict[str, object] = field(default_factory=dict, init=False, compare=False, repr=False)

    @cached_property
    def vpc_by_id(self) -> Mapping[str, Vpc]:
        return {v.vpc_id: v for v in self.vpcs}

    @cached_property
    def group_by_id(self) -> Mapping[str, SecurityGroup]:
        return {g.group_id: g for g in self.groups}

    @cached_property
    def rules_by_group(self) -> Mapping[str, tuple[SecurityGroupRule, ...]]:
        out: dict[str, list[SecurityGroupRule]] = {}
        for rule in self.rules:
            out.setdefault(rule.group_id, []).append(rule)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def prefix_list_by_id(self) -> Mapping[str, PrefixList]:
        return {p.prefix_list_id: p for p in self.prefix_lists}

    @cached_property
    def interface_by_id(self) -> Mapping[str, NetworkInterface]:
        return {e.eni_id: e for e in self.interfaces}

    @cached_property
    def instance_by_id(self) -> Mapping[str, Instance]:
        return {i.instance_id: i for i in self.instances}

    @cached_property
    def members_by_group(self) -> Mapping[str, tuple[NetworkInterface, ...]]:
        """Interfaces carrying each group (what a reference to the group means)."""
        out: dict[str, list[NetworkInterface]] = {}
        for eni in self.interfaces:
            for gid in eni.group_ids:
                out.setdefault(gid, []).append(eni)
        return {k: tuple(v) for k, v in out.items()}

    @cached_property
    def subnet_by_id(self) -> Mapping[str, Subnet]:
        return {s.subnet_id: s for s in self.subnets}

    @cached_property
    def route_table_by_id(self) -> Mapping[str, RouteTable]:
        return {t.route_table_id: t for t in self.route_tables}

    @cached_property
    def main_route_table_by_vpc(self) -> Mapping[str, RouteTable]:
        return {t.vpc_id: t for t in self.route_tables if t.is_main}

    @cached_property
    def route_table_by_subnet(self) -> Mapping[str, RouteTable]:
        """Each subnet's table: its explicit association, else its VPC's main table.

        A VPC without a main table in the snapshot (state built by hand, or imported from a
        document without route tables) gets :meth:`implied_main_table`, so every subnet has
        exactly one table — as in AWS.
        """
        explicit = {s: t for t in self.route_tables for s in t.subnet_ids}
        out: dict[str, RouteTable] = {}
        for subnet in self.subnets:
            table = explicit.get(subnet.subnet_id) or self.main_route_table_for(subnet.vpc_id)
            if table is not None:
                out[subnet.subnet_id] = table
        return out

    def main_route_table_for(self, vpc_id: str) -> RouteTable | None:
        """The VPC's main table: the real one, else the one implied (``None``: no such VPC)."""
        table = self.main_route_table_by_vpc.get(vpc_id)
        if table is not None:
            return table
        vpc = self.vpc_by_id.get(vpc_id)
        return None if vpc is None else self.implied_main_table(vpc)

    def implied_main_table(self, vpc: Vpc) -> RouteTable:
        """The main table of a VPC whose snapshot holds none (id ``""``: no table exists).

        Local routes for its blocks and, when an internet gateway is attached, ``0.0.0.0/0``
        and ``::/0`` to it — what state made before route tables existed meant ("a gateway
        attached is routed"). Real stores and AWS imports always carry real tables.
        """
        routes = [
            Route(block, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE)
            for block in (*vpc.ipv4_blocks, *vpc.blocks(6))
        ]
        gateway = self.internet_gateway_for(vpc.vpc_id)
        if gateway is not None:
            routes.append(Route("0.0.0.0/0", gateway.igw_id))
            if vpc.ipv6_cidr_block:
                routes.append(Route("::/0", gateway.igw_id))
        return RouteTable(
            route_table_id="",
            vpc_id=vpc.vpc_id,
            owner_id=vpc.owner_id,
            region=vpc.region,
            routes=tuple(routes),
            associations=(RouteTableAssociation("", main=True),),
        )

    @cached_property
    def network_acl_by_id(self) -> Mapping[str, NetworkAcl]:
        return {a.network_acl_id: a for a in self.network_acls}

    @cached_property
    def network_acl_by_subnet(self) -> Mapping[str, NetworkAcl]:
        """Each subnet's network ACL: its association, else its VPC's default ACL.

        Every subnet has exactly one, as in AWS. A VPC with no ACL in the snapshot (state
        built by hand, or imported from a document without network ACLs) gets
        :meth:`implied_default_acl`, which allows everything — what such state meant.
        """
        explicit = {s: a for a in self.network_acls for s in a.subnet_ids}
        defaults = {a.vpc_id: a for a in self.network_acls if a.is_default}
        out: dict[str, NetworkAcl] = {}
        for subnet in self.subnets:
            acl = explicit.get(subnet.subnet_id) or defaults.get(subnet.vpc_id)
            if acl is None:
                vpc = self.vpc_by_id.get(subnet.vpc_id)
                if vpc is None:
                    continue
                acl = defaults[vpc.vpc_id] = self.implied_default_acl(vpc)
            out[subnet.subnet_id] = acl
        return out

    def implied_default_acl(self, vpc: Vpc) -> NetworkAcl:
        """The default ACL of a VPC whose snapshot holds none (id ``""``: no ACL exists):
        AWS's default entries, which allow all traffic both ways."""
        return NetworkAcl(
            network_acl_id="",
            vpc_id=vpc.vpc_id,
            owner_id=vpc.owner_id,
            region=vpc.region,
            is_default=True,
            entries=default_entries(vpc.ipv6_cidr_block is not None),
        )

    @cached_property
    def nat_gateway_by_id(self) -> Mapping[str, NatGateway]:
        return {n.nat_gateway_id: n for n in self.nat_gateways}

    @cached_property
    def peering_by_id(self) -> Mapping[str, VpcPeeringConnection]:
        return {p.vpc_peering_connection_id: p for p in self.peerings}

    def merged(self, *others: Snapshot) -> Snapshot:
        """This snapshot with other scopes' resources added (ids are unique across scopes).

        A flow over a peering between two accounts crosses two scopes; the policy engine
        and the data plane evaluate it over the merge. Resources seen from both scopes (a
        peering) appear once.
        """
        if not others:
            return self
        parts = (self, *others)

        def union(name: str, key: str) -> tuple:  # type: ignore[type-arg]
            seen: dict[str, object] = {}
            for part in parts:
                for item in getattr(part, name):
                    seen.setdefault(getattr(item, key), item)
            return tuple(seen.values())

        return Snapshot(
            revision=max(p.revision for p in parts),
            vpcs=union("vpcs", "vpc_id"),
            subnets=union("subnets", "subnet_id"),
            internet_gateways=union("internet_gateways", "igw_id"),
            groups=union("groups", "group_id"),
            rules=union("rules", "rule_id"),
            prefix_lists=union("prefix_lists", "prefix_list_id"),
            interfaces=union("interfaces", "eni_id"),
            instances=union("instances", "instance_id"),
            route_tables=union("route_tables", "route_table_id"),
            nat_gateways=union("nat_gateways", "nat_gateway_id"),
            egress_only_internet_gateways=union(
                "egress_only_internet_gateways", "egress_only_internet_gateway_id"
            ),
            elastic_ips=union("elastic_ips", "allocation_id"),
            peerings=union("peerings", "vpc_peering_connection_id"),
            network_acls=union("network_acls", "network_acl_id"),
        )

    # -- the getters of domain.route_targets.TargetView (a snapshot answers as a store would)

    @cached_property
    def internet_gateway_by_id(self) -> Mapping[str, InternetGateway]:
        return {g.igw_id: g for g in self.internet_gateways}

    @cached_property
    def egress_only_internet_gateway_by_id(self) -> Mapping[str, EgressOnlyInternetGateway]:
        return {g.egress_only_internet_gateway_id: g for g in self.egress_only_internet_gateways}

    def get_internet_gateway(self, igw_id: str) -> InternetGateway | None:
        return self.internet_gateway_by_id.get(igw_id)

    def get_interface(self, eni_id: str) -> NetworkInterface | None:
        return self.interface_by_id.get(eni_id)

    def get_instance(self, instance_id: str) -> Instance | None:
        return self.instance_by_id.get(instance_id)

    def get_nat_gateway(self, nat_gateway_id: str) -> NatGateway | None:
        return self.nat_gateway_by_id.get(nat_gateway_id)

    def get_egress_only_internet_gateway(self, eigw_id: str) -> EgressOnlyInternetGateway | None:
        return self.egress_only_internet_gateway_by_id.get(eigw_id)

    def get_peering(self, pcx_id: str) -> VpcPeeringConnection | None:
        return self.peering_by_id.get(pcx_id)

    def internet_gateway_for(self, vpc_id: str) -> InternetGateway | None:
        return next((g for g in self.internet_gateways if g.vpc_id == vpc_id), None)

    def interfaces_of(self, instance_id: str) -> tuple[NetworkInterface, ...]:
        return tuple(
            sorted(
                (e for e in self.interfaces if e.instance_id == instance_id),
                key=lambda e: e.device_index or 0,
            )
        )
