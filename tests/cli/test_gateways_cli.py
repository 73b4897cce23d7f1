"""``stockade address``, ``nat-gateway``, ``egress-only-gateway`` and ``vpc attribute|modify``
on a real store. The flows take ``run`` so tests/api_server reuses them through a server."""

from __future__ import annotations

import json

import pytest
from cli.test_cli import run  # noqa: F401 - the local-store fixture

__all__ = ["run"]


def js(result) -> object:
    return json.loads(result.stdout)


@pytest.fixture
def vpc(run) -> str:  # noqa: F811
    return js(run("vpc", "create", "10.0.0.0/16", "--ipv6", "--internet-gateway", "--json"))[
        "VpcId"
    ]


def test_elastic_ip_flow(run, vpc):  # noqa: F811
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))
    [inst] = js(run("instance", "run", "--subnet", subnet["SubnetId"], "--json"))
    allocated = js(run("address", "allocate", "--name", "web-ip", "--json"))
    alloc = allocated["AllocationId"]
    assert alloc.startswith("eipalloc-") and allocated["Domain"] == "vpc"
    assoc = js(run("address", "associate", alloc, "--instance", inst["InstanceId"], "--json"))
    listing = run("address", "list").stdout
    assert allocated["PublicIp"] in listing and inst["InstanceId"] in listing
    assert "web-ip" in listing
    shown = run("instance", "list").stdout
    assert allocated["PublicIp"] in shown
    failed = run("address", "release", alloc, ok=False)
    assert failed.exit_code == 1
    assert "InvalidIPAddress.InUse" in failed.output and len(failed.output.splitlines()) == 1
    other = js(run("address", "allocate", "--json"))["AllocationId"]
    refused = run(
        "address", "associate", other, "--instance", inst["InstanceId"], "--no-reassociate",
        ok=False,
    )  # fmt: skip
    assert "Resource.AlreadyAssociated" in refused.output
    run("address", "disassociate", assoc["AssociationId"])
    run("address", "release", alloc)
    run("address", "release", other)
    assert js(run("address", "list", "--json")) == []


def test_nat_and_egress_only_gateway_flow(run, vpc):  # noqa: F811
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))
    alloc = js(run("address", "allocate", "--json"))
    nat = js(
        run(
            "nat-gateway", "create", "--subnet", subnet["SubnetId"],
            "--allocation", alloc["AllocationId"], "--name", "out", "--json",
        )
    )  # fmt: skip
    assert nat["State"] == "available"
    assert nat["NatGatewayAddresses"][0]["PublicIp"] == alloc["PublicIp"]
    listing = run("nat-gateway", "list").stdout
    assert nat["NatGatewayId"] in listing and "available" in listing and "out" in listing
    [held] = js(run("address", "list", "--json"))
    assert held["NetworkInterfaceId"] == nat["NatGatewayAddresses"][0]["NetworkInterfaceId"]
    assert nat["NatGatewayId"] in run("address", "list").stdout  # shown as the holder
    missing = run("nat-gateway", "create", "--subnet", subnet["SubnetId"], ok=False)
    assert "MissingParameter" in missing.output
    private = js(
        run("nat-gateway", "create", "--subnet", subnet["SubnetId"], "--private", "--json")
    )
    assert "PublicIp" not in private["NatGatewayAddresses"][0]
    run("nat-gateway", "delete", nat["NatGatewayId"])
    states = {n["NatGatewayId"]: n["State"] for n in js(run("nat-gateway", "list", "--json"))}
    assert states == {nat["NatGatewayId"]: "deleted", private["NatGatewayId"]: "available"}
    run("address", "release", alloc["AllocationId"])

    eigw = js(run("egress-only-gateway", "create", "--vpc", vpc, "--json"))
    assert eigw["Attachments"] == [{"State": "attached", "VpcId": vpc}]
    assert eigw["EgressOnlyInternetGatewayId"] in run("egress-only-gateway", "list").stdout
    run("egress-only-gateway", "delete", eigw["EgressOnlyInternetGatewayId"])
    assert js(run("egress-only-gateway", "list", "--json")) == []


def test_vpc_attribute_flow(run, vpc):  # noqa: F811
    shown = js(run("vpc", "attribute", vpc, "--json"))
    assert shown == {
        "VpcId": vpc,
        "enableDnsSupport": {"Value": True},
        "enableDnsHostnames": {"Value": False},
        "enableNetworkAddressUsageMetrics": {"Value": False},
    }
    modified = js(run("vpc", "modify", vpc, "--dns-hostnames", "--address-usage-metrics", "--json"))
    assert modified["enableDnsHostnames"] == {"Value": True}
    assert modified["enableNetworkAddressUsageMetrics"] == {"Value": True}
    one = js(run("vpc", "attribute", vpc, "enableDnsHostnames", "--json"))
    assert one == {"VpcId": vpc, "enableDnsHostnames": {"Value": True}}
    assert "enableDnsHostnames" in run("vpc", "attribute", vpc).stdout
    run("vpc", "modify", vpc, "--no-dns-hostnames")
    run("vpc", "modify", vpc, "--no-dns-support")
    refused = run("vpc", "modify", vpc, "--dns-hostnames", ok=False)
    assert "InvalidParameterValue" in refused.output and len(refused.output.splitlines()) == 1
    bad = run("vpc", "attribute", vpc, "enableDns", ok=False)
    assert "InvalidParameterValue" in bad.output
    nothing = run("vpc", "modify", vpc, ok=False)
    assert nothing.exit_code == 1 and "at least one" in nothing.output
