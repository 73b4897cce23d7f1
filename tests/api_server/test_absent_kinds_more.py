"""Issue 14's remaining reads and refusals over kinds stockade has none of: route
propagation from a virtual private gateway, snapshot attributes and endpoint-service
permissions (Terraform and Prowler send these)."""

from __future__ import annotations


def test_vgw_route_propagation_refused_for_the_unknown_gateway(ec2, vpc_id, rejected):
    table = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    for call in (ec2.enable_vgw_route_propagation, ec2.disable_vgw_route_propagation):
        error = rejected(
            "InvalidVpnGatewayID.NotFound",
            call,
            RouteTableId=table,
            GatewayId="vgw-0123456789abcdef0",
        )
        assert "vgw-0123456789abcdef0" in error["Message"]
        rejected(
            "InvalidRouteTableID.NotFound",
            call,
            RouteTableId="rtb-0123456789abcdef0",
            GatewayId="vgw-0123456789abcdef0",
        )
    [found] = ec2.describe_route_tables(RouteTableIds=[table])["RouteTables"]
    assert found.get("PropagatingVgws", []) == []


def test_snapshot_attribute_names_a_snapshot_that_does_not_exist(ec2, rejected):
    rejected(
        "InvalidSnapshot.NotFound",
        ec2.describe_snapshot_attribute,
        SnapshotId="snap-0123456789abcdef0",
        Attribute="createVolumePermission",
    )
    rejected(
        "InvalidSnapshotID.Malformed",
        ec2.describe_snapshot_attribute,
        SnapshotId="my-snapshot",
        Attribute="productCodes",
    )
    rejected(
        "InvalidParameterValue",
        ec2.describe_snapshot_attribute,
        SnapshotId="snap-0123456789abcdef0",
        Attribute="colour",
    )


def test_endpoint_service_permissions_of_an_unknown_service(ec2, rejected):
    error = rejected(
        "InvalidVpcEndpointServiceId.NotFound",
        ec2.describe_vpc_endpoint_service_permissions,
        ServiceId="vpce-svc-0123456789abcdef0",
    )
    assert "vpce-svc-0123456789abcdef0" in error["Message"]
