"""``stockade flowlogs create|list|delete`` and ``stockade instance assign-ip|unassign-ip``
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
    return js(run("vpc", "create", "10.0.0.0/16", "--json"))["VpcId"]


def test_flow_log_flow(run, vpc):  # noqa: F811
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))
    created = js(
        run(
            "flowlogs", "create", vpc, "--traffic", "REJECT", "--interval", "60",
            "--name", "audit", "--json",
        )
    )  # fmt: skip
    [flow_log_id] = created["FlowLogIds"]
    assert flow_log_id.startswith("fl-") and created["Unsuccessful"] == []
    js(run("flowlogs", "create", subnet["SubnetId"], "--json"))
    [listed_vpc, listed_subnet] = sorted(
        js(run("flowlogs", "list", "--json")), key=lambda f: f["ResourceId"] != vpc
    )
    assert (listed_vpc["FlowLogId"], listed_vpc["TrafficType"]) == (flow_log_id, "REJECT")
    assert listed_vpc["MaxAggregationInterval"] == 60
    assert listed_vpc["Tags"] == [{"Key": "Name", "Value": "audit"}]
    assert listed_subnet["ResourceId"] == subnet["SubnetId"]
    table = run("flowlogs", "list").stdout
    assert flow_log_id in table and "audit" in table and "REJECT" in table
    # the same configuration again is refused for that resource, as AWS reports it
    again = js(run("flowlogs", "create", vpc, "--traffic", "REJECT", "--json"))
    assert again["FlowLogIds"] == []
    assert again["Unsuccessful"][0]["Error"]["Code"] == "FlowLogAlreadyExists"
    bad = run("flowlogs", "create", vpc, "--traffic", "SOME", ok=False)
    assert bad.exit_code == 1 and len(bad.output.splitlines()) == 1
    assert "InvalidParameterValue" in bad.output
    unknown = run("flowlogs", "create", "vpc-0123456789abcdef0", ok=False)
    assert "InvalidVpcID.NotFound" in unknown.output
    run("flowlogs", "delete", flow_log_id)
    missing = run("flowlogs", "delete", flow_log_id, ok=False)
    assert missing.exit_code == 1 and "InvalidFlowLogId.NotFound" in missing.output
    assert [f["ResourceId"] for f in js(run("flowlogs", "list", "--json"))] == [subnet["SubnetId"]]


def test_secondary_ip_flow(run, vpc):  # noqa: F811
    subnet = js(run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--json"))
    [inst] = js(run("instance", "run", "--subnet", subnet["SubnetId"], "--name", "web", "--json"))
    primary = inst["PrivateIpAddress"]
    named = js(run("instance", "assign-ip", "web", "10.0.1.50", "10.0.1.51", "--json"))
    assert named["PrivateIpAddresses"] == [primary, "10.0.1.50", "10.0.1.51"]
    counted = js(run("instance", "assign-ip", inst["InstanceId"], "--count", "1", "--json"))
    assert len(counted["PrivateIpAddresses"]) == 4
    shown = run("instance", "assign-ip", "web", "10.0.1.52").stdout
    assert "10.0.1.52" in shown and named["NetworkInterfaceId"] in shown
    taken = run("instance", "assign-ip", "web", primary, ok=False)
    assert taken.exit_code == 1 and "InvalidIPAddress.InUse" in taken.output
    assert len(taken.output.splitlines()) == 1
    left = js(run("instance", "unassign-ip", "web", "10.0.1.50", "10.0.1.52", "--json"))
    assert left["PrivateIpAddresses"] == [primary, "10.0.1.51", counted["PrivateIpAddresses"][3]]
    not_held = run("instance", "unassign-ip", "web", "10.0.1.50", ok=False)
    assert "InvalidParameterValue" in not_held.output
