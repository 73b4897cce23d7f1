"""Typed ports the parsers used to misread (``view/rule_input``), refused on the real CLI
and store: one line with the AWS code, and nothing written.

``22-`` was read as port 22 and ICMP ``8:`` as every code (a separator with nothing
after it); ``2_2``, ``+22`` and other scripts' digits went through Python's ``int()``,
which takes them, so ``--port 2_2`` opened port 22."""

from __future__ import annotations

import pytest
from cli.test_cli import (
    js,
    run,  # noqa: F401 - the local-store CLI fixture
)


@pytest.mark.parametrize(
    "proto, port",
    [("tcp", "22-"), ("tcp", "2_2"), ("udp", "+53"), ("tcp", "２２"), ("icmp", "8:")],
)
def test_sg_allow_refuses_a_misread_port_and_adds_no_rule(run, proto, port):  # noqa: F811
    vpc = js(run("vpc", "create", "10.0.0.0/16", "--json"))["VpcId"]
    group = js(run("sg", "create", "web", "--vpc", vpc, "--json"))["GroupId"]
    bad = run(
        "sg", "allow", group, "--proto", proto, "--port", port, "--cidr", "0.0.0.0/0", ok=False
    )
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == [
        f"error: InvalidParameterValue: Invalid --port '{port}': use 22, 8000-8080 or all "
        "(ICMP: TYPE[:CODE])"
    ]
    assert js(run("sg", "show", group, "--json"))["IpPermissions"] == []


@pytest.mark.parametrize("option, value", [("--ports", "1_024"), ("--ports", "+22")])
def test_nacl_add_entry_refuses_a_misread_number_and_adds_no_entry(run, option, value):  # noqa: F811
    vpc = js(run("vpc", "create", "10.0.0.0/16", "--json"))["VpcId"]
    acl = js(run("nacl", "create", "--vpc", vpc, "--json"))["NetworkAclId"]
    bad = run(
        "nacl", "add-entry", acl, "10", "--cidr", "0.0.0.0/0", "--protocol", "tcp", option, value,
        ok=False,
    )  # fmt: skip
    assert bad.exit_code == 1
    assert bad.stderr.strip().splitlines() == [
        f"error: InvalidParameterValue: Invalid value '{value}' for {option}."
    ]
    entries = js(run("nacl", "show", acl, "--json"))["Entries"]
    assert [e["RuleNumber"] for e in entries] == [32767, 32767]
