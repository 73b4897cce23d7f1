"""``stockade reach`` through a NAT gateway: the crossings ``decide`` makes, in the same
order, from the same table (``policy/acl_plan``) — the private subnet out, the NAT
gateway's subnet in (from the private address) and out (to the destination), the
destination's subnet in from the gateway's public IP; the replies back, to the gateway's
ports up to the gateway and to the client's ephemeral ports after it.

An instance in another VPC that nothing private joins is reached at its public IP, as a
client would address it (the engine's own remedy for ``DIFFERENT_VPC``). ``reach``'s
ranges and ``decide``'s verdict on each port must agree."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy.conftest import World

from analysis.acl_strategies import ALLOW_ALL, acl_entries
from analysis.reach_agreement import PORTS, reached
from stockade.analysis.reach import ReachResult, parse_ports, parse_source, reach
from stockade.policy.decide import decide
from stockade.policy.explain import explain
from stockade.policy.flow import EPHEMERAL_PORTS, NAT_GATEWAY_PORTS, Flow
from stockade.policy.reasons import Reason

NAT_IP = "203.0.113.200"
TARGET_IP = "198.51.100.20"


def nat_world(
    nat_acl=ALLOW_ALL, client_acl=ALLOW_ALL, target_acl=ALLOW_ALL, open_groups: bool = True
):
    """VPC A: a public subnet (the NAT gateway, routes to the internet gateway) and a
    private one (the client, routes the internet to the NAT gateway); VPC B: the target
    with a public IP. Each subnet has its own ACL."""
    w = World()
    a = w.vpc("10.0.0.0/16")
    public = w.subnet(a, "10.0.1.0/24")
    nat = w.nat(public, NAT_IP)
    private = w.subnet(a, "10.0.2.0/24")
    w.route_table(a, [("0.0.0.0/0", w.igw_of(a))], [public])
    w.route_table(a, [("0.0.0.0/0", nat)], [private])
    client_sg = w.group(a, "client")
    client = w.instance(a, [client_sg], "10.0.2.5")
    b = w.vpc("10.1.0.0/16")
    target_sg = w.group(b, "target")
    if open_groups:
        w.rule(target_sg, "in", "-1", None, None, "0.0.0.0/0")
    else:
        w.rule(target_sg, "in", "tcp", 22, 80, f"{NAT_IP}/32")
    target = w.instance(b, [target_sg], "10.1.0.5", public_ip=TARGET_IP)
    w.route_table(b, [("0.0.0.0/0", w.igw_of(b))], main=True)
    w.acl(a, [public], nat_acl)
    w.acl(a, [private], client_acl)
    w.acl(b, [w._subnet_of[b]], target_acl)
    return w.snapshot(), client, target, public


def answer(snapshot, client, target) -> ReachResult:
    ports = parse_ports([f"{p}" for p in PORTS] + [f"udp/{p}" for p in PORTS])
    (result,) = [
        r for r in reach(snapshot, parse_source(snapshot, client), target, ports) if r.family == 4
    ]
    return result


def assert_agree(snapshot, client, target) -> ReachResult:
    """Per port, reach's answer is decide's verdict on a flow to the target's public IP."""
    result = answer(snapshot, client, target)
    for protocol in ("tcp", "udp"):
        for port in PORTS:
            decision = decide(snapshot, Flow(client, TARGET_IP, protocol, port))
            assert reached(result, protocol, port) == decision.allowed, (
                f"{protocol}/{port}: reach {result.to_dict()}\n{explain(decision)}"
            )
    return result


def test_the_public_ip_of_an_instance_in_another_vpc_is_reached_through_the_nat_gateway():
    snapshot, client, target, _ = nat_world()
    result = assert_agree(snapshot, client, target)
    assert result.path == "internet" and result.reachable and result.acl_denials == ()
    assert [r.service.text() for r in result.ranges] == ["tcp/22", "tcp/80", "tcp/443"] + [
        "udp/22",
        "udp/80",
        "udp/443",
    ]
    # the target's groups see the NAT gateway's public IP
    snapshot, client, target, _ = nat_world(open_groups=False)
    result = assert_agree(snapshot, client, target)
    assert [r.service.text() for r in result.ranges] == ["tcp/22", "tcp/80"]
    assert result.ranges[0].sources == (f"{NAT_IP}/32",)


def test_the_nat_subnet_denying_the_request_out_to_the_internet():
    deny_http_out = [(90, "out", "deny", "tcp", "0.0.0.0/0", (80, 80)), *ALLOW_ALL]
    snapshot, client, target, public = nat_world(nat_acl=deny_http_out)
    result = assert_agree(snapshot, client, target)
    assert "tcp/80" not in [r.service.text() for r in result.ranges]
    (denial,) = result.acl_denials
    assert denial.code == "SUBNET_ACL_RESTRICTION" and denial.reason is Reason.ACL_REQUEST_DENIED
    assert "outbound #90 deny tcp/80 to 0.0.0.0/0" in denial.message
    assert f"(subnet {public})" in denial.message


def test_the_nat_subnet_denying_the_private_subnets_request_in():
    deny_from_private = [(90, "in", "deny", "tcp", "10.0.2.0/24", (22, 22)), *ALLOW_ALL]
    snapshot, client, target, _ = nat_world(nat_acl=deny_from_private)
    result = assert_agree(snapshot, client, target)
    assert "tcp/22" not in [r.service.text() for r in result.ranges]
    assert "inbound #90 deny tcp/22 from 10.0.2.0/24" in result.acl_denials[0].message


def test_the_reply_into_the_nat_subnet_must_allow_the_gateways_ports():
    """The internet answers the NAT gateway's port (1024-65535): an inbound entry for the
    client's ephemeral range only is too narrow there, as in decide."""
    narrow = [
        (100, "in", "allow", "-1", "10.0.2.0/24"),
        (110, "in", "allow", "tcp", "0.0.0.0/0", EPHEMERAL_PORTS),
        (120, "in", "allow", "udp", "0.0.0.0/0", NAT_GATEWAY_PORTS),
        (100, "out", "allow", "-1", "0.0.0.0/0"),
    ]
    snapshot, client, target, _ = nat_world(nat_acl=narrow)
    result = assert_agree(snapshot, client, target)
    assert [r.service.text() for r in result.ranges] == ["udp/22", "udp/80", "udp/443"]
    assert {d.reason for d in result.acl_denials} == {Reason.ACL_REPLY_DENIED}


def test_the_reply_out_of_the_nat_subnet_to_the_client_and_into_the_client_subnet():
    """After the gateway the reply goes to the client's ephemeral ports: out of the NAT
    subnet to the private address, then into the client's subnet from the target."""
    to_client = [(90, "out", "deny", "udp", "10.0.2.0/24", (40000, 40010)), *ALLOW_ALL]
    snapshot, client, target, _ = nat_world(nat_acl=to_client)
    result = assert_agree(snapshot, client, target)
    assert [r.service.text() for r in result.ranges] == ["tcp/22", "tcp/80", "tcp/443"]
    into_client = [
        (90, "in", "deny", "tcp", "0.0.0.0/0", (32768, 40000)),
        *ALLOW_ALL,
    ]
    snapshot, client, target, _ = nat_world(client_acl=into_client)
    result = assert_agree(snapshot, client, target)
    assert [r.service.text() for r in result.ranges] == ["udp/22", "udp/80", "udp/443"]


def test_the_targets_subnet_matches_the_nat_gateways_public_ip():
    deny_nat = [(90, "in", "deny", "tcp", f"{NAT_IP}/32", (443, 443)), *ALLOW_ALL]
    snapshot, client, target, _ = nat_world(target_acl=deny_nat)
    result = assert_agree(snapshot, client, target)
    assert "tcp/443" not in [r.service.text() for r in result.ranges]
    assert f"inbound #90 deny tcp/443 from {NAT_IP}/32" in result.acl_denials[0].message


#: the addresses and port ranges that matter on this path
CIDRS = ["0.0.0.0/0", "10.0.2.0/24", "10.0.0.0/16", f"{NAT_IP}/32", "198.51.100.0/24"]
PORT_RANGES = [(22, 22), (80, 80), (0, 1023), (1024, 65535), EPHEMERAL_PORTS, (40000, 40010)]


def acls():
    return acl_entries(CIDRS, PORT_RANGES, max_entries=5)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(acls(), acls(), acls(), st.booleans())
def test_reach_and_decide_agree_through_a_nat_gateway(nat_acl, client_acl, target_acl, open_):
    snapshot, client, target, _ = nat_world(nat_acl, client_acl, target_acl, open_)
    assert_agree(snapshot, client, target)
