"""The interval view of an ACL agrees with ``first_match`` packet by packet, and answers
set questions (deny before allow, part of the internet) exactly."""

from __future__ import annotations

from ipaddress import ip_address

from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain.interval_sets import cidr_interval, covers, internet_space
from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclEntry,
    RuleAction,
    deny_all_entries,
    entry,
    first_match,
)
from stockade.domain.network_acl_space import (
    acl_slabs,
    addresses_admitted,
    cell_of,
    packet_service,
)

ALLOW, DENY = RuleAction.ALLOW, RuleAction.DENY
# small worlds so that random packets often meet random entries
V4_BLOCKS = [
    "0.0.0.0/0",
    "198.51.100.0/24",
    "198.51.100.0/25",
    "198.51.100.128/26",
    "198.51.100.7/32",
    "203.0.113.0/24",
    "0.0.0.0/1",
    "128.0.0.0/1",
]
V6_BLOCKS = ["::/0", "2001:db8::/32", "2001:db8::/64", "2001:db8::7/128", "2001:db8:1::/48"]
PROTOCOLS = ["-1", "6", "17", "1", "58", "47"]


def _acl(*entries: NetworkAclEntry) -> NetworkAcl:
    return NetworkAcl(
        "acl-1", "vpc-1", "111122223333", "us-east-1", False, (*entries, *deny_all_entries(True))
    )


@st.composite
def acl_entries(draw, family: int) -> NetworkAclEntry:
    protocol = draw(st.sampled_from(PROTOCOLS))
    cidr = draw(st.sampled_from(V4_BLOCKS if family == 4 else V6_BLOCKS))
    ports = icmp = None
    if protocol in ("6", "17"):
        low = draw(st.sampled_from([0, 21, 22, 80, 1024, 32768, 40000, 50000]))
        ports = (low, low + draw(st.sampled_from([0, 1, 100, 30000])))
        ports = (ports[0], min(ports[1], 65535))
    elif protocol in ("1", "58"):
        icmp = (draw(st.sampled_from([-1, 0, 3, 8])), draw(st.sampled_from([-1, 0, 4])))
    return entry(
        draw(st.integers(1, 60)),
        draw(st.booleans()),
        draw(st.sampled_from(["allow", "deny"])),
        protocol,
        *((cidr, None) if family == 4 else (None, cidr)),
        port_range=ports,
        icmp=icmp,
    )


HOSTS = {
    4: ["198.51.100.7", "198.51.100.200", "203.0.113.9", "10.0.0.1", "192.0.2.1"],
    6: ["2001:db8::7", "2001:db8::8", "2001:db8:1::1", "fe80::1"],
}
PORTS = [0, 21, 22, 23, 80, 1024, 32768, 60999, 65535]
ICMPS = [(t, c) for t in (0, 3, 8, 11) for c in (0, 4)]


@st.composite
def acls(draw):
    family = draw(st.sampled_from([4, 6]))
    drawn = draw(st.lists(acl_entries(family), max_size=8))
    unique = {(e.egress, e.rule_number): e for e in drawn}
    return family, _acl(*unique.values())


def packets_of(family: int):
    """Every packet of a small world: each host, protocol, port and ICMP type/code."""
    for address in HOSTS[family]:
        for protocol in (6, 17):
            for port in PORTS:
                yield address, protocol, port, (None, None)
        for protocol in (1, 58):
            for icmp in ICMPS:
                yield address, protocol, None, icmp
        for protocol in (47, 50):
            yield address, protocol, None, (None, None)


@settings(max_examples=150, deadline=None)
@given(acls())
def test_the_cell_holding_a_packet_is_decided_by_first_match(drawn) -> None:
    family, acl = drawn
    for egress in (False, True):
        for address, protocol, port, icmp in packets_of(family):
            expected, allowed = first_match(acl, egress, family, address, protocol, port, icmp)
            service = packet_service(protocol, port, icmp)
            cell = cell_of(acl, egress, family, int(ip_address(address)), protocol, service)
            assert (cell.entry, cell.allowed) == (expected, allowed), (address, protocol, service)


@settings(max_examples=100, deadline=None)
@given(acls())
def test_cells_partition_each_slab(drawn) -> None:
    family, acl = drawn
    for egress in (False, True):
        for slab in acl_slabs(acl, egress, family, 6):
            spans = sorted(c.addresses for c in slab.cells)
            assert spans[0][0] == 0
            assert all(a[1] + 1 == b[0] for a, b in zip(spans, spans[1:], strict=False))


def test_a_deny_before_an_allow_hides_the_allowed_part() -> None:
    acl = _acl(
        entry(90, False, "deny", "6", "0.0.0.0/0", port_range=(22, 22)),
        entry(100, False, "allow", "-1", "0.0.0.0/0"),
    )
    internet = internet_space(4)
    assert addresses_admitted(acl, False, 4, 6, (22, 22)) == []
    assert covers(addresses_admitted(acl, False, 4, 6, (80, 80)), internet)
    assert covers(addresses_admitted(acl, False, 4, 6, (21, 21)), internet)


def test_a_deny_for_part_of_the_internet_leaves_the_rest_admitted() -> None:
    acl = _acl(
        entry(90, False, "deny", "6", "198.51.100.0/24", port_range=(22, 22)),
        entry(100, False, "allow", "6", "0.0.0.0/0", port_range=(0, 65535)),
    )
    admitted = addresses_admitted(acl, False, 4, 6, (22, 22))
    lo, hi = cidr_interval("198.51.100.0/24")
    assert not covers(admitted, internet_space(4))
    assert covers(admitted, [(lo - 1000, lo - 1), (hi + 1, hi + 1000)])
    assert all(end < lo or start > hi for start, end in admitted)


def test_an_allow_after_the_star_is_never_reached_and_ipv6_has_its_own_entries() -> None:
    acl = _acl(entry(100, False, "allow", "-1", "0.0.0.0/0"))
    assert addresses_admitted(acl, False, 6, 6, (22, 22)) == []
    assert covers(addresses_admitted(acl, False, 4, 6, (0, 65535)), internet_space(4))


def test_a_whole_range_is_admitted_only_where_every_port_is() -> None:
    acl = _acl(
        entry(10, True, "deny", "6", "203.0.113.0/24", port_range=(40000, 40000)),
        entry(20, True, "allow", "6", "0.0.0.0/0", port_range=(1024, 65535)),
    )
    admitted = addresses_admitted(acl, True, 4, 6, (32768, 60999))
    lo, hi = cidr_interval("203.0.113.0/24")
    assert all(end < lo or start > hi for start, end in admitted)
    assert covers(admitted, [cidr_interval("198.51.100.0/24")])
