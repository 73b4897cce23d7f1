"""A large world for the topology's performance test and bench, built fast in-process.

The network (VPCs, gateways, route tables, subnets, groups) goes through the services, a
few dozen calls; the instances and their interfaces are written straight into the store in
one transaction (through the service they cost ~25 ms each on a loaded machine, and the
test is about drawing them, not launching them). Addresses are assigned in order inside
each subnet; public ones come from the documentation ranges.
"""

from __future__ import annotations

from datetime import UTC, datetime
from ipaddress import ip_network

from stockade.domain import ids
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.tags import check_tags
from stockade.service.addressing import new_mac
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import RouteRequest
from stockade.service.interfaces import attached
from stockade.store.repository import Store

PUBLIC_RANGES = ("198.51.100.0/24", "203.0.113.0/24")


def build_large_world(store: Store, instances: int = 1000, vpcs: int = 2, subnets: int = 5) -> int:
    """``instances`` running instances spread over ``vpcs`` VPCs (at most two) of
    ``subnets`` subnets each, the first of each VPC public (its instances with a public IP),
    each instance carrying one of ten groups; returns the number made."""
    ctx = ServiceContext(store)
    services = Services(ctx)
    net = services.network
    per_subnet = -(-instances // (vpcs * subnets))
    made: list[tuple[Instance, NetworkInterface]] = []
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
    for v in range(vpcs):
        vpc = net.create_vpc(f"10.{v}.0.0/16", tags=check_tags([("Name", f"large-{v}")]))
        igw = net.create_internet_gateway()
        net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
        public = services.route_tables.create(vpc.vpc_id).table.route_table_id
        services.route_tables.create_route(public, RouteRequest.of("0.0.0.0/0", igw.igw_id))
        groups = [
            services.groups.create(f"tier-{g}", f"tier {g}", vpc.vpc_id).group.group_id
            for g in range(10)
        ]
        public_ips = (str(a) for a in ip_network(PUBLIC_RANGES[v]).hosts())
        for s in range(subnets):
            subnet = net.create_subnet(vpc.vpc_id, f"10.{v}.{s * 4}.0/22")
            if s == 0:
                services.route_tables.associate(public, subnet_id=subnet.subnet_id)
            hosts = ip_network(subnet.cidr_block).hosts()
            for _ in range(4):  # AWS reserves the first addresses of a subnet
                next(hosts)
            reservation = "r-" + ids.new_id("i").split("-", 1)[1]  # one per subnet
            for _ in range(min(per_subnet, instances - len(made))):
                instance_id, eni_id = ids.new_id("i"), ids.new_id("eni")
                eni = NetworkInterface(
                    eni_id=eni_id,
                    owner_id=vpc.owner_id,
                    region=vpc.region,
                    vpc_id=vpc.vpc_id,
                    subnet_id=subnet.subnet_id,
                    availability_zone=subnet.availability_zone,
                    private_ip=str(next(hosts)),
                    mac_address=new_mac(),
                    group_ids=(groups[len(made) % 10],),
                    public_ip=next(public_ips) if s == 0 else None,
                    associate_public_ip=s == 0,
                    delete_on_termination=True,
                )
                eni = attached(eni, instance_id, 0)
                instance = Instance(
                    instance_id=instance_id,
                    owner_id=vpc.owner_id,
                    region=vpc.region,
                    reservation_id=reservation,
                    vpc_id=vpc.vpc_id,
                    subnet_id=subnet.subnet_id,
                    availability_zone=subnet.availability_zone,
                    image_id="ami-00000000000000000",
                    instance_type="t3.micro",
                    state=InstanceState.RUNNING,
                    launch_time=now,
                    primary_eni_id=eni_id,
                    tags=check_tags([("Name", f"node-{v}-{s}-{len(made)}")]),
                )
                made.append((instance, eni))
    with ctx.write() as tx:
        for instance, eni in made:
            tx.put_instance(instance)
            tx.put_interface(eni)
    return len(made)
