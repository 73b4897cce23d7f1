"""The reader's two modes: strict (the import) names the file and the field of every bad
value; lenient (the remote client) takes a server's answer as sent, with AWS's defaults for
what it leaves out. Both name the field when a required one is missing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from stockade.domain.instance import InstanceState
from stockade.domain.interface import ConnectionTracking
from stockade.domain.security_group import Peer, PeerKind
from stockade.shapes import read_groups, read_instances, read_network
from stockade.shapes.fields import ImportProblem, Node, Origin, answer

ORIGIN = Origin("us-east-1", "111122223333")
VPC = {"VpcId": "vpc-0123456789abcdef0", "CidrBlock": "10.0.0.0/16"}
RULE = {
    "SecurityGroupRuleId": "sgr-0123456789abcdef0",
    "GroupId": "sg-0123456789abcdef0",
    "IsEgress": False,
    "IpProtocol": "tcp",
    "FromPort": 22,
    "ToPort": 22,
    "CidrIpv4": "10.0.0.1/8",
}
ENI = {
    "NetworkInterfaceId": "eni-0123456789abcdef0",
    "VpcId": "vpc-0123456789abcdef0",
    "SubnetId": "subnet-0123456789abcdef0",
    "AvailabilityZone": "us-east-1a",
    "PrivateIpAddress": "10.0.1.5",
}


def strict(document: dict) -> Node:
    return Node(document, "sg.json")


def problem(read, *args) -> str:
    with pytest.raises(ImportProblem) as info:
        read(*args)
    return str(info.value)


def group_with(permission: dict) -> dict:
    return {"SecurityGroups": [{
        "GroupId": "sg-0123456789abcdef0", "GroupName": "web", "VpcId": VPC["VpcId"],
        "IpPermissions": [{"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80,
                           "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}, permission],
    }]}  # fmt: skip


def specs_of(document: dict):
    [g] = strict(document).items("SecurityGroups")
    return read_groups.rule_specs(g, ORIGIN)


@pytest.mark.parametrize("permission, where, what", [
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
      "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "10.0.0.0/33"}]},
     "SecurityGroups[0].IpPermissions[1].IpRanges[1].CidrIp", "malformed"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 21, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]},
     "SecurityGroups[0].IpPermissions[1].FromPort", "greater than to port"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
      "UserIdGroupPairs": [{"GroupName": "old"}]},
     "SecurityGroups[0].IpPermissions[1].UserIdGroupPairs[0].GroupId", "name only"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
      "IpRanges": [{"CidrIp": "10.0.0.0/8", "Description": "x" * 256}]},
     "SecurityGroups[0].IpPermissions[1].IpRanges[0].Description", "less than 256"),
    # What the expansion (domain/permissions.expand) rejects is located at the permission.
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22,
      "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "10.0.0.1/8"}]},
     "SecurityGroups[0].IpPermissions[1]", "must not appear multiple times"),
    ({"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22},
     "SecurityGroups[0].IpPermissions[1]", "at least one source or destination"),
    ({"IpProtocol": "tcp", "FromPort": 80, "ToPort": 80, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]},
     "SecurityGroups[0].IpPermissions[1]", "'inbound tcp 80-80 0.0.0.0/0' appears twice"),
])  # fmt: skip
def test_strict_permissions_name_file_and_field(permission, where, what):
    message = problem(specs_of, group_with(permission))
    assert message.startswith(f"sg.json: {where}: "), message
    assert what in message


def test_strict_permissions_expand_one_rule_per_peer():
    permission = {"IpProtocol": "6", "FromPort": 22, "ToPort": 22,
                  "IpRanges": [{"CidrIp": "10.0.0.1/8", "Description": "office"}],
                  "UserIdGroupPairs": [{"GroupId": "sg-0123456789abcdef1"}]}  # fmt: skip
    specs = specs_of(group_with(permission))
    peers = {spec.peer: d for spec, d in specs.items() if spec.from_port == 22}
    assert peers == {
        Peer(PeerKind.CIDR_V4, "10.0.0.0/8"): "office",
        # A pair without UserId is a group of the reading account.
        Peer(PeerKind.GROUP, "sg-0123456789abcdef1", ORIGIN.account): None,
    }
    assert {spec.protocol for spec in specs} == {"tcp"}


@pytest.mark.parametrize("shape, field, what", [
    ({**VPC, "CidrBlock": "10.0.0.0/33"}, "Vpcs[0].CidrBlock", "malformed"),
    ({**VPC, "VpcId": "vpc-nothex"}, "Vpcs[0].VpcId", "vpc-nothex"),
    ({**VPC, "IsDefault": "yes"}, "Vpcs[0].IsDefault", "expected a boolean"),
    ({"CidrBlock": "10.0.0.0/16"}, "Vpcs[0].VpcId", "missing (required)"),
])  # fmt: skip
def test_strict_vpc_problems_are_located(shape, field, what):
    [v] = Node({"Vpcs": [shape]}, "vpcs.json").items("Vpcs")
    message = problem(read_network.vpc, v, ORIGIN)
    assert message.startswith(f"vpcs.json: {field}: ") and what in message, message


def test_strict_interface_and_instance_problems_are_located():
    bad = Node({**ENI, "Ipv6Addresses": [{"Ipv6Address": "10.0.0.1"}]}, "enis.json", "E[0]")
    assert problem(read_instances.network_interface, bad, ORIGIN) == (
        "enis.json: E[0].Ipv6Addresses[0].Ipv6Address: '10.0.0.1' is not an IPv6 address"
    )
    instance = {
        "InstanceId": "i-0123456789abcdef0",
        "State": {"Name": "running"},
        "Placement": {"AvailabilityZone": "us-east-1a"},
        "NetworkInterfaces": [],
    }
    reservation = Node({"ReservationId": "r-0123456789abcdef0", "Instances": [instance]},
                       "instances.json", "Reservations[0]")  # fmt: skip
    [i] = reservation.items("Instances")
    assert "Reservations[0].Instances[0].NetworkInterfaces: no interface with" in problem(
        read_instances.instance, i, reservation, ORIGIN
    )


def test_lenient_takes_values_as_sent():
    """The client does not second-guess its server: no canonical form, no id check."""
    shape = {**RULE, "GroupId": "sg-legacy", "GroupOwnerId": "444455556666"}
    rule = read_groups.security_group_rule(answer(shape, "the test answer"), ORIGIN)
    assert rule.spec.peer == Peer(PeerKind.CIDR_V4, "10.0.0.1/8")
    assert (rule.group_id, rule.owner_id) == ("sg-legacy", "444455556666")
    # The same shape in a file to import is checked and made canonical.
    strict_rule = read_groups.security_group_rule(Node(RULE, "rules.json"), ORIGIN)
    assert strict_rule.spec.peer == Peer(PeerKind.CIDR_V4, "10.0.0.0/8")
    assert strict_rule.owner_id == ORIGIN.account
    assert "sg-legacy" in problem(read_groups.security_group_rule, Node(shape, "r.json"), ORIGIN)


def test_lenient_defaults_for_what_an_answer_leaves_out():
    v = read_network.vpc(answer(VPC, "the create_vpc answer"), ORIGIN)
    assert (v.owner_id, v.state, v.instance_tenancy, v.dhcp_options_id, v.tags) == (
        ORIGIN.account, "available", "default", "default", ())  # fmt: skip
    assert v.ipv6_cidr_block is None and v.is_default is False
    shape = {**ENI, "ConnectionTrackingConfiguration": {"UdpTimeout": 60}}
    eni = read_instances.network_interface(answer(shape, "x"), ORIGIN)
    assert eni.connection_tracking == ConnectionTracking(udp_timeout=60)
    assert eni.connection_tracking_set and eni.source_dest_check and eni.mac_address == ""
    assert (eni.instance_id, eni.device_index, eni.status) == (None, None, "available")
    revoked = {k: v for k, v in RULE.items() if k != "CidrIpv4"}
    revoked["ReferencedGroupId"] = "sg-0123456789abcdef1"
    rule = read_groups.security_group_rule(answer(revoked, "revoke"), ORIGIN)
    assert rule.spec.peer == Peer(PeerKind.GROUP, "sg-0123456789abcdef1", ORIGIN.account)
    assert (rule.owner_id, rule.description, rule.tags) == (ORIGIN.account, None, ())


def test_lenient_still_names_a_missing_required_field():
    message = problem(read_network.vpc, answer({"CidrBlock": "10.0.0.0/16"}, "the x answer"),
                      ORIGIN)  # fmt: skip
    assert message == "the x answer: VpcId: missing (required)"


def test_terminated_instance_has_no_vpc_subnet_or_interfaces_in_either_mode():
    """boto3 parses LaunchTime into a datetime; a JSON file holds the text."""
    instance = {"InstanceId": "i-0123456789abcdef0", "State": {"Name": "terminated"},
                "Placement": {"AvailabilityZone": "us-east-1a"}, "ImageId": "ami-1",
                "InstanceType": "t3.micro",
                "LaunchTime": datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)}  # fmt: skip
    reservation = {"ReservationId": "r-0123456789abcdef0", "OwnerId": "444455556666",
                   "Instances": [instance]}  # fmt: skip
    for node in (answer(reservation, "x"), Node({**reservation, "Instances": [
            {**instance, "LaunchTime": "2024-05-06T07:08:09.000Z"}]}, "i.json")):  # fmt: skip
        [i] = node.items("Instances")
        got, interfaces = read_instances.instance(i, node, ORIGIN)
        assert (got.vpc_id, got.subnet_id, got.primary_eni_id, interfaces) == ("", "", "", [])
        assert got.state is InstanceState.TERMINATED
        assert got.launch_time == "2024-05-06T07:08:09.000Z"
        assert got.owner_id == ("444455556666" if not node.strict else ORIGIN.account)


def test_a_vpcs_live_ipv4_blocks_are_all_kept_and_shown_again():
    """Secondary IPv4 blocks survive the reader (a disassociated one does not) and the
    writer shows them again in the association set, primary first."""
    from stockade.shapes import network as network_shapes

    vpc = {**VPC, "CidrBlockAssociationSet": [
        {"CidrBlock": "10.0.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "10.1.0.0/16", "CidrBlockState": {"State": "associated"}},
        {"CidrBlock": "10.2.0.0/16", "CidrBlockState": {"State": "disassociated"}},
        {"CidrBlock": "100.64.0.0/16", "CidrBlockState": {"State": "associating"}},
    ]}  # fmt: skip
    read = read_network.vpc(answer(vpc, "x"), ORIGIN)
    assert read.ipv4_blocks == ("10.0.0.0/16", "10.1.0.0/16", "100.64.0.0/16")
    shown = network_shapes.vpc(read)["CidrBlockAssociationSet"]
    assert [a["CidrBlock"] for a in shown] == list(read.ipv4_blocks)


def test_detached_and_disassociated_are_not_the_resources():
    """Where the client's old converter and the import disagreed, the AWS reading wins: a
    disassociated IPv6 block is not the VPC's, a detached gateway attaches nothing."""
    vpc = {**VPC, "Ipv6CidrBlockAssociationSet": [
        {"Ipv6CidrBlock": "2001:db8:1::/56", "Ipv6CidrBlockState": {"State": "disassociated"}},
        {"Ipv6CidrBlock": "2001:db8:2::/56", "Ipv6CidrBlockState": {"State": "associated"}},
    ]}  # fmt: skip
    assert read_network.vpc(answer(vpc, "x"), ORIGIN).ipv6_cidr_block == "2001:db8:2::/56"
    igw = {"InternetGatewayId": "igw-0123456789abcdef0",
           "Attachments": [{"VpcId": VPC["VpcId"], "State": "detached"}]}  # fmt: skip
    assert read_network.internet_gateway(answer(igw, "x"), ORIGIN).vpc_id is None
