"""``stockade insights`` on a real store (and, reused by tests/api_server, remotely)."""

from __future__ import annotations

import json

from cli.test_cli import run  # noqa: F401 - the local-store CLI fixture


def js(result) -> object:
    return json.loads(result.stdout)


def _two_instances(run) -> dict:  # noqa: F811
    """Two instances of a VPC's default group (which admits its members) in two subnets."""
    vpc = js(run("vpc", "create", "10.0.0.0/16", "--json"))["VpcId"]
    subnets = [
        js(run("subnet", "create", "--vpc", vpc, "--cidr", cidr, "--json"))["SubnetId"]
        for cidr in ("10.0.1.0/24", "10.0.2.0/24")
    ]
    [a] = js(run("instance", "run", "--subnet", subnets[0], "--json"))
    [b] = js(run("instance", "run", "--subnet", subnets[1], "--json"))
    return {"vpc": vpc, "subnets": subnets, "a": a["InstanceId"], "b": b["InstanceId"]}


def test_path_create_analyze_list_delete(run):  # noqa: F811
    w = _two_instances(run)
    made = js(
        run(
            "insights",
            "path",
            "create",
            "--source",
            w["a"],
            "--destination",
            w["b"],
            "--port",
            "22",
            "--name",
            "ssh",
            "--json",
        )  # fmt: skip
    )
    path = made["NetworkInsightsPathId"]
    assert made["Tags"] == [{"Key": "Name", "Value": "ssh"}] and made["DestinationPort"] == 22
    listing = run("insights", "path", "list").stdout
    assert path in listing and "ssh" in listing and "tcp/22" in listing
    shown = run("insights", "analyze", path).stdout
    assert "path found" in shown and "Forward path" in shown and "Return path" in shown
    assert w["a"] in shown and w["b"] in shown and "10.0.0.0/16 → local [active]" in shown
    # a custom ACL on the destination subnet denies everything: the request is blocked
    acl = js(run("nacl", "create", "--vpc", w["vpc"], "--json"))["NetworkAclId"]
    run("nacl", "associate", acl, "--subnet", w["subnets"][1])
    denied = js(run("insights", "analyze", path, "--json"))
    assert denied["Status"] == "succeeded" and denied["NetworkPathFound"] is False
    codes = {e["ExplanationCode"] for e in denied["Explanations"]}
    assert codes == {"SUBNET_ACL_RESTRICTION"}
    human = run("insights", "analyze", path).stdout
    assert "NO PATH" in human and "SUBNET_ACL_RESTRICTION" in human
    assert f"fix: stockade nacl add-entry {acl}" in human
    # a path with analyses is kept, unless they go with it
    refused = run("insights", "path", "delete", path, ok=False)
    assert refused.exit_code == 1 and "AnalysisExistsForNetworkInsightsPath" in refused.output
    assert len(refused.output.strip().splitlines()) == 1
    run("insights", "path", "delete", path, "--with-analyses")
    assert path not in run("insights", "path", "list").stdout


def test_errors_are_one_line_with_the_aws_code(run):  # noqa: F811
    w = _two_instances(run)
    cases = [
        (("insights", "path", "create", "--source", w["a"]), "MissingParameter"),
        (
            (
                "insights",
                "path",
                "create",
                "--source",
                w["a"],
                "--destination",
                w["b"],
                "--protocol",
                "icmp",
            ),
            "InvalidParameterValue",
        ),  # fmt: skip
        (
            (
                "insights",
                "path",
                "create",
                "--source",
                "i-0123456789abcdef0",
                "--destination",
                w["b"],
            ),
            "InvalidInstanceID.NotFound",
        ),  # fmt: skip
        (("insights", "analyze", "nip-0123456789abcdef0"), "InvalidNetworkInsightsPathId.NotFound"),
        (("insights", "path", "delete", "nip-1"), "InvalidNetworkInsightsPathId.Malformed"),
    ]
    for args, code in cases:
        result = run(*args, ok=False)
        assert result.exit_code == 1
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and code in lines[0], result.output
