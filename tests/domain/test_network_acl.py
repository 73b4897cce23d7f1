"""Network ACL entries, evaluation (first match by rule number) and the snapshot's view."""

from __future__ import annotations

from ipaddress import ip_address, ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain.errors import AwsError
from stockade.domain.network import Subnet, Vpc
from stockade.domain.network_acl import (
    DEFAULT_DENY_V4,
    DEFAULT_DENY_V6,
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    RuleAction,
    default_entries,
    deny_all_entries,
    entry,
    entry_count,
    first_match,
    with_ipv6,
)
from stockade.domain.state import Snapshot

ALLOW, DENY = RuleAction.ALLOW, RuleAction.DENY


def acl(*entries: NetworkAclEntry, ipv6: bool = False) -> NetworkAcl:
    return NetworkAcl(
        "acl-1", "vpc-1", "111122223333", "us-east-1", entries=(*entries, *deny_all_entries(ipv6))
    )


# -- evaluation ---------------------------------------------------------------------------------


def test_lowest_rule_number_wins_whatever_the_order_given():
    deny_ssh = entry(90, False, "deny", "6", "203.0.113.0/24", port_range=(22, 22))
    allow_all = entry(100, False, "allow", "-1", "0.0.0.0/0")
    for order in ((deny_ssh, allow_all), (allow_all, deny_ssh)):
        a = acl(*order)
        assert first_match(a, False, 4, "203.0.113.9", 6, 22) == (deny_ssh, False)
        assert first_match(a, False, 4, "203.0.113.9", 6, 80) == (allow_all, True)
        assert first_match(a, False, 4, "198.51.100.1", 6, 22) == (allow_all, True)


def test_nothing_matches_means_the_star_deny():
    a = acl(entry(100, False, "allow", "6", "10.0.0.0/8", port_range=(443, 443)))
    matched, allowed = first_match(a, False, 4, "192.0.2.1", 6, 443)
    assert not allowed and matched is not None and matched.rule_number == DEFAULT_DENY_V4
    # the direction matters: there is no egress allow at all
    matched, allowed = first_match(a, True, 4, "10.1.2.3", 6, 443)
    assert (matched.rule_number, allowed) == (DEFAULT_DENY_V4, False)  # type: ignore[union-attr]


def test_ingress_matches_the_source_and_egress_the_destination():
    # the caller passes the peer address: the source of an inbound packet, the destination
    # of an outbound one; an entry's CIDR is tested on that address only
    a = acl(
        entry(10, False, "allow", "-1", "192.0.2.0/24"),
        entry(10, True, "allow", "-1", "198.51.100.0/24"),
    )
    assert first_match(a, False, 4, "192.0.2.7", 17, 53)[1]
    assert not first_match(a, False, 4, "198.51.100.7", 17, 53)[1]
    assert first_match(a, True, 4, "198.51.100.7", 17, 53)[1]
    assert not first_match(a, True, 4, "192.0.2.7", 17, 53)[1]


def test_ipv4_entries_never_see_ipv6_packets():
    a = acl(entry(1, False, "allow", "-1", "0.0.0.0/0"), ipv6=True)
    matched, allowed = first_match(a, False, 6, "2001:db8::1", 6, 22)
    assert (matched.rule_number, allowed) == (DEFAULT_DENY_V6, False)  # type: ignore[union-attr]
    # without a 32768 entry nothing matches an IPv6 packet: still denied
    assert first_match(acl(), False, 6, "2001:db8::1", 6, 22) == (None, False)
    with pytest.raises(ValueError):
        first_match(a, False, 4, "2001:db8::1", 6, 22)


def test_other_protocols_ignore_ports_and_icmp_needs_type_and_code():
    gre = entry(5, False, "allow", "47", "0.0.0.0/0", port_range=(1, 2))
    assert gre.port_range is None  # ports mean nothing for protocol 47: dropped
    assert first_match(acl(gre), False, 4, "192.0.2.1", 47)[1]
    assert not first_match(acl(gre), False, 4, "192.0.2.1", 6, 1)[1]
    unreachable = entry(5, False, "allow", "1", "0.0.0.0/0", icmp=(3, 4))
    a = acl(unreachable)
    assert first_match(a, False, 4, "192.0.2.1", 1, icmp=(3, 4))[1]
    assert not first_match(a, False, 4, "192.0.2.1", 1, icmp=(3, 1))[1]
    assert not first_match(a, False, 4, "192.0.2.1", 1, icmp=(8, 0))[1]
    any_code = acl(entry(5, False, "allow", "1", "0.0.0.0/0", icmp=(3, -1)))
    assert first_match(any_code, False, 4, "192.0.2.1", 1, icmp=(3, 1))[1]
    any_type = acl(entry(5, False, "allow", "1", "0.0.0.0/0", icmp=(-1, -1)))
    assert first_match(any_type, False, 4, "192.0.2.1", 1, icmp=(0, 0))[1]


def test_icmpv6_with_an_ipv4_cidr_matches_all_types_with_ipv6_it_needs_them():
    v4 = entry(5, False, "allow", "58", "0.0.0.0/0")
    assert (v4.icmp_type, v4.port_range) == (None, None)
    v6 = entry(5, False, "allow", "58", ipv6_cidr_block="2001:db8::/32", icmp=(128, 0))
    assert (v6.icmp_type, v6.icmp_code) == (128, 0)
    with pytest.raises(AwsError) as e:
        entry(5, False, "allow", "58", ipv6_cidr_block="2001:db8::/32")
    assert e.value.code == "MissingParameter"
    a = acl(v6, ipv6=True)
    assert first_match(a, False, 6, "2001:db8::5", 58, icmp=(128, 0))[1]
    assert not first_match(a, False, 6, "2001:db8::5", 58, icmp=(135, 0))[1]


# -- property: first_match is the brute-force reading of the rules ----------------------------

_cidrs = st.sampled_from(["0.0.0.0/0", "10.0.0.0/8", "10.1.0.0/16", "192.0.2.0/24", "10.1.2.3/32"])
_protocols = st.sampled_from(["-1", "6", "17", "1", "47"])


@st.composite
def _entries(draw: st.DrawFn) -> NetworkAclEntry:
    protocol = draw(_protocols)
    low = draw(st.integers(0, 100))
    return entry(
        draw(st.integers(1, 200)),
        draw(st.booleans()),
        draw(st.sampled_from(["allow", "deny"])),
        protocol,
        draw(_cidrs),
        port_range=(low, low + draw(st.integers(0, 50))),
        icmp=(draw(st.sampled_from([-1, 0, 3, 8])), draw(st.sampled_from([-1, 0, 1]))),
    )


def _brute_force(entries, egress, address, protocol, port, icmp):
    """AWS's reading, literally: sort this direction's IPv4 rules by number, take the first
    whose CIDR, protocol and port (or ICMP type/code) all hold; nothing holds → deny."""
    for e in sorted((e for e in entries if e.egress == egress), key=lambda e: e.rule_number):
        if ip_address(address) not in ip_network(e.cidr):
            continue
        if e.protocol != "-1":
            if int(e.protocol) != protocol:
                continue
            if e.protocol in ("6", "17") and not e.port_range[0] <= port <= e.port_range[1]:
                continue
            if e.protocol == "1":
                if e.icmp_type != -1 and e.icmp_type != icmp[0]:
                    continue
                if e.icmp_type != -1 and e.icmp_code != -1 and e.icmp_code != icmp[1]:
                    continue
        return e.rule_number, e.action is ALLOW
    return None, False


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(_entries(), max_size=12, unique_by=lambda e: (e.egress, e.rule_number)),
    egress=st.booleans(),
    address=st.sampled_from(["10.1.2.3", "10.1.9.9", "10.200.0.1", "192.0.2.77", "203.0.113.1"]),
    protocol=st.sampled_from([6, 17, 1, 47]),
    port=st.integers(0, 160),
    icmp=st.tuples(st.sampled_from([0, 3, 8]), st.sampled_from([0, 1])),
)
def test_first_match_is_the_brute_force_reading(entries, egress, address, protocol, port, icmp):
    a = NetworkAcl("acl-1", "vpc-1", "1", "r", entries=tuple(entries))
    matched, allowed = first_match(a, egress, 4, address, protocol, port, icmp)
    expected = _brute_force(entries, egress, address, protocol, port, icmp)
    assert (None if matched is None else matched.rule_number, allowed) == expected
    # with the * deny added the verdict is the same, and something always matches
    full = NetworkAcl("acl-1", "vpc-1", "1", "r", entries=(*entries, *deny_all_entries(False)))
    matched, allowed_full = first_match(full, egress, 4, address, protocol, port, icmp)
    assert matched is not None and allowed_full == allowed


# -- entries as requests give them ----------------------------------------------------------------


def test_entry_canonicalises_cidr_and_protocol_names():
    e = entry(7, True, "allow", "TCP", "10.0.0.5/16", port_range=(80, 443), icmp=(3, 4))
    assert (e.cidr, e.protocol, e.port_range, e.icmp_type) == ("10.0.0.0/16", "6", (80, 443), None)
    assert entry(7, True, "deny", "all", ipv6_cidr_block="2001:DB8:0::/32").cidr == "2001:db8::/32"
    assert entry(7, True, "deny", -1, "0.0.0.0/0").protocol == "-1"


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"rule_number": 0}, "InvalidParameterValue"),
        ({"rule_number": 32767}, "InvalidParameterValue"),
        ({"rule_number": None}, "MissingParameter"),
        ({"action": "reject"}, "InvalidParameterValue"),
        ({"protocol": "256"}, "InvalidParameterValue"),
        ({"protocol": "bogus"}, "InvalidParameterValue"),
        ({"cidr_block": None}, "MissingParameter"),
        ({"ipv6_cidr_block": "::/0"}, "InvalidParameterCombination"),
        ({"cidr_block": "10.0.0.0"}, "InvalidParameterValue"),
        ({"cidr_block": "2001:db8::/32"}, "InvalidParameterValue"),
        ({"port_range": None}, "MissingParameter"),
        ({"port_range": (10, 5)}, "InvalidParameterValue"),
        ({"port_range": (0, 65536)}, "InvalidParameterValue"),
        ({"protocol": "1", "icmp": None}, "MissingParameter"),
        ({"protocol": "1", "icmp": (256, 0)}, "InvalidParameterValue"),
    ],
)
def test_entry_rejects_with_aws_codes(kwargs, code):
    given = {
        "rule_number": 10,
        "egress": False,
        "action": "allow",
        "protocol": "6",
        "cidr_block": "10.0.0.0/8",
        "port_range": (22, 22),
    } | kwargs
    with pytest.raises(AwsError) as e:
        entry(**given)
    assert e.value.code == code


def test_default_entries_and_quota_counting():
    four = default_entries(False)
    assert {(e.rule_number, e.egress, e.action, e.cidr) for e in four} == {
        (100, False, ALLOW, "0.0.0.0/0"),
        (100, True, ALLOW, "0.0.0.0/0"),
        (32767, False, DENY, "0.0.0.0/0"),
        (32767, True, DENY, "0.0.0.0/0"),
    }
    six = default_entries(True)
    assert {(e.rule_number, e.egress) for e in six} - {(e.rule_number, e.egress) for e in four} == {
        (101, False),
        (101, True),
        (32768, False),
        (32768, True),
    }
    # the * deny counts toward the 20 of each direction and family
    assert entry_count(four, False, 4) == 2 and entry_count(four, False, 6) == 1


def test_an_ipv6_block_adds_101_only_where_the_default_acl_was_never_changed():
    default = NetworkAcl(
        "acl-1", "vpc-1", "1", "r", is_default=True, entries=default_entries(False)
    )
    changed_egress = NetworkAcl(
        "acl-1",
        "vpc-1",
        "1",
        "r",
        is_default=True,
        entries=(*default_entries(False), entry(5, True, "deny", "-1", "192.0.2.0/24")),
    )
    assert {(e.rule_number, e.egress) for e in with_ipv6(default).entries} >= {
        (101, False),
        (101, True),
        (32768, False),
        (32768, True),
    }
    numbers = {(e.rule_number, e.egress) for e in with_ipv6(changed_egress).entries}
    assert (101, False) in numbers and (101, True) not in numbers and (32768, True) in numbers
    custom = NetworkAcl("acl-2", "vpc-1", "1", "r", entries=deny_all_entries(False))
    assert {e.rule_number for e in with_ipv6(custom).entries} == {32767, 32768}


# -- the snapshot: one ACL per subnet ------------------------------------------------------------


def _vpc(vpc_id: str, ipv6: str | None = None) -> Vpc:
    return Vpc(vpc_id, "111122223333", "us-east-1", "10.0.0.0/16", ipv6_cidr_block=ipv6)


def _subnet(subnet_id: str, vpc_id: str, cidr: str) -> Subnet:
    return Subnet(subnet_id, vpc_id, "111122223333", "us-east-1", cidr, "us-east-1a", "use1-az1")


def test_every_subnet_has_exactly_one_acl():
    default = NetworkAcl(
        "acl-d", "vpc-1", "111122223333", "us-east-1", True, default_entries(False)
    )
    custom = NetworkAcl(
        "acl-c",
        "vpc-1",
        "111122223333",
        "us-east-1",
        entries=deny_all_entries(False),
        associations=(NetworkAclAssociation("aclassoc-1", "subnet-b"),),
    )
    snap = Snapshot(
        vpcs=(_vpc("vpc-1"), _vpc("vpc-2", "2001:db8::/56")),
        subnets=(
            _subnet("subnet-a", "vpc-1", "10.0.1.0/24"),
            _subnet("subnet-b", "vpc-1", "10.0.2.0/24"),
            _subnet("subnet-c", "vpc-2", "10.0.3.0/24"),
        ),
        network_acls=(default, custom),
    )
    by_subnet = snap.network_acl_by_subnet
    assert by_subnet["subnet-a"] is default and by_subnet["subnet-b"] is custom
    implied = by_subnet["subnet-c"]  # no ACL for vpc-2 in this state: allow everything
    assert implied.network_acl_id == "" and implied.is_default and implied.vpc_id == "vpc-2"
    assert first_match(implied, False, 4, "192.0.2.1", 6, 22)[1]
    assert first_match(implied, True, 6, "2001:db8::9", 17, 53)[1]
    assert snap.network_acl_by_id["acl-c"] is custom
    merged = Snapshot(vpcs=(_vpc("vpc-3"),)).merged(snap)
    assert {a.network_acl_id for a in merged.network_acls} == {"acl-d", "acl-c"}
