"""``stockade reach --from CIDR`` for a CIDR of another VPC, checked on real packets.

Nothing private joins the two VPCs, so the CIDR's hosts reach the target only at its
public IPv4, over the internet: the target's group sees each host's public IP, or its
NAT gateway's, never the private CIDR (a rule for that matches nothing there). The
kernel must let through exactly the ports ``reach`` reports, host by host.
"""

from __future__ import annotations

import pytest

from stockade.analysis.reach import parse_ports, parse_source, reach
from stockade.dataplane.probe import ALLOWED, Listeners, Probe, run

from .routed import Routed

pytestmark = pytest.mark.root
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5
WEB_PUBLIC, NAT_PUBLIC, TARGET_PUBLIC = "198.51.100.20", "198.51.100.50", "198.51.100.30"
PORTS = (22, 80, 443)


def _world() -> tuple[Routed, dict[str, str]]:
    """VPC A: ``web`` (public IP) in a public subnet with the NAT gateway, ``app`` (none) in
    a private subnet routing the internet to it. VPC B: ``target`` (public IP), whose group
    admits tcp/22 from VPC A's private block, tcp/80 from ``web``'s public IP and tcp/443
    from the NAT gateway's."""
    w = Routed()
    ids: dict[str, str] = {}
    a = w.vpc("10.0.0.0/16")
    sources = w.group(a, "sources")  # all traffic out
    public = w.subnet(a, "10.0.1.0/24")
    ids["web"] = w.instance(a, [sources], "10.0.1.10", public_ip=WEB_PUBLIC)
    nat = w.nat_gateway(public, "10.0.1.5", NAT_PUBLIC)
    w.table(a, {"0.0.0.0/0": w.igw(a)}, [public])
    private = w.subnet(a, "10.0.2.0/24")
    ids["app"] = w.instance(a, [sources], "10.0.2.20")
    w.table(a, {"0.0.0.0/0": nat}, [private], main=True)
    b = w.vpc("10.1.0.0/16")
    target_sg = w.group(b, "target")
    w.rule(target_sg, "in", "tcp", 22, 22, "10.0.0.0/16")
    w.rule(target_sg, "in", "tcp", 80, 80, f"{WEB_PUBLIC}/32")
    w.rule(target_sg, "in", "tcp", 443, 443, f"{NAT_PUBLIC}/32")
    w.subnet(b, "10.1.0.0/24")
    ids["target"] = w.instance(b, [target_sg], "10.1.0.10", public_ip=TARGET_PUBLIC)
    w.table(b, {"0.0.0.0/0": w.igw(b)}, main=True)
    return w, ids


def _reported(snapshot, cidr: str, target: str) -> set[int]:
    (result,) = [
        r
        for r in reach(snapshot, parse_source(snapshot, cidr), target, parse_ports(["22,80,443"]))
        if r.family == 4
    ]
    assert result.reachable and result.path == "internet"
    return {
        p for r in result.ranges for p in PORTS if r.service.from_port <= p <= r.service.to_port
    }


def test_a_cidr_of_another_vpc_reaches_what_its_hosts_public_faces_are_allowed(realised):
    w, ids = _world()
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    web, app = realised.world.instance(ids["web"]), realised.world.instance(ids["app"])
    target = realised.world.instance(ids["target"])
    passed: dict[str, set[int]] = {web: set(), app: set()}
    with Listeners() as listeners:
        for port in PORTS:
            listeners.tcp(target, port)
        for port in PORTS:  # one round per port: no two probes join the same two ends
            probes = [
                Probe(web, TARGET_PUBLIC, "tcp", port),
                Probe(app, TARGET_PUBLIC, "tcp", port),
            ]
            for probe, outcome in zip(probes, run(probes, TIMEOUT, listeners), strict=True):
                if outcome in ALLOWED:
                    passed[probe.namespace].add(port)
    assert passed == {web: {80}, app: {443}}
    assert _reported(snapshot, "10.0.1.0/24", ids["target"]) == passed[web]
    assert _reported(snapshot, "10.0.2.0/24", ids["target"]) == passed[app]
    assert _reported(snapshot, "10.0.0.0/16", ids["target"]) == passed[web] | passed[app]
