"""Impossible state and hostile input are refused in one line (issue 10, items 8 and 9).

Each case was found by trying the import adversarially: well-formed files describing a
state AWS could never hold (an instance in a subnet no file describes, an address outside
its subnet or held twice, subnets outside or overlapping their VPC, 20 groups on one
interface, names with NUL/ESC or 10,000 characters, one group name twice in a VPC), and
JSON that Python itself chokes on (a 5,000-digit integer, 100,000-deep nesting). Every
one must be one line naming the file and the field, and must write nothing.
"""

from __future__ import annotations

import json

import pytest

from stockade.analysis.aws_import import import_directory
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

from .conftest import MAIN_DIR, edit_json

VPC = "vpc-0a1b2c3d4e5f60001"


def _instance(d: dict) -> dict:
    return d["Reservations"][0]["Instances"][0]


def _twenty_groups(files: dict) -> None:
    """18 more groups in the first VPC, and all 20 of them on the first interface."""
    extra = [
        {
            "GroupId": f"sg-0a1b2c3d4e5f640{n:02d}",
            "GroupName": f"extra-{n}",
            "Description": "extra",
            "VpcId": VPC,
            "OwnerId": "111122223333",
            "IpPermissions": [],
            "IpPermissionsEgress": [],
        }
        for n in range(18)
    ]
    files["security-groups.json"]["SecurityGroups"].extend(extra)
    eni = files["network-interfaces.json"]["NetworkInterfaces"][0]
    eni["Groups"] += [{"GroupId": g["GroupId"], "GroupName": g["GroupName"]} for g in extra]


CASES = {
    "instance in a subnet that does not exist": (
        {"instances.json": lambda d: _instance(d).update(SubnetId="subnet-0123456789abcdef0")},
        "instances.json: Reservations[0].Instances[0].SubnetId: subnet-0123456789abcdef0 is "
        "in no describe-subnets output",
    ),
    "interface address outside its subnet": (
        {
            "network-interfaces.json": lambda d: d["NetworkInterfaces"][0].update(
                PrivateIpAddress="10.0.9.10"
            )
        },
        "network-interfaces.json: NetworkInterfaces[0].PrivateIpAddress: Address 10.0.9.10 "
        "is not in subnet subnet-0a1b2c3d4e5f61001",
    ),
    "two interfaces with one private IP": (
        {
            "network-interfaces.json": lambda d: d["NetworkInterfaces"][4].update(
                PrivateIpAddress="10.0.1.10"
            )
        },
        "network-interfaces.json: NetworkInterfaces[4].PrivateIpAddress: Address 10.0.1.10 is "
        "in use",
    ),
    "subnet outside its VPC": (
        {"subnets.json": lambda d: d["Subnets"][0].update(CidrBlock="10.5.1.0/24")},
        "subnets.json: Subnets[0].CidrBlock: The CIDR '10.5.1.0/24' is invalid",
    ),
    "overlapping subnets": (
        {"subnets.json": lambda d: d["Subnets"][1].update(CidrBlock="10.0.1.128/25")},
        "subnets.json: Subnets[1].CidrBlock: The CIDR '10.0.1.128/25' conflicts with another "
        "subnet",
    ),
    "20 groups on one interface": (
        "twenty",
        "network-interfaces.json: NetworkInterfaces[0].Groups: 20 security groups: AWS allows "
        "at most 16",
    ),
    "group name with NUL": (
        {"security-groups.json": lambda d: d["SecurityGroups"][1].update(GroupName="web\x00")},
        "security-groups.json: SecurityGroups[1].GroupName: Value (web\\x00) for parameter "
        "GroupName is invalid",
    ),
    "group name with ESC": (
        {
            "security-groups.json": lambda d: d["SecurityGroups"][1].update(
                GroupName="web\x1b[2J\x1b]0;owned\x07"
            )
        },
        "SecurityGroups[1].GroupName: Value (web\\x1b[2J\\x1b]0;owned\\x07) for parameter",
    ),
    "group name of 10,000 characters": (
        {"security-groups.json": lambda d: d["SecurityGroups"][1].update(GroupName="w" * 10_000)},
        "security-groups.json: SecurityGroups[1].GroupName: Value (www",
    ),
    "one group name twice in a VPC": (
        {"security-groups.json": lambda d: d["SecurityGroups"][2].update(GroupName="WEB")},
        "security-groups.json: SecurityGroups[2].GroupName: 'WEB' is also the name of "
        "sg-0a1b2c3d4e5f63002 in vpc-0a1b2c3d4e5f60001",
    ),
    "rule description with ESC": (
        {
            "security-group-rules.json": lambda d: d["SecurityGroupRules"][5].update(
                Description="x\x1b[31m"
            )
        },
        "security-group-rules.json: SecurityGroupRules[5].Description: Invalid rule description",
    ),
    "prefix list name with ESC": (
        {
            "managed-prefix-lists.json": lambda d: d["PrefixLists"][0].update(
                PrefixListName="office\x1b[2J"
            )
        },
        "managed-prefix-lists.json: PrefixLists[0].PrefixListName: Value (office\\x1b[2J) for "
        "parameter PrefixListName is invalid. Control characters are not allowed.",
    ),
}


def _break(root, change) -> None:
    if change == "twenty":
        files = {
            name: json.loads((root / name).read_text())
            for name in ("security-groups.json", "network-interfaces.json")
        }
        _twenty_groups(files)
        for name, data in files.items():
            (root / name).write_text(json.dumps(data))
        return
    for name, edit in change.items():
        edit_json(root / name, edit)


@pytest.mark.parametrize("case", list(CASES))
def test_impossible_state_is_refused_and_nothing_is_written(copy_fixtures, tmp_path, case):
    change, expected = CASES[case]
    root = copy_fixtures(MAIN_DIR)
    _break(root, change)
    store = SqlStore.open(str(tmp_path / "s.db"))
    try:
        with pytest.raises(ImportProblem) as caught:
            import_directory(store, root)
        assert store.scopes() == []
    finally:
        store.close()
    message = str(caught.value)
    assert expected in message
    assert "\n" not in message and "\x1b" not in message and "\x00" not in message
    assert len(message) < 12_000  # one line, however long the offending value


def test_the_fixture_itself_is_possible(copy_fixtures):
    """The cases above break one thing each in a state that imports."""
    import_directory(SqlStore.open("sqlite:///:memory:"), copy_fixtures(MAIN_DIR))


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            '{"Vpcs": [{"VpcId": "vpc-0a1b2c3d4e5f60001", "CidrBlock": "10.0.0.0/16", '
            '"Version": 1' + "2" * 5_000 + "}]}",
            "holds an integer too large",
        ),
        ('{"Vpcs": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
        (
            '{"Vpcs": [{"VpcId": ' + "[" * 500 + "]" * 500 + "}]}",
            "Vpcs[0].VpcId: expected a string, got [[[[",
        ),
    ],
)
def test_json_python_chokes_on_is_one_line(copy_fixtures, text, expected):
    root = copy_fixtures(MAIN_DIR)
    (root / "vpcs.json").write_text(text)
    with pytest.raises(ImportProblem) as caught:
        import_directory(SqlStore.open("sqlite:///:memory:"), root)
    message = str(caught.value)
    assert message.startswith("aws/vpcs.json: ") and expected in message
    assert "\n" not in message and len(message) < 300


def test_cli_says_it_in_one_line(cli, copy_fixtures):
    root = copy_fixtures(MAIN_DIR)
    edit_json(
        root / "security-groups.json",
        lambda d: d["SecurityGroups"][1].update(GroupName="web\x1b[2J[bold]x[/]"),
    )
    result = cli("import", "aws", root, code=1)
    assert result.stderr.count("\n") == 1 and "\x1b" not in result.stderr
    assert "Value (web\\x1b[2J[bold]x[/]) for parameter GroupName" in result.stderr
    assert cli("audit", code=1).stderr.startswith("error: the store holds no state")
