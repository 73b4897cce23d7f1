"""Snapshot helpers on a small hand-built snapshot."""

from __future__ import annotations

import dataclasses

import pytest

from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.prefix_list import PrefixList, PrefixListEntry
from stockade.domain.security_group import (
    DEFAULT_GROUP_DESCRIPTION,
    DEFAULT_GROUP_NAME,
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.state import Snapshot

ACCT, REGION = "123456789012", "us-east-1"
VPC1, VPC2, VPC3 = "vpc-00000001", "vpc-00000002", "vpc-00000003"
SG_DEF, SG_WEB, SG_DB, SG_IDLE = "sg-00000001", "sg-00000002", "sg-00000003", "sg-00000004"


def eni(eni_id, groups, instance=None, index=None, vpc=VPC1, ip="10.0.0.10"):
    return NetworkInterface(
        eni_id,
        ACCT,
        REGION,
        vpc,
        "subnet-00000001",
        "us-east-1a",
        ip,
        "02:00:00:00:00:01",
        tuple(groups),
        instance_id=instance,
        device_index=index,
    )


def rule(rule_id, group_id, egress, peer, protocol="tcp", ports=(22, 22)):
    return SecurityGroupRule(rule_id, group_id, ACCT, RuleSpec(egress, protocol, *ports, peer))


INTERNET = Peer(PeerKind.CIDR_V4, "0.0.0.0/0")
R1 = rule("sgr-00000001", SG_DEF, False, Peer(PeerKind.GROUP, SG_DEF, ACCT), "-1", (-1, -1))
R2 = rule("sgr-00000002", SG_DEF, True, INTERNET, "-1", (-1, -1))
R3 = rule("sgr-00000003", SG_WEB, False, INTERNET, "tcp", (443, 443))
R4 = rule("sgr-00000004", SG_DB, False, Peer(PeerKind.GROUP, SG_WEB, ACCT), "tcp", (5432, 5432))
R5 = rule("sgr-00000005", SG_WEB, False, Peer(PeerKind.CIDR_V6, "::/0"), "tcp", (443, 443))

E_WEB0 = eni("eni-00000001", [SG_WEB, SG_DEF], "i-00000001", 0, ip="10.0.0.11")
E_WEB1 = eni("eni-00000002", [SG_WEB], "i-00000001", 1, ip="10.0.1.11")
E_DB = eni("eni-00000003", [SG_DB], "i-00000002", 0, ip="10.0.0.12")
E_FREE = eni("eni-00000004", [SG_DEF], ip="10.0.0.13")
IGW1 = InternetGateway("igw-00000001", ACCT, REGION, VPC1)
IGW_DETACHED = InternetGateway("igw-00000002", ACCT, REGION, None)


def instance(instance_id, primary):
    return Instance(
        instance_id,
        ACCT,
        REGION,
        "r-00000001",
        VPC1,
        "subnet-00000001",
        "us-east-1a",
        "ami-12345678",
        "t3.micro",
        InstanceState.RUNNING,
        "2024-01-01T00:00:00Z",
        primary,
    )


@pytest.fixture
def snap():
    return Snapshot(
        revision=7,
        vpcs=(
            Vpc(VPC1, ACCT, REGION, "10.0.0.0/16"),
            Vpc(VPC2, ACCT, REGION, "172.31.0.0/16", is_default=True),
            Vpc(VPC3, ACCT, REGION, "10.1.0.0/16", ipv6_cidr_block="2001:db8::/56"),
        ),
        subnets=(
            Subnet("subnet-00000001", VPC1, ACCT, REGION, "10.0.0.0/24", "us-east-1a", "use1-az1"),
        ),
        internet_gateways=(IGW_DETACHED, IGW1),
        groups=(
            SecurityGroup(
                SG_DEF, DEFAULT_GROUP_NAME, DEFAULT_GROUP_DESCRIPTION, VPC1, ACCT, REGION
            ),
            SecurityGroup(SG_WEB, "web", "web servers", VPC1, ACCT, REGION),
            SecurityGroup(SG_DB, "db", "databases", VPC1, ACCT, REGION),
            SecurityGroup(SG_IDLE, "idle", "unused", VPC1, ACCT, REGION),
        ),
        rules=(R1, R2, R3, R4, R5),
        prefix_lists=(
            PrefixList(
                "pl-00000001",
                "office",
                "IPv4",
                10,
                1,
                ACCT,
                REGION,
                (PrefixListEntry("192.0.2.0/24"),),
            ),
        ),
        interfaces=(E_WEB1, E_DB, E_WEB0, E_FREE),
        instances=(instance("i-00000001", "eni-00000001"), instance("i-00000002", "eni-00000003")),
    )


def test_members_by_group(snap):
    members = snap.members_by_group
    assert members[SG_WEB] == (E_WEB1, E_WEB0)  # snapshot order
    assert members[SG_DEF] == (E_WEB0, E_FREE)
    assert members[SG_DB] == (E_DB,)
    assert SG_IDLE not in members


def test_rules_by_group_keeps_rule_order(snap):
    by_group = snap.rules_by_group
    assert by_group[SG_DEF] == (R1, R2)
    assert by_group[SG_WEB] == (R3, R5)
    assert by_group[SG_DB] == (R4,)
    assert SG_IDLE not in by_group
    assert sum(len(v) for v in by_group.values()) == len(snap.rules)


def test_internet_gateway_for(snap):
    assert snap.internet_gateway_for(VPC1) is IGW1
    assert snap.internet_gateway_for(VPC2) is None
    assert snap.internet_gateway_for("vpc-ffffffff") is None


def test_lookups_by_id(snap):
    assert snap.vpc_by_id[VPC2].is_default
    assert snap.vpc_by_id[VPC3].has_ipv6 and not snap.vpc_by_id[VPC1].has_ipv6
    assert snap.group_by_id[SG_DEF].is_default
    assert not snap.group_by_id[SG_WEB].is_default
    assert snap.prefix_list_by_id["pl-00000001"].weight == 10
    assert snap.interface_by_id["eni-00000004"].status == "available"
    assert snap.interface_by_id["eni-00000001"].status == "in-use"
    assert snap.instance_by_id["i-00000002"].is_running


def test_interfaces_of_sorted_by_device_index(snap):
    assert snap.interfaces_of("i-00000001") == (E_WEB0, E_WEB1)
    assert snap.interfaces_of("i-00000002") == (E_DB,)
    assert snap.interfaces_of("i-ffffffff") == ()


def test_cached_views_are_computed_once(snap):
    assert snap.members_by_group is snap.members_by_group
    assert snap.rules_by_group is snap.rules_by_group


def test_snapshot_is_immutable(snap):
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.revision = 8  # type: ignore[misc]


def test_empty_snapshot():
    s = Snapshot()
    assert s.members_by_group == {}
    assert s.rules_by_group == {}
    assert s.internet_gateway_for(VPC1) is None


def test_default_group_constants_match_aws():
    # reference §1.5 / §2.1
    assert DEFAULT_GROUP_NAME == "default"
    assert DEFAULT_GROUP_DESCRIPTION == "default VPC security group"


def test_private_addresses_include_ipv6():
    e = dataclasses.replace(E_FREE, ipv6_addresses=("2001:db8::5",))
    assert e.private_addresses == ("10.0.0.13", "2001:db8::5")


def test_rule_identity_excludes_description_and_tags():
    spec = R3.spec
    a = SecurityGroupRule("sgr-00000010", SG_WEB, ACCT, spec, "one")
    b = SecurityGroupRule("sgr-00000011", SG_WEB, ACCT, spec, "two", tags=(("k", "v"),))
    assert a.spec == b.spec and a.is_egress is False
    assert {f.name for f in dataclasses.fields(RuleSpec)} == {
        "is_egress",
        "protocol",
        "from_port",
        "to_port",
        "peer",
    }
