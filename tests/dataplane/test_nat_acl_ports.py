"""Network ACL entries that split a NAT gateway's ports (1024–65535), on real packets.

The reply to a connection that left by a NAT gateway comes back to one of the gateway's
ports. AWS's gateway may pick any, so the engine asks that the gateway's subnet admit them
all; Linux's source NAT keeps the client's ephemeral port (32768–60999) when it is free.
Where one such port decides as the whole range does, the kernel and the engine agree, and
the differential test may draw the entry (``strategies.NAT_ACL_PORTS``): an *allow* that
misses the ephemeral range, a *deny* that holds all of it. Each is checked here on the
reply into the gateway's subnet, with and without a later entry admitting everything
(the request from the private subnet admitted first). Not drawn: an allow that holds the
client's port but not every gateway port (``32768-65535``) — the kernel admits the reply
the engine refuses, since a real gateway might have picked port 2000.
"""

from __future__ import annotations

import pytest

from stockade.dataplane.probe import ALLOWED, Listeners, Probe, run
from stockade.policy import Flow, decide

from .routed import Routed
from .strategies import NAT_ACL_PORTS

pytestmark = pytest.mark.root
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5
HOST = "203.0.113.10"
ALL_OUT = (100, "out", "allow", "-1", "0.0.0.0/0")
#: the request, from the private subnet to the gateway (not the reply: that comes from HOST)
REQUEST_IN = (5, "in", "allow", "tcp", "10.0.2.0/24", (80, 80))
ALL_IN_LATER = (1000, "in", "allow", "-1", "0.0.0.0/0")
#: inbound entries of the NAT gateway's subnet, and whether the reply gets in
CASES = [
    ([(10, "in", "allow", "tcp", "0.0.0.0/0", (8080, 8080))], False),
    ([(10, "in", "allow", "tcp", "0.0.0.0/0", (1024, 32767))], False),
    ([(10, "in", "allow", "tcp", "0.0.0.0/0", (1024, 32767)), ALL_IN_LATER], True),
    ([(10, "in", "allow", "tcp", "0.0.0.0/0", (61000, 65535)), ALL_IN_LATER], True),
    ([(10, "in", "deny", "tcp", "0.0.0.0/0", (32768, 60999)), ALL_IN_LATER], False),
    ([(10, "in", "deny", "tcp", "0.0.0.0/0", (1024, 60999)), ALL_IN_LATER], False),
    ([(10, "in", "deny", "tcp", "0.0.0.0/0", (32768, 65535)), ALL_IN_LATER], False),
]


def _world(entries) -> tuple[Routed, dict[str, str]]:
    """A public subnet with the NAT gateway (its ACL: ``entries`` in, everything out) and
    a private one routing the internet to it, ``app`` there; groups open."""
    w = Routed()
    ids: dict[str, str] = {}
    vpc = w.vpc("10.0.0.0/16")
    group = w.group(vpc, "open")
    w.rule(group, "in", "-1", None, None, "0.0.0.0/0")
    public = w.subnet(vpc, "10.0.1.0/24")
    nat = w.nat_gateway(public, "10.0.1.5", "198.51.100.50")
    w.table(vpc, {"0.0.0.0/0": w.igw(vpc)}, [public])
    private = w.subnet(vpc, "10.0.2.0/24")
    ids["app"] = w.instance(vpc, [group], "10.0.2.20")
    w.table(vpc, {"0.0.0.0/0": nat}, [private], main=True)
    w.acl(vpc, [public], [REQUEST_IN, *entries, ALL_OUT])
    return w, ids


def test_every_range_the_differential_test_draws_that_splits_the_gateways_ports_is_here():
    splitting = {
        (action, (low, high))
        for action, ranges in NAT_ACL_PORTS.items()
        for low, high in ranges
        if high >= 1024 and (max(low, 1024), high) != (1024, 65535)
    }
    used = {(entry[2], entry[5]) for entries, _ in CASES for entry in entries if len(entry) > 5}
    assert splitting <= used


def test_a_split_of_the_gateways_ports_decides_as_the_clients_port_does(realised):
    outcomes, verdicts = [], []
    realised.apply_snapshot(_world([])[0].snapshot())
    with realised.topology.internet.host(HOST) as host, Listeners() as listeners:
        listeners.tcp(host, 80)
        for entries, expected in CASES:
            w, ids = _world(entries)
            snapshot = w.snapshot()
            realised.apply_snapshot(snapshot)
            app = realised.world.instance(ids["app"])
            (outcome,) = run([Probe(app, HOST, "tcp", 80)], TIMEOUT, listeners)
            outcomes.append(outcome in ALLOWED)
            verdicts.append(decide(snapshot, Flow(ids["app"], HOST, "tcp", 80)).allowed)
            assert verdicts[-1] == expected, entries
    assert outcomes == verdicts
