"""Network ACL chains without a kernel: the emitted rules decide as the domain's
``first_match`` does, crossing by crossing, and an ACL change is a delta the in-memory
table accepts and that ends in the table a full rewrite gives (no root)."""

from __future__ import annotations

import dataclasses

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from stockade.dataplane.compile import compile_vpc
from stockade.dataplane.delta import delta_steps, delta_transactions
from stockade.dataplane.evaluate import Packet, crosses_acls, evaluate, table_of
from stockade.dataplane.names import IGW_LINK, World
from stockade.dataplane.plan import plan_world
from stockade.domain.network_acl import first_match

from .acls import network_acl, rule, with_acls
from .routed import Routed

HOST4, HOST6 = "203.0.113.10", "2001:db8:ff00::10"
CIDRS = {
    4: ["0.0.0.0/0", "10.0.1.0/24", "10.0.1.10/32", "10.0.2.0/24", "203.0.113.0/24"],
    6: ["::/0", "2001:db8:0:1::/64", "2001:db8:0:2::10/128", "2001:db8:ff00::/48"],
}
PORTS = [0, 22, 80, 443, 1024, 32768, 60999, 65535]
ICMP = [(-1, -1), (0, 0), (3, -1), (3, 4), (8, 0), (128, -1), (129, 0)]


def _world() -> tuple[Routed, dict[str, str]]:
    """Instance ``a`` in subnet A, ``b`` in subnet B, both dual-stack with public IPs;
    groups open both ways, so only the ACLs decide."""
    w = Routed()
    ids: dict[str, str] = {}
    vpc = ids["vpc"] = w.vpc("10.0.0.0/16", "2001:db8::/56")
    group = w.group(vpc, "open")
    for peer in ("0.0.0.0/0", "::/0"):
        w.rule(group, "in", "-1", None, None, peer)
    w.rule(group, "out", "-1", None, None, "::/0")
    ids["A"] = w.subnet(vpc, "10.0.1.0/24", "2001:db8:0:1::/64")
    ids["a"] = w.instance(vpc, [group], "10.0.1.10", "198.51.100.20", ["2001:db8:0:1::10"])
    ids["B"] = w.subnet(vpc, "10.0.2.0/24", "2001:db8:0:2::/64")
    ids["b"] = w.instance(vpc, [group], "10.0.2.10", "198.51.100.21", ["2001:db8:0:2::10"])
    w.table(vpc, {"0.0.0.0/0": w.igw(vpc), "::/0": w.igw(vpc)}, main=True)
    return w, ids


@st.composite
def entries(draw, egress: bool):
    out_ = []
    numbers = draw(st.lists(st.integers(1, 300), max_size=6, unique=True))
    for number in numbers:
        family = draw(st.sampled_from([4, 6]))
        protocol = draw(st.sampled_from(["-1", "6", "17", "1", "58", "47"]))
        ports = icmp = None
        if protocol in ("6", "17"):
            ports = tuple(sorted(draw(st.lists(st.sampled_from(PORTS), min_size=2, max_size=2))))
        elif protocol == "1" or (protocol == "58" and family == 6):
            icmp = draw(st.sampled_from(ICMP))
        action = draw(st.sampled_from(["allow", "allow", "deny"]))
        cidr = draw(st.sampled_from(CIDRS[family]))
        out_.append(rule(number, action, protocol, cidr, ports, icmp, egress))
    return out_


@st.composite
def packets(draw):
    family = draw(st.sampled_from([4, 6]))
    proto = draw(st.sampled_from([6, 17, 1, 58, 47]))
    if proto in (6, 17):
        service = draw(st.sampled_from([22, 80, 443, 1023, 33000, 65535]))
    elif proto in (1, 58):
        icmp_type, code = draw(st.sampled_from([(0, 0), (3, 4), (8, 0), (128, 0), (129, 0)]))
        service = icmp_type << 8 | code
    else:
        service = 0
    where = draw(st.sampled_from(["a->b", "b->a", "a->internet", "internet->b"]))
    return family, proto, service, where


def _verdict(acl, egress: bool, family: int, address: str, proto: int, service: int) -> bool:
    ported, icmp = proto in (6, 17), proto in (1, 58)
    return first_match(
        acl,
        egress,
        family,
        address,
        proto,
        service if ported else None,
        (service >> 8, service & 0xFF) if icmp else (None, None),
    )[1]


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(entries(False), entries(True), entries(False), entries(True), packets())
def test_the_emitted_acl_rules_decide_as_first_match(a_in, a_out, b_in, b_out, packet):
    w, ids = _world()
    acl_a = network_acl(ids["vpc"], [ids["A"]], *a_in, *a_out)
    acl_b = network_acl(ids["vpc"], [ids["B"]], *b_in, *b_out)
    snapshot = with_acls(w.snapshot(), acl_a, acl_b)
    (plan,) = plan_world(snapshot).values()
    table = table_of(compile_vpc(snapshot, plan))
    family, proto, service, where = packet
    a, b = (World.port(w.eni_of(ids[x])) for x in ("a", "b"))
    addr = {
        "a": "10.0.1.10" if family == 4 else "2001:db8:0:1::10",
        "b": "10.0.2.10" if family == 4 else "2001:db8:0:2::10",
        "internet": HOST4 if family == 4 else HOST6,
    }
    src, dst = where.split("->")
    links = {"a": a, "b": b, "internet": IGW_LINK}
    expected = True
    if src != "internet":  # leaving its subnet: egress on the destination
        acl = acl_a if src == "a" else acl_b
        expected &= _verdict(acl, True, family, addr[dst], proto, service)
    if dst != "internet":  # entering: ingress on the source
        acl = acl_a if dst == "a" else acl_b
        expected &= _verdict(acl, False, family, addr[src], proto, service)
    seen = Packet(links[src], links[dst], addr[src], addr[dst], proto, service)
    assert crosses_acls(table, seen) is expected
    assert crosses_acls(table, seen, reply=True) is expected  # stateless: no ct shortcut
    assert evaluate(table, seen).accepted is expected  # the groups allow everything


def test_traffic_within_a_subnet_never_reaches_its_acl():
    w, ids = _world()
    w.into(ids["A"])
    other = w.instance(ids["vpc"], [w.groups[0].group_id], "10.0.1.11")
    closed = network_acl(ids["vpc"], [ids["A"]])  # the "*" entries alone
    snapshot = with_acls(w.snapshot(), closed)
    (plan,) = plan_world(snapshot).values()
    table = table_of(compile_vpc(snapshot, plan))
    a, a2, b = (World.port(w.eni_of(x)) for x in (ids["a"], other, ids["b"]))
    assert crosses_acls(table, Packet(a, a2, "10.0.1.10", "10.0.1.11", 6, 22))
    assert not crosses_acls(table, Packet(a, b, "10.0.1.10", "10.0.2.10", 6, 22))
    assert not crosses_acls(table, Packet(b, a2, "10.0.2.10", "10.0.1.11", 6, 22))


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(entries(False), entries(True), entries(False), entries(True), st.booleans())
def test_an_acl_change_is_a_delta_that_ends_in_the_full_table(in1, out1, in2, out2, move):
    w, ids = _world()
    before_acl = network_acl(ids["vpc"], [ids["B"]], *in1, *out1)
    after_acl = dataclasses.replace(before_acl, entries=network_acl("", [], *in2, *out2).entries)
    before = with_acls(w.snapshot(), before_acl)
    # ... or the other subnet joins the ACL (an association moved)
    if move:
        after_acl = dataclasses.replace(
            after_acl,
            associations=(*after_acl.associations, *network_acl("", [ids["A"]]).associations),
        )
    after = with_acls(w.snapshot(), after_acl)
    old, new = (compile_vpc(s, next(iter(plan_world(s).values()))) for s in (before, after))
    table, target = table_of(old), table_of(new)
    for step in delta_transactions(old, new):
        table.apply(step)  # raises what the kernel would refuse
    assert table == target
    steps = delta_steps(old, new)
    gone = {c.name for c in old.acls.chains} - {c.name for c in new.acls.chains}
    added = {c.name for c in new.acls.chains} - {c.name for c in old.acls.chains}
    if gone and added:  # new chains and the switch to them in force, then the old retire
        assert len(steps) == 2
        assert {c.split()[-1] for c in steps[1].splitlines()} == gone
        assert not [c for c in steps[0].splitlines() if c.startswith("delete chain")]
    elif gone:  # nothing new to switch to: the dispatch and the retirement in one step
        assert len(steps) == 1
        deleted = {c.split()[-1] for c in steps[0].splitlines() if c.startswith("delete chain")}
        assert deleted == gone
    if old.acls == new.acls:
        assert steps == []
