"""Route tables through boto3 on a real loopback server, with Terraform's call sequences."""

from __future__ import annotations

import pytest
from api_server.api_helpers import out

from stockade.api.model import model_filter_names


def _main_table(ec2, vpc_id: str) -> dict:
    """Terraform's aws_vpc read: the main table by ``association.main`` and ``vpc-id``."""
    [table] = ec2.describe_route_tables(
        Filters=[
            {"Name": "association.main", "Values": ["true"]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["RouteTables"]
    return table


def _subnet(ec2, vpc_id: str, cidr: str = "10.0.1.0/24") -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]


def _igw(ec2, vpc_id: str) -> str:
    [igw] = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    return igw["InternetGatewayId"]


def test_terraform_vpc_read_finds_main_table_and_default_group(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    table = _main_table(ec2, vpc_id)
    assert table["VpcId"] == vpc_id and table["RouteTableId"].startswith("rtb-")
    assert table["Routes"] == [
        {
            "DestinationCidrBlock": "10.5.0.0/16",
            "GatewayId": "local",
            "Origin": "CreateRouteTable",
            "State": "active",
        }
    ]
    [association] = table["Associations"]
    assert association["Main"] is True and "SubnetId" not in association
    assert association["AssociationState"] == {"State": "associated"}
    assert table["PropagatingVgws"] == [] and table["Tags"] == []
    [group] = ec2.describe_security_groups(
        Filters=[
            {"Name": "group-name", "Values": ["default"]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["SecurityGroups"]
    assert group["VpcId"] == vpc_id


def test_default_vpc_main_table_routes_to_its_gateway(ec2):
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "is-default", "Values": ["true"]}])["Vpcs"]
    routes = _main_table(ec2, vpc["VpcId"])["Routes"]
    assert routes[1] == {
        "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": _igw(ec2, vpc["VpcId"]),
        "Origin": "CreateRoute",
        "State": "active",
    }


def test_terraform_public_subnet_sequence(ec2, vpc_id):
    subnet = _subnet(ec2, vpc_id)
    made = ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "Name", "Value": "public"}]}
        ],
    )["RouteTable"]
    # Ansible uses the create answer as is: local route, no associations, PropagatingVgws
    assert made["Associations"] == [] and made["PropagatingVgws"] == []
    assert made["Routes"][0]["GatewayId"] == "local"
    assert made["Tags"] == [{"Key": "Name", "Value": "public"}]
    rtb = made["RouteTableId"]
    for _ in range(3):  # Terraform's waiter: found several times in a row
        [found] = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"]
        assert found == made
    igw = _igw(ec2, vpc_id)
    assert ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)[
        "Return"
    ]
    association = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    assert association["AssociationState"] == {"State": "associated"}
    [found] = ec2.describe_route_tables(
        Filters=[
            {
                "Name": "association.route-table-association-id",
                "Values": [association["AssociationId"]],
            }
        ]
    )["RouteTables"]
    assert found["RouteTableId"] == rtb
    assert found["Associations"] == [
        {
            "Main": False,
            "RouteTableAssociationId": association["AssociationId"],
            "RouteTableId": rtb,
            "SubnetId": subnet,
            "AssociationState": {"State": "associated"},
        }
    ]
    assert found["Routes"][1] == {
        "DestinationCidrBlock": "0.0.0.0/0",
        "GatewayId": igw,
        "Origin": "CreateRoute",
        "State": "active",
    }
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [rtb]}])["Tags"]
    assert [(t["Key"], t["ResourceType"]) for t in tags] == [("Name", "route-table")]


def test_terraform_destroy_order_meets_dependency_violation_exactly_while_needed(ec2, rejected):
    vpc_id = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    subnet = _subnet(ec2, vpc_id, "10.6.1.0/24")
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    association = ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)["AssociationId"]

    rejected("DependencyViolation", ec2.delete_route_table, RouteTableId=rtb)
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)
    ec2.disassociate_route_table(AssociationId=association)
    ec2.delete_subnet(SubnetId=subnet)
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)  # the custom table
    ec2.delete_route_table(RouteTableId=rtb)
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)  # the attached gateway
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.delete_internet_gateway(InternetGatewayId=igw)
    main = _main_table(ec2, vpc_id)["RouteTableId"]
    ec2.delete_vpc(VpcId=vpc_id)
    rejected("InvalidRouteTableID.NotFound", ec2.describe_route_tables, RouteTableIds=[main])


def test_route_lifecycle_and_blackhole(ec2, vpc_id, rejected):
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    igw = _igw(ec2, vpc_id)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="100.68.0.18/18", GatewayId=igw)
    ec2.create_route(RouteTableId=rtb, DestinationIpv6CidrBlock="2001:db8::/32", GatewayId=igw)
    subnet = _subnet(ec2, vpc_id)
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    ec2.replace_route(
        RouteTableId=rtb, DestinationCidrBlock="100.68.0.0/18", NetworkInterfaceId=eni
    )
    [table] = ec2.describe_route_tables(RouteTableIds=[rtb])["RouteTables"]
    assert table["Routes"][1:] == [
        {
            "DestinationCidrBlock": "100.68.0.0/18",
            "NetworkInterfaceId": eni,
            "Origin": "CreateRoute",
            "State": "active",
        },
        {
            "DestinationIpv6CidrBlock": "2001:db8::/32",
            "GatewayId": igw,
            "Origin": "CreateRoute",
            "State": "active",
        },
    ]
    ec2.detach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    ec2.delete_network_interface(NetworkInterfaceId=eni)
    blackholes = ec2.describe_route_tables(
        Filters=[{"Name": "route.state", "Values": ["blackhole"]}]
    )["RouteTables"]
    assert [t["RouteTableId"] for t in blackholes] == [rtb]
    assert [r["State"] for r in blackholes[0]["Routes"]] == ["active", "blackhole", "blackhole"]
    ec2.delete_route(RouteTableId=rtb, DestinationCidrBlock="100.68.0.0/18")
    rejected(
        "InvalidRoute.NotFound",
        ec2.delete_route,
        RouteTableId=rtb,
        DestinationCidrBlock="100.68.0.0/18",
    )


@pytest.mark.parametrize(
    "params, code, message",
    [
        (
            {"DestinationCidrBlock": "10.0.0.0/16", "GatewayId": "local"},
            "RouteAlreadyExists",
            "The route identified by 10.0.0.0/16 already exists.",
        ),
        (
            {"DestinationCidrBlock": "10.0.0.0/24", "GatewayId": "IGW"},
            "InvalidParameterValue",
            "The destination CIDR block 10.0.0.0/24 is equal to or more specific than one of "
            "this VPC's CIDR blocks. This route can target only an interface or an instance.",
        ),
        (
            {"DestinationCidrBlock": "10.0.0.0/40", "GatewayId": "IGW"},
            "InvalidParameterValue",
            "Value (10.0.0.0/40) for parameter destinationCidrBlock is invalid. This is not a "
            "valid CIDR block.",
        ),
        (
            {"DestinationCidrBlock": "0.0.0.0/0", "GatewayId": "igw-nope"},
            "InvalidInternetGatewayId.Malformed",
            None,
        ),
        (
            {"DestinationCidrBlock": "0.0.0.0/0", "LocalGatewayId": "lgw-1"},
            "UnsupportedOperation",
            None,
        ),
        (
            {"DestinationCidrBlock": "0.0.0.0/0", "InstanceId": "i-00000000000000001"},
            "InvalidInstanceID.NotFound",
            None,
        ),
    ],
)
def test_create_route_errors(ec2, vpc_id, rejected, params, code, message):
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    if params.get("GatewayId") == "IGW":
        params = {**params, "GatewayId": _igw(ec2, vpc_id)}
    error = rejected(code, ec2.create_route, RouteTableId=rtb, **params)
    if message:
        assert error["Message"] == message


def test_route_and_table_errors(ec2, vpc_id, rejected):
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    main = _main_table(ec2, vpc_id)
    error = rejected(
        "InvalidParameterValue",
        ec2.replace_route,
        RouteTableId=rtb,
        DestinationCidrBlock="0.0.0.0/0",
        GatewayId=_igw(ec2, vpc_id),
    )
    assert error["Message"] == (
        "There is no route defined for '0.0.0.0/0' in the route table. Use CreateRoute instead."
    )
    error = rejected(
        "InvalidParameterValue",
        ec2.delete_route,
        RouteTableId=rtb,
        DestinationCidrBlock="10.0.0.0/16",
    )
    assert error["Message"] == f"cannot remove local route 10.0.0.0/16 in route table {rtb}"
    rejected("DependencyViolation", ec2.delete_route_table, RouteTableId=main["RouteTableId"])
    main_association = main["Associations"][0]["RouteTableAssociationId"]
    rejected("InvalidParameterValue", ec2.disassociate_route_table, AssociationId=main_association)
    rejected(
        "InvalidAssociationID.NotFound",
        ec2.disassociate_route_table,
        AssociationId="rtbassoc-00000000000000001",
    )
    rejected(
        "InvalidRouteTableID.NotFound",
        ec2.describe_route_tables,
        RouteTableIds=["rtb-00000000000000001"],
    )
    rejected("InvalidRouteTableId.Malformed", ec2.delete_route_table, RouteTableId="rtb-x")
    rejected("InvalidVpcID.NotFound", ec2.create_route_table, VpcId="vpc-00000000000000001")
    subnet = _subnet(ec2, vpc_id)
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    error = rejected(
        "Resource.AlreadyAssociated", ec2.associate_route_table, RouteTableId=rtb, SubnetId=subnet
    )
    assert error["Message"] == (
        f"the specified association for route table {rtb} conflicts with an existing association"
    )
    rejected(
        "UnsupportedOperation",
        ec2.associate_route_table,
        RouteTableId=rtb,
        GatewayId=_igw(ec2, vpc_id),
    )


def test_moving_the_main_flag_gives_a_new_association_id(ec2, vpc_id):
    main = _main_table(ec2, vpc_id)
    old_association = main["Associations"][0]["RouteTableAssociationId"]
    rtb = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    moved = ec2.replace_route_table_association(AssociationId=old_association, RouteTableId=rtb)
    assert moved["NewAssociationId"] != old_association
    now = _main_table(ec2, vpc_id)
    assert now["RouteTableId"] == rtb
    assert now["Associations"][0]["RouteTableAssociationId"] == moved["NewAssociationId"]
    ec2.delete_route_table(RouteTableId=main["RouteTableId"])


def test_filters_and_pagination(ec2, vpc_id):
    subnet = _subnet(ec2, vpc_id)
    rtb = ec2.create_route_table(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "route-table", "Tags": [{"Key": "tier", "Value": "a"}]}
        ],
    )["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rtb, SubnetId=subnet)
    igw = _igw(ec2, vpc_id)
    ec2.create_route(RouteTableId=rtb, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)

    def ids(name, *values):
        found = ec2.describe_route_tables(Filters=[{"Name": name, "Values": list(values)}])
        return {t["RouteTableId"] for t in found["RouteTables"]}

    main = _main_table(ec2, vpc_id)["RouteTableId"]
    assert ids("vpc-id", vpc_id) == {rtb, main}
    assert ids("association.subnet-id", subnet) == {rtb}
    assert ids("association.main", "false") == {rtb}  # only tables with explicit associations
    assert ids("route.gateway-id", igw) == {rtb}
    assert ids("route.destination-cidr-block", "0.0.0.0/0") >= {rtb}
    assert ids("route.origin", "CreateRouteTable") >= {rtb, main}
    assert ids("tag:tier", "a") == ids("tag-key", "tier") == {rtb}
    assert ids("route-table-id", rtb) == {rtb}
    for name in sorted(model_filter_names("DescribeRouteTables")):
        ec2.describe_route_tables(
            Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["*"]}]
        )
    for _ in range(5):
        ec2.create_route_table(VpcId=vpc_id)
    pages = list(
        ec2.get_paginator("describe_route_tables").paginate(PaginationConfig={"PageSize": 5})
    )
    assert len(pages) >= 2
    assert sum(len(p["RouteTables"]) for p in pages) == 8  # two main tables, 1 + 5 custom


def test_aws_cli_route_table(aws):
    vpc = out(aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"))["Vpc"]["VpcId"]
    rtb = out(aws("ec2", "create-route-table", "--vpc-id", vpc))["RouteTable"]["RouteTableId"]
    eni_subnet = out(aws("ec2", "create-subnet", "--vpc-id", vpc, "--cidr-block", "10.0.1.0/24"))
    subnet = eni_subnet["Subnet"]["SubnetId"]
    assoc = out(aws("ec2", "associate-route-table", "--route-table-id", rtb, "--subnet-id", subnet))
    tables = out(
        aws(
            "ec2",
            "describe-route-tables",
            "--filters",
            f"Name=association.subnet-id,Values={subnet}",
        )
    )["RouteTables"]
    assert [t["RouteTableId"] for t in tables] == [rtb]
    assert tables[0]["Associations"][0]["RouteTableAssociationId"] == assoc["AssociationId"]
    failed = aws(
        "ec2",
        "delete-route",
        "--route-table-id",
        rtb,
        "--destination-cidr-block",
        "1.2.3.0/24",
        ok=False,
    )
    assert failed.returncode != 0 and "InvalidRoute.NotFound" in failed.stderr
