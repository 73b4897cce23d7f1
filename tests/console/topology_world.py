"""A large world for the topology's performance test and bench: built in-process through
the services (a few calls launching a hundred instances each), not 1,000 API calls."""

from __future__ import annotations

from stockade.domain.tags import check_tags
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, RouteRequest
from stockade.store.repository import Store


def build_large_world(store: Store, instances: int = 1000, vpcs: int = 2, subnets: int = 5) -> int:
    """``instances`` running instances spread over ``vpcs`` VPCs of ``subnets`` subnets
    each (the first of each VPC public), carrying one of ten groups; returns the count."""
    services = Services(ServiceContext(store))
    net = services.network
    per_subnet = -(-instances // (vpcs * subnets))
    launched = 0
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
        for s in range(subnets):
            subnet = net.create_subnet(vpc.vpc_id, f"10.{v}.{s * 4}.0/22")
            if s == 0:
                services.route_tables.associate(public, subnet_id=subnet.subnet_id)
            left = min(per_subnet, instances - launched)
            while left > 0:
                batch = min(left, 100)
                services.instances.run(
                    LaunchRequest(
                        min_count=batch,
                        max_count=batch,
                        subnet_id=subnet.subnet_id,
                        group_ids=(groups[(launched // 7) % 10],),
                        associate_public_ip=s == 0,
                        tags=check_tags([("Name", f"node-{v}-{s}-{launched}")]),
                    )
                )
                launched += batch
                left -= batch
    return launched
