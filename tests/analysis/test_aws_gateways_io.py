"""Import and export of describe-addresses, describe-nat-gateways and
describe-egress-only-internet-gateways: AWS's files load, and import ∘ export is the
identity for state the services made."""

from __future__ import annotations

import json

import pytest

from stockade.analysis.aws_export import export_store
from stockade.analysis.aws_import import import_directory
from stockade.domain.quotas import Quotas
from stockade.domain.routing import NatGatewayState
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

from .conftest import ENI, MAIN, edit_json, snapshot_of

SUBNET_A = "subnet-0a1b2c3d4e5f61001"
VPC = "vpc-0a1b2c3d4e5f60001"
NAT_ENI = "eni-0a1b2c3d4e5f66f01"

# As `aws ec2 describe-*` prints them (shapes from the EC2 API reference's examples).
ADDRESSES = {
    "Addresses": [
        {
            "AllocationId": "eipalloc-0a1b2c3d4e5f6a001",
            "AssociationId": "eipassoc-0a1b2c3d4e5f6b001",
            "Domain": "vpc",
            "NetworkInterfaceId": ENI["spare"],
            "NetworkInterfaceOwnerId": MAIN.account,
            "PrivateIpAddress": "10.0.1.50",
            "PublicIp": "198.51.100.201",
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": "us-east-1",
            "Tags": [{"Key": "Name", "Value": "spare-ip"}],
        },
        {
            "AllocationId": "eipalloc-0a1b2c3d4e5f6a002",
            "AssociationId": "eipassoc-0a1b2c3d4e5f6b002",
            "Domain": "vpc",
            "NetworkInterfaceId": NAT_ENI,
            "NetworkInterfaceOwnerId": MAIN.account,
            "PrivateIpAddress": "10.0.1.99",
            "PublicIp": "198.51.100.202",
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": "us-east-1",
        },
        {
            "AllocationId": "eipalloc-0a1b2c3d4e5f6a003",
            "Domain": "vpc",
            "PublicIp": "198.51.100.203",
            "PublicIpv4Pool": "amazon",
            "NetworkBorderGroup": "us-east-1",
        },
    ]
}
NAT_GATEWAYS = {
    "NatGateways": [
        {
            "CreateTime": "2024-01-02T03:04:05.000Z",
            "NatGatewayAddresses": [
                {
                    "AllocationId": "eipalloc-0a1b2c3d4e5f6a002",
                    "NetworkInterfaceId": NAT_ENI,
                    "PrivateIp": "10.0.1.99",
                    "PublicIp": "198.51.100.202",
                    "AssociationId": "eipassoc-0a1b2c3d4e5f6b002",
                    "IsPrimary": True,
                    "Status": "succeeded",
                }
            ],
            "NatGatewayId": "nat-0a1b2c3d4e5f6c001",
            "State": "available",
            "SubnetId": SUBNET_A,
            "VpcId": VPC,
            "Tags": [{"Key": "Name", "Value": "egress"}],
            "ConnectivityType": "public",
        }
    ]
}
EIGWS = {
    "EgressOnlyInternetGateways": [
        {
            "Attachments": [{"State": "attached", "VpcId": VPC}],
            "EgressOnlyInternetGatewayId": "eigw-0a1b2c3d4e5f6d001",
            "Tags": [],
        }
    ]
}


@pytest.fixture
def with_gateways(copy_fixtures):
    root = copy_fixtures()
    scope_dir = root / MAIN.account / MAIN.region
    for name, data in (
        ("addresses.json", ADDRESSES),
        ("nat-gateways.json", NAT_GATEWAYS),
        ("egress-only-internet-gateways.json", EIGWS),
    ):
        (scope_dir / name).write_text(json.dumps(data, indent=4))

    def spare_has_the_address(data):
        for eni in data["NetworkInterfaces"]:
            if eni["NetworkInterfaceId"] == ENI["spare"]:
                eni["Association"] = {
                    "IpOwnerId": MAIN.account,
                    "PublicIp": "198.51.100.201",
                    "AllocationId": "eipalloc-0a1b2c3d4e5f6a001",
                    "AssociationId": "eipassoc-0a1b2c3d4e5f6b001",
                }

    edit_json(scope_dir / "network-interfaces.json", spare_has_the_address)
    return root


def test_aws_files_import(tmp_path, with_gateways):
    store = SqlStore.open(str(tmp_path / "g.db"))
    report = import_directory(store, with_gateways)
    counts = dict(next(c for s, c in report.scopes if s == MAIN))
    assert (counts["elastic_ips"], counts["nat_gateways"]) == (3, 1)
    assert counts["egress_only_internet_gateways"] == 1
    snap = snapshot_of(store)
    spare, held, free = snap.elastic_ips
    assert spare.network_interface_id == ENI["spare"] and spare.tags == (("Name", "spare-ip"),)
    assert held.nat_gateway_id == "nat-0a1b2c3d4e5f6c001" and held.instance_id is None
    assert not free.is_associated
    [nat] = snap.nat_gateways
    assert nat.state is NatGatewayState.AVAILABLE and nat.public_ip == "198.51.100.202"
    assert nat.private_ip == "10.0.1.99" and nat.create_time == "2024-01-02T03:04:05.000Z"
    [eigw] = snap.egress_only_internet_gateways
    assert eigw.vpc_id == VPC
    assert snap.interface_by_id[ENI["spare"]].public_ip == "198.51.100.201"
    # and back out: the same files again (import ∘ export ∘ import is stable)
    export_store(store, tmp_path / "out", [MAIN])
    again = SqlStore.open(str(tmp_path / "again.db"))
    import_directory(again, tmp_path / "out")
    assert snapshot_of(again).elastic_ips == snap.elastic_ips
    assert snapshot_of(again).nat_gateways == snap.nat_gateways
    exported = json.loads(
        (tmp_path / "out" / MAIN.account / MAIN.region / "addresses.json").read_text()
    )
    # the same addresses, each with its Tags (stockade writes an empty list, as for VPCs)
    assert exported == {"Addresses": [{"Tags": [], **a} for a in ADDRESSES["Addresses"]]}
    interfaces = json.loads(
        (tmp_path / "out" / MAIN.account / MAIN.region / "network-interfaces.json").read_text()
    )["NetworkInterfaces"]
    [spare_shape] = [e for e in interfaces if e["NetworkInterfaceId"] == ENI["spare"]]
    assert spare_shape["Association"]["AllocationId"] == "eipalloc-0a1b2c3d4e5f6a001"


def test_a_nat_gateway_in_an_unknown_subnet_is_refused(tmp_path, with_gateways):
    path = with_gateways / MAIN.account / MAIN.region / "nat-gateways.json"
    edit_json(path, lambda d: d["NatGateways"][0].update(SubnetId="subnet-0a1b2c3d4e5f6ffff"))
    with pytest.raises(ImportProblem, match="nat-gateways.json.*SubnetId.*no describe-subnets"):
        import_directory(SqlStore.open(str(tmp_path / "bad.db")), with_gateways)


def test_an_address_on_an_unknown_interface_is_refused(tmp_path, with_gateways):
    path = with_gateways / MAIN.account / MAIN.region / "addresses.json"
    edit_json(path, lambda d: d["Addresses"][0].update(NetworkInterfaceId="eni-0a1b2c3d4e5f6ffff"))
    store = SqlStore.open(str(tmp_path / "bad.db"))
    with pytest.raises(ImportProblem, match="addresses.json.*NetworkInterfaceId"):
        import_directory(store, with_gateways)
    assert store.scopes() == []  # all or nothing


def test_service_state_survives_export_and_import(tmp_path):
    store = SqlStore.open(str(tmp_path / "made.db"))
    scope = Scope("123456789012", "us-east-1")
    services = Services(ServiceContext(store, scope, Quotas()))
    net = services.network
    vpc = net.create_vpc("10.0.0.0/16", amazon_provided_ipv6=True)
    subnet = net.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    igw = net.create_internet_gateway()
    net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
    [detail] = services.instances.run(LaunchRequest(subnet_id=subnet.subnet_id))
    eips = services.addresses
    web = eips.allocate(tags=[("Name", "web")])
    eips.associate(web.allocation_id, instance_id=detail.instance.instance_id)
    nat_ip = eips.allocate()
    services.gateways.create_nat_gateway(subnet.subnet_id, nat_ip.allocation_id)
    gone = services.gateways.create_nat_gateway(subnet.subnet_id, connectivity_type="private")
    services.gateways.delete_nat_gateway(gone.nat_gateway_id)
    eips.allocate()
    services.gateways.create_egress_only_internet_gateway(vpc.vpc_id, tags=[("k", "v")])
    original = snapshot_of(store, scope)

    export_store(store, tmp_path / "out", [scope])
    copy = SqlStore.open(str(tmp_path / "copy.db"))
    import_directory(copy, tmp_path / "out")
    imported = snapshot_of(copy, scope)
    assert imported.elastic_ips == original.elastic_ips
    assert imported.nat_gateways == original.nat_gateways
    assert imported.egress_only_internet_gateways == original.egress_only_internet_gateways
    assert imported.interfaces == original.interfaces
    export_store(copy, tmp_path / "again", [scope])
    for name in ("addresses.json", "nat-gateways.json", "egress-only-internet-gateways.json"):
        first = (tmp_path / "out" / scope.account / scope.region / name).read_text()
        assert first == (tmp_path / "again" / scope.account / scope.region / name).read_text()
