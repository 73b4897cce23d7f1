"""Differential test: random groups, rules and instances, random probes on real packets
(TCP, UDP, ICMP and ICMPv6 of several types, another protocol; IPv4 and IPv6) — the policy
engine's verdict must equal what the kernel did, for every probe. The VPCs' routing is
drawn too (implied, a real main table, or a custom table per subnet; default routes kept or
not; routes to a detached gateway; a peering, active or pending, routed by either side or
both; blackhole noise: strategies.route_tables).

Network ACLs are drawn in half the worlds (two subnets per VPC; each subnet the default
ACL or a custom one, alone or shared, of allow and deny entries on the probes' services and
addresses, the ephemeral range whole or not at all: strategies.network_acls), and every
query waits for its answer, which the ACLs judge on its own way back. A VPC with an
internet gateway maybe has a NAT gateway with an Elastic IP in one subnet while the other
routes the internet to it (strategies.worlds ``nats``): instances there reach the internet
hosts and other instances' public IPs as the gateway, their replies crossing its subnet's
ACL to its ports (which the drawn entries split only where the one port Linux keeps, the
client's ephemeral port, decides as the whole range: strategies.NAT_ACL_PORTS), and
nothing reaches them from outside.

Bounded: ``STOCKADE_DIFF_EXAMPLES`` worlds (default 25) of 12 probes each, all of a world's
probes at once with a 0.5 s timeout, no shrinking (a failure prints every mismatching probe
with the engine's explanation instead).
"""

from __future__ import annotations

import os
import secrets
import subprocess

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stockade.dataplane import netns
from stockade.dataplane.names import World
from stockade.dataplane.probe import ALLOWED, Listeners, Probe, listen_all, run
from stockade.dataplane.reconcile import Reconciler
from stockade.domain.network_acl import first_match
from stockade.policy import PathKind, decide
from stockade.policy.decision import PacketLeg
from stockade.policy.explain import explain
from stockade.policy.reasons import Reason
from stockade.policy.stateful import reply_verdict

from .strategies import HOSTS_V4, HOSTS_V6, OTHER, PORTS, probes, worlds

pytestmark = pytest.mark.root
EXAMPLES = int(os.environ.get("STOCKADE_DIFF_EXAMPLES", "25"))
PROBES_PER_WORLD = 12


def _probe(world: World, src, flow) -> Probe:
    namespace = world.instance(src.instance_id) if src.instance_id else world.host(src.address)
    if flow.protocol in ("icmp", "icmpv6"):
        port = (flow.icmp_type << 8) | flow.icmp_code
    else:
        port = flow.port or 0
    source = src.address if ":" in src.address else None
    # A query's answer (an echo, a timestamp; the listener's echo of a port-less protocol)
    # must come back: network ACLs judge it on its own way, as the engine does.
    return Probe(namespace, flow.destination, flow.protocol, port, source, reply=True)


#: UDP ports the probes' listeners serve (the others answer ICMP port unreachable)
LISTENED_UDP = (53, 123)


def _refusal_lost(snapshot, decision, dst) -> bool:
    """A known limitation, not a verdict: an allowed, *untracked* IPv4 UDP flow through the
    internet gateway (to an internet host, or to another instance's public IP) to a closed
    port. AWS delivers the ICMP port unreachable (the instance sees "refused"); the data
    plane translates untracked flows 1:1 statelessly, which rewrites the ICMP error's
    outer header but not the packet quoted inside it, so the instance's kernel matches it
    to no socket and the probe times out. The request did pass (the other end answered),
    so the engine's "allowed" holds. (Found with ACL worlds, whose open groups make flows
    between two instances' public IPs untracked at both ends.)"""
    flow = decision.flow
    return (
        flow.protocol == "udp"
        and decision.path is PathKind.INTERNET
        and ":" not in dst.address
        and flow.port not in LISTENED_UDP
        and bool(reply_verdict(snapshot, decision).untracked_at)
    )


def _icmp_error_denied(snapshot, decision) -> bool:
    """A known limitation of the probe, not a verdict: an allowed UDP flow to a closed port
    (the engine judges the UDP reply to the client's ephemeral ports) whose *ICMP port
    unreachable* — the answer a closed port really sends, which a probe needs to see
    "refused" — a network ACL on the way back denies. The request did pass; AWS would drop
    that ICMP error too."""
    flow = decision.flow
    if flow.protocol != "udp" or flow.port in LISTENED_UDP:
        return False
    family = 6 if ":" in flow.destination else 4
    proto, error = (58, (1, 4)) if family == 6 else (1, (3, 3))
    acls = snapshot.network_acl_by_subnet
    for step in decision.acls:
        if step.leg is PacketLeg.REPLY and step.subnet_id in acls:
            acl = acls[step.subnet_id]
            if not first_match(acl, step.egress, family, step.remote, proto, None, error)[1]:
                return True
    return False


def _one_way_v6_without_return(decision) -> bool:
    """A known limitation, not a verdict: a packet that needs no answer (ICMPv6 other than
    echo, a port-less protocol) to an instance's IPv6 address in a subnet with no route
    back to the sender (an internet host, or a peer VPC's instance) — the only blocker.
    AWS drops it, and so does the data plane for IPv4 (strict reverse path on the gateway
    and peering links), but Linux has no reverse-path filter for IPv6, so it arrives;
    anything that needs a reply (TCP, UDP, echo) still fails as the engine says."""
    flow = decision.flow
    return (
        ":" in flow.destination
        and flow.protocol not in ("tcp", "udp")
        and not (flow.protocol == "icmpv6" and flow.icmp_type == 128)
        and bool(decision.blockers)
        and {b.reason for b in decision.blockers}
        <= {Reason.NO_RETURN_ROUTE, Reason.RETURN_ROUTE_BLACKHOLE}
    )


def _rounds(cases) -> list[list[int]]:
    """Probe indices in rounds where no two probes join the same two endpoints: a probe's
    connection would otherwise make another one a *reply* (B → A after A → B, for ICMP
    echo replies or port-less protocols), which security groups rightly let through."""
    rounds: list[tuple[set, list[int]]] = []
    for i, (src, dst, flow) in enumerate(cases):
        key = frozenset({src.instance_id or src.address, dst.instance_id or dst.address})
        if flow.protocol in ("tcp", "udp"):
            key = i  # fresh ephemeral source ports: never another probe's reply
        for used, members in rounds:
            if key not in used:
                used.add(key)
                members.append(i)
                break
        else:
            rounds.append(({key}, [i]))
    return [members for _used, members in rounds]


def _forget_connections(world: World, snapshot) -> None:
    """Empty the routers' conntrack tables between rounds."""
    for vpc in snapshot.vpcs:
        name = world.router(vpc.vpc_id)
        if netns.exists(name):
            subprocess.run(
                ["ip", "netns", "exec", name, "conntrack", "-F"], capture_output=True, check=False
            )


def describe(snapshot) -> str:
    """The world in a few lines, for failure messages (hypothesis prints the raw objects)."""
    lines = []
    for vpc in snapshot.vpcs:
        igw = "igw" if snapshot.internet_gateway_for(vpc.vpc_id) else "no igw"
        lines.append(f"{vpc.vpc_id} {vpc.cidr_block} {vpc.ipv6_cidr_block or ''} {igw}")
    for nat in snapshot.nat_gateways:
        lines.append(f"  {nat.nat_gateway_id} in {nat.subnet_id} {nat.private_ip} {nat.public_ip}")
    for table in snapshot.route_tables:
        routes = ", ".join(f"{r.destination}->{r.target}" for r in table.routes)
        lines.append(f"  {table.route_table_id} main={table.is_main} {table.subnet_ids}: {routes}")
    for rule in snapshot.rules:
        spec = rule.spec
        lines.append(
            f"  {rule.group_id} {'out' if spec.is_egress else 'in'} {spec.protocol} "
            f"{spec.from_port}..{spec.to_port} {spec.peer.value} ({rule.rule_id})"
        )
    for eni in snapshot.interfaces:
        state = snapshot.instance_by_id[eni.instance_id].state
        lines.append(
            f"  {eni.instance_id} {eni.vpc_id} {eni.private_ip} {eni.public_ip} "
            f"{eni.ipv6_addresses} {eni.group_ids} {state}"
        )
    return "\n".join(lines)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(st.data())
def test_real_packets_agree_with_the_policy_engine(kernel, data):
    snapshot = data.draw(worlds(acls=True, nats=True)).snapshot()
    cases = [data.draw(probes(snapshot)) for _ in range(PROBES_PER_WORLD)]
    world = World(f"stk{secrets.token_hex(3)}-")
    reconciler = Reconciler(world)
    listeners = Listeners()
    try:
        reconciler.apply_snapshot(snapshot)
        reconciler.topology.internet.ensure()
        hosts = [reconciler.topology.internet.add_host(a) for a in HOSTS_V4 + HOSTS_V6]
        instances = [world.instance(i.instance_id) for i in snapshot.instances]
        listen_all(
            listeners,
            instances + hosts,
            tcp=[p for p in PORTS if p != 8080],
            udp=list(LISTENED_UDP),
            raw=[1, 58, OTHER],
            answer=True,
        )
        listeners.start()
        real = [""] * len(cases)
        for batch in _rounds(cases):
            _forget_connections(world, snapshot)
            outcomes = run([_probe(world, cases[i][0], cases[i][2]) for i in batch], 0.5, listeners)
            for i, outcome in zip(batch, outcomes, strict=True):
                real[i] = outcome
        mismatches = []
        for (src, _dst, flow), outcome in zip(cases, real, strict=True):
            decision = decide(snapshot, flow)
            if decision.allowed and outcome == "timeout":
                # A lost packet on a loaded machine must not pass for a verdict: an allowed
                # flow that timed out is tried once more, alone and for longer. (A kernel
                # that lets through what the engine denies is never given a second chance.)
                _forget_connections(world, snapshot)
                outcome = run([_probe(world, src, flow)], 1.5, listeners)[0]
            if (
                decision.allowed
                and outcome == "timeout"
                and _refusal_lost(snapshot, decision, _dst)
            ):
                continue
            if not decision.allowed and outcome in ALLOWED and _one_way_v6_without_return(decision):
                continue
            if decision.allowed and outcome == "timeout" and _icmp_error_denied(snapshot, decision):
                continue
            if decision.allowed != (outcome in ALLOWED):
                mismatches.append(
                    f"{flow.source} -> {flow.destination} {flow.service()}: "
                    f"kernel {outcome}, engine {decision.verdict}\n"
                    f"{explain(decision)}"
                )
        assert not mismatches, "\n\n".join(mismatches) + "\n\nin:\n" + describe(snapshot)
    finally:
        listeners.close()
        reconciler.close()
        netns.remove_all(world.prefix)
