"""Reading what the writers wrote gives back the domain object (issue 11: one reader, the
inverse of ``shapes/``), in both modes: strict (the import, after a trip through JSON
text as ``aws ec2 describe-*`` files hold it) and lenient (the remote client).

The worlds are the policy tests' random worlds, each object then given random tags,
descriptions and flags, so every field a shape carries varies.
"""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from policy.strategies import worlds

from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.interface import ConnectionTracking, NetworkInterface
from stockade.domain.prefix_list import PrefixListEntry
from stockade.domain.routing import EgressOnlyInternetGateway, NatGateway, NatGatewayState
from stockade.shapes import gateways as write_gateways
from stockade.shapes import groups as write_groups
from stockade.shapes import instances as write_instances
from stockade.shapes import network as write_network
from stockade.shapes import read_gateways, read_groups, read_instances, read_network
from stockade.shapes.fields import Node, Origin

MODES = [True, False]  # strict, lenient

tag_lists = st.lists(
    st.tuples(st.sampled_from(["Name", "env", "Owner", "k:x"]), st.text(max_size=8)),
    max_size=3,
    unique_by=lambda kv: kv[0],
).map(tuple)
descriptions = st.one_of(st.none(), st.sampled_from(["web", "ssh from office", "a&b"]))


def node(shape: object, strict: bool, path: str = "") -> Node:
    """A shape as a reader sees it; strict shapes go through JSON text first, as files do."""
    if strict:
        shape = json.loads(json.dumps(shape))
    return Node(shape, "shape.json", path, strict)


def origin_of(obj) -> Origin:
    return Origin(obj.region, obj.owner_id)


@st.composite
def decorated_worlds(draw):
    """A random world whose objects carry random tags, descriptions and attributes."""
    w = draw(worlds(max_interfaces=4))
    w.vpcs = [
        replace(v, tags=draw(tag_lists), is_default=draw(st.booleans()),
                instance_tenancy=draw(st.sampled_from(["default", "dedicated"])))
        for v in w.vpcs
    ]  # fmt: skip
    w.subnets = [
        replace(s, tags=draw(tag_lists), map_public_ip_on_launch=draw(st.booleans()),
                default_for_az=draw(st.booleans()))
        for s in w.subnets
    ]  # fmt: skip
    w.gateways = [
        replace(g, tags=draw(tag_lists), vpc_id=draw(st.sampled_from([g.vpc_id, None])))
        for g in w.gateways
    ]  # fmt: skip
    w.groups = [replace(g, tags=draw(tag_lists)) for g in w.groups]
    # A group holds a rule identity once (the builder does not check it; AWS does).
    unique = {(r.group_id, r.spec): r for r in reversed(w.rules)}
    w.rules = [
        replace(r, description=draw(descriptions), tags=draw(tag_lists))
        for r in w.rules
        if unique[(r.group_id, r.spec)] is r
    ]
    w.prefix_lists = [
        replace(p, tags=draw(tag_lists), version=draw(st.integers(1, 9)),
                entries=tuple(PrefixListEntry(e.cidr, draw(descriptions)) for e in p.entries))
        for p in w.prefix_lists
    ]  # fmt: skip
    w.interfaces = [
        replace(
            e, tags=draw(tag_lists), description=draw(st.sampled_from(["", "primary"])),
            source_dest_check=draw(st.booleans()),
            # What a shape says of an interface's public address: it has one (the request's
            # "associate" is not kept apart from it).
            associate_public_ip=e.public_ip is not None,
            attachment_id=f"eni-attach-{e.eni_id[4:]}" if e.instance_id else None,
            delete_on_termination=bool(e.instance_id) and draw(st.booleans()),
            connection_tracking=ConnectionTracking(draw(st.integers(60, 432000)), 180, 30),
            connection_tracking_set=draw(st.booleans()),
        )
        for e in w.interfaces
    ]  # fmt: skip
    w.instances = [replace(i, tags=draw(tag_lists), key_name=draw(st.sampled_from([None, "k"])))
                   for i in w.instances]  # fmt: skip
    return w


def _untracked(eni):
    """A shape without ConnectionTrackingConfiguration says: AWS's defaults."""
    return (
        eni
        if eni.connection_tracking_set
        else replace(eni, connection_tracking=ConnectionTracking())
    )


ROUND_TRIP = settings(max_examples=40, deadline=None,
                      suppress_health_check=[HealthCheck.too_slow])  # fmt: skip


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
@ROUND_TRIP
@given(w=decorated_worlds())
def test_network_shapes_read_back(strict, w):
    for v in w.vpcs:
        assert read_network.vpc(node(write_network.vpc(v), strict), origin_of(v)) == v
    for s in w.subnets:
        shape = write_network.subnet(s, available_addresses=251)
        assert read_network.subnet(node(shape, strict), origin_of(s)) == s
    for g in w.gateways:
        shape = write_network.internet_gateway(g)
        assert read_network.internet_gateway(node(shape, strict), origin_of(g)) == g
    for p in w.prefix_lists:
        entries = node({"Entries": write_network.prefix_list_entries(p)}, strict)
        shape = write_network.prefix_list(p)
        assert read_network.prefix_list(node(shape, strict), origin_of(p), entries) == p


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
@ROUND_TRIP
@given(w=decorated_worlds())
def test_group_and_rule_shapes_read_back(strict, w):
    for g in w.groups:
        mine = [r for r in w.rules if r.group_id == g.group_id]
        shape = node(write_groups.security_group(g, mine), strict)
        assert read_groups.security_group(shape, origin_of(g)) == g
        # IpPermissions hold identities and descriptions (the rules output holds ids).
        expected = {r.spec: r.description for r in mine}
        assert read_groups.rule_specs(shape, origin_of(g)) == expected
    for r in w.rules:
        shape = write_groups.security_group_rule(r, "us-east-1")
        origin = Origin("us-east-1", r.owner_id)
        assert read_groups.security_group_rule(node(shape, strict), origin) == r
        # A revoked rule's shape carries neither tags nor the group's owner.
        revoked = node(write_groups.revoked_rule(r), strict)
        assert read_groups.security_group_rule(revoked, origin) == replace(r, tags=())


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
@ROUND_TRIP
@given(w=decorated_worlds())
def test_interface_and_instance_shapes_read_back(strict, w):
    names = {g.group_id: g.name for g in w.groups}
    for e in w.interfaces:
        shape = node(write_instances.network_interface(e, names), strict)
        assert read_instances.network_interface(shape, origin_of(e)) == _untracked(e)
    for inst in w.instances:
        mine = tuple(e for e in w.interfaces if e.instance_id == inst.instance_id)
        shape = write_instances.instance(inst, mine, names)
        reservation = node(
            write_instances.reservation(inst.reservation_id, inst.owner_id, [shape]), strict
        )
        [item] = reservation.items("Instances")
        got, interfaces = read_instances.instance(item, reservation, origin_of(inst))
        assert got == inst
        # Inside an instance an interface has no TagSet (AWS lists them only on the
        # interface itself); everything else reads back.
        assert [eni for eni, _ in interfaces] == [_untracked(replace(e, tags=())) for e in mine]


hex17 = st.text("0123456789abcdef", min_size=17, max_size=17)
times = st.sampled_from(["2024-01-02T03:04:05.000Z", "2026-12-07T00:00:00.000Z"])


@st.composite
def elastic_ips(draw):
    """An address: free, on an instance's interface, on a bare interface, or a NAT's."""
    where = draw(st.sampled_from(["free", "instance", "interface", "nat"]))
    associated = where != "free"
    return ElasticIp(
        allocation_id=f"eipalloc-{draw(hex17)}",
        public_ip=draw(st.sampled_from(["192.0.2.7", "198.51.100.200", "203.0.113.129"])),
        owner_id=draw(st.sampled_from(["111122223333", "444455556666"])),
        region="us-east-1",
        association_id=f"eipassoc-{draw(hex17)}" if associated else None,
        network_interface_id=f"eni-{draw(hex17)}" if associated else None,
        private_ip="10.0.1.9" if associated else None,
        instance_id=f"i-{draw(hex17)}" if where == "instance" else None,
        tags=draw(tag_lists),
    )


@st.composite
def nat_gateways(draw):
    public = draw(st.booleans())
    state = draw(st.sampled_from(list(NatGatewayState)))
    return NatGateway(
        nat_gateway_id=f"nat-{draw(hex17)}",
        vpc_id=f"vpc-{draw(hex17)}",
        subnet_id=f"subnet-{draw(hex17)}",
        owner_id="111122223333",
        region="us-east-1",
        private_ip="10.0.1.99",
        create_time=draw(times),
        connectivity_type="public" if public else "private",
        state=state,
        allocation_id=f"eipalloc-{draw(hex17)}" if public else None,
        public_ip="198.51.100.201" if public else None,
        network_interface_id=f"eni-{draw(hex17)}",
        delete_time=draw(times) if state is NatGatewayState.DELETED else None,
        tags=draw(tag_lists),
    )


@st.composite
def egress_only_gateways(draw):
    return EgressOnlyInternetGateway(
        egress_only_internet_gateway_id=f"eigw-{draw(hex17)}",
        owner_id="111122223333",
        region="us-east-1",
        vpc_id=draw(st.one_of(st.none(), hex17.map(lambda h: f"vpc-{h}"))),
        tags=draw(tag_lists),
    )


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
@ROUND_TRIP
@given(
    eips=st.lists(elastic_ips(), max_size=4),
    nats=st.lists(nat_gateways(), max_size=3),
    eigws=st.lists(egress_only_gateways(), max_size=2),
)
def test_gateway_shapes_read_back(strict, eips, nats, eigws):
    for e in eips:
        assert read_gateways.address(node(write_gateways.address(e), strict), origin_of(e)) == e
    for n in nats:
        shape = node(write_gateways.nat_gateway(n), strict)
        assert read_gateways.nat_gateway(shape, origin_of(n)) == n
    for g in eigws:
        shape = node(write_gateways.egress_only_internet_gateway(g), strict)
        assert read_gateways.egress_only_internet_gateway(shape, origin_of(g)) == g


def test_a_nat_gateways_address_is_matched_by_its_interface():
    nat = NatGateway(
        "nat-0123456789abcdef0", "vpc-0123456789abcdef0", "subnet-0123456789abcdef0",
        "111122223333", "us-east-1", "10.0.1.99", "2024-01-02T03:04:05.000Z",
        allocation_id="eipalloc-0123456789abcdef0", public_ip="198.51.100.201",
        network_interface_id="eni-0123456789abcdef0",
    )  # fmt: skip
    held = ElasticIp(
        "eipalloc-0123456789abcdef0", "198.51.100.201", "111122223333", "us-east-1",
        association_id="eipassoc-0123456789abcdef0", network_interface_id="eni-0123456789abcdef0",
        private_ip="10.0.1.99", nat_gateway_id="nat-0123456789abcdef0",
    )  # fmt: skip
    read = read_gateways.address(node(write_gateways.address(held), True), origin_of(held))
    assert read == replace(held, nat_gateway_id=None)  # the shape names only the interface
    assert read_gateways.with_nat_gateways([read], [nat]) == [held]
    deleted = replace(nat, state=NatGatewayState.DELETED)
    assert read_gateways.with_nat_gateways([read], [deleted]) == [read]


@pytest.mark.parametrize("strict", MODES, ids=["strict", "lenient"])
def test_an_interface_with_an_elastic_ip_reads_back(strict):
    eni = NetworkInterface(
        "eni-0123456789abcdef0", "111122223333", "us-east-1", "vpc-0123456789abcdef0",
        "subnet-0123456789abcdef0", "us-east-1a", "10.0.1.9", "02:00:00:00:00:01",
        ("sg-0123456789abcdef0",), public_ip="198.51.100.201",
    )  # fmt: skip
    eip = ElasticIp(
        "eipalloc-0123456789abcdef0", "198.51.100.201", "111122223333", "us-east-1",
        association_id="eipassoc-0123456789abcdef0", network_interface_id=eni.eni_id,
        private_ip="10.0.1.9",
    )  # fmt: skip
    shape = write_instances.network_interface(eni, {}, {eni.eni_id: eip})
    assert shape["Association"]["IpOwnerId"] == "111122223333"
    assert shape["Association"]["AllocationId"] == eip.allocation_id
    # an Elastic IP says nothing about wanting an automatic address
    assert read_instances.network_interface(node(shape, strict), origin_of(eni)) == eni
