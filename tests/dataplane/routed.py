"""Hand-built state with route tables, NAT and egress-only gateways and peerings.

Extends the policy tests' builder: a VPC made here has no subnet of its own (subnets are
added one by one, and the next instances go into the last one added), and a route table
is given as ``{destination: target}`` (its local routes are added).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from policy.conftest import ACCOUNT, REGION
from policy.conftest import World as Builder

from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.routing import (
    LOCAL,
    EgressOnlyInternetGateway,
    NatGateway,
    Route,
    RouteOrigin,
    RouteTable,
    RouteTableAssociation,
)
from stockade.domain.state import Snapshot


@dataclass
class Routed(Builder):
    tables: list = field(default_factory=list)
    nat_gateways: list = field(default_factory=list)
    egress_only: list = field(default_factory=list)
    peerings: list = field(default_factory=list)

    def vpc(self, cidr: str = "10.0.0.0/16", ipv6_cidr: str | None = None, igw: bool = True):
        vpc_id = super().vpc(cidr, ipv6_cidr, igw)
        self.subnets.pop()  # the builder's VPC-wide subnet: subnets come one by one here
        del self._subnet_of[vpc_id]
        return vpc_id

    def into(self, subnet_id: str) -> None:
        """Launch the next instances of the subnet's VPC into it."""
        subnet = next(s for s in self.subnets if s.subnet_id == subnet_id)
        self._subnet_of[subnet.vpc_id] = subnet_id

    def detach_gateway(self, vpc_id: str) -> str:
        """Detach the VPC's internet gateway (it stays, attached to nothing)."""
        k, gateway = next((k, g) for k, g in enumerate(self.gateways) if g.vpc_id == vpc_id)
        self.gateways[k] = dataclasses.replace(gateway, vpc_id=None)
        return gateway.igw_id

    def igw(self, vpc_id: str) -> str:
        return next(g.igw_id for g in self.gateways if g.vpc_id == vpc_id)

    def table(self, vpc_id: str, routes: dict[str, str], subnets=(), main: bool = False) -> str:
        rtb = self.new_id("rtb")
        associations = [RouteTableAssociation(self.new_id("rtbassoc"), main=True)] if main else []
        associations += [
            RouteTableAssociation(self.new_id("rtbassoc"), subnet_id=s) for s in subnets
        ]
        self.tables.append(
            RouteTable(
                route_table_id=rtb,
                vpc_id=vpc_id,
                owner_id=ACCOUNT,
                region=REGION,
                associations=tuple(associations),
            )
        )
        self.routes(rtb, routes)
        return rtb

    def routes(self, rtb: str, routes: dict[str, str]) -> None:
        """Replace a table's routes (its local routes stay)."""
        (k, table) = next((k, t) for k, t in enumerate(self.tables) if t.route_table_id == rtb)
        vpc = next(v for v in self.vpcs if v.vpc_id == table.vpc_id)
        local = [Route(vpc.cidr_block, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE)]
        if vpc.ipv6_cidr_block:
            local.append(Route(vpc.ipv6_cidr_block, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE))
        given = [Route(dst, target) for dst, target in routes.items()]
        self.tables[k] = dataclasses.replace(table, routes=tuple(local + given))

    def nat_gateway(self, subnet_id: str, private_ip: str, public_ip: str | None) -> str:
        return add_nat_gateway(self, subnet_id, private_ip, public_ip)

    def egress_only_gateway(self, vpc_id: str) -> str:
        eigw = self.new_id("eigw")
        self.egress_only.append(EgressOnlyInternetGateway(eigw, ACCOUNT, REGION, vpc_id))
        return eigw

    def peering(self, requester: str, accepter: str, status=PeeringStatus.ACTIVE) -> str:
        pcx = self.new_id("pcx")
        self.peerings.append(
            VpcPeeringConnection(pcx, self._side(requester), self._side(accepter), status, "")
        )
        return pcx

    def _side(self, vpc_id: str) -> PeeringSide:
        vpc = next(v for v in self.vpcs if v.vpc_id == vpc_id)
        v6 = (vpc.ipv6_cidr_block,) if vpc.ipv6_cidr_block else ()
        return PeeringSide(vpc_id, ACCOUNT, REGION, (vpc.cidr_block,), v6)

    def snapshot(self) -> Snapshot:
        return dataclasses.replace(
            super().snapshot(),
            route_tables=tuple(self.tables),
            nat_gateways=tuple(self.nat_gateways),
            egress_only_internet_gateways=tuple(self.egress_only),
            peerings=tuple(self.peerings),
        )

    def scope_of(self, vpc_id: str) -> Snapshot:
        """The part of the snapshot one VPC's account sees (as if each VPC were another
        account's): its VPC, subnets, tables, gateways and instances, and the peerings."""
        snap = self.snapshot()
        mine = {s.subnet_id for s in snap.subnets if s.vpc_id == vpc_id}
        enis = tuple(e for e in snap.interfaces if e.vpc_id == vpc_id)
        groups = tuple(g for g in snap.groups if g.vpc_id == vpc_id)
        group_ids = {g.group_id for g in groups}
        return dataclasses.replace(
            snap,
            vpcs=tuple(v for v in snap.vpcs if v.vpc_id == vpc_id),
            subnets=tuple(s for s in snap.subnets if s.subnet_id in mine),
            internet_gateways=tuple(g for g in snap.internet_gateways if g.vpc_id == vpc_id),
            groups=groups,
            rules=tuple(r for r in snap.rules if r.group_id in group_ids),
            interfaces=enis,
            instances=tuple(i for i in snap.instances if i.vpc_id == vpc_id),
            route_tables=tuple(t for t in snap.route_tables if t.vpc_id == vpc_id),
            nat_gateways=tuple(n for n in snap.nat_gateways if n.vpc_id == vpc_id),
            peerings=tuple(p for p in snap.peerings if p.side_of(vpc_id) is not None),
        )


def add_nat_gateway(w: Builder, subnet_id: str, private_ip: str, public_ip: str | None) -> str:
    """An available NAT gateway in ``w``'s subnet: public (an Elastic IP) with
    ``public_ip``, private without."""
    subnet = next(s for s in w.subnets if s.subnet_id == subnet_id)
    nat_id = w.new_id("nat")
    w.nat_gateways.append(
        NatGateway(
            nat_gateway_id=nat_id,
            vpc_id=subnet.vpc_id,
            subnet_id=subnet_id,
            owner_id=ACCOUNT,
            region=REGION,
            private_ip=private_ip,
            create_time="2024-01-01T00:00:00Z",
            allocation_id=w.new_id("eipalloc") if public_ip else None,
            public_ip=public_ip,
            connectivity_type="public" if public_ip else "private",
        )
    )
    return nat_id
