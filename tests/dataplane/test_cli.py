"""The data-plane commands: exec (in an instance, from an internet host), flowlogs, the hits
under ``sg show``, status and down — against a private world (its own prefix)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stockade.cli.main import app
from stockade.dataplane import netns
from stockade.demo.seed import MY_COMPUTER, build_seed

from .conftest import log_vpc, primary_eni, settle, snapshot_of

pytestmark = pytest.mark.root


@pytest.fixture
def cli(world, store, agent, tmp_path, monkeypatch):
    monkeypatch.setenv("STOCKADE_DATAPLANE_PREFIX", world.prefix)
    monkeypatch.setenv("STOCKADE_DATAPLANE_DIR", str(tmp_path / "dataplane"))
    monkeypatch.setenv("STOCKADE_DB", str(store.url.database))
    monkeypatch.setenv("COLUMNS", "200")
    runner = CliRunner()

    def invoke(*args: str, code: int = 0):
        result = runner.invoke(app, list(args))
        assert result.exit_code == code, (result.output, result.exception)
        return result

    return invoke


def _web(agent, seed):
    return primary_eni(snapshot_of(agent), seed.instances["web"])


def test_exec_runs_in_instances_and_on_internet_hosts(cli, ctx, agent, capfd):
    seed = build_seed(ctx)
    settle(agent)
    web = _web(agent, seed)
    cli("exec", seed.instances["web"], "--", "ip", "-4", "-o", "addr", "show", "dev", "eth0")
    assert f"inet {web.private_ip}/24" in capfd.readouterr().out
    cli("exec", "--from-ip", MY_COMPUTER, "--", "ip", "-4", "-o", "addr", "show", "dev", "eth0")
    assert f"inet {MY_COMPUTER}/32" in capfd.readouterr().out
    assert not netns.exists(agent.world.host(MY_COMPUTER))  # transient: removed afterwards
    cli("exec", "i-00000000000000000", "--", "true", code=1)


def test_flowlogs_and_hits_show_what_the_kernel_saw(cli, ctx, agent):
    from stockade.dataplane.probe import Listeners, Probe, run

    seed = build_seed(ctx)
    log_vpc(ctx, seed.vpc_id)
    settle(agent)
    web = _web(agent, seed)
    with Listeners() as listeners, agent.topology.internet.host(MY_COMPUTER) as host:
        listeners.tcp(agent.world.instance(seed.instances["web"]), 22)
        assert run([Probe(host, web.public_ip, "tcp", 22)], 0.5, listeners) == ["connected"]
    agent.stop()  # records are written when an interval ends, or when the agent stops
    lines = cli("flowlogs", "--eni", web.eni_id, "--json").stdout.splitlines()
    records = [json.loads(line) for line in lines]
    (request,) = [r for r in records if r["srcaddr"] == MY_COMPUTER]
    assert {
        (r["srcaddr"], r["dstaddr"], r["srcport"], r["dstport"], r["action"]) for r in records
    } == {  # the connection, and its replies: one record each
        (MY_COMPUTER, web.private_ip, request["srcport"], "22", "ACCEPT"),
        (web.private_ip, MY_COMPUTER, "22", request["srcport"], "ACCEPT"),
    }
    assert records[0]["interface-id"] == web.eni_id and records[0]["version"] == "2"
    shown = cli("sg", "show", "web", "--vpc", seed.vpc_id).stdout
    assert "Data plane hits" in shown


def test_status_and_down(cli, ctx, agent):
    build_seed(ctx)
    settle(agent)
    assert agent.world.internet in cli("dataplane", "status").stdout
    agent.stop()
    assert "removed" in cli("down").stdout
    assert netns.listed(agent.world.prefix) == []
