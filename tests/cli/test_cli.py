"""The CLI on a real store: commands, --json shapes and one-line AWS errors."""

from __future__ import annotations

import json
import secrets

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "cli.db"))
    monkeypatch.setenv("COLUMNS", "200")
    # the live demo (as root) gets a world of its own: parallel runs never share one
    monkeypatch.setenv("STOCKADE_DEMO_PREFIX", f"stk{secrets.token_hex(3)}-")
    runner = CliRunner()

    def invoke(*args: str, ok: bool = True):
        result = runner.invoke(app, list(args))
        if ok:
            assert result.exit_code == 0, result.output
        return result

    return invoke


def js(result) -> object:
    return json.loads(result.stdout)


@pytest.fixture
def vpc(run) -> str:
    return js(run("vpc", "create", "10.0.0.0/16", "--internet-gateway", "--json"))["VpcId"]


def test_group_lifecycle_with_services_and_ports(run, vpc):
    created = js(run("sg", "create", "web", "--description", "web servers", "--vpc", vpc, "--json"))
    assert created["GroupName"] == "web" and created["IpPermissions"] == []
    assert created["IpPermissionsEgress"][0]["IpRanges"] == [{"CidrIp": "0.0.0.0/0"}]
    run("sg", "allow", "web", "--vpc", vpc, "--service", "ssh", "--cidr", "203.0.113.10/32")
    run(
        "sg",
        "allow",
        "web",
        "--vpc",
        vpc,
        "--port",
        "8000-8080",
        "--cidr",
        "10.0.0.5/16",
        "--description",
        "app ports",
    )
    run("sg", "allow", "web", "--vpc", vpc, "--service", "https", "--cidr", "::/0")
    shown = js(run("sg", "show", created["GroupId"], "--json"))
    perms = {
        (p["IpProtocol"], p.get("FromPort"), p.get("ToPort")): p for p in shown["IpPermissions"]
    }
    assert perms[("tcp", 22, 22)]["IpRanges"] == [{"CidrIp": "203.0.113.10/32"}]
    assert perms[("tcp", 8000, 8080)]["IpRanges"] == [
        {"CidrIp": "10.0.0.0/16", "Description": "app ports"}
    ]
    assert perms[("tcp", 443, 443)]["Ipv6Ranges"] == [{"CidrIpv6": "::/0"}]
    human = run("sg", "show", "web", "--vpc", vpc).stdout
    for text in ("SSH", "HTTPS", "8000 - 8080", "203.0.113.10/32", "app ports", "Inbound rules"):
        assert text in human
    revoked = js(
        run(
            "sg",
            "revoke",
            "web",
            "--vpc",
            vpc,
            "--service",
            "ssh",
            "--cidr",
            "203.0.113.10/32",
            "--json",
        )
    )
    assert revoked["RevokedSecurityGroupRules"][0]["FromPort"] == 22
    run("sg", "delete", "web", "--vpc", vpc)
    assert [g["GroupName"] for g in js(run("sg", "list", "--vpc", vpc, "--json"))] == ["default"]


@pytest.mark.parametrize(
    "service, proto, port",
    [
        ("ssh", "tcp", 22),
        ("sftp", "tcp", 22),
        ("ftp", "tcp", 21),
        ("http", "tcp", 80),
        ("https", "tcp", 443),
        ("rdp", "tcp", 3389),
        ("MYSQL/Aurora", "tcp", 3306),
        ("dns-udp", "udp", 53),
    ],
)
def test_well_known_services_by_name(run, vpc, service, proto, port):
    run("sg", "create", "g", "--vpc", vpc)
    [rule] = js(
        run(
            "sg", "allow", "g", "--vpc", vpc, "--service", service, "--cidr", "10.0.0.0/8", "--json"
        )
    )["SecurityGroupRules"]
    assert (rule["IpProtocol"], rule["FromPort"], rule["ToPort"]) == (proto, port, port)


def test_errors_are_one_line_with_the_aws_code(run, vpc):
    run("sg", "create", "web", "--vpc", vpc)
    result = run("sg", "create", "WEB", "--vpc", vpc, ok=False)
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        f"error: InvalidGroup.Duplicate: The security group 'WEB' already exists for VPC '{vpc}'"
    ]
    bad = run("sg", "allow", "web", "--vpc", vpc, "--port", "22", "--cidr", "10.0.0.1", ok=False)
    assert (
        bad.exit_code == 1
        and "InvalidParameterValue: CIDR block 10.0.0.1 is malformed" in bad.stderr
    )
    unknown = run(
        "sg", "allow", "web", "--vpc", vpc, "--service", "gopher", "--cidr", "10.0.0.0/8", ok=False
    )
    assert unknown.exit_code == 1 and "Unknown service 'gopher'" in unknown.stderr


def test_source_group_by_name_and_instances(run, vpc):
    subnet = js(
        run("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24", "--public", "--json")
    )
    run("sg", "create", "db", "--vpc", vpc)
    run("sg", "create", "app", "--vpc", vpc)
    [rule] = js(
        run("sg", "allow", "db", "--vpc", vpc, "--port", "5432", "--source-group", "app", "--json")
    )["SecurityGroupRules"]
    assert rule["ReferencedGroupInfo"]["GroupId"].startswith("sg-")
    [inst] = js(
        run(
            "instance",
            "run",
            "--name",
            "api",
            "--subnet",
            subnet["SubnetId"],
            "--group",
            "app",
            "--json",
        )
    )
    assert inst["PublicIpAddress"] and inst["SecurityGroups"][0]["GroupName"] == "app"
    moved = js(run("instance", "set-groups", "api", "app", "db", "--json"))
    assert [g["GroupName"] for g in moved["SecurityGroups"]] == ["app", "db"]
    stopped = js(run("instance", "stop", "api", "--json"))
    assert stopped[0]["CurrentState"]["Name"] == "stopping"
    listing = run("instance", "list").stdout
    assert "api" in listing and "stopped" in listing
    run("instance", "terminate", inst["InstanceId"])


def test_prefix_lists(run):
    pl = js(
        run(
            "prefix-list",
            "create",
            "office",
            "--max-entries",
            "3",
            "--entry",
            "192.0.2.0/24=hq",
            "--json",
        )
    )
    plid = pl["PrefixListId"]
    assert pl["Entries"] == [{"Cidr": "192.0.2.0/24", "Description": "hq"}]
    v2 = js(run("prefix-list", "modify", plid, "--add", "198.51.100.0/24", "--json"))
    assert v2["Version"] == 2 and len(v2["Entries"]) == 2
    v1 = js(run("prefix-list", "show", plid, "--version", "1", "--json"))
    assert [e["Cidr"] for e in v1["Entries"]] == ["192.0.2.0/24"]
    run("prefix-list", "delete", plid)


def test_demo_prints_the_seed(run):
    out = run("demo").stdout
    for text in ("203.0.113.10/32", "HTTP from anywhere", "group-1", "ntp", "ssh-only"):
        assert text in out
    flat = " ".join(out.split())  # table cells wrap
    assert "10.0.2.0/24" in flat and "app:80 (private subnet, public IP)" in flat
    # every verdict as expected, and (as root) the packets agree; styles are styles, not text
    assert "UNEXPECTED" not in out and "[green]" not in out and "[red" not in out


def test_quotas_are_configurable(run, vpc, monkeypatch):
    monkeypatch.setenv("STOCKADE_QUOTAS", "rules_per_group=2")
    run("sg", "create", "tight", "--vpc", vpc)
    run("sg", "allow", "tight", "--vpc", vpc, "--port", "1", "--cidr", "10.0.0.0/8")
    run("sg", "allow", "tight", "--vpc", vpc, "--port", "2", "--cidr", "10.0.0.0/8")
    over = run(
        "sg", "allow", "tight", "--vpc", vpc, "--port", "3", "--cidr", "10.0.0.0/8", ok=False
    )
    assert over.exit_code == 1 and "RulesPerSecurityGroupLimitExceeded" in over.stderr
    monkeypatch.setenv("STOCKADE_QUOTAS", "rules_per_group=lots")
    bad = run("sg", "list", ok=False)
    assert bad.exit_code == 1
    assert (
        bad.stderr.strip()
        == "error: STOCKADE_QUOTAS: quota rules_per_group must be an integer, not 'lots'"
    )


def test_demo_without_root_says_why_and_shows_the_analyzer(run, monkeypatch):
    monkeypatch.setattr("os.geteuid", lambda: 1000)
    out = run("demo").stdout
    assert "needs root" in out and "not running as root" in out
    flat = " ".join(out.split())  # table cells wrap
    assert "analyzer's verdicts" in flat and "198.51.100.7 (an outsider) -> web:22" in flat
    assert "fix:" in flat and "ENI_SG_RULES_MISMATCH" in flat
    # the private subnet: blocked by its routes, fixed by the public table
    assert "NO_ROUTE_TO_DESTINATION" in flat and "stockade route-table associate" in flat
