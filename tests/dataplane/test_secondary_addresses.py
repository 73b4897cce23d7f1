"""Secondary private IPv4 addresses on real packets: the instance holds them, the router
routes them, anti-spoofing admits them, and a group reference admits a member's secondary
address (and stops admitting it once it is unassigned)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from policy.conftest import World as Builder

from stockade.dataplane.probe import Listeners, Probe, run

pytestmark = pytest.mark.root
TIMEOUT = 0.5


def _with_secondary(w: Builder, eni_id: str, *addresses: str) -> None:
    w.interfaces[:] = [
        replace(e, secondary_private_ips=addresses) if e.eni_id == eni_id else e
        for e in w.interfaces
    ]


def test_group_reference_admits_a_members_secondary_address(world, realised):
    w = Builder()
    vpc = w.vpc("10.0.0.0/16")
    app, db, other = (w.group(vpc, n) for n in ("app", "db", "other"))
    w.rule(db, "in", "tcp", 5432, 5432, app)
    ids = {
        "app": w.instance(vpc, [app], "10.0.0.5"),
        "db": w.instance(vpc, [db], "10.0.0.6"),
        "other": w.instance(vpc, [other], "10.0.0.7"),
    }
    _with_secondary(w, w.eni_of(ids["app"]), "10.0.0.50")
    _with_secondary(w, w.eni_of(ids["db"]), "10.0.0.60")
    _with_secondary(w, w.eni_of(ids["other"]), "10.0.0.70")
    realised.apply_snapshot(w.snapshot())
    client, server, stranger = (world.instance(ids[k]) for k in ("app", "db", "other"))
    with Listeners() as listeners:
        listeners.tcp(server, 5432)
        cases = [
            (Probe(client, "10.0.0.6", "tcp", 5432, source="10.0.0.50"), "connected"),
            (Probe(client, "10.0.0.60", "tcp", 5432, source="10.0.0.5"), "connected"),
            (Probe(client, "10.0.0.60", "tcp", 5432, source="10.0.0.50"), "connected"),
            (Probe(client, "10.0.0.6", "tcp", 5432, source="10.0.0.51"), "timeout"),  # not its
            (Probe(stranger, "10.0.0.6", "tcp", 5432, source="10.0.0.70"), "timeout"),
            (Probe(stranger, "10.0.0.60", "tcp", 5432, source="10.0.0.7"), "timeout"),
        ]
        assert run([p for p, _ in cases], TIMEOUT, listeners) == [o for _, o in cases]

        _with_secondary(w, w.eni_of(ids["app"]))  # unassigned: no longer the client's
        realised.apply_snapshot(w.snapshot())
        again = [
            Probe(client, "10.0.0.6", "tcp", 5432, source="10.0.0.50"),
            Probe(client, "10.0.0.6", "tcp", 5432, source="10.0.0.5"),
        ]
        assert run(again, TIMEOUT, listeners) == ["timeout", "connected"]
