"""``stockade nacl`` on a real store (and, reused by tests/api_server, remotely)."""

from __future__ import annotations

import json

from cli.test_cli import run  # noqa: F401 - the local-store CLI fixture


def js(result) -> object:
    return json.loads(result.stdout)


def _vpc(run) -> str:  # noqa: F811
    return js(run("vpc", "create", "10.0.0.0/16", "--json"))["VpcId"]


def _rows(shown: str, title: str) -> list[list[str]]:
    """The data rows of one rich table of ``show``'s output (cells split on the box bars)."""
    lines = shown.splitlines()
    start = next(i for i, line in enumerate(lines) if title in line)
    rows = []
    for line in lines[start + 4 :]:
        if line.startswith("└"):
            break
        rows.append([cell.strip() for cell in line.strip("│ ").split("│")])
    return rows


def test_private_subnet_flow(run):  # noqa: F811
    vpc = _vpc(run)
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))[
        "SubnetId"
    ]
    created = js(run("nacl", "create", "--vpc", vpc, "--name", "private", "--json"))
    acl = created["NetworkAclId"]
    assert [e["RuleNumber"] for e in created["Entries"]] == [32767, 32767]
    run(
        "nacl", "add-entry", acl, "200", "--cidr", "0.0.0.0/0", "--protocol", "tcp", "--ports", "22"
    )
    run(
        "nacl",
        "add-entry",
        acl,
        "100",
        "--cidr",
        "203.0.113.0/24",
        "--action",
        "deny",
        "--protocol",
        "tcp",
        "--ports",
        "22",
    )
    run(
        "nacl",
        "add-entry",
        acl,
        "100",
        "--egress",
        "--cidr",
        "0.0.0.0/0",
        "--protocol",
        "tcp",
        "--ports",
        "1024-65535",
    )
    run(
        "nacl",
        "add-entry",
        acl,
        "110",
        "--egress",
        "--cidr",
        "::/0",
        "--protocol",
        "icmpv6",
        "--icmp",
        "-1",
    )
    new_id = js(run("nacl", "associate", acl, "--subnet", subnet, "--json"))["NewAssociationId"]
    shown = run("nacl", "show", acl).stdout
    # the console's columns, in evaluation order, the * deny last
    assert _rows(shown, "Inbound rules") == [
        ["100", "SSH", "TCP", "22", "203.0.113.0/24", "Deny"],
        ["200", "SSH", "TCP", "22", "0.0.0.0/0", "Allow"],
        ["*", "All traffic", "All", "All", "0.0.0.0/0", "Deny"],
    ]
    outbound = _rows(shown, "Outbound rules")
    assert outbound[0] == ["100", "Custom TCP", "TCP", "1024 - 65535", "0.0.0.0/0", "Allow"]
    assert outbound[1][0] == "110" and outbound[1][4] == "::/0"
    assert outbound[-1][0] == "*"
    assert new_id in shown and subnet in shown
    listed = js(run("nacl", "list", "--vpc", vpc, "--json"))
    assert {a["IsDefault"] for a in listed} == {True, False} and len(listed) == 2
    assert "private" in run("nacl", "list", "--vpc", vpc).stdout

    run("nacl", "replace-entry", acl, "100", "--cidr", "198.51.100.0/24", "--action", "deny")
    entry = next(
        e
        for e in js(run("nacl", "show", acl, "--json"))["Entries"]
        if e["RuleNumber"] == 100 and not e["Egress"]
    )
    assert entry == {
        "CidrBlock": "198.51.100.0/24",
        "Egress": False,
        "Protocol": "-1",
        "RuleAction": "deny",
        "RuleNumber": 100,
    }
    run("nacl", "delete-entry", acl, "100", "--egress")
    [default] = [a["NetworkAclId"] for a in listed if a["IsDefault"]]
    run("nacl", "associate", default, "--subnet", subnet)  # the console's "disassociate"
    run("nacl", "delete", acl)


def test_errors_are_one_line_with_the_aws_code(run):  # noqa: F811
    vpc = _vpc(run)
    acl = js(run("nacl", "create", "--vpc", vpc, "--json"))["NetworkAclId"]
    [default] = [a for a in js(run("nacl", "list", "--vpc", vpc, "--json")) if a["IsDefault"]]
    run("nacl", "add-entry", acl, "10", "--cidr", "0.0.0.0/0")
    cases = [
        (("nacl", "add-entry", acl, "10", "--cidr", "0.0.0.0/0"), "NetworkAclEntryAlreadyExists"),
        (("nacl", "add-entry", acl, "32767", "--cidr", "0.0.0.0/0"), "InvalidParameterValue"),
        (
            ("nacl", "add-entry", acl, "11", "--cidr", "0.0.0.0/0", "--protocol", "tcp"),
            "MissingParameter",
        ),
        (
            ("nacl", "add-entry", acl, "11", "--cidr", "0.0.0.0/0", "--ports", "a-b"),
            "InvalidParameterValue",
        ),
        (("nacl", "delete-entry", acl, "12"), "InvalidNetworkAclEntry.NotFound"),
        (("nacl", "delete", default["NetworkAclId"]), "InvalidParameterValue"),
        (("nacl", "show", "acl-00000000000000001"), "InvalidNetworkAclID.NotFound"),
        (
            ("nacl", "associate", acl, "--subnet", "subnet-00000000000000001"),
            "InvalidSubnetID.NotFound",
        ),
    ]
    for args, code in cases:
        result = run(*args, ok=False)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and code in lines[0], result.output
