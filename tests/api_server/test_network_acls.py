"""Network ACLs through boto3 on a real loopback server, with Terraform's and Ansible's calls."""

from __future__ import annotations

import pytest
from api_server.api_helpers import out

from stockade.api.model import model_filter_names


def _default_acl(ec2, vpc_id: str) -> dict:
    """Terraform's aws_vpc read: the default ACL by ``default=true`` and ``vpc-id``."""
    [acl] = ec2.describe_network_acls(
        Filters=[
            {"Name": "default", "Values": ["true"]},
            {"Name": "vpc-id", "Values": [vpc_id]},
        ]
    )["NetworkAcls"]
    return acl


def _subnet(ec2, vpc_id: str, cidr: str = "10.0.1.0/24") -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr)["Subnet"]["SubnetId"]


def _all(number: int, egress: bool, action: str, cidr: str = "0.0.0.0/0") -> dict:
    return {
        "CidrBlock": cidr,
        "Egress": egress,
        "Protocol": "-1",
        "RuleAction": action,
        "RuleNumber": number,
    }


def test_terraform_vpc_read_finds_the_default_acl(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.5.0.0/16")["Vpc"]["VpcId"]
    acl = _default_acl(ec2, vpc_id)
    assert acl["IsDefault"] is True and acl["VpcId"] == vpc_id
    assert acl["NetworkAclId"].startswith("acl-") and acl["Associations"] == []
    assert acl["Tags"] == [] and acl["OwnerId"]
    # exactly AWS's default entries: no PortRange on -1 entries, no Ipv6CidrBlock on IPv4
    assert sorted(acl["Entries"], key=lambda e: (e["Egress"], e["RuleNumber"])) == [
        _all(100, False, "allow"),
        _all(32767, False, "deny"),
        _all(100, True, "allow"),
        _all(32767, True, "deny"),
    ]
    # every VPC of the region has exactly one (the default VPC's holds its subnets)
    for vpc in ec2.describe_vpcs()["Vpcs"]:
        found = _default_acl(ec2, vpc["VpcId"])
        subnets = ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])
        assert {a["SubnetId"] for a in found["Associations"]} == {
            s["SubnetId"] for s in subnets["Subnets"]
        }


def test_ipv6_vpc_default_acl_has_the_ipv6_entries(ec2):
    vpc_id = ec2.create_vpc(CidrBlock="10.7.0.0/16", AmazonProvidedIpv6CidrBlock=True)["Vpc"][
        "VpcId"
    ]
    entries = _default_acl(ec2, vpc_id)["Entries"]
    six = [e for e in entries if "Ipv6CidrBlock" in e]
    assert all("CidrBlock" not in e for e in six)
    assert sorted((e["Egress"], e["RuleNumber"], e["RuleAction"]) for e in six) == [
        (False, 101, "allow"),
        (False, 32768, "deny"),
        (True, 101, "allow"),
        (True, 32768, "deny"),
    ]


def test_terraform_network_acl_association_lookup(ec2, vpc_id):
    """aws_network_acl_association reads its association by ``association.association-id``;
    ReplaceNetworkAclAssociation gives a new id, the old one is gone."""
    subnet = _subnet(ec2, vpc_id)
    [old] = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )["NetworkAcls"][0]["Associations"]
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    new_id = ec2.replace_network_acl_association(
        AssociationId=old["NetworkAclAssociationId"], NetworkAclId=acl
    )["NewAssociationId"]
    assert new_id.startswith("aclassoc-") and new_id != old["NetworkAclAssociationId"]
    found = ec2.describe_network_acls(
        Filters=[{"Name": "association.association-id", "Values": [new_id]}]
    )["NetworkAcls"]
    assert [a["NetworkAclId"] for a in found] == [acl]
    assert found[0]["Associations"] == [
        {"NetworkAclAssociationId": new_id, "NetworkAclId": acl, "SubnetId": subnet}
    ]
    gone = ec2.describe_network_acls(
        Filters=[{"Name": "association.association-id", "Values": [old["NetworkAclAssociationId"]]}]
    )
    assert gone["NetworkAcls"] == []


def test_ansible_ec2_vpc_nacl_entries_round_trip(ec2, vpc_id):
    """ec2_vpc_nacl: CreateNetworkAcl → DescribeNetworkAcls{association.subnet-id} →
    ReplaceNetworkAclAssociation → CreateNetworkAclEntry per rule; a re-run compares the
    entries below 32767 with its own dicts *as wholes* — any extra or missing key, or a
    protocol by name, would make it delete and re-create every rule on every run."""
    subnet = _subnet(ec2, vpc_id)
    acl = ec2.create_network_acl(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": [{"Key": "Name", "Value": "web"}]}
        ],
    )["NetworkAcl"]
    assert [e["RuleNumber"] for e in acl["Entries"]] == [32767, 32767]
    assert acl["Associations"] == [] and acl["IsDefault"] is False
    acl_id = acl["NetworkAclId"]
    [association] = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [subnet]}]
    )["NetworkAcls"][0]["Associations"]
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl_id
    )
    # the module's process_rule_entry for [num, proto, action, cidr, type, code, from, to]
    rules = [
        {
            "RuleNumber": 100,
            "Protocol": "6",
            "RuleAction": "allow",
            "Egress": False,
            "CidrBlock": "0.0.0.0/0",
            "PortRange": {"From": 22, "To": 22},
        },
        {
            "RuleNumber": 200,
            "Protocol": "1",
            "RuleAction": "allow",
            "Egress": False,
            "CidrBlock": "0.0.0.0/0",
            "IcmpTypeCode": {"Type": 0, "Code": 8},
        },
        {
            "RuleNumber": 300,
            "Protocol": "-1",
            "RuleAction": "deny",
            "Egress": False,
            "CidrBlock": "10.0.0.0/8",
        },
        {
            "RuleNumber": 100,
            "Protocol": "17",
            "RuleAction": "allow",
            "Egress": True,
            "CidrBlock": "0.0.0.0/0",
            "PortRange": {"From": 1024, "To": 65535},
        },
        {
            "RuleNumber": 110,
            "Protocol": "58",
            "RuleAction": "allow",
            "Egress": True,
            "Ipv6CidrBlock": "::/0",
            "IcmpTypeCode": {"Type": -1, "Code": -1},
        },
    ]
    for rule in rules:
        ec2.create_network_acl_entry(NetworkAclId=acl_id, **rule)
    [read] = ec2.describe_network_acls(Filters=[{"Name": "tag:Name", "Values": ["web"]}])[
        "NetworkAcls"
    ]
    for egress in (False, True):
        aws_rules = [
            e for e in read["Entries"] if e["Egress"] is egress and e["RuleNumber"] < 32767
        ]
        mine = [r for r in rules if r["Egress"] is egress]
        assert sorted(aws_rules, key=lambda e: e["RuleNumber"]) == mine
    assert [a["SubnetId"] for a in read["Associations"]] == [subnet]
    # delete: associations back to the default ({vpc-id} + IsDefault), then the ACL
    default = [
        a["NetworkAclId"]
        for a in ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])[
            "NetworkAcls"
        ]
        if a["IsDefault"] is True
    ]
    assert len(default) == 1
    for a in read["Associations"]:
        ec2.replace_network_acl_association(
            AssociationId=a["NetworkAclAssociationId"], NetworkAclId=default[0]
        )
    ec2.delete_network_acl(NetworkAclId=acl_id)


def test_terraform_destroy_order_meets_dependency_violation_exactly_while_needed(ec2, rejected):
    vpc_id = ec2.create_vpc(CidrBlock="10.6.0.0/16")["Vpc"]["VpcId"]
    subnet = _subnet(ec2, vpc_id, "10.6.1.0/24")
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    [association] = _default_acl(ec2, vpc_id)["Associations"]
    moved = ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
    )["NewAssociationId"]
    default = _default_acl(ec2, vpc_id)["NetworkAclId"]

    error = rejected("DependencyViolation", ec2.delete_network_acl, NetworkAclId=acl)
    assert error["Message"] == f"The networkAcl '{acl}' has dependencies and cannot be deleted."
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)
    # aws_network_acl's delete: associations back to the default ACL, then DeleteNetworkAcl
    ec2.replace_network_acl_association(AssociationId=moved, NetworkAclId=default)
    ec2.delete_network_acl(NetworkAclId=acl)
    ec2.delete_subnet(SubnetId=subnet)
    error = rejected("InvalidParameterValue", ec2.delete_network_acl, NetworkAclId=default)
    assert error["Message"] == f"cannot delete default network ACL {default}"
    ec2.delete_vpc(VpcId=vpc_id)
    rejected("InvalidNetworkAclID.NotFound", ec2.describe_network_acls, NetworkAclIds=[default])


def test_a_custom_acl_outliving_its_subnet_blocks_the_vpc_until_deleted(ec2, rejected):
    vpc_id = ec2.create_vpc(CidrBlock="10.8.0.0/16")["Vpc"]["VpcId"]
    subnet = _subnet(ec2, vpc_id, "10.8.1.0/24")
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    [association] = _default_acl(ec2, vpc_id)["Associations"]
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
    )
    ec2.delete_subnet(SubnetId=subnet)  # its association goes with it
    assert ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"][0]["Associations"] == []
    rejected("DependencyViolation", ec2.delete_vpc, VpcId=vpc_id)
    ec2.delete_network_acl(NetworkAclId=acl)
    ec2.delete_vpc(VpcId=vpc_id)


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"RuleNumber": 32767}, "InvalidParameterValue"),
        ({"RuleNumber": 0}, "InvalidParameterValue"),
        ({"RuleAction": "reject"}, "InvalidParameterValue"),
        ({"Protocol": "999"}, "InvalidParameterValue"),
        ({"CidrBlock": "10.0.0.0/33"}, "InvalidParameterValue"),
        ({"PortRange": {"From": 90, "To": 80}}, "InvalidParameterValue"),
        ({"PortRange": None}, "MissingParameter"),
        ({"Ipv6CidrBlock": "::/0"}, "InvalidParameterCombination"),
    ],
)
def test_create_entry_errors(ec2, vpc_id, rejected, params, code):
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    given = {
        "NetworkAclId": acl,
        "RuleNumber": 10,
        "Protocol": "6",
        "RuleAction": "allow",
        "Egress": False,
        "CidrBlock": "10.0.0.0/8",
        "PortRange": {"From": 80, "To": 80},
    } | params
    rejected(
        code, ec2.create_network_acl_entry, **{k: v for k, v in given.items() if v is not None}
    )


def test_entry_and_acl_errors(ec2, vpc_id, rejected):
    acl = ec2.create_network_acl(VpcId=vpc_id)["NetworkAcl"]["NetworkAclId"]
    rule = {"RuleNumber": 10, "Protocol": "-1", "RuleAction": "allow", "CidrBlock": "0.0.0.0/0"}
    ec2.create_network_acl_entry(NetworkAclId=acl, Egress=False, **rule)
    error = rejected(
        "NetworkAclEntryAlreadyExists",
        ec2.create_network_acl_entry,
        NetworkAclId=acl,
        Egress=False,
        **rule,
    )
    assert error["Message"] == "The network acl entry identified by 10 already exists."
    ec2.create_network_acl_entry(NetworkAclId=acl, Egress=True, **rule)  # its own key
    error = rejected(
        "InvalidNetworkAclEntry.NotFound",
        ec2.delete_network_acl_entry,
        NetworkAclId=acl,
        RuleNumber=11,
        Egress=False,
    )
    assert error["Message"] == "no ingress entry with number 11"
    rejected(
        "InvalidNetworkAclEntry.NotFound",
        ec2.replace_network_acl_entry,
        NetworkAclId=acl,
        Egress=False,
        **(rule | {"RuleNumber": 12}),
    )
    ec2.replace_network_acl_entry(NetworkAclId=acl, Egress=False, **(rule | {"RuleAction": "deny"}))
    ec2.delete_network_acl_entry(NetworkAclId=acl, RuleNumber=10, Egress=True)
    [read] = ec2.describe_network_acls(NetworkAclIds=[acl])["NetworkAcls"]
    assert sorted((e["Egress"], e["RuleNumber"], e["RuleAction"]) for e in read["Entries"]) == [
        (False, 10, "deny"),
        (False, 32767, "deny"),
        (True, 32767, "deny"),
    ]
    missing = "acl-" + "0" * 17
    rejected("InvalidNetworkAclID.NotFound", ec2.describe_network_acls, NetworkAclIds=[missing])
    rejected("InvalidNetworkAclId.Malformed", ec2.delete_network_acl, NetworkAclId="acl-x!")
    rejected("InvalidVpcID.NotFound", ec2.create_network_acl, VpcId="vpc-" + "0" * 17)
    rejected(
        "InvalidAssociationID.NotFound",
        ec2.replace_network_acl_association,
        AssociationId="aclassoc-" + "0" * 17,
        NetworkAclId=acl,
    )
    rejected(
        "InvalidParameterValue",
        ec2.create_network_acl,
        VpcId=vpc_id,
        TagSpecifications=[{"ResourceType": "route-table", "Tags": [{"Key": "a", "Value": "b"}]}],
    )


def test_filters_and_pagination(ec2, vpc_id):
    subnet = _subnet(ec2, vpc_id)
    acl = ec2.create_network_acl(
        VpcId=vpc_id,
        TagSpecifications=[
            {"ResourceType": "network-acl", "Tags": [{"Key": "tier", "Value": "a"}]}
        ],
    )["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=42,
        Protocol="6",
        RuleAction="allow",
        Egress=False,
        CidrBlock="192.0.2.0/24",
        PortRange={"From": 443, "To": 444},
    )
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=43,
        Protocol="1",
        RuleAction="deny",
        Egress=True,
        Ipv6CidrBlock="2001:db8::/32",
        IcmpTypeCode={"Type": 3, "Code": 4},
    )
    default = _default_acl(ec2, vpc_id)["NetworkAclId"]

    def ids(name, *values):
        found = ec2.describe_network_acls(Filters=[{"Name": name, "Values": list(values)}])
        return {a["NetworkAclId"] for a in found["NetworkAcls"]}

    assert ids("vpc-id", vpc_id) == {acl, default}
    assert ids("default", "false") >= {acl} and default not in ids("default", "false")
    assert ids("association.subnet-id", subnet) == {default}
    assert ids("association.network-acl-id", default) == {default}
    assert ids("entry.cidr", "192.0.2.0/24") == {acl}
    assert ids("entry.ipv6-cidr", "2001:db8::/32") == {acl}
    assert ids("entry.port-range.from", "443") == ids("entry.port-range.to", "444") == {acl}
    assert ids("entry.icmp.type", "3") == ids("entry.icmp.code", "4") == {acl}
    assert ids("entry.protocol", "tcp") == ids("entry.protocol", "6") == {acl}
    assert ids("entry.protocol", "icmp") == {acl}
    assert ids("entry.rule-number", "42") == {acl}
    assert ids("entry.rule-action", "deny") >= {acl, default}
    assert acl in ids("entry.egress", "true") and acl in ids("entry.egress", "false")
    assert ids("network-acl-id", acl) == {acl}
    assert ids("tag:tier", "a") == ids("tag-key", "tier") == {acl}
    assert ids("owner-id", "*") >= {acl, default}
    assert ids("entry.cidr", "not-a-cidr") == set()
    for name in sorted(model_filter_names("DescribeNetworkAcls")):
        ec2.describe_network_acls(
            Filters=[{"Name": "tag:x" if name == "tag:" else name, "Values": ["*"]}]
        )
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [acl]}])["Tags"]
    assert tags == [{"Key": "tier", "ResourceId": acl, "ResourceType": "network-acl", "Value": "a"}]
    for _ in range(5):
        ec2.create_network_acl(VpcId=vpc_id)
    pages = list(
        ec2.get_paginator("describe_network_acls").paginate(PaginationConfig={"PageSize": 5})
    )
    assert len(pages) >= 2
    assert sum(len(p["NetworkAcls"]) for p in pages) == 8  # two defaults, 1 + 5 custom


def test_aws_cli_network_acl(aws):
    vpc = out(aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"))["Vpc"]["VpcId"]
    acl = out(aws("ec2", "create-network-acl", "--vpc-id", vpc))["NetworkAcl"]["NetworkAclId"]
    aws(
        "ec2",
        "create-network-acl-entry",
        "--network-acl-id",
        acl,
        "--ingress",
        "--rule-number",
        "100",
        "--protocol",
        "6",
        "--port-range",
        "From=22,To=22",
        "--cidr-block",
        "203.0.113.0/24",
        "--rule-action",
        "allow",
    )
    [read] = out(
        aws("ec2", "describe-network-acls", "--filters", f"Name=network-acl-id,Values={acl}")
    )["NetworkAcls"]
    entry = next(e for e in read["Entries"] if e["RuleNumber"] == 100)
    assert entry["PortRange"] == {"From": 22, "To": 22} and entry["Egress"] is False
    failed = aws(
        "ec2",
        "delete-network-acl-entry",
        "--network-acl-id",
        acl,
        "--ingress",
        "--rule-number",
        "7",
        ok=False,
    )
    assert failed.returncode != 0 and "InvalidNetworkAclEntry.NotFound" in failed.stderr
