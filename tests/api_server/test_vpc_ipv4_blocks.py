"""Secondary IPv4 blocks of a VPC through boto3 on a real server (issue 14): associated with
their local routes, shown and filtered in DescribeVpcs, holding subnets, refused as AWS
refuses them (every refusal changes nothing), and disassociated once no subnet uses them."""

from __future__ import annotations

import pytest


def _local_routes(ec2, vpc_id: str) -> dict[str, set[str]]:
    """Each route table of the VPC: its local IPv4 destinations."""
    tables = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])
    return {
        t["RouteTableId"]: {
            r["DestinationCidrBlock"]
            for r in t["Routes"]
            if r.get("GatewayId") == "local" and "DestinationCidrBlock" in r
        }
        for t in tables["RouteTables"]
    }


def _blocks(ec2, vpc_id: str) -> list[tuple[str, str]]:
    [vpc] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    return [(a["CidrBlock"], a["CidrBlockState"]["State"]) for a in vpc["CidrBlockAssociationSet"]]


def test_secondary_block_lifecycle(ec2, rejected):
    vpc_id = ec2.create_vpc(CidrBlock="10.40.0.0/16")["Vpc"]["VpcId"]
    custom = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]

    answer = ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.41.0.0/16")
    association = answer["CidrBlockAssociation"]
    assert answer["VpcId"] == vpc_id
    assert association["CidrBlock"] == "10.41.0.0/16"
    assert association["CidrBlockState"] == {"State": "associating"}
    assert association["AssociationId"].startswith("vpc-cidr-assoc-")
    [vpc] = ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
    assert vpc["CidrBlock"] == "10.40.0.0/16"  # the primary stays the VPC's CidrBlock
    assert [a["CidrBlock"] for a in vpc["CidrBlockAssociationSet"]] == [
        "10.40.0.0/16",
        "10.41.0.0/16",
    ]
    assert vpc["CidrBlockAssociationSet"][1]["AssociationId"] == association["AssociationId"]
    assert {a["CidrBlockState"]["State"] for a in vpc["CidrBlockAssociationSet"]} == {"associated"}

    # the filters on the association set match the secondary block too
    for name, value in (
        ("cidr-block-association.cidr-block", "10.41.0.0/16"),
        ("cidr-block-association.association-id", association["AssociationId"]),
    ):
        found = ec2.describe_vpcs(Filters=[{"Name": name, "Values": [value]}])["Vpcs"]
        assert [v["VpcId"] for v in found] == [vpc_id], name
    assert ec2.describe_vpcs(Filters=[{"Name": "cidr", "Values": ["10.41.0.0/16"]}])["Vpcs"] == []

    # every table, old or new, routes the block locally
    later = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    routes = _local_routes(ec2, vpc_id)
    assert set(routes) >= {custom, later}
    assert all(dests == {"10.40.0.0/16", "10.41.0.0/16"} for dests in routes.values())

    # a subnet may lie in any block, never across two
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.41.3.0/24")["Subnet"]
    assert subnet["CidrBlock"] == "10.41.3.0/24"
    rejected("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.40.0.0/15")
    rejected("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.42.0.0/24")

    rejected(
        "InvalidCidrBlock.InUse",
        ec2.disassociate_vpc_cidr_block,
        AssociationId=association["AssociationId"],
    )
    ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    gone = ec2.disassociate_vpc_cidr_block(AssociationId=association["AssociationId"])
    assert gone["VpcId"] == vpc_id
    assert gone["CidrBlockAssociation"]["CidrBlock"] == "10.41.0.0/16"
    assert gone["CidrBlockAssociation"]["CidrBlockState"] == {"State": "disassociating"}
    assert _blocks(ec2, vpc_id) == [("10.40.0.0/16", "associated")]
    assert all(dests == {"10.40.0.0/16"} for dests in _local_routes(ec2, vpc_id).values())
    rejected(
        "InvalidVpcCidrBlockAssociationID.NotFound",
        ec2.disassociate_vpc_cidr_block,
        AssociationId=association["AssociationId"],
    )
    rejected("InvalidSubnet.Range", ec2.create_subnet, VpcId=vpc_id, CidrBlock="10.41.3.0/24")
    # the block may come back
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.41.0.0/16")
    assert _blocks(ec2, vpc_id)[1] == ("10.41.0.0/16", "associated")


@pytest.mark.parametrize(
    ("primary", "block", "code"),
    [
        ("10.50.0.0/16", "10.51.0.0/15", "InvalidVpc.Range"),  # larger than /16
        ("10.50.0.0/16", "10.51.0.0/29", "InvalidVpc.Range"),  # smaller than /28
        ("10.50.0.0/16", "10.50.4.0/24", "InvalidVpc.Range"),  # inside the primary
        ("10.50.0.0/16", "10.48.0.0/16", "InvalidVpc.Range"),  # overlaps the secondary
        ("10.50.0.0/16", "192.168.0.0/16", "InvalidVpc.Range"),  # another RFC 1918 range
        ("10.50.0.0/16", "172.20.0.0/16", "InvalidVpc.Range"),
        ("10.50.0.0/16", "198.19.0.0/16", "InvalidVpc.Range"),  # AWS's own range
        ("192.168.0.0/20", "10.50.0.0/16", "InvalidVpc.Range"),
        ("172.16.0.0/16", "172.31.0.0/20", "InvalidVpc.Range"),  # [UNVERIFIED] row
        ("10.1.0.0/16", "10.0.0.0/20", "InvalidVpc.Range"),  # [UNVERIFIED] row
        ("198.51.100.0/24", "10.50.0.0/16", "InvalidVpc.Range"),  # private beside public
        ("10.50.0.0/16", "10.52.0.0", "InvalidParameterValue"),
        ("10.50.0.0/16", "2001:db8::/56", "InvalidParameterValue"),
    ],
)
def test_refused_blocks_change_nothing(ec2, rejected, primary, block, code):
    vpc_id = ec2.create_vpc(CidrBlock=primary)["Vpc"]["VpcId"]
    if primary == "10.50.0.0/16":
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="10.48.0.0/20")
    before = _blocks(ec2, vpc_id)
    rejected(code, ec2.associate_vpc_cidr_block, VpcId=vpc_id, CidrBlock=block)
    assert _blocks(ec2, vpc_id) == before


def test_permitted_neighbours_of_the_primary(ec2):
    """Beside a private primary: its own range, public space and 100.64.0.0/10."""
    vpc_id = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
    for block in ("10.61.0.0/16", "100.64.0.0/16", "203.0.113.0/24"):
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock=block)
    assert [b for b, _ in _blocks(ec2, vpc_id)] == [
        "10.60.0.0/16",
        "10.61.0.0/16",
        "100.64.0.0/16",
        "203.0.113.0/24",
    ]


def test_five_blocks_at_most_and_other_refusals(ec2, rejected):
    vpc_id = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    for n in range(71, 75):
        ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock=f"10.{n}.0.0/16")
    assert len(_blocks(ec2, vpc_id)) == 5
    rejected(
        "CidrLimitExceeded", ec2.associate_vpc_cidr_block, VpcId=vpc_id, CidrBlock="10.75.0.0/16"
    )
    rejected(
        "InvalidVpcID.NotFound",
        ec2.associate_vpc_cidr_block,
        VpcId="vpc-0123456789abcdef0",
        CidrBlock="10.75.0.0/16",
    )
    rejected(
        "InvalidParameterCombination",
        ec2.associate_vpc_cidr_block,
        VpcId=vpc_id,
        CidrBlock="10.75.0.0/16",
        AmazonProvidedIpv6CidrBlock=True,
    )
    rejected(
        "UnsupportedOperation",
        ec2.associate_vpc_cidr_block,
        VpcId=vpc_id,
        Ipv4IpamPoolId="ipam-pool-0123456789abcdef0",
    )


def test_block_no_larger_than_a_routed_destination(ec2, vpc_id, rejected):
    """A block the same as or larger than a route's destination would take its traffic:
    AWS refuses it; a more specific one is fine (the route keeps the rest)."""
    [igw] = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    [main] = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
        "RouteTables"
    ]
    ec2.create_route(
        RouteTableId=main["RouteTableId"],
        DestinationCidrBlock="100.64.4.0/24",
        GatewayId=igw["InternetGatewayId"],
    )
    for block in ("100.64.4.0/24", "100.64.0.0/16"):
        rejected("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=vpc_id, CidrBlock=block)
    ec2.associate_vpc_cidr_block(VpcId=vpc_id, CidrBlock="100.64.4.0/28")


def test_peered_vpcs_keep_apart_and_see_each_others_blocks(ec2, rejected):
    a = ec2.create_vpc(CidrBlock="10.80.0.0/16")["Vpc"]["VpcId"]
    b = ec2.create_vpc(CidrBlock="10.90.0.0/16")["Vpc"]["VpcId"]
    pcx = ec2.create_vpc_peering_connection(VpcId=a, PeerVpcId=b)["VpcPeeringConnection"]
    pid = pcx["VpcPeeringConnectionId"]
    ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=pid)

    rejected("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=a, CidrBlock="10.90.8.0/24")
    ec2.associate_vpc_cidr_block(VpcId=b, CidrBlock="10.91.0.0/16")
    rejected("InvalidVpc.Range", ec2.associate_vpc_cidr_block, VpcId=a, CidrBlock="10.91.0.0/20")
    [shown] = ec2.describe_vpc_peering_connections(VpcPeeringConnectionIds=[pid])[
        "VpcPeeringConnections"
    ]
    assert shown["AccepterVpcInfo"]["CidrBlockSet"] == [
        {"CidrBlock": "10.90.0.0/16"},
        {"CidrBlock": "10.91.0.0/16"},
    ]
    assert shown["RequesterVpcInfo"]["CidrBlockSet"] == [{"CidrBlock": "10.80.0.0/16"}]

    # once the peering is gone, the blocks may overlap again
    ec2.delete_vpc_peering_connection(VpcPeeringConnectionId=pid)
    ec2.associate_vpc_cidr_block(VpcId=a, CidrBlock="10.91.0.0/20")
