"""``import aws`` / ``export aws`` of describe-route-tables: real tables read as AWS printed
them, exports without them given the main tables AWS would have, impossible ones refused."""

from __future__ import annotations

import json

import pytest

from stockade.analysis.aws_export import export_store
from stockade.analysis.aws_import import import_directory
from stockade.domain.routing import LOCAL, Route, RouteOrigin
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

from .conftest import MAIN, comparable, edit_json, snapshot_of

VPC1, VPC2 = "vpc-0a1b2c3d4e5f60001", "vpc-0a1b2c3d4e5f60002"
SUBNET1, SUBNET3 = "subnet-0a1b2c3d4e5f61001", "subnet-0a1b2c3d4e5f61003"
IGW, DETACHED_IGW = "igw-0a1b2c3d4e5f62001", "igw-0a1b2c3d4e5f62002"
ENI = "eni-0a1b2c3d4e5f66001"
PL = "pl-0a1b2c3d4e5f65001"

#: describe-route-tables as AWS prints it for the fixture's account
ROUTE_TABLES = {
    "RouteTables": [
        {
            "Associations": [
                {
                    "Main": True,
                    "RouteTableAssociationId": "rtbassoc-0a1b2c3d4e5f67001",
                    "RouteTableId": "rtb-0a1b2c3d4e5f67001",
                    "AssociationState": {"State": "associated"},
                }
            ],
            "PropagatingVgws": [],
            "RouteTableId": "rtb-0a1b2c3d4e5f67001",
            "Routes": [
                {
                    "DestinationCidrBlock": "10.0.0.0/16",
                    "GatewayId": "local",
                    "Origin": "CreateRouteTable",
                    "State": "active",
                }
            ],
            "Tags": [],
            "VpcId": VPC1,
            "OwnerId": MAIN.account,
        },
        {
            "Associations": [
                {
                    "Main": False,
                    "RouteTableAssociationId": "rtbassoc-0a1b2c3d4e5f67002",
                    "RouteTableId": "rtb-0a1b2c3d4e5f67002",
                    "SubnetId": SUBNET1,
                    "AssociationState": {"State": "associated"},
                }
            ],
            "PropagatingVgws": [],
            "RouteTableId": "rtb-0a1b2c3d4e5f67002",
            "Routes": [
                {
                    "DestinationCidrBlock": "10.0.0.0/16",
                    "GatewayId": "local",
                    "Origin": "CreateRouteTable",
                    "State": "active",
                },
                {
                    "DestinationCidrBlock": "0.0.0.0/0",
                    "GatewayId": IGW,
                    "Origin": "CreateRoute",
                    "State": "active",
                },
                {
                    "DestinationPrefixListId": PL,
                    "InstanceId": "i-0a1b2c3d4e5f68001",
                    "InstanceOwnerId": MAIN.account,
                    "NetworkInterfaceId": ENI,
                    "Origin": "CreateRoute",
                    "State": "active",
                },
                {
                    "DestinationCidrBlock": "198.51.100.0/24",
                    "GatewayId": DETACHED_IGW,
                    "Origin": "CreateRoute",
                    "State": "blackhole",
                },
            ],
            "Tags": [{"Key": "Name", "Value": "public"}],
            "VpcId": VPC1,
            "OwnerId": MAIN.account,
        },
    ]
}


@pytest.fixture
def with_tables(copy_fixtures):
    root = copy_fixtures()
    path = root / MAIN.account / MAIN.region / "route-tables.json"
    path.write_text(json.dumps(ROUTE_TABLES, indent=4))
    return root


def test_imported_tables_are_aws_s(with_tables, tmp_path):
    store = SqlStore.open(str(tmp_path / "s.db"))
    report = import_directory(store, with_tables)
    tables = {t.route_table_id: t for t in snapshot_of(store).route_tables}
    public = tables["rtb-0a1b2c3d4e5f67002"]
    assert public.routes == (
        Route("10.0.0.0/16", LOCAL, RouteOrigin.CREATE_ROUTE_TABLE),
        Route("0.0.0.0/0", IGW),
        Route(PL, ENI, instance_id="i-0a1b2c3d4e5f68001"),
        Route("198.51.100.0/24", DETACHED_IGW),
    )
    assert public.subnet_ids == (SUBNET1,) and public.tags == (("Name", "public"),)
    # VPC2 had no table in the output: it gets the main one AWS would have
    [implied] = [t for t in tables.values() if t.vpc_id == VPC2]
    assert implied.is_main and implied.routes == (
        Route("10.1.0.0/16", LOCAL, RouteOrigin.CREATE_ROUTE_TABLE),
    )
    assert any(VPC2 in w and "main route table" in w for w in report.warnings)
    snapshot = snapshot_of(store)
    assert snapshot.route_table_by_subnet[SUBNET1].route_table_id == "rtb-0a1b2c3d4e5f67002"
    assert snapshot.route_table_by_subnet[SUBNET3] == implied


def test_export_writes_states_and_reads_back(with_tables, tmp_path):
    store = SqlStore.open(str(tmp_path / "s.db"))
    import_directory(store, with_tables)
    export_store(store, tmp_path / "out")
    written = json.loads(
        (tmp_path / "out" / MAIN.account / MAIN.region / "route-tables.json").read_text()
    )
    [public] = [t for t in written["RouteTables"] if t["RouteTableId"] == "rtb-0a1b2c3d4e5f67002"]
    assert public == ROUTE_TABLES["RouteTables"][1]  # byte for byte what AWS printed
    again = SqlStore.open(str(tmp_path / "again.db"))
    assert import_directory(again, tmp_path / "out").warnings == []
    assert comparable(snapshot_of(again)) == comparable(snapshot_of(store))


def test_old_exports_get_main_tables_routed_as_before(store):
    """The fixture has no route-tables.json: VPC1's attached gateway keeps routing it."""
    tables = {t.vpc_id: t for t in snapshot_of(store).route_tables}
    assert [(r.destination, r.target) for r in tables[VPC1].routes] == [
        ("10.0.0.0/16", LOCAL),
        ("2001:db8:1234:5600::/56", LOCAL),
        ("0.0.0.0/0", IGW),
        ("::/0", IGW),
    ]
    assert [(r.destination, r.target) for r in tables[VPC2].routes] == [("10.1.0.0/16", LOCAL)]
    assert all(t.is_main for t in tables.values())


@pytest.mark.parametrize(
    "change, field, problem",
    [
        (
            lambda d: d["RouteTables"][1].update(VpcId="vpc-0a1b2c3d4e5f6000f"),
            "VpcId",
            "describe-vpcs",
        ),
        (
            lambda d: d["RouteTables"][1]["Associations"][0].update(SubnetId=SUBNET3),
            "Associations",
            "not in",
        ),
        (
            lambda d: d["RouteTables"][1]["Associations"][0].update(Main=True),
            "Associations",
            "two main",
        ),
        (
            lambda d: d["RouteTables"][1]["Routes"][1].update(DestinationCidrBlock="0.0.0.0/33"),
            "Routes[1].DestinationCidrBlock",
            "",
        ),
        (lambda d: d["RouteTables"].append(d["RouteTables"][0]), "", "described twice"),
    ],
)
def test_impossible_tables_are_refused_with_nothing_written(
    with_tables, tmp_path, change, field, problem
):
    edit_json(with_tables / MAIN.account / MAIN.region / "route-tables.json", change)
    store = SqlStore.open(str(tmp_path / "s.db"))
    with pytest.raises(ImportProblem) as info:
        import_directory(store, with_tables)
    assert info.value.field.endswith(field) and problem in info.value.problem
    assert store.scopes() == []
