"""Route tables: main tables with every VPC, routes, associations, derived states, errors."""

from __future__ import annotations

import pytest

from stockade.domain.quotas import Quotas
from stockade.domain.routing import LOCAL, RouteOrigin, RouteState
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, RouteRequest


@pytest.fixture
def svc(ctx) -> Services:
    return Services(ctx)


@pytest.fixture
def vpc(svc):
    return svc.network.create_vpc("10.0.0.0/16")


def _main(svc, vpc_id):
    [main] = [
        d for d in svc.route_tables.describe() if d.table.vpc_id == vpc_id and d.table.is_main
    ]
    return main


def _routes(detail):
    return [
        (r.destination, r.target, s.value)
        for r, s in zip(detail.table.routes, detail.states, strict=True)
    ]


def test_every_vpc_gets_a_main_table_with_its_local_routes(svc, vpc):
    main = _main(svc, vpc.vpc_id)
    assert _routes(main) == [("10.0.0.0/16", LOCAL, "active")]
    assert main.table.routes[0].origin is RouteOrigin.CREATE_ROUTE_TABLE
    [association] = main.table.associations
    assert association.main and association.subnet_id is None
    assert association.association_id.startswith("rtbassoc-")


def test_default_vpc_main_table_routes_the_internet_to_its_gateway(svc):
    [default] = [v for v in svc.network.list_vpcs() if v.is_default]
    [igw] = svc.network.list_internet_gateways()
    assert _routes(_main(svc, default.vpc_id)) == [
        ("172.31.0.0/16", LOCAL, "active"),
        ("0.0.0.0/0", igw.igw_id, "active"),
    ]


def test_ipv6_blocks_get_local_routes_in_every_table(svc):
    vpc = svc.network.create_vpc("10.1.0.0/16", amazon_provided_ipv6=True)
    assert [r.destination for r in _main(svc, vpc.vpc_id).table.routes] == [
        "10.1.0.0/16",
        vpc.ipv6_cidr_block,
    ]
    plain = svc.network.create_vpc("10.2.0.0/16")
    custom = svc.route_tables.create(plain.vpc_id)
    added = svc.network.associate_ipv6_block(plain.vpc_id)
    for rtb in (custom.table.route_table_id, _main(svc, plain.vpc_id).table.route_table_id):
        assert _routes(svc.route_tables.get(rtb))[-1] == (added.ipv6_cidr_block, LOCAL, "active")


def test_create_route_table_starts_with_local_routes_and_no_associations(svc, vpc):
    made = svc.route_tables.create(vpc.vpc_id, tags=(("Name", "private"),))
    assert _routes(made) == [("10.0.0.0/16", LOCAL, "active")]
    assert made.table.associations == () and made.table.tags == (("Name", "private"),)
    assert svc.route_tables.get(made.table.route_table_id) == made


def test_routes_to_a_gateway_go_blackhole_when_it_is_detached(svc, vpc):
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    svc.route_tables.create_route(rtb, RouteRequest("100.68.0.18/18", gateway_id=igw.igw_id))
    svc.route_tables.create_route(rtb, RouteRequest("0.0.0.0/0", gateway_id=igw.igw_id))
    assert _routes(svc.route_tables.get(rtb))[1:] == [
        ("100.68.0.0/18", igw.igw_id, "active"),  # canonicalised
        ("0.0.0.0/0", igw.igw_id, "active"),
    ]
    svc.network.detach_internet_gateway(igw.igw_id, vpc.vpc_id)
    assert {s for s in svc.route_tables.get(rtb).states[1:]} == {RouteState.BLACKHOLE}
    svc.network.delete_internet_gateway(igw.igw_id)  # a route to it does not block that
    assert svc.route_tables.get(rtb).states[1] is RouteState.BLACKHOLE


def test_instance_route_targets_its_interface_and_goes_blackhole_when_it_goes(svc, vpc):
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    [inst] = svc.instances.run(LaunchRequest(subnet_id=subnet.subnet_id))
    eni = inst.primary.eni_id
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    svc.route_tables.create_route(
        rtb, RouteRequest("192.0.2.0/24", instance_id=inst.instance.instance_id)
    )
    route = svc.route_tables.get(rtb).table.routes[1]
    assert (route.target, route.instance_id) == (eni, inst.instance.instance_id)
    assert svc.route_tables.get(rtb).states[1] is RouteState.ACTIVE
    svc.instances.terminate([inst.instance.instance_id])
    assert svc.route_tables.get(rtb).states[1] is RouteState.BLACKHOLE


def test_route_errors(svc, vpc, rejected):
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    other = svc.network.create_vpc("10.9.0.0/16")
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, other.vpc_id)
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    eni = svc.interfaces.create(subnet.subnet_id).eni_id
    svc.route_tables.create_route(rtb, RouteRequest("203.0.113.0/24", network_interface_id=eni))
    create, replace_, delete = (
        svc.route_tables.create_route,
        svc.route_tables.replace_route,
        svc.route_tables.delete_route,
    )
    cases = [
        (
            "RouteAlreadyExists",
            create,
            RouteRequest("203.0.113.0/24", network_interface_id=eni),
        ),
        (
            "RouteAlreadyExists",
            create,
            RouteRequest("10.0.0.0/16", network_interface_id=eni),
        ),
        ("InvalidParameterValue", create, RouteRequest("10.0.0.0/33", gateway_id=igw.igw_id)),
        ("InvalidParameterValue", create, RouteRequest("::/0", gateway_id=igw.igw_id)),
        ("InvalidParameterValue", create, RouteRequest("169.254.168.0/24", gateway_id=igw.igw_id)),
        ("InvalidParameterValue", create, RouteRequest("0.0.0.0/0", gateway_id=igw.igw_id)),
        (
            "InvalidParameterValue",
            create,
            RouteRequest("10.0.4.0/24", network_interface_id=eni),  # not a whole subnet
        ),
        (
            "InvalidParameterValue",
            create,
            RouteRequest(destination_ipv6_cidr_block="::/0", nat_gateway_id="nat-" + "1" * 17),
        ),
        (
            "InvalidParameterValue",
            create,
            RouteRequest("0.0.0.0/0", egress_only_internet_gateway_id="eigw-" + "1" * 17),
        ),
        (
            "InvalidInternetGatewayID.NotFound",
            create,
            RouteRequest("0.0.0.0/0", gateway_id="igw-" + "1" * 17),
        ),
        (
            "InvalidGatewayID.NotFound",
            create,
            RouteRequest("0.0.0.0/0", gateway_id="vgw-" + "1" * 17),
        ),
        (
            "InvalidNetworkInterfaceID.NotFound",
            create,
            RouteRequest("0.0.0.0/0", network_interface_id="eni-" + "1" * 17),
        ),
        (
            "InvalidInstanceID.NotFound",
            create,
            RouteRequest("0.0.0.0/0", instance_id="i-" + "1" * 17),
        ),
        (
            "InvalidVpcPeeringConnectionId.Malformed",
            create,
            RouteRequest("0.0.0.0/0", vpc_peering_connection_id="pcx-x"),
        ),
        (
            "InvalidPrefixListId.NotFound",
            create,
            RouteRequest(destination_prefix_list_id="pl-" + "1" * 17, gateway_id=igw.igw_id),
        ),
        ("MissingParameter", create, RouteRequest(gateway_id=igw.igw_id)),
        ("MissingParameter", create, RouteRequest("0.0.0.0/0")),
        (
            "InvalidParameterCombination",
            create,
            RouteRequest("0.0.0.0/0", gateway_id=igw.igw_id, nat_gateway_id="nat-" + "1" * 17),
        ),
        (
            "InvalidParameterValue",
            replace_,
            RouteRequest("198.51.100.0/24", nat_gateway_id="nat-" + "1" * 17),
        ),
        ("InvalidParameterValue", replace_, RouteRequest("203.0.113.0/24", local_target=True)),
        ("InvalidRoute.NotFound", delete, RouteRequest("198.51.100.0/24")),
        ("InvalidParameterValue", delete, RouteRequest("10.0.0.0/16")),
        (
            "InvalidRouteTableID.NotFound",
            create,
            RouteRequest("0.0.0.0/0", nat_gateway_id="nat-" + "1" * 17),
        ),
    ]
    for code, fn, request in cases[:-1]:
        rejected(code, fn, rtb, request)
    rejected("InvalidRouteTableID.NotFound", create, "rtb-" + "1" * 17, cases[-1][2])
    rejected("InvalidRouteTableId.Malformed", create, "rtb-nope", cases[-1][2])
    foreign_subnet = svc.network.create_subnet(other.vpc_id, "10.9.1.0/24")
    foreign_eni = svc.interfaces.create(foreign_subnet.subnet_id).eni_id
    error = rejected(
        "InvalidParameterValue", create, rtb, RouteRequest.of("192.0.2.0/24", foreign_eni)
    )
    assert error.message.endswith(f"interface {foreign_eni} belong to different networks")
    # the gateway of another VPC: AWS's message
    error = rejected(
        "InvalidParameterValue", create, rtb, RouteRequest("0.0.0.0/0", gateway_id=igw.igw_id)
    )
    assert (
        error.message
        == f"route table {rtb} and network gateway {igw.igw_id} belong to different networks"
    )


def test_replace_and_delete_routes(svc, vpc):
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    eni = svc.interfaces.create(subnet.subnet_id).eni_id
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    svc.route_tables.create_route(rtb, RouteRequest("0.0.0.0/0", gateway_id=igw.igw_id))
    svc.route_tables.replace_route(rtb, RouteRequest("0.0.0.0/0", network_interface_id=eni))
    # middlebox routing: the VPC block's local route to an interface, and back to local
    svc.route_tables.replace_route(rtb, RouteRequest("10.0.0.0/16", network_interface_id=eni))
    svc.route_tables.create_route(rtb, RouteRequest("10.0.1.0/24", network_interface_id=eni))
    assert _routes(svc.route_tables.get(rtb)) == [
        ("10.0.0.0/16", eni, "active"),
        ("0.0.0.0/0", eni, "active"),
        ("10.0.1.0/24", eni, "active"),
    ]
    svc.route_tables.replace_route(rtb, RouteRequest("10.0.0.0/16", local_target=True))
    svc.route_tables.delete_route(rtb, RouteRequest("0.0.0.0/0"))
    svc.route_tables.delete_route(rtb, RouteRequest("10.0.1.0/24"))
    assert _routes(svc.route_tables.get(rtb)) == [("10.0.0.0/16", LOCAL, "active")]


def test_prefix_list_destinations(svc, vpc, rejected):
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    igw = svc.network.create_internet_gateway()
    svc.network.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    pl = svc.prefix_lists.create("office", 5, "IPv4", [("198.51.100.0/24", None)])
    request = RouteRequest(destination_prefix_list_id=pl.prefix_list_id, gateway_id=igw.igw_id)
    svc.route_tables.create_route(rtb, request)
    assert _routes(svc.route_tables.get(rtb))[1] == (pl.prefix_list_id, igw.igw_id, "active")
    rejected("RouteAlreadyExists", svc.route_tables.create_route, rtb, request)
    svc.route_tables.delete_route(rtb, RouteRequest(destination_prefix_list_id=pl.prefix_list_id))


def test_route_quota_counts_each_family(store, svc, vpc, rejected):
    small = Services(ServiceContext(store, svc.ctx.scope, Quotas(routes_per_table=2)))
    rtb = small.route_tables.create(vpc.vpc_id).table.route_table_id
    eni = svc.interfaces.create(svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24").subnet_id)
    via = {"network_interface_id": eni.eni_id}
    small.route_tables.create_route(rtb, RouteRequest("192.0.2.0/24", **via))
    small.route_tables.create_route(rtb, RouteRequest("198.51.100.0/24", **via))
    rejected(
        "RouteLimitExceeded",
        small.route_tables.create_route,
        rtb,
        RouteRequest("203.0.113.0/24", **via),
    )
    small.route_tables.create_route(rtb, RouteRequest.of("2001:db8::/32", eni.eni_id))


def test_route_table_quota_counts_the_main_table(store, svc, vpc, rejected):
    small = Services(ServiceContext(store, svc.ctx.scope, Quotas(route_tables_per_vpc=2)))
    small.route_tables.create(vpc.vpc_id)
    rejected("RouteTableLimitExceeded", small.route_tables.create, vpc.vpc_id)


def test_associations(svc, vpc, rejected):
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    other_rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    assoc = svc.route_tables.associate(rtb, subnet.subnet_id)
    assert svc.route_tables.get(rtb).table.subnet_ids == (subnet.subnet_id,)
    rejected("Resource.AlreadyAssociated", svc.route_tables.associate, other_rtb, subnet.subnet_id)
    rejected("DependencyViolation", svc.route_tables.delete, rtb)
    foreign = svc.network.create_subnet(svc.network.create_vpc("10.3.0.0/16").vpc_id, "10.3.0.0/24")
    rejected("InvalidParameterValue", svc.route_tables.associate, rtb, foreign.subnet_id)
    rejected("UnsupportedOperation", svc.route_tables.associate, rtb, None, "igw-" + "1" * 17)
    rejected("MissingParameter", svc.route_tables.associate, rtb)
    rejected("InvalidSubnetID.NotFound", svc.route_tables.associate, rtb, "subnet-" + "1" * 17)

    moved = svc.route_tables.replace_association(assoc, other_rtb)
    assert moved != assoc and svc.route_tables.get(other_rtb).table.subnet_ids == (
        subnet.subnet_id,
    )
    rejected("InvalidAssociationID.NotFound", svc.route_tables.disassociate, assoc)
    rejected("InvalidAssociationID.Malformed", svc.route_tables.disassociate, "rtbassoc-x")
    svc.route_tables.disassociate(moved)
    assert svc.route_tables.get(other_rtb).table.associations == ()
    svc.route_tables.delete(rtb)
    rejected("InvalidRouteTableID.NotFound", svc.route_tables.get, rtb)


def test_moving_the_main_flag(svc, vpc, rejected):
    main = _main(svc, vpc.vpc_id).table
    [main_assoc] = main.associations
    rejected("InvalidParameterValue", svc.route_tables.disassociate, main_assoc.association_id)
    rejected("DependencyViolation", svc.route_tables.delete, main.route_table_id)
    custom = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    new_id = svc.route_tables.replace_association(main_assoc.association_id, custom)
    now_main = _main(svc, vpc.vpc_id).table
    assert now_main.route_table_id == custom
    assert [(a.association_id, a.main) for a in now_main.associations] == [(new_id, True)]
    assert new_id != main_assoc.association_id
    svc.route_tables.delete(main.route_table_id)  # no longer main: deletable


def test_deleting_a_subnet_removes_its_association(svc, vpc):
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    svc.route_tables.associate(rtb, subnet.subnet_id)
    svc.network.delete_subnet(subnet.subnet_id)
    assert svc.route_tables.get(rtb).table.associations == ()
    svc.route_tables.delete(rtb)


def test_vpc_delete_waits_for_custom_tables_and_takes_its_main_table(svc, vpc, rejected):
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    main = _main(svc, vpc.vpc_id).table.route_table_id
    rejected("DependencyViolation", svc.network.delete_vpc, vpc.vpc_id)
    svc.route_tables.delete(rtb)
    svc.network.delete_vpc(vpc.vpc_id)
    assert main not in {d.table.route_table_id for d in svc.route_tables.describe()}


def test_route_tables_are_taggable_and_scoped(svc, vpc, store, rejected):
    from stockade.domain.scope import Scope

    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    svc.tags.create_tags([rtb], [("env", "prod")])
    assert svc.route_tables.get(rtb).table.tags == (("env", "prod"),)
    other = Services(ServiceContext(store, Scope("210987654321")))
    other.network.list_vpcs()  # its first use makes its default VPC
    rejected("InvalidRouteTableID.NotFound", other.route_tables.get, rtb)
    rejected("InvalidRouteTableID.NotFound", other.tags.create_tags, [rtb], [("a", "b")])


def test_snapshot_carries_route_tables(svc, vpc, store):
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    svc.route_tables.associate(rtb, subnet.subnet_id)
    with store.read(svc.ctx.scope) as tx:
        snapshot = tx.snapshot()
    assert snapshot.route_table_by_subnet[subnet.subnet_id].route_table_id == rtb
    assert snapshot.main_route_table_by_vpc[vpc.vpc_id].route_table_id != rtb


def test_the_data_plane_follower_sees_every_route_change(svc, vpc, store):
    """Each route-table write names the table in the change log, so a follower (which
    re-reads the snapshot for ids it cannot patch) holds the tables a full read holds."""
    from stockade.dataplane.follow import Follower

    follower = Follower(store)
    follower.full(svc.ctx.scope)
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    eni = svc.interfaces.create(subnet.subnet_id).eni_id
    rtb = svc.route_tables.create(vpc.vpc_id).table.route_table_id
    main_assoc = _main(svc, vpc.vpc_id).table.associations[0].association_id
    steps = [
        lambda: svc.route_tables.create_route(rtb, RouteRequest.of("192.0.2.0/24", eni)),
        lambda: svc.route_tables.associate(rtb, subnet.subnet_id),
        lambda: svc.route_tables.replace_route(rtb, RouteRequest.of("192.0.2.0/24", eni)),
        lambda: svc.route_tables.replace_association(main_assoc, rtb),
        lambda: (svc.interfaces.delete(eni), svc.network.delete_subnet(subnet.subnet_id)),
        lambda: svc.route_tables.delete_route(rtb, RouteRequest.of("192.0.2.0/24")),
    ]
    for step in steps:
        revision = store.revision()
        step()
        ids = [i for change in store.changes_since(revision) for i in change.resource_ids]
        assert any(i.startswith("rtb-") for i in ids)
        refreshed = follower.refresh(svc.ctx.scope, ids, store.revision()).snapshot
        with store.read(svc.ctx.scope) as tx:
            assert refreshed.route_tables == tx.snapshot().route_tables
