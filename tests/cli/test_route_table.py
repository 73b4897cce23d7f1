"""``stockade route-table`` on a real store (and, reused by tests/api_server, remotely)."""

from __future__ import annotations

import json

import pytest
from cli.test_cli import run  # noqa: F401 - the local-store CLI fixture


def js(result) -> object:
    return json.loads(result.stdout)


@pytest.fixture
def vpc(run) -> str:  # noqa: F811
    return js(run("vpc", "create", "10.0.0.0/16", "--internet-gateway", "--json"))["VpcId"]


def _igw(run, vpc) -> str:  # noqa: F811
    [igw] = [
        g
        for g in js(run("igw", "list", "--json"))
        if g["Attachments"] and g["Attachments"][0]["VpcId"] == vpc
    ]
    return igw["InternetGatewayId"]


def test_public_subnet_flow(run, vpc):  # noqa: F811
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))[
        "SubnetId"
    ]
    created = js(run("route-table", "create", "--vpc", vpc, "--name", "public", "--json"))
    rtb = created["RouteTableId"]
    assert created["Routes"][0]["GatewayId"] == "local" and created["Associations"] == []
    igw = _igw(run, vpc)
    run("route-table", "add-route", rtb, "0.0.0.0/0", "--target", igw)
    assoc = js(run("route-table", "associate", rtb, "--subnet", subnet, "--json"))["AssociationId"]
    shown = run("route-table", "show", rtb).stdout
    assert "0.0.0.0/0" in shown and igw in shown and "active" in shown
    assert assoc in shown and subnet in shown
    listed = js(run("route-table", "list", "--vpc", vpc, "--json"))
    assert {t["RouteTableId"] for t in listed} == {rtb} | {
        t["RouteTableId"] for t in listed if any(a["Main"] for a in t["Associations"])
    }
    assert "public" in run("route-table", "list", "--vpc", vpc).stdout

    run("igw", "detach", igw, "--vpc", vpc)
    assert "blackhole" in run("route-table", "show", rtb).stdout
    run("route-table", "delete-route", rtb, "0.0.0.0/0")
    run("route-table", "disassociate", assoc)
    run("route-table", "delete", rtb)


def test_replace_route_and_set_main(run, vpc):  # noqa: F811
    [main] = [
        t for t in js(run("route-table", "list", "--vpc", vpc, "--json")) if t["Associations"]
    ]
    rtb = js(run("route-table", "create", "--vpc", vpc, "--json"))["RouteTableId"]
    igw = _igw(run, vpc)
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))
    [nat] = js(run("instance", "run", "--subnet", subnet["SubnetId"], "--json"))
    run("route-table", "add-route", rtb, "0.0.0.0/0", "--target", igw)
    run("route-table", "replace-route", rtb, "0.0.0.0/0", "--target", nat["InstanceId"])
    shown = run("route-table", "show", rtb).stdout
    assert nat["InstanceId"] in shown and igw not in shown  # (a NAT instance)
    run("route-table", "set-main", rtb)
    [now] = [t for t in js(run("route-table", "list", "--vpc", vpc, "--json")) if t["Associations"]]
    assert now["RouteTableId"] == rtb
    run("route-table", "delete", main["RouteTableId"])


def test_errors_are_one_line_with_the_aws_code(run, vpc):  # noqa: F811
    rtb = js(run("route-table", "create", "--vpc", vpc, "--json"))["RouteTableId"]
    cases = [
        (
            ("route-table", "add-route", rtb, "10.0.0.0/16", "--target", "local"),
            "RouteAlreadyExists",
        ),
        (("route-table", "delete-route", rtb, "10.0.0.0/16"), "InvalidParameterValue"),
        (("route-table", "delete-route", rtb, "192.0.2.0/24"), "InvalidRoute.NotFound"),
        (
            ("route-table", "add-route", rtb, "0.0.0.0/0", "--target", "igw-00000000000000001"),
            "InvalidInternetGatewayID.NotFound",
        ),
        (("route-table", "show", "rtb-00000000000000001"), "InvalidRouteTableID.NotFound"),
        (("route-table", "disassociate", "rtbassoc-nope"), "InvalidAssociationID.Malformed"),
    ]
    for args, code in cases:
        result = run(*args, ok=False)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and code in lines[0], result.output


def test_vpc_create_with_internet_gateway_routes_the_main_table_to_it(run, vpc):  # noqa: F811
    [main] = [
        t
        for t in js(run("route-table", "list", "--json"))
        if t["VpcId"] == vpc and any(a["Main"] for a in t["Associations"])
    ]
    defaults = [r for r in main["Routes"] if r.get("DestinationCidrBlock") == "0.0.0.0/0"]
    assert defaults == [
        {
            "DestinationCidrBlock": "0.0.0.0/0",
            "GatewayId": _igw(run, vpc),
            "Origin": "CreateRoute",
            "State": "active",
        }
    ]
