"""Fixtures for the data-plane tests that need a kernel: a private world per test.

Every test that touches the kernel gets its own prefix (``stk<6 hex>-``), and the
``world`` fixture removes every namespace with that prefix when the test ends, passed or
failed — with them go their veths, nft tables and conntrack entries. Nothing is ever
created in the root namespace. Without root (or without a usable nftables) these tests are
skipped with the reason; CI runs them as root.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from stockade.dataplane import netns, nft
from stockade.dataplane.agent import Agent
from stockade.dataplane.follow import Refresh
from stockade.dataplane.names import World
from stockade.dataplane.reconcile import Batch, Reconciler
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore

_usable: tuple[bool, str] | None = None


@pytest.fixture
def kernel() -> None:
    global _usable
    if _usable is None:
        _usable = nft.usable()
    ok, why = _usable
    if not ok:
        pytest.skip(f"needs root and nftables in network namespaces: {why}")


@pytest.fixture
def world(kernel) -> Iterator[World]:
    names = World(f"stk{secrets.token_hex(3)}-")
    try:
        yield names
    finally:
        netns.remove_all(names.prefix)


@pytest.fixture
def realised(world: World) -> Iterator[Reconciler]:
    """A reconciler on the test's world, fed snapshots directly (no store, no agent)."""
    reconciler = Reconciler(world)
    try:
        yield reconciler
    finally:
        reconciler.close()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqlStore]:
    s = SqlStore.open(str(tmp_path / "stockade.db"))
    yield s
    s.close()


@pytest.fixture
def ctx(store: SqlStore) -> ServiceContext:
    return ServiceContext(store, Scope(), Quotas())


@pytest.fixture
def agent(store: SqlStore, world: World, tmp_path: Path) -> Iterator[Agent]:
    a = Agent(store, world, state_dir=tmp_path / "dataplane")
    try:
        yield a.start()
    finally:
        a.stop()


def log_vpc(ctx, vpc_id: str, traffic: str = "ALL") -> str:
    """A flow log of the VPC (AWS, and the agent, log nothing without one); its id."""
    from stockade.service.flow_logs import FlowLogRequest, FlowLogService

    created, refused = FlowLogService(ctx).create(
        FlowLogRequest("VPC", [vpc_id], traffic, log_group_name="stockade-tests")
    )
    assert not refused
    return created[0].flow_log_id


def settle(agent: Agent) -> None:
    """Wait until the agent has applied everything committed so far."""
    assert agent.wait_for(agent.store.revision(), timeout=10), "the agent did not catch up"


def snapshot_of(agent: Agent):
    """The agent's current snapshot of its only scope."""
    (snapshot,) = agent.follower.snapshots.values()
    return snapshot


def primary_eni(snapshot, instance_id: str):
    """An instance's primary interface."""
    return snapshot.interface_by_id[snapshot.instance_by_id[instance_id].primary_eni_id]


def routing_change(realised: Reconciler, snapshot) -> Batch:
    """Apply a snapshot as the agent applies a change that touched only routing (or
    network ACLs): no group, interface or instance re-read."""
    batch = Batch(snapshot.revision, 0.0)
    nothing: frozenset[str] = frozenset()
    realised.apply(Scope(), Refresh(snapshot, False, nothing, nothing, nothing), batch)
    return batch
