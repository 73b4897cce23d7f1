"""AWS-managed prefix lists on real packets: a route to S3's list and an egress rule to it
reach exactly the list's (stand-in) addresses, through the agent that follows the store."""

from __future__ import annotations

import pytest

from stockade.dataplane.probe import Listeners, Probe, run
from stockade.domain.permissions import IpPermission
from stockade.service.bundle import Services
from stockade.service.contracts import LaunchRequest, RouteRequest

from .conftest import primary_eni, settle, snapshot_of

pytestmark = pytest.mark.root
TIMEOUT = 0.5
IN_S3 = "198.51.100.130"  # inside the s3 list's stand-in 198.51.100.128/26
ELSEWHERE = "198.51.100.10"  # an internet address outside it


def test_route_and_egress_rule_to_s3s_list(ctx, agent):
    svc = Services(ctx)
    s3 = next(p for p in svc.prefix_lists.describe() if p.name == "com.amazonaws.us-east-1.s3")
    vpc = svc.network.create_vpc("10.0.0.0/16")
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    [main] = [d for d in svc.route_tables.describe() if d.table.vpc_id == vpc.vpc_id]
    rtb = main.table.route_table_id
    to_s3 = RouteRequest(destination_prefix_list_id=s3.prefix_list_id, gateway_id=igw.igw_id)
    svc.route_tables.create_route(rtb, to_s3)
    group = svc.groups.create("app", "d", vpc.vpc_id)
    [detail] = svc.instances.run(
        LaunchRequest(
            subnet_id=subnet.subnet_id, group_ids=(group.group.group_id,), associate_public_ip=True
        )
    )
    settle(agent)
    instance = agent.world.instance(detail.instance.instance_id)
    assert primary_eni(snapshot_of(agent), detail.instance.instance_id).public_ip
    internet = agent.topology.internet
    with Listeners() as listeners, internet.host(IN_S3) as s3_host, internet.host(ELSEWHERE) as far:
        listeners.tcp(s3_host, 443)
        listeners.tcp(s3_host, 80)
        listeners.tcp(far, 443)
        # only the list's addresses are routed (egress: the group's default allow-all)
        probes = [Probe(instance, IN_S3, "tcp", 443), Probe(instance, ELSEWHERE, "tcp", 443)]
        assert run(probes, TIMEOUT, listeners) == ["connected", "timeout"]

        # everything routed, but the group lets out only tcp/443 to the list
        svc.route_tables.create_route(rtb, RouteRequest("0.0.0.0/0", gateway_id=igw.igw_id))
        [default_egress] = [r for r in group.rules if r.spec.is_egress]
        svc.rules.revoke(group.group.group_id, rule_ids=[default_egress.rule_id], egress=True)
        svc.rules.authorize(
            group.group.group_id,
            [IpPermission("tcp", 443, 443, prefix_list_ids=((s3.prefix_list_id, None),))],
            egress=True,
        )
        settle(agent)
        probes = [
            Probe(instance, IN_S3, "tcp", 443),
            Probe(instance, IN_S3, "tcp", 80),
            Probe(instance, ELSEWHERE, "tcp", 443),
        ]
        assert run(probes, TIMEOUT, listeners) == ["connected", "timeout", "timeout"]
