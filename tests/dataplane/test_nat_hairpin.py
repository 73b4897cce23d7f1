"""The NAT hairpin on real packets: an instance reaching a public IPv4 of its own VPC.

AWS sends such a packet out and back in: out through the sender's route (a NAT gateway,
then the internet gateway, or the internet gateway directly), in through the internet
gateway to the destination's public IP (1:1 to its private one), the reply the same way
back. The destination sees the NAT gateway's address (or the sender's public IP). The
router sees the packet twice, and each crossing of the VPC's edge is judged on its own —
found by the differential test: a flow its groups left untracked at both ends was taken
for a flow *inside* the VPC (both ends' services, looked up under the destination's public
IP), so it skipped conntrack and with it the NAT gateway's translation, and was dropped.
"""

from __future__ import annotations

import pytest

from stockade.dataplane.probe import Listeners, Probe, run
from stockade.policy import Flow, decide

from .echo import echoed_from
from .routed import Routed

pytestmark = pytest.mark.root
#: Long enough that an allowed connection under load never looks like a timeout.
TIMEOUT = 1.5
WEB, WEB_PUBLIC = "10.0.1.10", "198.51.100.20"
PEER, PEER_PUBLIC = "10.0.1.11", "198.51.100.22"
APP = "10.0.2.20"
NAT_PUBLIC = "198.51.100.50"


def _world(groups: str) -> tuple[Routed, dict[str, str]]:
    """A public subnet (``web`` and ``peer``, public IPs; a NAT gateway) and a private one
    whose internet route goes to the NAT gateway (``app``, no public IP).

    ``groups="open"``: all traffic in and out from everywhere, so AWS tracks none of these
    flows at either end; ``"narrow"``: ``web`` lets in only tcp/80 and udp/53 from the
    documentation range (and tcp/80 from the VPC), so its flows are tracked."""
    w = Routed()
    ids: dict[str, str] = {}
    vpc = ids["vpc"] = w.vpc("10.0.0.0/16")
    if groups == "open":
        web_group = app_group = w.group(vpc, "open")
        w.rule(web_group, "in", "-1", None, None, "0.0.0.0/0")
    else:
        web_group, app_group = w.group(vpc, "web"), w.group(vpc, "app")
        w.rule(web_group, "in", "tcp", 80, 80, "198.51.100.0/24")
        w.rule(web_group, "in", "udp", 53, 53, "198.51.100.0/24")
        w.rule(web_group, "in", "tcp", 80, 80, "10.0.0.0/16")
    public = w.subnet(vpc, "10.0.1.0/24")
    ids["web"] = w.instance(vpc, [web_group], WEB, public_ip=WEB_PUBLIC)
    ids["peer"] = w.instance(vpc, [web_group], PEER, public_ip=PEER_PUBLIC)
    private = w.subnet(vpc, "10.0.2.0/24")
    ids["app"] = w.instance(vpc, [app_group], APP)
    w.table(vpc, {}, main=True)
    w.table(vpc, {"0.0.0.0/0": w.igw(vpc)}, [public])
    nat = w.nat_gateway(public, "10.0.1.5", NAT_PUBLIC)
    w.table(vpc, {"0.0.0.0/0": nat}, [private])
    return w, ids


@pytest.mark.parametrize("groups", ["open", "narrow"])
def test_an_instance_behind_a_nat_gateway_reaches_a_public_ip_in_the_gateways_subnet(
    realised, groups
):
    w, ids = _world(groups)
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    app, web = (realised.world.instance(ids[k]) for k in ("app", "web"))
    for flow in (Flow(APP, WEB_PUBLIC, "tcp", port=80), Flow(APP, WEB_PUBLIC, "udp", port=53)):
        assert decide(snapshot, flow).allowed, flow
    # It arrives from outside, as the NAT gateway: not from app's private address.
    assert echoed_from(web, app, WEB_PUBLIC, 80, TIMEOUT) == [NAT_PUBLIC]
    with Listeners() as listeners:
        listeners.udp(web, 53)
        assert run([Probe(app, WEB_PUBLIC, "udp", 53)], TIMEOUT, listeners) == ["connected"]


@pytest.mark.parametrize("groups", ["open", "narrow"])
def test_an_instance_in_a_public_subnet_reaches_a_public_ip_of_its_own_vpc(realised, groups):
    """The same hairpin without a NAT gateway: out and back in through the internet
    gateway, arriving from the sender's public IP (which the narrow group admits)."""
    w, ids = _world(groups)
    snapshot = w.snapshot()
    realised.apply_snapshot(snapshot)
    peer, web = (realised.world.instance(ids[k]) for k in ("peer", "web"))
    assert decide(snapshot, Flow(PEER, WEB_PUBLIC, "tcp", port=80)).allowed
    assert echoed_from(web, peer, WEB_PUBLIC, 80, TIMEOUT) == [PEER_PUBLIC]
    # Over the private address the same two meet inside the VPC, as themselves.
    assert echoed_from(web, peer, WEB, 80, TIMEOUT) == [PEER]
