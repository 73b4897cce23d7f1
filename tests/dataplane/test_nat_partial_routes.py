"""A subnet that sends only *some* prefixes to a NAT gateway, on real packets.

``app`` has a public IPv4 and its subnet routes the internet to the internet gateway but
203.0.113.0/24 to a NAT gateway. AWS: what ``app`` sends to 203.0.113.0/24 leaves as the
NAT gateway (which tracks it, whatever the groups say), the rest as ``app``'s public IP;
a connection *from* 203.0.113.0/24 to ``app``'s public IP never forms (its replies leave by
the NAT gateway, under the gateway's address: the engine's return route blocks it), one
from elsewhere does. The router used to leave such flows untracked when the groups were
open (so they skipped the NAT gateway and left as ``app``'s own address), and answered
203.0.113.0/24 through the 1:1 translation, tracked or not.
"""

from __future__ import annotations

import pytest

from stockade.dataplane.probe import Listeners, Probe, run
from stockade.policy import Flow, decide

from .conftest import routing_change
from .echo import echoed_from
from .routed import Routed

pytestmark = pytest.mark.root
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5
APP, APP_PUBLIC = "10.0.2.20", "198.51.100.21"
NAT_PUBLIC = "198.51.100.50"
WEB_PUBLIC = "203.0.113.40"  # another VPC's instance, inside the NAT-routed prefix
VIA_NAT, DIRECT = "203.0.113.10", "192.0.2.10"  # internet hosts inside / outside it


def _world(groups: str) -> tuple[Routed, dict[str, str]]:
    """``groups="open"``: ``app`` lets in everything from everywhere (AWS tracks none of
    its flows); ``"narrow"``: tcp/80 from the two hosts' ranges only (tracked)."""
    w = Routed()
    ids: dict[str, str] = {}
    vpc = ids["vpc"] = w.vpc("10.0.0.0/16")
    group = w.group(vpc, "app")
    if groups == "open":
        w.rule(group, "in", "-1", None, None, "0.0.0.0/0")
    else:
        for peer in ("203.0.113.0/24", "192.0.2.0/24"):
            w.rule(group, "in", "tcp", 80, 80, peer)
    public = w.subnet(vpc, "10.0.1.0/24")
    mixed = w.subnet(vpc, "10.0.2.0/24")
    w.into(mixed)
    ids["app"] = w.instance(vpc, [group], APP, public_ip=APP_PUBLIC)
    nat = ids["nat"] = w.nat_gateway(public, "10.0.1.5", NAT_PUBLIC)
    w.table(vpc, {}, main=True)
    w.table(vpc, {"0.0.0.0/0": w.igw(vpc)}, [public])
    ids["mixed"] = w.table(vpc, {"0.0.0.0/0": w.igw(vpc), "203.0.113.0/24": nat}, [mixed])
    other = w.vpc("10.1.0.0/16")
    web_group = w.group(other, "web")
    w.rule(web_group, "in", "tcp", 80, 80, f"{NAT_PUBLIC}/32")  # the NAT gateway only
    w.subnet(other, "10.1.0.0/24")
    ids["web"] = w.instance(other, [web_group], "10.1.0.10", public_ip=WEB_PUBLIC)
    w.table(other, {"0.0.0.0/0": w.igw(other)}, main=True)
    return w, ids


@pytest.mark.parametrize("groups", ["open", "narrow"])
def test_what_a_nat_route_carries_leaves_as_the_nat_gateway_the_rest_as_the_public_ip(
    realised, groups
):
    w, ids = _world(groups)
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    app, web = (realised.world.instance(ids[k]) for k in ("app", "web"))
    for destination in (WEB_PUBLIC, DIRECT):
        assert decide(snapshot, Flow(APP, destination, "tcp", port=80)).allowed
    # web admits only the NAT gateway's address
    assert echoed_from(web, app, WEB_PUBLIC, 80, TIMEOUT) == [NAT_PUBLIC]
    with realised.topology.internet.host(DIRECT) as host:
        assert echoed_from(host, app, DIRECT, 80, TIMEOUT) == [APP_PUBLIC]


@pytest.mark.parametrize("groups", ["open", "narrow"])
def test_the_public_ip_answers_only_what_its_subnet_routes_back_through_the_gateway(
    realised, groups
):
    w, ids = _world(groups)
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    verdicts = [
        decide(snapshot, Flow(source, APP_PUBLIC, "tcp", port=80)).allowed
        for source in (VIA_NAT, DIRECT)
    ]
    assert verdicts == [False, True]
    app = realised.world.instance(ids["app"])
    internet = realised.topology.internet
    with internet.host(VIA_NAT) as via_nat, internet.host(DIRECT) as direct, Listeners() as ls:
        ls.tcp(app, 80)
        probes = [Probe(via_nat, APP_PUBLIC, "tcp", 80), Probe(direct, APP_PUBLIC, "tcp", 80)]
        assert run(probes, TIMEOUT, ls) == ["timeout", "connected"]


def test_a_routing_only_change_that_adds_or_removes_a_nat_route_rewrites_the_edge_sets(
    realised,
):
    """Routing changes send no nftables as a rule, but the first (or last) route of a
    subnet to a NAT gateway changes what may cross the edge untracked: that one does."""
    w, ids = _world("open")
    igw = w.igw(ids["vpc"])
    # another subnet keeps using the NAT gateway, so the table's edges stay the same
    w.table(ids["vpc"], {"0.0.0.0/0": ids["nat"]}, [w.subnet(ids["vpc"], "10.0.3.0/24")])
    w.routes(ids["mixed"], {"0.0.0.0/0": igw})
    realised.apply_snapshot(w.snapshot())
    app, web = (realised.world.instance(ids[k]) for k in ("app", "web"))
    flow = Flow(APP, WEB_PUBLIC, "tcp", port=80)
    with Listeners() as listeners:  # as app's own public IP: web admits only the NAT gateway
        listeners.tcp(web, 80)
        assert not decide(w.snapshot(), flow).allowed
        assert run([Probe(app, WEB_PUBLIC, "tcp", 80)], TIMEOUT, listeners) == ["timeout"]
    for routes, allowed in (
        ({"0.0.0.0/0": igw, "203.0.113.0/24": ids["nat"]}, True),
        ({"0.0.0.0/0": igw}, False),
    ):
        w.routes(ids["mixed"], routes)
        snapshot = w.snapshot()
        batch = routing_change(realised, snapshot)
        assert ids["vpc"] in batch.applied  # an nft transaction, not only routes
        assert decide(snapshot, flow).allowed is allowed
        with Listeners() as listeners:
            listeners.tcp(web, 80)
            outcome = run([Probe(app, WEB_PUBLIC, "tcp", 80)], TIMEOUT, listeners)
        assert outcome == (["connected"] if allowed else ["timeout"])
