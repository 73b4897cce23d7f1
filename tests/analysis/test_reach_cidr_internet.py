"""``stockade reach --from CIDR`` where the CIDR lies in another VPC that nothing private
joins to the destination's: its hosts reach the destination only over the internet, at
its public IPv4, so the destination's groups and subnet see what AWS sees there — each
host's public IP, or its NAT gateway's — and the hosts' own subnet sends to the public
address, not the private one behind the 1:1 translation.

Per port, reach's answer is the union over the addresses of the CIDR that an interface
holds of ``decide``'s verdict on a flow from that address to the public IP."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy.conftest import World

from analysis.acl_strategies import ALLOW_ALL, acl_entries, inbound_rules
from analysis.reach_agreement import agree, answer, texts
from stockade.analysis.reach import ReachResult
from stockade.policy.decide import decide
from stockade.policy.flow import Flow
from stockade.policy.reasons import Reason

HOST_PUBLIC = "203.0.113.5"
NAT_IP = "203.0.113.200"
TARGET_IP = "198.51.100.20"
TARGET_PRIVATE = "10.1.0.5"
#: the addresses of VPC A an interface holds
HELD = {"10.0.1.5", "10.0.1.6", "10.0.2.5"}


def world(rules, public_acl=ALLOW_ALL, private_acl=ALLOW_ALL, target_acl=ALLOW_ALL):
    """VPC A: a public subnet 10.0.1.0/24 (routes to its internet gateway; the NAT gateway,
    a host with a public IP and one without) and a private one 10.0.2.0/24 (routes the
    internet to the NAT gateway; one host). VPC B: the target, with a public IP and
    ``rules`` (direction, protocol, from, to, peer) in its group. Nothing peers them."""
    w = World()
    a = w.vpc("10.0.0.0/16")
    public = w.subnet(a, "10.0.1.0/24")
    nat = w.nat(public, NAT_IP)
    w.route_table(a, [("0.0.0.0/0", w.igw_of(a))], [public])
    sources = w.group(a, "sources")
    w.instance(a, [sources], "10.0.1.5", public_ip=HOST_PUBLIC)
    w.instance(a, [sources], "10.0.1.6")
    private = w.subnet(a, "10.0.2.0/24")
    w.route_table(a, [("0.0.0.0/0", nat)], [private])
    w.instance(a, [sources], "10.0.2.5")
    b = w.vpc("10.1.0.0/16")
    target_sg = w.group(b, "target")
    for rule in rules:
        w.rule(target_sg, *rule)
    target = w.instance(b, [target_sg], TARGET_PRIVATE, public_ip=TARGET_IP)
    w.route_table(b, [("0.0.0.0/0", w.igw_of(b))], main=True)
    w.acl(a, [public], public_acl)
    w.acl(a, [private], private_acl)
    w.acl(b, [w._subnet_of[b]], target_acl)
    # the builder's first subnet of A spans the whole VPC block; AWS's subnets never overlap
    w.subnets = [s for s in w.subnets if s.cidr_block != "10.0.0.0/16"]
    return w.snapshot(), target


def assert_agree(snapshot, cidr: str, target: str) -> ReachResult:
    """Per port: reach from the CIDR = some held address of it that ``decide`` lets
    through to the target's public IP."""
    return agree(snapshot, cidr, target, HELD, TARGET_IP)


def test_the_target_group_sees_the_hosts_public_ip_not_its_private_address():
    rules = [("in", "tcp", 22, 22, "10.0.1.0/24"), ("in", "tcp", 80, 80, f"{HOST_PUBLIC}/32")]
    snapshot, target = world(rules)
    result = assert_agree(snapshot, "10.0.1.0/24", target)
    assert result.reachable and result.path == "internet"
    assert texts(result) == ["tcp/80"]
    assert result.ranges[0].sources == (f"{HOST_PUBLIC}/32",)


def test_through_a_nat_gateway_the_target_group_sees_the_gateways_address():
    rules = [("in", "tcp", 22, 22, "10.0.2.0/24"), ("in", "tcp", 443, 443, f"{NAT_IP}/32")]
    snapshot, target = world(rules)
    result = assert_agree(snapshot, "10.0.2.0/24", target)
    assert result.reachable and texts(result) == ["tcp/443"]
    assert result.ranges[0].sources == (f"{NAT_IP}/32",)
    # the whole VPC block: both faces, each on what it is seen as
    result = assert_agree(snapshot, "10.0.0.0/16", target)
    assert texts(result) == ["tcp/443"]
    rules.append(("in", "udp", 80, 80, f"{HOST_PUBLIC}/32"))
    snapshot, target = world(rules)
    result = assert_agree(snapshot, "10.0.0.0/16", target)
    assert texts(result) == ["tcp/443", "udp/80"]


def test_the_hosts_subnet_sends_to_the_public_address():
    """The source subnet's outbound entries see the address the packet is sent to: the
    target's public IP. An entry about its private address, behind the 1:1 translation,
    is never consulted."""
    open_ = [("in", "-1", None, None, "0.0.0.0/0")]
    deny_private = [(90, "out", "deny", "tcp", f"{TARGET_PRIVATE}/32", (22, 22)), *ALLOW_ALL]
    snapshot, target = world(open_, public_acl=deny_private)
    result = assert_agree(snapshot, "10.0.1.5/32", target)
    assert "tcp/22" in texts(result) and result.acl_denials == ()
    deny_public = [(90, "out", "deny", "tcp", f"{TARGET_IP}/32", (22, 22)), *ALLOW_ALL]
    snapshot, target = world(open_, public_acl=deny_public)
    result = assert_agree(snapshot, "10.0.1.5/32", target)
    assert "tcp/22" not in texts(result) and result.reachable
    (denial,) = result.acl_denials
    assert f"outbound #90 deny tcp/22 to {TARGET_IP}/32" in denial.message


def test_the_targets_subnet_sees_the_public_source():
    open_ = [("in", "-1", None, None, "0.0.0.0/0")]
    deny_private = [(90, "in", "deny", "tcp", "10.0.1.0/24", (80, 80)), *ALLOW_ALL]
    snapshot, target = world(open_, target_acl=deny_private)
    result = assert_agree(snapshot, "10.0.1.0/24", target)
    assert "tcp/80" in texts(result) and result.acl_denials == ()
    deny_public = [(90, "in", "deny", "tcp", f"{HOST_PUBLIC}/32", (80, 80)), *ALLOW_ALL]
    snapshot, target = world(open_, target_acl=deny_public)
    result = assert_agree(snapshot, "10.0.1.0/24", target)
    assert "tcp/80" not in texts(result)
    assert f"inbound #90 deny tcp/80 from {HOST_PUBLIC}/32" in result.acl_denials[0].message


def test_a_host_without_a_public_ip_in_a_public_subnet_does_not_get_through():
    snapshot, target = world([("in", "-1", None, None, "0.0.0.0/0")])
    result = assert_agree(snapshot, "10.0.1.6/32", target)
    assert not result.reachable and result.path == "internet"
    assert Reason.SOURCE_NOT_PUBLIC in {b.reason for b in result.blockers}
    # the rules that would admit it once it has one are still shown
    assert texts(result) == ["tcp/22", "tcp/80", "tcp/443", "udp/22", "udp/80", "udp/443"]


#: the addresses and port ranges that matter on these paths
CIDRS = [
    "0.0.0.0/0",
    "10.0.0.0/16",
    "10.0.1.0/24",
    "10.0.2.0/24",
    f"{HOST_PUBLIC}/32",
    f"{NAT_IP}/32",
    f"{TARGET_IP}/32",
    f"{TARGET_PRIVATE}/32",
]
PORT_RANGES = [(22, 22), (80, 80), (0, 1023), (1024, 65535), (32768, 60999), (40000, 40010)]


def acls():
    return acl_entries(CIDRS, PORT_RANGES, max_entries=4)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    inbound_rules(CIDRS),
    acls(),
    acls(),
    acls(),
    st.sampled_from(["10.0.0.0/16", "10.0.1.0/24", "10.0.2.0/24", "10.0.1.5/32", "10.0.2.5/32"]),
)
def test_reach_from_a_cidr_across_the_internet_agrees_with_decide(
    rules, public_acl, private_acl, target_acl, cidr
):
    snapshot, target = world(rules, public_acl, private_acl, target_acl)
    assert_agree(snapshot, cidr, target)


def test_addresses_nobody_holds_are_judged_as_decide_judges_them_their_subnet_on_the_public_ip():
    """No interface holds 10.0.1.128/25: a private source the internet gateway refuses, as
    ``decide`` says of any such address; its subnet's outbound entries still match the
    public address a host there would send to."""
    open_ = [("in", "-1", None, None, "0.0.0.0/0")]
    deny_public = [(90, "out", "deny", "tcp", f"{TARGET_IP}/32", (22, 22)), *ALLOW_ALL]
    snapshot, target = world(open_, public_acl=deny_public)
    result = answer(snapshot, "10.0.1.128/25", target)
    assert not result.reachable
    assert Reason.SOURCE_RFC1918 in {b.reason for b in result.blockers}
    assert not decide(snapshot, Flow("10.0.1.130", TARGET_IP, "tcp", 80)).allowed
    assert "tcp/22" not in texts(result)
    assert f"outbound #90 deny tcp/22 to {TARGET_IP}/32" in result.acl_denials[0].message
    deny_private = [(90, "out", "deny", "tcp", f"{TARGET_PRIVATE}/32", (22, 22)), *ALLOW_ALL]
    snapshot, target = world(open_, public_acl=deny_private)
    result = answer(snapshot, "10.0.1.128/25", target)
    assert "tcp/22" in texts(result) and result.acl_denials == ()
