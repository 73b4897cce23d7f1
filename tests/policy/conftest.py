"""Hand-built snapshots for the policy tests: a tiny builder, and the seed scenario.

The builder creates the domain dataclasses directly (no store, no service layer), so the
policy engine is tested against state whose every field the test chose.
"""

from __future__ import annotations

import ipaddress
import itertools
from dataclasses import dataclass, field

import pytest

from stockade.domain import protocols
from stockade.domain.addresses import canonical_cidr
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    deny_all_entries,
)
from stockade.domain.network_acl import entry as domain_acl_entry
from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.routing import (
    LOCAL,
    EgressOnlyInternetGateway,
    NatGateway,
    NatGatewayState,
    Route,
    RouteOrigin,
    RouteTable,
    RouteTableAssociation,
)
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.state import Snapshot

ACCOUNT = "123456789012"
REGION = "us-east-1"


@dataclass
class World:
    """Collects resources and freezes them into a :class:`Snapshot`."""

    vpcs: list = field(default_factory=list)
    subnets: list = field(default_factory=list)
    gateways: list = field(default_factory=list)
    groups: list = field(default_factory=list)
    rules: list = field(default_factory=list)
    prefix_lists: list = field(default_factory=list)
    interfaces: list = field(default_factory=list)
    instances: list = field(default_factory=list)
    route_tables: list = field(default_factory=list)
    nat_gateways: list = field(default_factory=list)
    egress_only: list = field(default_factory=list)
    peerings: list = field(default_factory=list)
    network_acls: list = field(default_factory=list)
    _counter: itertools.count = field(default_factory=lambda: itertools.count(1))
    _subnet_of: dict = field(default_factory=dict)

    def new_id(self, prefix: str) -> str:
        return f"{prefix}-{next(self._counter):017x}"

    def vpc(self, cidr: str = "10.0.0.0/16", ipv6_cidr: str | None = None, igw: bool = True):
        vpc_id = self.new_id("vpc")
        self.vpcs.append(
            Vpc(
                vpc_id=vpc_id,
                owner_id=ACCOUNT,
                region=REGION,
                cidr_block=cidr,
                ipv6_cidr_block=ipv6_cidr,
            )
        )
        self.subnet(vpc_id, cidr, ipv6_cidr)
        if igw:
            self.gateways.append(
                InternetGateway(
                    igw_id=self.new_id("igw"), owner_id=ACCOUNT, region=REGION, vpc_id=vpc_id
                )
            )
        return vpc_id

    def subnet(self, vpc_id: str, cidr: str, ipv6_cidr: str | None = None) -> str:
        """A further subnet; it becomes the VPC's subnet for interfaces made after it."""
        subnet_id = self.new_id("subnet")
        self.subnets.append(
            Subnet(
                subnet_id=subnet_id,
                vpc_id=vpc_id,
                owner_id=ACCOUNT,
                region=REGION,
                cidr_block=cidr,
                availability_zone="us-east-1a",
                availability_zone_id="use1-az1",
                ipv6_cidr_block=ipv6_cidr,
            )
        )
        self._subnet_of[vpc_id] = subnet_id
        return subnet_id

    def igw_of(self, vpc_id: str) -> str | None:
        return next((g.igw_id for g in self.gateways if g.vpc_id == vpc_id), None)

    def route_table(
        self, vpc_id: str, routes=(), subnets=(), main: bool = False, local: bool = True
    ) -> str:
        """A table: ``routes`` as (destination, target); local routes first unless ``local``
        is false; associated with ``subnets`` (explicitly) and/or as the main table."""
        vpc = next(v for v in self.vpcs if v.vpc_id == vpc_id)
        rows = []
        if local:
            for block in vpc.ipv4_blocks:
                rows.append(Route(block, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE))
            if vpc.ipv6_cidr_block:
                rows.append(Route(vpc.ipv6_cidr_block, LOCAL, RouteOrigin.CREATE_ROUTE_TABLE))
        rows.extend(Route(dest, target) for dest, target in routes)
        associations = [RouteTableAssociation(self.new_id("rtbassoc"), main=True)] if main else []
        associations += [
            RouteTableAssociation(self.new_id("rtbassoc"), subnet_id=s) for s in subnets
        ]
        table_id = self.new_id("rtb")
        self.route_tables.append(
            RouteTable(table_id, vpc_id, ACCOUNT, REGION, tuple(rows), tuple(associations))
        )
        return table_id

    def nat(
        self,
        subnet_id: str,
        public_ip: str | None = "203.0.113.200",
        state: NatGatewayState = NatGatewayState.AVAILABLE,
    ) -> str:
        subnet = next(x for x in self.subnets if x.subnet_id == subnet_id)
        nat_id = self.new_id("nat")
        self.nat_gateways.append(
            NatGateway(
                nat_id,
                subnet.vpc_id,
                subnet_id,
                ACCOUNT,
                REGION,
                private_ip=str(ipaddress.ip_network(subnet.cidr_block)[250]),
                create_time="2024-01-01T00:00:00Z",
                connectivity_type="public" if public_ip else "private",
                state=state,
                public_ip=public_ip,
            )
        )
        return nat_id

    def egress_only_gateway(self, vpc_id: str | None) -> str:
        eigw_id = self.new_id("eigw")
        self.egress_only.append(EgressOnlyInternetGateway(eigw_id, ACCOUNT, REGION, vpc_id))
        return eigw_id

    def peering(
        self, requester: str, accepter: str, status: PeeringStatus = PeeringStatus.ACTIVE
    ) -> str:
        def side(vpc_id: str) -> PeeringSide:
            vpc = next((v for v in self.vpcs if v.vpc_id == vpc_id), None)
            blocks = vpc.ipv4_blocks if vpc else ()
            v6 = (vpc.ipv6_cidr_block,) if vpc and vpc.ipv6_cidr_block else ()
            return PeeringSide(vpc_id, ACCOUNT, REGION, blocks, v6)

        pcx_id = self.new_id("pcx")
        self.peerings.append(
            VpcPeeringConnection(pcx_id, side(requester), side(accepter), status, str(status))
        )
        return pcx_id

    def acl(self, vpc_id: str, subnets=(), entries=(), default: bool = False) -> str:
        """A network ACL with ``entries`` (``acl_entry`` tuples) and the ``*`` denies of both
        families, associated with ``subnets``."""
        acl_id = self.new_id("acl")
        associations = tuple(NetworkAclAssociation(self.new_id("aclassoc"), s) for s in subnets)
        self.network_acls.append(
            NetworkAcl(
                acl_id,
                vpc_id,
                ACCOUNT,
                REGION,
                default,
                tuple(acl_entry(*e) for e in entries) + deny_all_entries(True),
                associations,
            )
        )
        return acl_id

    def group(self, vpc_id: str, name: str, egress_all: bool = True) -> str:
        group_id = self.new_id("sg")
        self.groups.append(
            SecurityGroup(
                group_id=group_id,
                name=name,
                description=name,
                vpc_id=vpc_id,
                owner_id=ACCOUNT,
                region=REGION,
            )
        )
        if egress_all:
            self.rule(group_id, "out", "-1", None, None, "0.0.0.0/0")
        return group_id

    def rule(self, group_id: str, direction: str, protocol, from_port, to_port, peer: str) -> str:
        """``direction`` is ``in`` or ``out``; ``peer`` a CIDR, ``sg-…`` or ``pl-…``."""
        proto = protocols.canonical_protocol(protocol)
        lo, hi = protocols.canonical_ports(proto, from_port, to_port)
        if peer.startswith("sg-"):
            p = Peer(PeerKind.GROUP, peer, ACCOUNT)
        elif peer.startswith("pl-"):
            p = Peer(PeerKind.PREFIX_LIST, peer)
        elif ":" in peer:
            p = Peer(PeerKind.CIDR_V6, canonical_cidr(peer, 6))
        else:
            p = Peer(PeerKind.CIDR_V4, canonical_cidr(peer, 4))
        rule_id = self.new_id("sgr")
        spec = RuleSpec(direction == "out", proto, lo, hi, p)
        self.rules.append(
            SecurityGroupRule(rule_id=rule_id, group_id=group_id, owner_id=ACCOUNT, spec=spec)
        )
        return rule_id

    def prefix_list(self, cidrs, family: str = "IPv4") -> str:
        pl_id = self.new_id("pl")
        entries = tuple(PrefixListEntry(canonical_cidr(c)) for c in cidrs)
        self.prefix_lists.append(
            PrefixList(
                prefix_list_id=pl_id,
                name=pl_id,
                address_family=family,
                max_entries=max(1, len(cidrs)),
                version=1,
                owner_id=ACCOUNT,
                region=REGION,
                entries=entries,
            )
        )
        return pl_id

    def interface(
        self,
        vpc_id,
        group_ids,
        private_ip,
        public_ip=None,
        ipv6=(),
        instance_id=None,
        device_index=None,
    ) -> str:
        eni_id = self.new_id("eni")
        self.interfaces.append(
            NetworkInterface(
                eni_id=eni_id,
                owner_id=ACCOUNT,
                region=REGION,
                vpc_id=vpc_id,
                subnet_id=self._subnet_of[vpc_id],
                availability_zone="us-east-1a",
                private_ip=private_ip,
                mac_address="02:00:00:00:00:01",
                group_ids=tuple(group_ids),
                ipv6_addresses=tuple(ipv6),
                public_ip=public_ip,
                instance_id=instance_id,
                device_index=device_index,
            )
        )
        return eni_id

    def instance(
        self, vpc_id, group_ids, private_ip, public_ip=None, ipv6=(), state=InstanceState.RUNNING
    ) -> str:
        instance_id = self.new_id("i")
        eni_id = self.interface(vpc_id, group_ids, private_ip, public_ip, ipv6, instance_id, 0)
        self.instances.append(
            Instance(
                instance_id=instance_id,
                owner_id=ACCOUNT,
                region=REGION,
                reservation_id=self.new_id("r"),
                vpc_id=vpc_id,
                subnet_id=self._subnet_of[vpc_id],
                availability_zone="us-east-1a",
                image_id="ami-12345678",
                instance_type="t3.micro",
                state=state,
                launch_time="2024-01-01T00:00:00Z",
                primary_eni_id=eni_id,
            )
        )
        return instance_id

    def eni_of(self, instance_id: str) -> str:
        return next(i.primary_eni_id for i in self.instances if i.instance_id == instance_id)

    def snapshot(self) -> Snapshot:
        return Snapshot(
            revision=1,
            vpcs=tuple(self.vpcs),
            subnets=tuple(self.subnets),
            internet_gateways=tuple(self.gateways),
            groups=tuple(self.groups),
            rules=tuple(self.rules),
            prefix_lists=tuple(self.prefix_lists),
            interfaces=tuple(self.interfaces),
            instances=tuple(self.instances),
            route_tables=tuple(self.route_tables),
            nat_gateways=tuple(self.nat_gateways),
            egress_only_internet_gateways=tuple(self.egress_only),
            peerings=tuple(self.peerings),
            network_acls=tuple(self.network_acls),
        )


def acl_entry(
    rule_number: int,
    direction: str,
    action: str,
    protocol,
    cidr: str,
    ports: tuple[int, int] | None = None,
    icmp: tuple[int, int] | None = None,
):
    """An ACL entry through the domain's checks: ``direction`` is ``in`` or ``out``."""
    six = ":" in cidr
    return domain_acl_entry(
        rule_number,
        direction == "out",
        action,
        protocol,
        None if six else cidr,
        cidr if six else None,
        ports,
        icmp,
    )


def seed_snapshot() -> tuple[Snapshot, dict[str, str]]:
    """The issue's seed scenario; returns the snapshot and a name → id map.

    A VPC with an attached internet gateway; group ``web``: inbound tcp/80 from 0.0.0.0/0,
    tcp/22 from 203.0.113.10/32, the default outbound rule; instance ``web`` with a public
    IP. Groups sg-1, sg-2, sg-3 (sg-1 allows inbound tcp/123 from sg-1 and sg-2); instances
    A (sg-1), B (sg-2), C (sg-3) and ``target`` (sg-1).
    """
    w = World()
    ids: dict[str, str] = {}
    vpc = ids["vpc"] = w.vpc("10.0.0.0/16")
    web = ids["sg-web"] = w.group(vpc, "web")
    ids["rule-http"] = w.rule(web, "in", "tcp", 80, 80, "0.0.0.0/0")
    ids["rule-ssh"] = w.rule(web, "in", "tcp", 22, 22, "203.0.113.10/32")
    ids["web"] = w.instance(vpc, [web], "10.0.1.10", public_ip="198.51.100.20")
    sg1, sg2, sg3 = (w.group(vpc, name) for name in ("sg-1", "sg-2", "sg-3"))
    ids.update({"sg-1": sg1, "sg-2": sg2, "sg-3": sg3})
    ids["rule-ntp-1"] = w.rule(sg1, "in", "tcp", 123, 123, sg1)
    ids["rule-ntp-2"] = w.rule(sg1, "in", "tcp", 123, 123, sg2)
    ids["A"] = w.instance(vpc, [sg1], "10.0.2.1")
    ids["B"] = w.instance(vpc, [sg2], "10.0.2.2")
    ids["C"] = w.instance(vpc, [sg3], "10.0.2.3")
    ids["target"] = w.instance(vpc, [sg1], "10.0.2.4")
    return w.snapshot(), ids


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture(scope="session")
def seed() -> tuple[Snapshot, dict[str, str]]:
    return seed_snapshot()
