"""AWS's untracked flows (aws-security-groups.md §2.4), decided per interface.

A TCP/UDP flow is not tracked at an interface when a rule for all addresses allows it in
the direction it crosses that interface and the other direction allows all addresses on
all ports of the protocol; ICMP and other protocols are always tracked.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from policy.conftest import ACCOUNT, World
from stockade.domain.security_group import Peer, PeerKind
from stockade.policy import Direction, EffectiveEntry, decide, reply_verdict
from stockade.policy.explain import explain_tracking, tracking_fields
from stockade.policy.flow import Flow
from stockade.policy.stateful import untracked_ports

CLIENT = "203.0.113.10"


def _server(*rules, egress_all: bool = True, ipv6: bool = False):
    w = World()
    vpc = w.vpc("10.0.0.0/16", "2001:db8:0:1::/64" if ipv6 else None)
    group = w.group(vpc, "server", egress_all=egress_all)
    for rule in rules:
        w.rule(group, *rule)
    server = w.instance(
        vpc,
        [group],
        "10.0.1.10",
        public_ip="198.51.100.20",
        ipv6=["2001:db8:0:1::10"] if ipv6 else (),
    )
    return w, server


def _verdict(w: World, flow: Flow):
    snapshot = w.snapshot()
    decision = decide(snapshot, flow)
    assert decision.allowed, decision.explain()
    return reply_verdict(snapshot, decision)


def test_inbound_ssh_from_everywhere_with_the_default_outbound_rule_is_untracked():
    w, server = _server(("in", "tcp", 22, 22, "0.0.0.0/0"))
    verdict = _verdict(w, Flow(CLIENT, server, "tcp", 22))
    assert not verdict.tracked
    assert verdict.untracked_at == (w.eni_of(server),)
    assert "allowed by 0.0.0.0/0 both ways" in verdict.reason
    assert "not tracked" in explain_tracking(verdict)


def test_a_host_source_makes_the_flow_tracked():
    w, server = _server(("in", "tcp", 22, 22, f"{CLIENT}/32"))
    verdict = _verdict(w, Flow(CLIENT, server, "tcp", 22))
    assert verdict.tracked and verdict.untracked_at == ()


def test_icmp_is_always_tracked():
    w, server = _server(("in", "icmp", -1, -1, "0.0.0.0/0"))
    verdict = _verdict(w, Flow(CLIENT, server, "icmp", 8))
    assert verdict.tracked and "always tracked" in verdict.reason


def test_without_the_outbound_allow_all_the_flow_is_tracked():
    w, server = _server(
        ("in", "tcp", 22, 22, "0.0.0.0/0"), ("out", "tcp", 0, 1023, "0.0.0.0/0"), egress_all=False
    )
    assert _verdict(w, Flow(CLIENT, server, "tcp", 22)).tracked


def test_an_outbound_rule_for_all_tcp_ports_untracks_tcp_but_not_udp():
    w, server = _server(
        ("in", "tcp", 22, 22, "0.0.0.0/0"),
        ("in", "udp", 53, 53, "0.0.0.0/0"),
        ("out", "tcp", 0, 65535, "0.0.0.0/0"),
        egress_all=False,
    )
    assert not _verdict(w, Flow(CLIENT, server, "tcp", 22)).tracked
    assert _verdict(w, Flow(CLIENT, server, "udp", 53)).tracked


def test_ipv6_needs_its_own_all_addresses_rules():
    w, server = _server(("in", "tcp", 80, 80, "::/0"), ipv6=True)
    flow = Flow("2001:db8:ffff::1", server, "tcp", 80)
    assert _verdict(w, flow).tracked  # the default outbound rule is IPv4 only
    group = w.groups[0].group_id
    w.rule(group, "out", "-1", None, None, "::/0")
    verdict = _verdict(w, flow)
    assert not verdict.tracked and "allowed by ::/0 both ways" in verdict.reason


def test_between_two_instances_each_interface_decides_for_itself():
    w = World()
    vpc = w.vpc()
    client_group = w.group(vpc, "client")  # outbound all to 0.0.0.0/0 (default) ...
    w.rule(client_group, "in", "-1", None, None, "0.0.0.0/0")  # ... and inbound all
    server_group = w.group(vpc, "server")
    w.rule(server_group, "in", "tcp", 5432, 5432, "10.0.1.5/32")
    client = w.instance(vpc, [client_group], "10.0.1.5")
    server = w.instance(vpc, [server_group], "10.0.1.6")
    verdict = _verdict(w, Flow(client, server, "tcp", 5432))
    assert not verdict.tracked and verdict.untracked_at == (w.eni_of(client),)
    # the server's own rule from everywhere makes it untracked there too
    w.rule(server_group, "in", "tcp", 5432, 5432, "0.0.0.0/0")
    verdict = _verdict(w, Flow(client, server, "tcp", 5432))
    assert verdict.untracked_at == (w.eni_of(client), w.eni_of(server))


def test_a_denied_flow_has_no_tracking_in_its_json():
    w, server = _server(("in", "tcp", 22, 22, f"{CLIENT}/32"))
    snapshot = w.snapshot()
    decision = decide(snapshot, Flow("192.0.2.1", server, "tcp", 22))
    assert tracking_fields(decision, reply_verdict(snapshot, decision)) == {
        "tracked": None,
        "tracking": None,
    }


# -- the definition itself, against a brute force over a small world of ports -----------------

_PROTOCOLS = st.sampled_from(["tcp", "udp", "-1", "icmp"])
_CIDRS = st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "::/0"])


@st.composite
def _entries(draw, direction: Direction):
    out = []
    for _ in range(draw(st.integers(0, 4))):
        protocol, cidr = draw(_PROTOCOLS), draw(_CIDRS)
        lo, hi = sorted((draw(st.integers(0, 40)), draw(st.integers(0, 40))))
        if protocol == "-1":
            lo, hi = -1, -1
        elif protocol == "icmp":
            lo, hi = 8, -1
        elif draw(st.booleans()):
            lo, hi = 0, 65535
        peer = Peer(PeerKind.CIDR_V6 if ":" in cidr else PeerKind.CIDR_V4, cidr, ACCOUNT)
        out.append(EffectiveEntry("sgr-1", "sg-1", direction, protocol, lo, hi, peer, cidr))
    return out


def _covers(entry: EffectiveEntry, protocol: str, port: int, cidr: str) -> bool:
    if entry.cidr != cidr:
        return False
    return entry.protocol == "-1" or (
        entry.protocol == protocol and entry.from_port <= port <= entry.to_port
    )


@settings(max_examples=400, deadline=None)
@given(
    _entries(Direction.INGRESS),
    _entries(Direction.EGRESS),
    st.sampled_from([4, 6]),
    st.sampled_from(["tcp", "udp", "icmp"]),
)
def test_untracked_ports_are_the_brute_force_answer_as_disjoint_sorted_ranges(
    forward, reverse, family, protocol
):
    cidr = "0.0.0.0/0" if family == 4 else "::/0"
    spans = untracked_ports(forward, reverse, family, protocol)
    # one reverse rule must allow every port by itself (two halves do not count)
    reverse_all = any(
        e.cidr == cidr
        and (
            e.protocol == "-1"
            or (e.protocol == protocol and (e.from_port, e.to_port) == (0, 65535))
        )
        for e in reverse
    )
    for port in [*range(0, 45), 1000, 65535]:
        expected = (
            protocol in ("tcp", "udp")
            and reverse_all
            and any(_covers(e, protocol, port, cidr) for e in forward)
        )
        assert any(lo <= port <= hi for lo, hi in spans) == expected, (port, spans)
    assert all(a[1] + 1 < b[0] for a, b in zip(spans, spans[1:], strict=False))
