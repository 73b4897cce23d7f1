"""``stockade check`` and ``stockade exposure`` on the seed scenario built through the
services into a real store: the issue's seed checks, end to end."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.demo.checks import SEED_CHECKS, run_checks
from stockade.demo.seed import build_seed
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import RouteRequest
from stockade.store.sql import SqlStore


@pytest.fixture
def seeded(tmp_path, monkeypatch):
    db = str(tmp_path / "seed.db")
    monkeypatch.setenv("STOCKADE_DB", db)
    monkeypatch.setenv("COLUMNS", "200")
    store = SqlStore.open(db)
    ctx = ServiceContext(store, Scope())
    seed = build_seed(ctx)
    yield ctx, seed
    store.close()


def check(*args: str) -> dict:
    result = CliRunner().invoke(app, ["check", *args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_every_seed_check_has_its_expected_verdict(seeded):
    ctx, seed = seeded
    with ctx.read() as tx:
        snapshot = tx.snapshot()
    results = run_checks(snapshot, seed)
    assert [d.verdict.value for _, d in results] == [c.expected for c in SEED_CHECKS]


def test_my_computer_may_ssh_to_web_by_the_ssh_rule(seeded):
    ctx, seed = seeded
    out = check("--from", "203.0.113.10", "--to", "web", "--port", "22")
    assert out["verdict"] == "allowed"
    assert out["explanation"].startswith("ALLOWED: tcp/22 from 203.0.113.10")  # a view now
    [rule] = out["allowed_by"]
    assert rule["peer"] == "203.0.113.10/32" and rule["security_group_id"] == seed.groups["web"]
    [back] = out["routes"]  # the reply leaves web's subnet by its route to the gateway
    assert back["leg"] == "return" and back["target"].startswith("igw-")
    assert back["state"] == "active" and "route return: " in out["explanation"]


def test_an_outsider_may_not_and_gets_the_fix(seeded):
    ctx, seed = seeded
    out = check("--from", "198.51.100.7", "--to", "web", "--port", "22")
    assert out["verdict"] == "denied"
    [blocker] = out["blockers"]
    assert blocker["explanation_code"] == "ENI_SG_RULES_MISMATCH"
    assert (
        blocker["remedy"]
        == f"add inbound tcp/22 from 198.51.100.7/32 to {seed.groups['web']} (web)"
    )


def test_anyone_reaches_web_on_80(seeded):
    assert check("--from", "192.0.2.200", "--to", "web", "--port", "80")["verdict"] == "allowed"


@pytest.mark.parametrize("source, verdict", [("A", "allowed"), ("B", "allowed"), ("C", "denied")])
def test_group_reference_checks(seeded, source, verdict):
    ctx, seed = seeded
    out = check("--from", source, "--to", seed.instances["ntp"], "--port", "123")
    assert out["verdict"] == verdict
    if verdict == "allowed":
        ingress = [r for r in out["allowed_by"] if r["direction"] == "ingress"]
        assert ingress[0]["security_group_id"] == seed.groups["group-1"]


def test_the_route_fix_check_names_is_a_command_that_fixes_it(seeded):
    """web's subnet moved to a table without an internet route while the main table has
    one: denied both ways, and the remedy (back to the main table), run as printed, makes
    the check pass again."""
    ctx, seed = seeded
    services = Services(ctx)
    tables = services.route_tables
    [main] = [
        d.table for d in tables.describe() if d.table.vpc_id == seed.vpc_id and d.table.is_main
    ]
    tables.create_route(main.route_table_id, RouteRequest.of("0.0.0.0/0", seed.igw_id))
    dark = tables.create(seed.vpc_id).table.route_table_id
    [association] = tables.get(seed.public_route_table_id).table.associations
    tables.replace_association(association.association_id, dark)
    out = check("--from", "203.0.113.10", "--to", "web", "--port", "22")
    assert out["verdict"] == "denied"
    [blocker] = out["blockers"]
    assert blocker["explanation_code"] == "NO_ROUTE_TO_DESTINATION"
    assert blocker["component"]["id"] == dark
    assert blocker["remedy"].startswith("stockade route-table disassociate rtbassoc-")
    command = blocker["remedy"].split()[1:]
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert check("--from", "203.0.113.10", "--to", "web", "--port", "22")["verdict"] == "allowed"


def test_human_output_and_errors(seeded):
    runner = CliRunner()
    out = runner.invoke(app, ["check", "--from", "C", "--to", "ntp", "--port", "123"])
    assert (
        out.exit_code == 0 and "DENIED" in out.stdout and "fix: add inbound tcp/123" in out.stdout
    )
    missing = runner.invoke(app, ["check", "--from", "nobody", "--to", "ntp", "--port", "1"])
    assert missing.exit_code == 1 and "InvalidInstanceID.NotFound" in missing.stderr


def test_check_says_whether_aws_tracks_the_connection(seeded):
    ctx, seed = seeded
    # tcp/80 from 0.0.0.0/0 with the default outbound rule: AWS does not track it
    http = check("--from", "192.0.2.200", "--to", "web", "--port", "80")
    assert http["tracked"] is False
    assert "allowed by 0.0.0.0/0 both ways" in http["tracking"]["reason"]
    assert http["tracking"]["untracked_at"] == [http["destination"]["network_interface_id"]]
    ssh = check("--from", "203.0.113.10", "--to", "web", "--port", "22")  # from a /32
    assert ssh["tracked"] is True and ssh["tracking"]["untracked_at"] == []
    denied = check("--from", "198.51.100.7", "--to", "web", "--port", "22")
    assert denied["tracked"] is None and denied["tracking"] is None
    human = CliRunner().invoke(
        app, ["check", "--from", "192.0.2.200", "--to", "web", "--port", "80"]
    )
    assert "connection: not tracked (allowed by 0.0.0.0/0 both ways" in human.stdout


def test_exposure_lists_web(seeded):
    ctx, seed = seeded
    result = CliRunner().invoke(app, ["exposure", "--json"])
    assert result.exit_code == 0, result.output
    [finding] = json.loads(result.stdout)
    assert finding["resource"]["instance_id"] == seed.instances["web"]
    ports = {
        (d["protocol"], d["openPortRange"]["begin"]) for d in finding["networkReachabilityDetails"]
    }
    assert ("TCP", 22) in ports and ("TCP", 80) in ports
    table = CliRunner().invoke(app, ["exposure"]).stdout
    assert "web" in table and "tcp/80" in table


# -- network ACLs: every layer in order, the fix printed and applied ---------------------------


def _two_subnets_with_a_custom_acl(run_cli) -> dict[str, str]:
    """Instances in two subnets of one VPC (groups open to the VPC); the server's subnet
    on a custom ACL that admits tcp/5432 from the VPC and nothing else (no reply entry)."""

    def js(*args: str):
        return json.loads(run_cli(*args, "--json").stdout)

    vpc = js("vpc", "create", "10.0.0.0/16")["VpcId"]
    client_subnet = js("subnet", "create", "--vpc", vpc, "--cidr", "10.0.1.0/24")["SubnetId"]
    server_subnet = js("subnet", "create", "--vpc", vpc, "--cidr", "10.0.2.0/24")["SubnetId"]
    group = js("sg", "create", "db", "--description", "db", "--vpc", vpc)["GroupId"]
    run_cli("sg", "allow", group, "--proto", "tcp", "--port", "5432", "--cidr", "10.0.0.0/16")
    client = js("instance", "run", "--subnet", client_subnet, "--group", group)
    server = js("instance", "run", "--subnet", server_subnet, "--group", group)
    acl = js("nacl", "create", "--vpc", vpc)["NetworkAclId"]
    run_cli(
        "nacl", "add-entry", acl, "100", "--cidr", "10.0.0.0/16", "--protocol", "tcp",
        "--ports", "5432",
    )  # fmt: skip
    run_cli("nacl", "associate", acl, "--subnet", server_subnet)
    return {
        "acl": acl,
        "client": _instance_id(client),
        "server": _instance_id(server),
        "server_subnet": server_subnet,
    }


def _instance_id(shape) -> str:
    first = shape[0] if isinstance(shape, list) else shape
    return first.get("InstanceId") or first["Instances"][0]["InstanceId"]


def test_check_shows_every_layer_and_its_printed_acl_fix_makes_it_allowed(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "acl.db"))
    monkeypatch.setenv("COLUMNS", "250")
    runner = CliRunner()

    def run_cli(*args: str):
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result

    ids = _two_subnets_with_a_custom_acl(run_cli)
    flow = ("--from", ids["client"], "--to", ids["server"], "--port", "5432")
    out = check(*flow)
    assert out["verdict"] == "denied"
    kinds = [(layer["leg"], layer["kind"], layer["allowed"]) for layer in out["layers"]]
    assert kinds == [
        ("request", "security-group", True),
        ("request", "network-acl", True),  # out of the client's subnet (its default ACL)
        ("request", "route", True),
        ("request", "network-acl", True),  # into the server's: #100
        ("request", "security-group", True),
        ("reply", "network-acl", False),  # out of the server's: the * deny
        ("reply", "network-acl", True),
    ]
    crossings = out["network_acls"]
    assert [(c["leg"], c["egress"], c["allowed"]) for c in crossings] == [
        ("request", True, True),
        ("request", False, True),
        ("reply", True, False),
        ("reply", False, True),
    ]
    assert crossings[2]["ports"] == {"from": 32768, "to": 60999}
    [blocker] = out["blockers"]
    assert blocker["explanation_code"] == "SUBNET_ACL_RESTRICTION"
    assert blocker["component"] == {"id": ids["acl"], "type": "network-acl"}
    command = blocker["suggested_acl_entry"]["command"]
    assert command in out["explanation"]
    # the human output names the denying layer too
    human = runner.invoke(app, ["check", *flow])
    assert human.exit_code == 0 and "DENIED" in human.output and ids["acl"] in human.output

    words = command.split()
    assert words[:2] == ["stockade", "nacl"]
    run_cli(*words[1:])
    fixed = check(*flow)
    assert fixed["verdict"] == "allowed", fixed["explanation"]
    reply_out = fixed["network_acls"][2]
    assert reply_out["allowed"] and reply_out["entry"]["rule_number"] == 100


def test_check_source_port_tests_exactly_that_port(tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKADE_DB", str(tmp_path / "acl.db"))
    runner = CliRunner()

    def run_cli(*args: str):
        result = runner.invoke(app, list(args))
        assert result.exit_code == 0, result.output
        return result

    ids = _two_subnets_with_a_custom_acl(run_cli)
    run_cli(
        "nacl", "add-entry", ids["acl"], "110", "--egress", "--cidr", "10.0.1.0/24",
        "--protocol", "tcp", "--ports", "40000-40100",
    )  # fmt: skip
    flow = ("--from", ids["client"], "--to", ids["server"], "--port", "5432")
    assert check(*flow)["verdict"] == "denied"  # the rest of the ephemeral range is not
    assert check(*flow, "--source-port", "40050")["verdict"] == "allowed"
    out = check(*flow, "--source-port", "50000")
    assert out["verdict"] == "denied" and out["flow"]["source_port"] == 50000
    ping = ("--from", ids["client"], "--to", ids["server"], "--proto", "icmp", "--port", "8")
    bad = runner.invoke(app, ["check", *ping, "--source-port", "1"])
    assert bad.exit_code != 0 and "icmp has no source port" in bad.output
