"""Peering shapes read back to the objects written (strict: through JSON text as an import
reads them; lenient: as the remote client does), and the pairs of a group reference across
a peering read back to what the writer was given."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain.group_references import PeeredReference
from stockade.domain.peering import PeeringSide, PeeringStatus, VpcPeeringConnection
from stockade.domain.security_group import Peer, PeerKind, RuleSpec, SecurityGroup
from stockade.domain.security_group import SecurityGroupRule as Rule
from stockade.shapes import groups as write_groups
from stockade.shapes import peering as write_peering
from stockade.shapes import read_groups, read_peering
from stockade.shapes.fields import ImportProblem, Node, Origin

MODES = [True, False]
hexes = st.text("0123456789abcdef", min_size=17, max_size=17)
accounts = st.sampled_from(["111111111111", "222222222222"])
v4 = st.sampled_from(["10.1.0.0/16", "10.2.0.0/16", "172.16.0.0/20", "192.168.0.0/24"])
v6 = st.sampled_from(["2001:db8::/56", "2001:db8:0:100::/56"])
tags = st.lists(
    st.tuples(st.sampled_from(["Name", "env"]), st.text(max_size=5)),
    max_size=2,
    unique_by=lambda kv: kv[0],
).map(tuple)


@st.composite
def sides(draw) -> PeeringSide:
    return PeeringSide(
        vpc_id="vpc-" + draw(hexes),
        owner_id=draw(accounts),
        region=draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        cidr_blocks=tuple(draw(st.lists(v4, max_size=2, unique=True))),
        ipv6_cidr_blocks=tuple(draw(st.lists(v6, max_size=1))),
        allow_dns_resolution_from_remote_vpc=draw(st.booleans()),
    )


@st.composite
def peerings(draw) -> VpcPeeringConnection:
    return VpcPeeringConnection(
        vpc_peering_connection_id="pcx-" + draw(hexes),
        requester=draw(sides()),
        accepter=draw(sides()),
        status=draw(st.sampled_from(list(PeeringStatus))),
        status_message=draw(st.sampled_from(["Active", "Pending Acceptance by 222222222222"])),
        expiration_time=draw(st.sampled_from([None, "2026-12-14T00:00:00.000Z"])),
        tags=draw(tags),
    )


def node(shape: object, strict: bool) -> Node:
    if strict:
        shape = json.loads(json.dumps(shape))
    return Node(shape, "peerings.json", "", strict)


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
@settings(max_examples=60, deadline=None)
@given(p=peerings())
def test_peering_shapes_read_back(strict, p):
    shape = node(write_peering.vpc_peering_connection(p), strict)
    assert read_peering.vpc_peering_connection(shape, Origin("us-east-1", "111111111111")) == p


def test_a_bad_field_is_named():
    good = write_peering.vpc_peering_connection(
        VpcPeeringConnection(
            "pcx-0123456789abcdef0",
            PeeringSide("vpc-0123456789abcdef0", "111111111111", "us-east-1"),
            PeeringSide("vpc-0123456789abcdef1", "222222222222", "us-east-1"),
            PeeringStatus.ACTIVE,
            "Active",
        )
    )
    origin = Origin("us-east-1", "111111111111")
    for path, value, field in (
        (("Status", "Code"), "sleeping", "Status.Code"),
        (("AccepterVpcInfo", "OwnerId"), "bob", "AccepterVpcInfo.OwnerId"),
        (("RequesterVpcInfo", "VpcId"), "vpc-x", "RequesterVpcInfo.VpcId"),
    ):
        bad = json.loads(json.dumps(good))
        bad[path[0]][path[1]] = value
        with pytest.raises(ImportProblem) as info:
            read_peering.vpc_peering_connection(Node(bad, "p.json", "", True), origin)
        assert info.value.field == field


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
def test_pairs_across_a_peering_read_back(strict):
    group = SecurityGroup(
        "sg-0123456789abcdef0", "db", "db", "vpc-0123456789abcdef0", "222222222222", "us-east-1"
    )
    live = PeeredReference(
        "sg-0123456789abcdef1",
        "vpc-0123456789abcdef1",
        "pcx-0123456789abcdef0",
        "active",
        "app",
        "111111111111",
    )
    gone = PeeredReference("sg-0123456789abcdef2", None, None, None)
    rules = [
        Rule(
            f"sgr-0123456789abcdef{i}",
            group.group_id,
            group.owner_id,
            RuleSpec(False, "tcp", 5432, 5432, Peer(PeerKind.GROUP, ref.group_id, owner)),
        )
        for i, (ref, owner) in enumerate(((live, "111111111111"), (gone, "333333333333")))
    ]
    shape = write_groups.security_group(group, rules, [live, gone])
    pairs = [p for perm in shape["IpPermissions"] for p in perm["UserIdGroupPairs"]]
    assert "GroupName" not in pairs[1] and pairs[1]["UserId"] == "333333333333"  # as stored
    assert read_groups.peered_references(node(shape, strict)) == (live,)
    stale = write_groups.stale_security_group(group, rules[:1], [live])
    keys = ("StaleIpPermissions", "StaleIpPermissionsEgress")
    assert read_groups.peered_references(node(stale, strict), keys) == (live,)
