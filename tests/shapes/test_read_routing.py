"""Route-table shapes read back (writer → reader is the identity, strict and lenient), and
the strict reader locates what is wrong."""

from __future__ import annotations

import json
from ipaddress import ip_network

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stockade.domain import ids
from stockade.domain.routing import (
    LOCAL,
    Route,
    RouteOrigin,
    RouteState,
    RouteTable,
    RouteTableAssociation,
)
from stockade.shapes import read_routing
from stockade.shapes import routing as write_routing
from stockade.shapes.fields import ImportProblem, Node, Origin

ORIGIN = Origin("us-east-1", "123456789012")
_hex = st.text("0123456789abcdef", min_size=17, max_size=17)


def _id(prefix: str):
    return _hex.map(lambda h: f"{prefix}-{h}")


v4 = st.tuples(st.integers(0, 2**32 - 1), st.integers(0, 32)).map(
    lambda t: str(ip_network((t[0], t[1]), strict=False))
)
v6 = st.tuples(st.integers(0, 2**128 - 1), st.integers(0, 128)).map(
    lambda t: str(ip_network((t[0], t[1]), strict=False))
)
destinations = st.one_of(v4, v6, _id("pl"))
targets = st.one_of(
    st.just(LOCAL),
    *(_id(p) for p in ("igw", "vgw", "nat", "eni", "eigw", "pcx", "tgw")),
)


@st.composite
def routes(draw):
    destination = draw(destinations)
    target = draw(targets)
    instance_id = draw(st.one_of(st.none(), _id("i"))) if target.startswith("eni-") else None
    origin = draw(st.sampled_from(list(RouteOrigin)))
    return Route(destination, target, origin, instance_id)


@st.composite
def route_tables(draw):
    main = draw(st.booleans())
    associations = [RouteTableAssociation(draw(_id("rtbassoc")), main=True)] if main else []
    for subnet in draw(st.lists(_id("subnet"), max_size=3, unique=True)):
        associations.append(RouteTableAssociation(draw(_id("rtbassoc")), subnet_id=subnet))
    return RouteTable(
        route_table_id=draw(_id("rtb")),
        vpc_id=draw(_id("vpc")),
        owner_id=ORIGIN.account,
        region=ORIGIN.region,
        routes=tuple(draw(st.lists(routes(), max_size=6, unique_by=lambda r: r.destination))),
        associations=tuple(associations),
        propagating_vgws=tuple(draw(st.lists(_id("vgw"), max_size=2, unique=True))),
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
    return Node(shape, "route-tables.json", "RouteTables[0]", strict)


@pytest.mark.parametrize("strict", [True, False], ids=["strict", "lenient"])
@settings(max_examples=60, deadline=None)
@given(table=route_tables(), data=st.data())
def test_route_table_shapes_read_back(strict, table, data):
    states = tuple(data.draw(st.sampled_from(list(RouteState))) for _ in table.routes)
    shape = write_routing.route_table(table, states)
    node = _node(shape, strict)
    assert read_routing.route_table(node, ORIGIN) == table
    assert read_routing.route_states(node) == states


def _shape(**route) -> dict:
    table = RouteTable("rtb-" + "1" * 17, "vpc-" + "1" * 17, ORIGIN.account, ORIGIN.region)
    return {**write_routing.route_table(table, ()), "Routes": [route]}


@pytest.mark.parametrize(
    "route, field",
    [
        ({"DestinationCidrBlock": "10.0.0.0/33", "GatewayId": "local"}, "DestinationCidrBlock"),
        ({"DestinationCidrBlock": "::/0", "GatewayId": "local"}, "DestinationCidrBlock"),
        ({"DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": "nat-x"}, "NatGatewayId"),
        (
            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-1", "Origin": "Magic"},
            "GatewayId",
        ),
        ({"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "local", "Origin": "Magic"}, "Origin"),
        ({"DestinationCidrBlock": "0.0.0.0/0"}, ""),
    ],
)
def test_strict_route_problems_are_located(route, field):
    with pytest.raises(ImportProblem) as info:
        read_routing.route_table(_node(_shape(**route), True), ORIGIN)
    where = "RouteTables[0].Routes[0]" + (f".{field}" if field else "")
    assert info.value.field == where


def test_canonical_cidrs_and_unmodelled_targets():
    shape = _shape(DestinationCidrBlock="100.68.0.18/18", GatewayId="local")
    shape["Routes"].append({"DestinationCidrBlock": "0.0.0.0/0", "CarrierGatewayId": "cagw-1"})
    shape["Associations"] = [
        {
            "Main": False,
            "RouteTableAssociationId": ids.new_id("rtbassoc"),
            "SubnetId": ids.new_id("subnet"),
            "AssociationState": {"State": "disassociated"},
        },
    ]
    warnings: list[str] = []
    table = read_routing.route_table(_node(shape, True), ORIGIN, warnings)
    assert table.routes == (Route("100.68.0.0/18", LOCAL),)
    assert table.associations == ()  # on its way out: not the table's
    assert warnings and "CarrierGatewayId" in warnings[0]
