"""``stockade vpc associate-cidr`` / ``disassociate-cidr`` on a real store (and, reused by
tests/api_server, through a live server): a secondary IPv4 block joins the VPC (subnets may
use it, ``vpc list`` shows it), leaves it once no subnet uses it, and every refusal is one
line with AWS's code that changes nothing."""

from __future__ import annotations

import json

import pytest
from cli.test_cli import run  # noqa: F401 - the local-store CLI fixture


def js(result) -> object:
    return json.loads(result.stdout)


@pytest.fixture
def vpc(run) -> str:  # noqa: F811
    return js(run("vpc", "create", "10.0.0.0/16", "--json"))["VpcId"]


def _listed(run, vpc_id: str) -> dict:  # noqa: F811
    [shown] = [v for v in js(run("vpc", "list", "--json")) if v["VpcId"] == vpc_id]
    return shown


def test_secondary_block_round_trip(run, vpc):  # noqa: F811
    answer = js(run("vpc", "associate-cidr", vpc, "10.1.0.0/16", "--json"))
    association = answer["CidrBlockAssociation"]
    assert answer["VpcId"] == vpc
    assert association["CidrBlock"] == "10.1.0.0/16"
    assert association["AssociationId"].startswith("vpc-cidr-assoc-")
    human = run("vpc", "associate-cidr", vpc, "10.2.0.0/16").stdout
    assert "10.2.0.0/16" in human and vpc in human and "vpc-cidr-assoc-" in human

    shown = _listed(run, vpc)
    assert shown["CidrBlock"] == "10.0.0.0/16"
    blocks = {a["CidrBlock"]: a for a in shown["CidrBlockAssociationSet"]}
    assert list(blocks) == ["10.0.0.0/16", "10.1.0.0/16", "10.2.0.0/16"]
    assert blocks["10.1.0.0/16"]["AssociationId"] == association["AssociationId"]
    table = run("vpc", "list").stdout
    assert all(block in table for block in blocks)

    # the block is the VPC's: a subnet may lie in it, and holds it
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.1.7.0/24", "--json"))
    in_use = run("vpc", "disassociate-cidr", association["AssociationId"], ok=False)
    assert in_use.exit_code == 1
    [line] = in_use.output.strip().splitlines()
    assert "InvalidCidrBlock.InUse" in line
    run("subnet", "delete", subnet["SubnetId"])

    gone = js(run("vpc", "disassociate-cidr", association["AssociationId"], "--json"))
    assert gone["VpcId"] == vpc
    assert gone["CidrBlockAssociation"]["CidrBlock"] == "10.1.0.0/16"
    assert gone["CidrBlockAssociation"]["AssociationId"] == association["AssociationId"]
    left = [a["CidrBlock"] for a in _listed(run, vpc)["CidrBlockAssociationSet"]]
    assert left == ["10.0.0.0/16", "10.2.0.0/16"]
    assert "10.1.0.0/16" not in run("vpc", "list").stdout
    third = next(
        a["AssociationId"]
        for a in _listed(run, vpc)["CidrBlockAssociationSet"]
        if a["CidrBlock"] == "10.2.0.0/16"
    )
    human = run("vpc", "disassociate-cidr", third).stdout
    assert "10.2.0.0/16" in human and vpc in human


def test_ipv6_block_disassociated_by_its_id(run):  # noqa: F811
    created = js(run("vpc", "create", "10.0.0.0/16", "--ipv6", "--json"))
    [v6] = created["Ipv6CidrBlockAssociationSet"]
    gone = js(run("vpc", "disassociate-cidr", v6["AssociationId"], "--json"))
    assert gone["Ipv6CidrBlockAssociation"]["Ipv6CidrBlock"] == v6["Ipv6CidrBlock"]
    assert "Ipv6CidrBlockAssociationSet" not in _listed(run, created["VpcId"])


def test_refusals_are_one_line_and_change_nothing(run, vpc):  # noqa: F811
    before = _listed(run, vpc)
    primary = before["CidrBlockAssociationSet"][0]["AssociationId"]
    cases = [
        (("vpc", "associate-cidr", vpc, "banana"), "InvalidParameterValue"),
        (("vpc", "associate-cidr", vpc, "10.0.128.0/17"), "InvalidVpc.Range"),
        (("vpc", "associate-cidr", vpc, "192.168.0.0/16"), "InvalidVpc.Range"),
        (("vpc", "associate-cidr", "vpc-00000000000000001", "10.3.0.0/16"), "InvalidVpcID"),
        (("vpc", "disassociate-cidr", primary), "OperationNotPermitted"),
        (
            ("vpc", "disassociate-cidr", "vpc-cidr-assoc-00000000000000001"),
            "InvalidVpcCidrBlockAssociationID.NotFound",
        ),
    ]
    for args, code in cases:
        result = run(*args, ok=False)
        assert result.exit_code == 1, args
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and code in lines[0], result.output
    assert _listed(run, vpc) == before


def test_help_says_what_the_commands_do(run):  # noqa: F811
    associate = run("vpc", "associate-cidr", "--help").stdout
    assert "secondary IPv4" in associate and "CIDR" in associate
    disassociate = run("vpc", "disassociate-cidr", "--help").stdout
    assert "vpc-cidr-assoc-" in disassociate
