"""A peering between two accounts, built through the services and realised by the agent.

The other data-plane peering tests feed hand-built snapshots to a reconciler; this one goes
the way a user's calls go — two accounts' scopes of one store, the peering requested by one
and accepted by the other, routes on both sides, a group reference across the peering — and
checks real packets while the agent follows the store: the reference admits the peer's
member (the agent compiles over both scopes), a non-member times out, and deleting the
peering cuts the path (the rule goes stale, the link goes).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from stockade.dataplane.agent import Agent
from stockade.dataplane.names import World
from stockade.dataplane.probe import Listeners, Probe, run
from stockade.domain.permissions import GroupPair, IpPermission
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest, PeeringRequest, RouteRequest
from stockade.store.sql import SqlStore

from .conftest import settle

pytestmark = pytest.mark.root

ALICE, BOB = "111111111111", "222222222222"
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5


def _main_table(services: Services, vpc_id: str) -> str:
    return next(
        d.table.route_table_id
        for d in services.route_tables.describe()
        if d.table.vpc_id == vpc_id and d.table.is_main
    )


def _launch(services: Services, subnet_id: str, group_id: str) -> tuple[str, str]:
    [launched] = services.instances.run(LaunchRequest(subnet_id=subnet_id, group_ids=(group_id,)))
    primary = launched.primary
    assert primary is not None
    return launched.instance.instance_id, primary.private_ip


def test_a_cross_account_peering_through_the_store_and_the_agent(
    store: SqlStore, world: World, tmp_path: Path
):
    alice = Services(ServiceContext(store, Scope(ALICE), Quotas()))
    bob = Services(ServiceContext(store, Scope(BOB), Quotas()))
    a_vpc = alice.network.create_vpc("10.1.0.0/16").vpc_id
    a_subnet = alice.network.create_subnet(a_vpc, "10.1.1.0/24").subnet_id
    b_vpc = bob.network.create_vpc("10.2.0.0/16").vpc_id
    b_subnet = bob.network.create_subnet(b_vpc, "10.2.1.0/24").subnet_id

    pcx = alice.peering.create(PeeringRequest(a_vpc, b_vpc, BOB)).vpc_peering_connection_id
    bob.peering.accept(pcx)
    alice.route_tables.create_route(_main_table(alice, a_vpc), RouteRequest.of("10.2.0.0/16", pcx))
    bob.route_tables.create_route(_main_table(bob, b_vpc), RouteRequest.of("10.1.0.0/16", pcx))

    app = bob.groups.create("app", "application servers", b_vpc).group.group_id
    other = bob.groups.create("other", "not the application", b_vpc).group.group_id
    db = alice.groups.create("db", "database", a_vpc).group.group_id
    pair = GroupPair(group_id=app, user_id=BOB, vpc_peering_connection_id=pcx)
    alice.rules.authorize(db, [IpPermission("tcp", 5432, 5432, groups=(pair,))])
    db_instance, db_ip = _launch(alice, a_subnet, db)
    app_instance, _ = _launch(bob, b_subnet, app)
    other_instance, _ = _launch(bob, b_subnet, other)

    agent = Agent(store, world, state_dir=tmp_path / "dataplane").start()
    try:
        settle(agent)

        def probes() -> list[str]:
            with Listeners() as listeners:
                listeners.tcp(world.instance(db_instance), 5432)
                return run(
                    [
                        Probe(world.instance(app_instance), db_ip, "tcp", 5432),
                        Probe(world.instance(other_instance), db_ip, "tcp", 5432),
                    ],
                    TIMEOUT,
                    listeners,
                )

        assert probes() == ["connected", "timeout"]
        alice.peering.delete(pcx)
        settle(agent)
        assert probes() == ["timeout", "timeout"]
    finally:
        agent.stop()
