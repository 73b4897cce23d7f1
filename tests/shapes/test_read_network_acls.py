"""Network-ACL shapes read back (writer → reader is the identity, strict and lenient), and
the strict reader locates what is wrong."""

from __future__ import annotations

import json
from ipaddress import IPv4Network, IPv6Network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain.network_acl import (
    NetworkAcl,
    NetworkAclAssociation,
    NetworkAclEntry,
    RuleAction,
    entry,
)
from stockade.shapes import network_acls as write_acls
from stockade.shapes import read_network_acls
from stockade.shapes.fields import ImportProblem, Node, Origin

ORIGIN = Origin("us-east-1", "123456789012")
_hex = st.text("0123456789abcdef", min_size=17, max_size=17)


def _id(prefix: str):
    return _hex.map(lambda h: f"{prefix}-{h}")


v4 = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
    lambda t: str(IPv4Network(t, strict=False))
)
v6 = st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)).map(
    lambda t: str(IPv6Network(t, strict=False))
)


@st.composite
def entries(draw) -> NetworkAclEntry:
    """Entries as the request checks make them (so only the fields AWS keeps), plus the
    ``*`` entries no request can make."""
    if draw(st.integers(0, 5)) == 0:
        star = draw(st.sampled_from([(32767, "0.0.0.0/0"), (32768, "::/0")]))
        return NetworkAclEntry(star[0], draw(st.booleans()), RuleAction.DENY, "-1", star[1])
    six = draw(st.booleans())
    low = draw(st.integers(0, 65535))
    icmp_type = draw(st.integers(-1, 255))
    return entry(
        draw(st.integers(1, 32766)),
        draw(st.booleans()),
        draw(st.sampled_from(["allow", "deny"])),
        draw(st.sampled_from(["-1", "6", "17", "1", "58", "47"])),
        None if six else draw(v4),
        draw(v6) if six else None,
        port_range=(low, draw(st.integers(low, 65535))),
        icmp=(icmp_type, draw(st.integers(-1, 255))),
    )


@st.composite
def network_acls(draw) -> NetworkAcl:
    acl_id = draw(_id("acl"))
    return NetworkAcl(
        network_acl_id=acl_id,
        vpc_id=draw(_id("vpc")),
        owner_id=ORIGIN.account,
        region=ORIGIN.region,
        is_default=draw(st.booleans()),
        entries=tuple(
            draw(st.lists(entries(), max_size=8, unique_by=lambda e: (e.egress, e.rule_number)))
        ),
        associations=tuple(
            NetworkAclAssociation(draw(_id("aclassoc")), subnet)
            for subnet in draw(st.lists(_id("subnet"), max_size=3, unique=True))
        ),
        tags=tuple(
            draw(
                st.lists(
                    st.tuples(st.sampled_from(["Name", "env"]), st.text(max_size=5)),
                    max_size=2,
                    unique_by=lambda kv: kv[0],
                )
            )
        ),
    )


def _node(shape: object, strict: bool) -> Node:
    if strict:
        shape = json.loads(json.dumps(shape))
    return Node(shape, "network-acls.json", "NetworkAcls[0]", strict)


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@settings(max_examples=80, deadline=None)
@given(acl=network_acls())
def test_network_acl_shapes_read_back(strict, acl):
    shape = write_acls.network_acl(acl)
    assert read_network_acls.network_acl(_node(shape, strict), ORIGIN) == acl


def test_what_aws_omits_is_not_written():
    shapes = [
        write_acls.entry(e)
        for e in (
            entry(1, False, "allow", "-1", "0.0.0.0/0", port_range=(1, 2)),
            entry(2, False, "allow", "6", "0.0.0.0/0", port_range=(22, 22), icmp=(3, 4)),
            entry(3, True, "deny", "1", ipv6_cidr_block="::/0", icmp=(3, 4)),
        )
    ]
    assert shapes[0] == {
        "CidrBlock": "0.0.0.0/0",
        "Egress": False,
        "Protocol": "-1",
        "RuleAction": "allow",
        "RuleNumber": 1,
    }
    assert "IcmpTypeCode" not in shapes[1] and shapes[1]["PortRange"] == {"From": 22, "To": 22}
    assert "CidrBlock" not in shapes[2] and "PortRange" not in shapes[2]
    assert shapes[2]["IcmpTypeCode"] == {"Code": 4, "Type": 3}


def _shape(**one) -> dict:
    acl = NetworkAcl("acl-" + "1" * 17, "vpc-" + "1" * 17, ORIGIN.account, ORIGIN.region)
    good = {"CidrBlock": "0.0.0.0/0", "Egress": False, "Protocol": "-1", "RuleAction": "allow"}
    return {**write_acls.network_acl(acl), "Entries": [{**good, "RuleNumber": 1, **one}]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"CidrBlock": "10.0.0.0/33"}, "CidrBlock"),
        ({"CidrBlock": "::/0"}, "CidrBlock"),
        ({"RuleAction": "reject"}, "RuleAction"),
        ({"Protocol": "tcpx"}, "Protocol"),
        ({"RuleNumber": 40000}, "RuleNumber"),
        ({"RuleNumber": "1"}, "RuleNumber"),
        ({"PortRange": {"From": 1}}, "PortRange.To"),
    ],
)
def test_strict_entry_problems_are_located(change, field):
    with pytest.raises(ImportProblem) as info:
        read_network_acls.network_acl(_node(_shape(**change), True), ORIGIN)
    assert info.value.field == f"NetworkAcls[0].Entries[0].{field}"


def test_canonical_cidrs_and_protocols():
    acl = read_network_acls.network_acl(
        _node(_shape(CidrBlock="10.1.2.3/8", Protocol="TCP", PortRange={"From": 1, "To": 2}), True),
        ORIGIN,
    )
    assert (acl.entries[0].cidr, acl.entries[0].protocol) == ("10.0.0.0/8", "6")
