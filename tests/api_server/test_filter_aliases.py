"""Older filter names EC2 accepts (issue 14), and the messages real clients branch on.

Ansible's ``ec2_vpc_net`` looks a VPC up by ``cidr-block``, ``ec2_instance`` finds the
default VPC by ``isDefault`` and ``ec2_vpc_route_table`` a subnet by ``cidr``: each alias
must select exactly what its documented name selects, and unknown names still fail.
"""

from __future__ import annotations

import pytest


def _vpcs(ec2, name: str, *values: str) -> list[str]:
    found = ec2.describe_vpcs(Filters=[{"Name": name, "Values": list(values)}])["Vpcs"]
    return sorted(v["VpcId"] for v in found)


def _subnets(ec2, vpc_id: str, name: str, *values: str) -> list[str]:
    found = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": name, "Values": list(values)}]
    )["Subnets"]
    return sorted(s["SubnetId"] for s in found)


def test_vpc_aliases_select_as_documented_names(ec2):
    mine = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    [default] = _vpcs(ec2, "is-default", "true")
    assert _vpcs(ec2, "cidr-block", "10.42.0.0/16") == [mine] == _vpcs(ec2, "cidr", "10.42.0.0/16")
    assert _vpcs(ec2, "cidrBlock", "10.42.*") == [mine]
    assert _vpcs(ec2, "isDefault", "true") == [default]
    assert _vpcs(ec2, "isDefault", "false") == [mine]
    assert _vpcs(ec2, "cidr-block", "10.99.0.0/16") == []


def test_subnet_aliases_select_as_documented_names(ec2, vpc_id):
    a = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24", AvailabilityZone="us-east-1a")
    b = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24", AvailabilityZone="us-east-1b")
    a_id, b_id = a["Subnet"]["SubnetId"], b["Subnet"]["SubnetId"]
    for name in ("cidr-block", "cidr", "cidrBlock"):
        assert _subnets(ec2, vpc_id, name, "10.0.1.0/24") == [a_id], name
    for name in ("availability-zone", "availabilityZone"):
        assert _subnets(ec2, vpc_id, name, "us-east-1b") == [b_id], name
    zone_id = b["Subnet"]["AvailabilityZoneId"]
    assert _subnets(ec2, vpc_id, "availabilityZoneId", zone_id) == [b_id]
    assert _subnets(ec2, vpc_id, "defaultForAz", "false") == sorted([a_id, b_id])
    assert _subnets(ec2, vpc_id, "defaultForAz", "true") == []
    [default_vpc] = _vpcs(ec2, "isDefault", "true")
    defaults = _subnets(ec2, default_vpc, "default-for-az", "true")
    assert defaults and _subnets(ec2, default_vpc, "defaultForAz", "true") == defaults


def test_an_alias_only_stands_for_a_filter_the_action_has(ec2, rejected):
    """``cidr`` is a subnet alias, not an instance filter; unknown names keep AWS's error."""
    error = rejected(
        "InvalidParameterValue",
        ec2.describe_instances,
        Filters=[{"Name": "cidr", "Values": ["10.0.0.0/8"]}],
    )
    assert error["Message"] == "The filter 'cidr' is invalid"
    error = rejected(
        "InvalidParameterValue",
        ec2.describe_vpcs,
        Filters=[{"Name": "cidr_block", "Values": ["10.0.0.0/16"]}],
    )
    assert error["Message"] == "The filter 'cidr_block' is invalid"
    rejected(
        "InvalidParameterValue",
        ec2.describe_tags,
        Filters=[{"Name": "isDefault", "Values": ["true"]}],
    )


@pytest.mark.parametrize("name", ["tag-key", "tag-value"])
def test_tag_key_and_value_on_security_group_rules_and_tags(ec2, vpc_id, name):
    gid = ec2.create_security_group(GroupName="t", Description="d", VpcId=vpc_id)["GroupId"]
    [rule] = ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
        TagSpecifications=[
            {"ResourceType": "security-group-rule", "Tags": [{"Key": "team", "Value": "blue"}]}
        ],
    )["SecurityGroupRules"]
    wanted = "team" if name == "tag-key" else "blue"
    found = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [gid]}, {"Name": name, "Values": [wanted]}]
    )["SecurityGroupRules"]
    assert [r["SecurityGroupRuleId"] for r in found] == [rule["SecurityGroupRuleId"]]
    assert (
        ec2.describe_security_group_rules(
            Filters=[{"Name": "group-id", "Values": [gid]}, {"Name": name, "Values": ["red*"]}]
        )["SecurityGroupRules"]
        == []
    )
    tags = ec2.describe_tags(Filters=[{"Name": name, "Values": [wanted]}])["Tags"]
    assert [t["ResourceId"] for t in tags] == [rule["SecurityGroupRuleId"]]


def test_tag_key_on_every_taggable_describe(ec2, vpc_id):
    """Each taggable Describe admits ``tag-key``/``tag-value`` (a mismatch selects nothing)."""
    calls = [
        (ec2.describe_vpcs, "Vpcs"),
        (ec2.describe_subnets, "Subnets"),
        (ec2.describe_security_groups, "SecurityGroups"),
        (ec2.describe_security_group_rules, "SecurityGroupRules"),
        (ec2.describe_instances, "Reservations"),
        (ec2.describe_network_interfaces, "NetworkInterfaces"),
        (ec2.describe_internet_gateways, "InternetGateways"),
        (ec2.describe_route_tables, "RouteTables"),
        (ec2.describe_network_acls, "NetworkAcls"),
        (ec2.describe_addresses, "Addresses"),
        (ec2.describe_vpc_peering_connections, "VpcPeeringConnections"),
        (ec2.describe_nat_gateways, "NatGateways"),
    ]
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "probe", "Value": "yes"}])
    for describe, key in calls:
        for name in ("tag-key", "tag-value"):
            param = "Filter" if describe == ec2.describe_nat_gateways else "Filters"
            answer = describe(**{param: [{"Name": name, "Values": ["no-such-tag"]}]})
            assert answer[key] == [], (describe, name)
    assert _vpcs(ec2, "tag-key", "probe") == [vpc_id] == _vpcs(ec2, "tag-value", "yes")


def test_malformed_group_id_filter(ec2, vpc_id, rejected):
    for describe in (ec2.describe_security_groups, ec2.describe_security_group_rules):
        error = rejected(
            "InvalidGroupId.Malformed",
            describe,
            Filters=[{"Name": "group-id", "Values": ["foobar"]}],
        )
        assert error["Message"] == "The security group ID 'foobar' is malformed"
    # a well-formed id that does not exist matches nothing; a pattern is no id
    unknown = [{"Name": "group-id", "Values": ["sg-0123456789abcdef0"]}]
    assert ec2.describe_security_groups(Filters=unknown)["SecurityGroups"] == []
    gid = ec2.create_security_group(GroupName="p", Description="d", VpcId=vpc_id)["GroupId"]
    found = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": ["sg-*"]}])
    assert gid in [g["GroupId"] for g in found["SecurityGroups"]]


def _modify(ec2, gid, rid, **rule):
    return ec2.modify_security_group_rules(
        GroupId=gid,
        SecurityGroupRules=[
            {"SecurityGroupRuleId": rid, "SecurityGroupRule": {"CidrIpv4": "10.0.0.0/8", **rule}}
        ],
    )


def test_modify_rules_messages(ec2, vpc_id, rejected):
    gid = ec2.create_security_group(GroupName="m", Description="d", VpcId=vpc_id)["GroupId"]
    [rule] = ec2.authorize_security_group_ingress(
        GroupId=gid,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "10.0.0.0/8"}],
            }
        ],
    )["SecurityGroupRules"]
    rid = rule["SecurityGroupRuleId"]
    error = rejected(
        "InvalidParameterValue", _modify, ec2=ec2, gid=gid, rid=rid, FromPort=22, ToPort=22
    )
    assert error["Message"] == (
        "Invalid value 'null' for protocol. VPC security group rules must specify protocols "
        "explicitly."
    )
    for ports in ({"FromPort": 22}, {"ToPort": 22}, {}):
        error = rejected(
            "InvalidParameterValue", _modify, ec2=ec2, gid=gid, rid=rid, IpProtocol="udp", **ports
        )
        assert error["Message"] == (
            "Invalid value for portRange. Must specify both from and to ports with TCP/UDP."
        )
    [after] = ec2.describe_security_group_rules(SecurityGroupRuleIds=[rid])["SecurityGroupRules"]
    assert (after["IpProtocol"], after["FromPort"], after["ToPort"]) == ("tcp", 22, 22)
    assert _modify(ec2, gid, rid, IpProtocol="-1")["Return"]
