"""``import aws`` / ``export aws`` of describe-network-acls: real ACLs read as AWS printed
them, exports without them given the default ACLs AWS would have, impossible ones refused."""

from __future__ import annotations

import json

import pytest

from stockade.analysis.aws_export import export_store
from stockade.analysis.aws_import import import_directory
from stockade.domain.network_acl import default_entries, first_match
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

from .conftest import MAIN, comparable, edit_json, snapshot_of

VPC1, VPC2 = "vpc-0a1b2c3d4e5f60001", "vpc-0a1b2c3d4e5f60002"
SUBNET1, SUBNET2, SUBNET3 = (
    "subnet-0a1b2c3d4e5f61001",
    "subnet-0a1b2c3d4e5f61002",
    "subnet-0a1b2c3d4e5f61003",
)
DEFAULT, CUSTOM = "acl-0a1b2c3d4e5f69001", "acl-0a1b2c3d4e5f69002"


def _all(number: int, egress: bool, action: str, cidr: str = "0.0.0.0/0") -> dict:
    key = "Ipv6CidrBlock" if ":" in cidr else "CidrBlock"
    return {
        key: cidr,
        "Egress": egress,
        "Protocol": "-1",
        "RuleAction": action,
        "RuleNumber": number,
    }


#: describe-network-acls as AWS prints it for VPC1 of the fixture's account (VPC2 has none)
NETWORK_ACLS = {
    "NetworkAcls": [
        {
            "Associations": [
                {
                    "NetworkAclAssociationId": "aclassoc-0a1b2c3d4e5f6a001",
                    "NetworkAclId": DEFAULT,
                    "SubnetId": SUBNET2,
                }
            ],
            "Entries": [
                _all(100, True, "allow"),
                _all(101, True, "allow", "::/0"),
                _all(32767, True, "deny"),
                _all(32768, True, "deny", "::/0"),
                _all(100, False, "allow"),
                _all(101, False, "allow", "::/0"),
                _all(32767, False, "deny"),
                _all(32768, False, "deny", "::/0"),
            ],
            "IsDefault": True,
            "NetworkAclId": DEFAULT,
            "Tags": [],
            "VpcId": VPC1,
            "OwnerId": MAIN.account,
        },
        {
            "Associations": [
                {
                    "NetworkAclAssociationId": "aclassoc-0a1b2c3d4e5f6a002",
                    "NetworkAclId": CUSTOM,
                    "SubnetId": SUBNET1,
                }
            ],
            "Entries": [
                _all(32767, True, "deny"),
                {
                    "CidrBlock": "203.0.113.0/24",
                    "Egress": False,
                    "PortRange": {"From": 22, "To": 22},
                    "Protocol": "6",
                    "RuleAction": "deny",
                    "RuleNumber": 90,
                },
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": False,
                    "PortRange": {"From": 22, "To": 22},
                    "Protocol": "6",
                    "RuleAction": "allow",
                    "RuleNumber": 100,
                },
                {
                    "CidrBlock": "0.0.0.0/0",
                    "Egress": False,
                    "IcmpTypeCode": {"Code": 4, "Type": 3},
                    "Protocol": "1",
                    "RuleAction": "allow",
                    "RuleNumber": 110,
                },
                _all(32767, False, "deny"),
            ],
            "IsDefault": False,
            "NetworkAclId": CUSTOM,
            "Tags": [{"Key": "Name", "Value": "bastion"}],
            "VpcId": VPC1,
            "OwnerId": MAIN.account,
        },
    ]
}


@pytest.fixture
def with_acls(copy_fixtures):
    root = copy_fixtures()
    path = root / MAIN.account / MAIN.region / "network-acls.json"
    path.write_text(json.dumps(NETWORK_ACLS, indent=4))
    return root


def test_imported_acls_are_aws_s(with_acls, tmp_path):
    store = SqlStore.open(str(tmp_path / "s.db"))
    report = import_directory(store, with_acls)
    snapshot = snapshot_of(store)
    acls = snapshot.network_acl_by_id
    custom = acls[CUSTOM]
    assert custom.subnet_ids == (SUBNET1,) and custom.tags == (("Name", "bastion"),)
    assert first_match(custom, False, 4, "203.0.113.7", 6, 22)[0].rule_number == 90  # type: ignore[union-attr]
    assert first_match(custom, False, 4, "192.0.2.7", 6, 22)[1]
    assert first_match(custom, False, 4, "192.0.2.7", 1, icmp=(3, 4))[1]
    assert not first_match(custom, True, 4, "192.0.2.7", 6, 40000)[1]
    assert snapshot.network_acl_by_subnet[SUBNET1] is custom
    assert snapshot.network_acl_by_subnet[SUBNET2].network_acl_id == DEFAULT
    # VPC2 had no ACL in the output: it gets the default one AWS would have, with its subnet
    [implied] = [a for a in snapshot.network_acls if a.vpc_id == VPC2]
    assert implied.is_default and implied.network_acl_id.startswith("acl-")
    assert set(implied.entries) == set(default_entries(False)) and implied.subnet_ids == (SUBNET3,)
    assert any(VPC2 in w and "default network ACL" in w for w in report.warnings)


def test_export_writes_acls_and_reads_back(with_acls, tmp_path):
    store = SqlStore.open(str(tmp_path / "s.db"))
    import_directory(store, with_acls)
    export_store(store, tmp_path / "out")
    written = json.loads(
        (tmp_path / "out" / MAIN.account / MAIN.region / "network-acls.json").read_text()
    )
    by_id = {a["NetworkAclId"]: a for a in written["NetworkAcls"]}

    def entries(acl):  # AWS's order of entries is not the store's: compare them as sets
        return sorted(acl["Entries"], key=lambda e: (e["Egress"], e["RuleNumber"]))

    for original in NETWORK_ACLS["NetworkAcls"]:
        mine = by_id[original["NetworkAclId"]]
        assert {**mine, "Entries": entries(mine)} == {**original, "Entries": entries(original)}
    again = SqlStore.open(str(tmp_path / "again.db"))
    assert import_directory(again, tmp_path / "out").warnings == []
    assert comparable(snapshot_of(again)) == comparable(snapshot_of(store))


def test_old_exports_get_default_acls_allowing_everything(store):
    """The fixture has no network-acls.json: nothing any ACL denies, as before."""
    snapshot = snapshot_of(store)
    acls = {a.vpc_id: a for a in snapshot.network_acls}
    assert set(acls) == {VPC1, VPC2} and all(a.is_default for a in acls.values())
    assert set(acls[VPC1].subnet_ids) == {SUBNET1, SUBNET2}
    for subnet in (SUBNET1, SUBNET2, SUBNET3):
        acl = snapshot.network_acl_by_subnet[subnet]
        assert first_match(acl, False, 4, "192.0.2.1", 6, 22)[1]
        assert first_match(acl, True, 4, "192.0.2.1", 17, 53)[1]


def test_a_subnet_in_no_association_joins_the_default_acl(with_acls, tmp_path):
    edit_json(
        with_acls / MAIN.account / MAIN.region / "network-acls.json",
        lambda d: d["NetworkAcls"][0].update(Associations=[]),
    )
    store = SqlStore.open(str(tmp_path / "s.db"))
    report = import_directory(store, with_acls)
    assert snapshot_of(store).network_acl_by_subnet[SUBNET2].network_acl_id == DEFAULT
    assert any(SUBNET2 in w and "default ACL" in w for w in report.warnings)


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (
            lambda d: d["NetworkAcls"][1].update(VpcId="vpc-0a1b2c3d4e5f6000f"),
            "VpcId",
            "describe-vpcs",
        ),
        (
            lambda d: d["NetworkAcls"][1]["Associations"][0].update(SubnetId=SUBNET3),
            "Associations",
            "not in",
        ),
        (
            lambda d: d["NetworkAcls"][1]["Associations"][0].update(SubnetId=SUBNET2),
            "Associations",
            "also associated",
        ),
        (lambda d: d["NetworkAcls"][1].update(IsDefault=True), "IsDefault", "two default"),
        (
            lambda d: d["NetworkAcls"][1]["Entries"][1].update(RuleAction="reject"),
            "Entries[1].RuleAction",
            "",
        ),
        (lambda d: d["NetworkAcls"].append(d["NetworkAcls"][0]), "", "described twice"),
    ],
)
def test_impossible_acls_are_refused_with_nothing_written(
    with_acls, tmp_path, change, field, problem
):
    edit_json(with_acls / MAIN.account / MAIN.region / "network-acls.json", change)
    store = SqlStore.open(str(tmp_path / "s.db"))
    with pytest.raises(ImportProblem) as info:
        import_directory(store, with_acls)
    assert info.value.field.endswith(field) and problem in info.value.problem
    assert store.scopes() == []
