"""``decide_many`` with the client's source port: a network ACL judges a TCP/UDP reply by
its destination port, the client's — one port when the flow names it, the whole ephemeral
range when not — and a NAT gateway's port range past the gateway whatever the client
picked. The bulk verdicts, reasons and deciding entries equal ``decide``'s flow by flow."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.policy.bulk import FlowBatch, decide_many
from stockade.policy.decide import decide
from stockade.policy.flow import EPHEMERAL_PORTS, NAT_GATEWAY_PORTS, Flow
from stockade.policy.reasons import Reason

from .conftest import World
from .strategies import flows, worlds
from .test_acl_decide import ALL_IN, ALL_OUT, INTERNET, nat_world, two_subnets
from .test_bulk import assert_agree
from .test_nat_translation import nat_world as open_nat_world

#: client ports at and around the bounds of the entries drawn below
SOURCE_PORTS = [0, 22, 1023, 1024, 32767, 32768, 39999, 40000, 40005, 40011, 60999, 61000, 65535]
#: slices of the client (and NAT) port ranges an entry allows or denies
SLICES = [(40000, 40010), (32768, 40004), (1024, 32767), (60999, 65535), (0, 1023), (40005, 40005)]
CIDRS = ["0.0.0.0/0", "10.0.0.0/16", "10.0.1.0/24", "203.0.113.0/24", "198.51.100.0/24", "::/0"]


@st.composite
def client_port_acls(draw, w: World) -> None:
    """On most subnets without one an ACL that lets everything through but slices of the
    port ranges a reply goes to (denied, or allowed before a deny of the rest), so the
    client's port decides many replies."""
    taken = {s for a in w.network_acls for s in a.subnet_ids}
    for subnet in [s for s in w.subnets if s.subnet_id not in taken]:
        if not draw(st.integers(0, 4)):
            continue
        entries = []
        for number in draw(st.lists(st.integers(1, 90), min_size=1, max_size=5, unique=True)):
            protocol = draw(st.sampled_from(["tcp", "udp"]))
            action = draw(st.sampled_from(["allow", "deny", "deny"]))
            way = draw(st.sampled_from(["in", "out"]))
            cidr = draw(st.sampled_from(CIDRS))
            entries.append((number, way, action, protocol, cidr, draw(st.sampled_from(SLICES))))
        for way in ("in", "out"):
            entries.append((100, way, "allow", "-1", "0.0.0.0/0"))
            entries.append((101, way, "allow", "-1", "::/0"))
        w.acl(subnet.vpc_id, [subnet.subnet_id], entries)


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(st.data(), st.booleans(), st.booleans())
def test_flows_with_a_source_port_agree_with_decide(data, routes, internal):
    w = data.draw(worlds(routes=routes, acls=data.draw(st.booleans())))
    data.draw(client_port_acls(w))
    snapshot = w.snapshot()
    drawn = data.draw(
        st.lists(
            flows(snapshot, ids_allowed=False, all_traffic=False, internal=internal),
            min_size=1,
            max_size=20,
        )
    )
    chosen = []
    for flow in drawn:  # most TCP/UDP flows name their port; some leave it to the range
        if flow.protocol in ("tcp", "udp") and data.draw(st.integers(0, 3)):
            port = data.draw(st.sampled_from(SOURCE_PORTS))
            flow = Flow(flow.source, flow.destination, flow.protocol, flow.port, source_port=port)
        chosen.append(flow)
    batch = FlowBatch.from_flows(chosen)
    assert [batch.flow(i).source_port for i in range(len(batch))] == [f.source_port for f in chosen]
    result = decide_many(snapshot, batch, chunk=data.draw(st.sampled_from([1, 4, 4096])))
    assert_agree(snapshot, batch, result, chosen)


def _nat_and_public() -> tuple[World, list[str]]:
    """``test_nat_translation``'s world (a public subnet with an instance and the NAT
    gateway, a private one routing the internet to it; open groups, so the ACLs decide)
    and the flows' ends."""
    w = World()
    open_nat_world(w)
    return w, ["10.0.0.20", "198.51.100.20", "10.0.1.10", INTERNET, "198.51.100.7"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.data())
def test_through_a_nat_gateway_and_the_internet_with_sliced_acls(data):
    """Every path an ACL's port slices can meet — between subnets, to and from the
    internet, through the NAT gateway — with a slice ACL on both subnets."""
    w, ends = _nat_and_public()
    while len(w.network_acls) < 2:
        data.draw(client_port_acls(w))
    snapshot = w.snapshot()
    chosen = []
    for _ in range(data.draw(st.integers(1, 24))):
        src, dst = data.draw(st.lists(st.sampled_from(ends), min_size=2, max_size=2, unique=True))
        protocol = data.draw(st.sampled_from(["tcp", "udp"]))
        port = data.draw(st.sampled_from([None, *SOURCE_PORTS]))
        chosen.append(Flow(src, dst, protocol, 443, source_port=port))
    batch = FlowBatch.from_flows(chosen)
    result = decide_many(snapshot, batch, chunk=data.draw(st.sampled_from([1, 4, 4096])))
    assert_agree(snapshot, batch, result, chosen)


def test_the_reply_is_judged_on_the_clients_port(world: World) -> None:
    """#50 denies part of the ephemeral range back into b's subnet's neighbour: the whole
    range is denied, a port outside the hole allowed, one inside it denied."""
    entries = (
        ALL_IN,
        (50, "out", "deny", "tcp", "10.0.1.0/24", (33000, 33010)),
        (100, "out", "allow", "tcp", "10.0.1.0/24", (1024, 65535)),
    )
    _, _, (a, _), (b, _), _ = two_subnets(world, acl_b=entries)
    snapshot = world.snapshot()
    chosen = [
        Flow("10.0.1.10", "10.0.2.10", "tcp", 22),
        Flow("10.0.1.10", "10.0.2.10", "tcp", 22, source_port=40000),
        Flow("10.0.1.10", "10.0.2.10", "tcp", 22, source_port=33005),
        Flow("10.0.1.10", "10.0.2.10", "udp", 53, source_port=33010),
        Flow("10.0.1.10", "10.0.2.10", "udp", 53, source_port=1023),  # below #100's range
        Flow("10.0.1.10", "10.0.2.10", "icmp", icmp_type=8),  # b answers no ICMP
    ]
    result = decide_many(snapshot, FlowBatch.from_flows(chosen))
    assert result.allowed.tolist() == [False, True, False, False, False, False]
    assert result.reason(0) == Reason.ACL_REPLY_DENIED
    assert_agree(snapshot, FlowBatch.from_flows(chosen), result, chosen)


def test_past_a_nat_gateway_the_reply_is_to_the_gateways_ports(world: World) -> None:
    """The client's port decides the reply's last hop (NAT subnet → client subnet) only;
    between the internet and the NAT gateway the reply goes to the gateway's ports."""
    public_entries = (
        (100, "in", "allow", "-1", "10.0.1.0/24"),
        (110, "in", "allow", "tcp", "0.0.0.0/0", NAT_GATEWAY_PORTS),
        (90, "out", "deny", "tcp", "10.0.1.0/24", (40000, 40000)),  # the client's port 40000
        ALL_OUT,
    )
    nat_world(world, public_entries)
    snapshot = world.snapshot()
    chosen = [
        Flow("10.0.1.10", INTERNET, "tcp", 443, source_port=40001),
        Flow("10.0.1.10", INTERNET, "tcp", 443, source_port=40000),
        Flow("10.0.1.10", INTERNET, "tcp", 443),  # the whole range: 40000 is in it
        # 1024 is outside the client range but inside the NAT's: only the NAT hop sees it
        Flow("10.0.1.10", INTERNET, "tcp", 443, source_port=1024),
    ]
    batch = FlowBatch.from_flows(chosen)
    result = decide_many(snapshot, batch)
    assert result.allowed.tolist() == [True, False, False, True]
    assert result.reason(1) == Reason.ACL_REPLY_DENIED
    assert_agree(snapshot, batch, result, chosen)


def test_columns_take_a_source_port_and_minus_one_means_the_range(world: World) -> None:
    entries = (ALL_IN, (100, "out", "allow", "tcp", "10.0.1.0/24", EPHEMERAL_PORTS))
    two_subnets(world, acl_b=entries)
    snapshot = world.snapshot()
    src = np.full(3, int.from_bytes(bytes([10, 0, 1, 10]), "big"), np.uint32)
    dst = np.full(3, int.from_bytes(bytes([10, 0, 2, 10]), "big"), np.uint32)
    batch = FlowBatch.ipv4(src, dst, 6, 22, source_port=[-1, 50000, 1024])
    assert batch.flow(0).source_port is None and batch.flow(1).source_port == 50000
    assert decide_many(snapshot, batch).allowed.tolist() == [True, True, False]
    scalar = FlowBatch.ipv4(src, dst, 6, 22, source_port=1024)
    assert not decide_many(snapshot, scalar).allowed.any()
    assert decide(snapshot, scalar.flow(2)).reasons == Reason.ACL_REPLY_DENIED
