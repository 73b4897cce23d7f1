"""Flow logs as resources drive the data plane's records: nothing without a flow log (as
AWS), records once one covers the VPC, none again once it is deleted — real packets, a real
agent following a real store."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.dataplane.agent import Agent
from stockade.dataplane.flowlog import HEADER, read_records
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.demo.seed import MY_COMPUTER, build_seed
from stockade.service.flow_logs import FlowLogService

from .conftest import log_vpc, primary_eni, settle, snapshot_of

pytestmark = pytest.mark.root
INTERVAL = 1.0  # seconds per record (AWS: 60 or 600)


@pytest.fixture
def fast_agent(store, world, tmp_path: Path) -> Iterator[Agent]:
    agent = Agent(store, world, state_dir=tmp_path / "dataplane", flowlog_interval=INTERVAL)
    try:
        yield agent.start()
    finally:
        agent.stop()


def _records(agent: Agent, eni_id: str) -> list[dict[str, str]]:
    assert agent.reconciler.state_dir is not None
    fields = HEADER.split()
    return [
        dict(zip(fields, r, strict=True)) for r in read_records(agent.reconciler.state_dir, eni_id)
    ]


def _connect(agent: Agent, seed, web) -> None:
    with Listeners() as listeners, agent.topology.internet.host(MY_COMPUTER) as host:
        listeners.tcp(agent.world.instance(seed.instances["web"]), 22)
        assert run([Probe(host, web.public_ip, "tcp", 22)], 2.0, listeners) == ["connected"]


def _quiet_intervals(count: int = 3) -> None:
    """Let ``count`` aggregation intervals close (each poll ends one at most 1 s late)."""
    time.sleep(count * INTERVAL + 1.0)


def test_records_follow_the_flow_log_resource(ctx, fast_agent):
    agent = fast_agent
    seed = build_seed(ctx)
    settle(agent)
    web = primary_eni(snapshot_of(agent), seed.instances["web"])

    _connect(agent, seed, web)
    _quiet_intervals()
    assert _records(agent, web.eni_id) == [], "no flow log: AWS writes no record"

    flow_log_id = log_vpc(ctx, seed.vpc_id)
    deadline = time.monotonic() + 30
    while True:
        _connect(agent, seed, web)
        accepted = [r for r in _records(agent, web.eni_id) if r["action"] == "ACCEPT"]
        if any(r["srcaddr"] == MY_COMPUTER and r["dstport"] == "22" for r in accepted):
            break
        assert time.monotonic() < deadline, _records(agent, web.eni_id)
        _quiet_intervals(1)

    FlowLogService(ctx).delete([flow_log_id])
    _quiet_intervals()  # the interval open at the delete may still be written
    written = len(_records(agent, web.eni_id))
    _connect(agent, seed, web)
    _quiet_intervals()
    assert len(_records(agent, web.eni_id)) == written, "deleted: no more records"


def test_a_reject_only_flow_log_writes_no_accepted_traffic(ctx, fast_agent):
    agent = fast_agent
    seed = build_seed(ctx)
    log_vpc(ctx, seed.vpc_id, traffic="REJECT")
    settle(agent)
    web = primary_eni(snapshot_of(agent), seed.instances["web"])
    _connect(agent, seed, web)
    deadline = time.monotonic() + 30
    while not _records(agent, web.eni_id):  # NODATA at least, once an interval closed
        assert time.monotonic() < deadline
        _quiet_intervals(1)
    _quiet_intervals()
    assert {r["action"] for r in _records(agent, web.eni_id)} <= {"REJECT", "-"}
