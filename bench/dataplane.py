"""Benchmark: the Linux data plane (root; real namespaces and nftables).

Prints one JSON object per line: ``case``, ``unit``, ``stockade``, ``baseline`` (measured
in the same run), ``ratio``, plus details.

- ``new_connections_<N>_rules``: TCP connections per second (connect, RST) from one
  instance to another whose group has N inbound rules, the matching one last. Baseline:
  the same table with the group chain rendered naively — one nft rule per AWS rule,
  evaluated in order. ``ratio`` = stockade / naive. ``flatness_1_to_10000`` compares
  stockade at 10,000 rules with stockade at 1 (target >= 0.9) and the naive rendering's
  own ratio as the baseline.
- ``new_connections_10000_rules_20_entry_acls``: the same rate with the server in a subnet
  of its own, 20-entry network ACLs on both subnets (18 denies the probe never matches,
  then its allow; each packet, request and reply, crosses two ACLs) and 10,000 rules.
  Baseline: one rule and no custom ACL, interleaved in the same run (target >= 0.9).
- ``convergence_p50`` / ``convergence_p99``: from an AuthorizeSecurityGroupIngress
  (service call) returning to the first packet of the newly allowed flow arriving, over
  100 changes, with 1,000 instances × 5 groups in the store and in the compiled VPC table
  (only the two probing instances get namespaces). The agent runs in-process on the same
  store object, as in ``stockade serve``. Baseline: a full rebuild of the same world.
- ``allowed_drops_during_changes``: new UDP flows (a fresh source port per datagram) that
  both rule sets allow, sent as fast as one thread can while a rule of the destination's
  group is toggled for ``CHANGE_SECONDS``; the count the router rejected (target 0).
  Baseline: the same changes sent as one transaction each (new chain, switch and
  retirement together — what a naive incremental update does).
- ``repair_seconds_p50`` / ``_p99``: the VPC table deleted behind the agent's back (20
  times); seconds until the agent has put it back. Baseline: the agent's check interval
  (before drift repair, it stayed missing until the next store commit).
- ``api_writes_with_dataplane_on`` / ``_off``: bench/api.py's create/authorize workload
  (boto3, sequential) against ``stockade serve --dataplane on`` (the agent a child process,
  following every commit, with a few instances in the world) and ``--dataplane off``, in
  the same run; ``ratio`` = on / off (target >= 0.9).
- ``route_change_p50`` / ``_p99``: a subnet's ``0.0.0.0/0`` route to the internet gateway
  removed and added back (100 changes, alternating) in a VPC of 1,000 instances × 5 groups
  (hand-built snapshots fed to the reconciler; two instances get namespaces): from the new
  snapshot to the router's kernel answering the route lookup of the instance's packet to an
  internet host differently (blackhole ↔ the gateway link). Baseline: a ruleset change in
  the same run (a rule added to or removed from one group, the same snapshot path; until
  its nft transaction is in force). After each add, a real UDP packet must arrive.
- ``acl_change_p50`` / ``_p99``: an outbound deny entry (udp/9999 to the internet host,
  before the allow-all) added to and removed from the subnet's network ACL (100 changes,
  alternating) in the route-change world: from the new snapshot (what the follower hands
  over for an ``acl-`` change: no group re-read) until its nft transactions are in force
  (the ACL's new chains prepared, the subnet switched to them; the old ones retire after).
  Baseline: a ruleset change in the same run, as for ``route_change``. After each change a
  real UDP packet must be dropped (entry there) or arrive (entry gone).
- ``full_rebuild``: store read, plan, compile and one atomic nft transaction for 1,000
  instances × 5 groups × 60 rules (namespaces excluded: they already exist). Baseline:
  loading the naive rendering of the same policies (one rule per AWS rule per interface,
  linear chains) into a scratch namespace.

Bounded: about a minute in all; everything it creates is removed at the end.
Run: ``sudo .venv/bin/python bench/dataplane.py [case…]`` (cases: the bench_ functions'
names without the prefix, e.g. ``route_change``; all by default).
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import json
import random
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from stockade.dataplane import links, netns
from stockade.dataplane.agent import Agent
from stockade.dataplane.compile import compile_group
from stockade.dataplane.follow import Refresh
from stockade.dataplane.names import World
from stockade.dataplane.nft import Nft, usable
from stockade.dataplane.probe import open_socket
from stockade.dataplane.reconcile import Batch, Reconciler
from stockade.dataplane.render import group_chain_body, render_full
from stockade.dataplane.ruleset import rule_chain_name
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.interface import NetworkInterface
from stockade.domain.network import InternetGateway, Subnet, Vpc
from stockade.domain.network_acl import NetworkAcl, NetworkAclAssociation, deny_all_entries
from stockade.domain.network_acl import entry as acl_entry
from stockade.domain.permissions import IpPermission
from stockade.domain.quotas import Quotas
from stockade.domain.routing import LOCAL, Route, RouteTable, RouteTableAssociation
from stockade.domain.scope import Scope
from stockade.domain.security_group import (
    Peer,
    PeerKind,
    RuleSpec,
    SecurityGroup,
    SecurityGroupRule,
)
from stockade.domain.state import Snapshot
from stockade.policy.effective import group_entries
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest
from stockade.store.sql import SqlStore

ACCOUNT, REGION = "123456789012", "us-east-1"
PREFIX = "stkbench-"
SECONDS_PER_SAMPLE = 0.5


def emit(case: str, unit: str, stockade: float, baseline: float, **details) -> None:
    ratio = stockade / baseline if baseline else None
    print(
        json.dumps(
            {
                "case": case,
                "unit": unit,
                "stockade": round(stockade, 4),
                "baseline": round(baseline, 4),
                "ratio": round(ratio, 3) if ratio is not None else None,
                **details,
            }
        ),
        flush=True,
    )


# -- changes without a window, drift repair -------------------------------------------------------

CHANGE_SECONDS = 5.0


def bench_changes_without_window() -> None:
    from stockade.dataplane.compile import compile_vpc
    from stockade.dataplane.counters import rejected_packets
    from stockade.dataplane.delta import delta_steps
    from stockade.dataplane.plan import plan_world
    from stockade.dataplane.probe import NewFlowFlood

    snapshot, client, server, group_id = _world_with_rules(100)
    toggled = dataclasses.replace(
        snapshot,
        rules=(
            *snapshot.rules,
            SecurityGroupRule(
                "sgr-0000000000000cafe",
                group_id,
                ACCOUNT,
                RuleSpec(False, "tcp", 5000, 5000, Peer(PeerKind.CIDR_V4, "0.0.0.0/0")),
            ),
        ),
    )
    (plan,) = plan_world(snapshot).values()
    rulesets = [compile_vpc(snapshot, plan), compile_vpc(toggled, plan)]
    moves = [delta_steps(rulesets[0], rulesets[1]), delta_steps(rulesets[1], rulesets[0])]
    world = World(PREFIX)
    reconciler = Reconciler(world)
    counts = {}
    try:
        reconciler.apply_snapshot(snapshot)
        router = world.router(plan.vpc_id)
        # the flood goes to udp/80: allowed by neither rule set, so open it in both
        extra = SecurityGroupRule(
            "sgr-0000000000000beef",
            group_id,
            ACCOUNT,
            RuleSpec(False, "udp", 80, 80, Peer(PeerKind.CIDR_V4, "10.0.0.0/24")),
        )
        snapshot = dataclasses.replace(snapshot, rules=(*snapshot.rules, extra))
        toggled = dataclasses.replace(toggled, rules=(*toggled.rules, extra))
        rulesets = [compile_vpc(snapshot, plan), compile_vpc(toggled, plan)]
        moves = [delta_steps(rulesets[0], rulesets[1]), delta_steps(rulesets[1], rulesets[0])]
        with Nft(router) as nft:
            for mode in ("stockade", "one transaction"):
                nft.run(render_full(rulesets[0]))
                before, changes, sent = rejected_packets(router), 0, 0
                started = time.monotonic()
                with NewFlowFlood(world.instance(client), "10.0.0.20", 80) as flood:
                    while time.monotonic() - started < CHANGE_SECONDS:
                        steps = moves[changes % 2]
                        for text in steps if mode == "stockade" else ["".join(steps)]:
                            nft.run(text)
                        changes += 1
                counts[mode] = (rejected_packets(router) - before, changes, flood.sent)
    finally:
        reconciler.close()
        netns.remove_all(world.prefix)
    (drops, changes, sent), (naive, naive_changes, naive_sent) = counts.values()
    emit(
        "allowed_drops_during_changes",
        "packets",
        drops,
        naive,
        target="0",
        changes=changes,
        new_flows=sent,
        baseline_changes=naive_changes,
        baseline_new_flows=naive_sent,
    )


def bench_repair() -> None:
    with tempfile.TemporaryDirectory(prefix="stockade-bench-") as tmp:
        store = SqlStore.open(str(Path(tmp) / "bench.db"))
        world = World(PREFIX)
        agent = Agent(store, world)
        try:
            ctx = ServiceContext(store, Scope(), Quotas())
            services = Services(ctx)
            vpc = services.network.create_vpc("10.0.0.0/16")
            subnet = services.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
            services.instances.run(LaunchRequest(subnet_id=subnet.subnet_id, max_count=2))
            agent.start()
            agent.wait_for(store.revision())
            (router,) = agent.routers.values()
            namespace = router.applier.namespace
            samples = []
            with Nft(namespace) as nft:
                for _ in range(20):
                    nft.run("delete table inet stk_vpc\n")
                    started = time.monotonic()
                    while "stk_vpc" not in nft.tables():
                        time.sleep(0.005)
                    samples.append(time.monotonic() - started)
                    time.sleep(0.05)
        finally:
            agent.stop()
            netns.remove_all(PREFIX)
            store.close()
    samples.sort()
    emit(
        "repair_seconds_p50",
        "seconds",
        samples[len(samples) // 2],
        agent.check_interval,
        target="p99 <= 1.0",
        repairs=len(samples),
    )
    emit(
        "repair_seconds_p99",
        "seconds",
        samples[-1],
        agent.check_interval,
        target="<= 1.0",
        repairs=len(samples),
    )


def _wait_running(url: str, api_bench) -> None:
    deadline = time.monotonic() + 60
    while (state := (api_bench.health(url).get("dataplane") or {}).get("state")) != "running":
        if time.monotonic() > deadline:
            raise RuntimeError(f"the data plane did not start under serve: {state}")
        time.sleep(0.2)


def bench_api_writes_with_dataplane() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    import api as api_bench  # bench/api.py: the same workload, the same server helper

    rates: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="stockade-bench-") as tmp:
        env = {"STOCKADE_DATAPLANE_PREFIX": PREFIX, "STOCKADE_DATAPLANE_DIR": f"{tmp}/dp"}
        for mode in ("off", "on", "off", "on"):  # interleaved: noise falls on both
            db = str(Path(tmp) / f"api-{mode}-{len(rates)}.db")
            seed = SqlStore.open(db)
            try:  # a few running instances, so the agent has a world to keep
                services = Services(ServiceContext(seed, Scope(), Quotas()))
                vpc = services.network.create_vpc("10.0.0.0/16")
                subnet = services.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
                services.instances.run(LaunchRequest(subnet_id=subnet.subnet_id, max_count=3))
            finally:
                seed.close()
            with api_bench.stockade(db, dataplane=mode, env=env) as (url, _log):
                if mode == "on":  # the agent must really be there, following the store
                    _wait_running(url, api_bench)
                for case, value in api_bench.workload(url).items():
                    if case.startswith(("create", "authorize")):
                        rates.setdefault(mode, {}).setdefault(case, 0.0)
                        rates[mode][case] = max(rates[mode][case], value)
            netns.remove_all(PREFIX)
    on, off = rates["on"], rates["off"]
    total_on, total_off = sum(on.values()), sum(off.values())
    emit(
        "api_writes_with_dataplane_on",
        "calls/s",
        total_on / len(on),
        total_off / len(off),
        target="ratio >= 0.9",
        phases={k: round(v, 1) for k, v in on.items()},
        baseline_phases={k: round(v, 1) for k, v in off.items()},
        note="mean of the create/authorize phases' best of 2 runs; baseline: --dataplane off",
    )


# -- new-connection rate -------------------------------------------------------------------------


def _world_with_rules(count: int) -> tuple[Snapshot, str, str, str]:
    """Two instances; the server's group has ``count`` inbound rules, the match last."""
    vpc = Vpc("vpc-0000000000000b001", ACCOUNT, REGION, "10.0.0.0/16")
    subnet = Subnet(
        "subnet-000000000000b002",
        vpc.vpc_id,
        ACCOUNT,
        REGION,
        "10.0.0.0/24",
        "us-east-1a",
        "use1-az1",
    )
    server_g = SecurityGroup(
        "sg-0000000000000b003", "server", "server", vpc.vpc_id, ACCOUNT, REGION
    )
    client_g = SecurityGroup(
        "sg-0000000000000b004", "client", "client", vpc.vpc_id, ACCOUNT, REGION
    )
    rules = [
        SecurityGroupRule(
            "sgr-0000000000000b005",
            client_g.group_id,
            ACCOUNT,
            RuleSpec(True, "-1", -1, -1, Peer(PeerKind.CIDR_V4, "0.0.0.0/0")),
        )
    ]
    rng = random.Random(count)
    for k in range(count - 1):  # rules the probe never matches: other ports, other sources
        cidr = f"198.{rng.randrange(18, 20)}.{rng.randrange(256)}.{rng.randrange(256)}/32"
        port = 1024 + k % 60000
        rules.append(
            SecurityGroupRule(
                f"sgr-{k:017x}",
                server_g.group_id,
                ACCOUNT,
                RuleSpec(False, "tcp", port, port, Peer(PeerKind.CIDR_V4, cidr)),
            )
        )
    rules.append(
        SecurityGroupRule(
            "sgr-0000000000000bfff",
            server_g.group_id,
            ACCOUNT,
            RuleSpec(False, "tcp", 80, 80, Peer(PeerKind.CIDR_V4, "10.0.0.0/24")),
        )
    )
    enis, instances = [], []
    for i, (group, ip) in enumerate(((client_g, "10.0.0.10"), (server_g, "10.0.0.20"))):
        instance_id, eni_id = f"i-00000000000000b1{i}", f"eni-0000000000000b2{i}"
        enis.append(
            NetworkInterface(
                eni_id,
                ACCOUNT,
                REGION,
                vpc.vpc_id,
                subnet.subnet_id,
                "us-east-1a",
                ip,
                f"02:00:00:00:0b:2{i}",
                (group.group_id,),
                instance_id=instance_id,
                device_index=0,
            )
        )
        instances.append(
            Instance(
                instance_id,
                ACCOUNT,
                REGION,
                "r-0000000000000b30",
                vpc.vpc_id,
                subnet.subnet_id,
                "us-east-1a",
                "ami-12345678",
                "t3.micro",
                InstanceState.RUNNING,
                "2024-01-01T00:00:00Z",
                eni_id,
            )
        )
    snapshot = Snapshot(
        1,
        (vpc,),
        (subnet,),
        (),
        (server_g, client_g),
        tuple(rules),
        (),
        tuple(enis),
        tuple(instances),
    )
    return snapshot, instances[0].instance_id, instances[1].instance_id, server_g.group_id


def _naive_lines(snapshot: Snapshot, group_id: str) -> list[str]:
    """One nft rule per AWS rule (what a straightforward translation would write)."""
    ingress, _egress, _ = group_entries(snapshot, group_id)
    out = []
    for entry in ingress:
        out.append(
            f"ip saddr {entry.cidr} meta l4proto 6 th dport "
            f"{entry.from_port}-{entry.to_port} goto {rule_chain_name(entry.rule_id)}"
        )
    return out


def _connection_rate(client_ns: str, server: socket.socket, address: str, seconds: float) -> float:
    """Connections per second: connect, accept on the server socket, RST — one thread, so
    nothing but the kernel's path (and Python's fixed cost) varies between tables."""
    done, started = 0, time.perf_counter()
    deadline = started + seconds
    linger = struct.pack("ii", 1, 0)
    while time.perf_counter() < deadline:
        for _ in range(50):
            sock = open_socket(client_ns, socket.AF_INET, socket.SOCK_STREAM)
            sock.settimeout(2)
            sock.connect((address, 80))
            conn, _ = server.accept()
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            sock.close()
            conn.close()
            done += 1
    return done / (time.perf_counter() - started)


def _with_acls(snapshot: Snapshot, server: str, entries: int) -> tuple[Snapshot, Snapshot]:
    """The world with the server in a subnet of its own (10.0.0.16/28; the client's is
    10.0.0.0/28), so every packet crosses both subnets' ACLs: (no custom ACL — the implied
    default, one allow-all entry each way —, ``entries``-entry ACLs on both subnets). Each
    ACL direction has ``entries - 2`` denies the probe never matches (other ports, other
    sources), then the allows it needs (the service, or the ephemeral ports)."""
    vpc = snapshot.vpcs[0]
    (subnet,) = snapshot.subnets
    client_net = dataclasses.replace(subnet, cidr_block="10.0.0.0/28")
    server_net = dataclasses.replace(
        subnet, subnet_id="subnet-000000000000b00f", cidr_block="10.0.0.16/28"
    )
    enis = tuple(
        dataclasses.replace(e, subnet_id=server_net.subnet_id) if e.instance_id == server else e
        for e in snapshot.interfaces
    )
    instances = tuple(
        dataclasses.replace(i, subnet_id=server_net.subnet_id) if i.instance_id == server else i
        for i in snapshot.instances
    )
    split = dataclasses.replace(
        snapshot, subnets=(client_net, server_net), interfaces=enis, instances=instances
    )

    def acl(n: int, subnet_id: str, allows: list) -> NetworkAcl:
        numbered = []
        for egress in (False, True):
            for k in range(entries - 2):  # never the probe's: another source, another port
                cidr = f"198.18.{k}.0/24"
                numbered.append(acl_entry(10 + k, egress, "deny", "6", cidr, port_range=(k, k)))
            numbered += [a for a in allows if a.egress == egress]
        return NetworkAcl(
            f"acl-0000000000000b0a{n}",
            vpc.vpc_id,
            ACCOUNT,
            REGION,
            entries=(*numbered, *deny_all_entries(False)),
            associations=(NetworkAclAssociation(f"aclassoc-000000000b0a{n}", subnet_id),),
        )

    ephemeral = (32768, 60999)
    client_acl = acl(
        1,
        client_net.subnet_id,
        [
            acl_entry(900, True, "allow", "6", "10.0.0.16/28", port_range=(80, 80)),
            acl_entry(900, False, "allow", "6", "10.0.0.16/28", port_range=ephemeral),
        ],
    )
    server_acl = acl(
        2,
        server_net.subnet_id,
        [
            acl_entry(900, False, "allow", "6", "10.0.0.0/28", port_range=(80, 80)),
            acl_entry(900, True, "allow", "6", "10.0.0.0/28", port_range=ephemeral),
        ],
    )
    return split, dataclasses.replace(split, network_acls=(client_acl, server_acl))


def bench_connection_rate_acls(rules: int = 10000, entries: int = 20, rounds: int = 5) -> None:
    """New connections per second through ``entries``-entry ACLs on both subnets (each
    packet, the reply too, crosses two) and a group of ``rules`` rules, against one rule
    and no custom ACL; configurations interleaved over ``rounds`` rounds."""
    largest, client, server, group_id = _world_with_rules(rules)
    plain, with_acls = _with_acls(largest, server, entries)
    client_rule, *others = [r for r in plain.rules if r.group_id != group_id]
    match = next(r for r in plain.rules if r.rule_id == "sgr-0000000000000bfff")
    one_rule = dataclasses.replace(plain, rules=(client_rule, *others, match))
    configs = {"acls": with_acls, "one_rule_no_acl": one_rule}
    world = World(PREFIX)
    reconciler = Reconciler(world)
    samples: dict[str, list[float]] = {name: [] for name in configs}
    try:
        reconciler.apply_snapshot(with_acls)
        router_ns = world.router(with_acls.vpcs[0].vpc_id)
        listener = open_socket(world.instance(server), socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("0.0.0.0", 80))
        listener.listen(1024)
        listener.settimeout(2)
        with contextlib.closing(listener):
            for _ in range(rounds):
                for name, snapshot in configs.items():
                    reconciler.apply_snapshot(snapshot)
                    _flush_conntrack(router_ns)
                    samples[name].append(
                        _connection_rate(
                            world.instance(client), listener, "10.0.0.20", SECONDS_PER_SAMPLE
                        )
                    )
    finally:
        reconciler.close()
        netns.remove_all(world.prefix)
    rate = {name: statistics.median(values) for name, values in samples.items()}
    emit(
        f"new_connections_{rules}_rules_{entries}_entry_acls",
        "connections/s",
        rate["acls"],
        rate["one_rule_no_acl"],
        target=">= 0.9",
        baseline_is="1 rule, no custom ACL (the implied default: one allow-all entry each way)",
        acls="both subnets, both directions",
        rounds=rounds,
    )


def _flush_conntrack(namespace: str) -> None:
    subprocess.run(
        ["ip", "netns", "exec", namespace, "conntrack", "-F"], capture_output=True, check=False
    )


def bench_connection_rate(sizes=(1, 1000, 10000), rounds: int = 5) -> None:
    """All six tables (3 sizes × 2 renderings) measured in one world, interleaved over
    ``rounds`` rounds, so machine noise falls on every configuration alike."""
    largest, client, server, group_id = _world_with_rules(max(sizes))
    chain = compile_group(largest, group_id)[0].name  # the chain the full apply creates
    bodies: dict[tuple[int, str], str] = {}
    elements: dict[int, int] = {}
    for size in sizes:
        match, *others = [r for r in largest.rules if r.group_id == group_id][::-1]
        kept = [r for r in largest.rules if r.group_id != group_id] + others[::-1][: size - 1]
        snapshot = dataclasses.replace(largest, rules=(*kept, match))
        ingress, _egress = compile_group(snapshot, group_id)
        elements[size] = sum(len(lookup.elements) for lookup in ingress.lookups)
        for name, lines in (
            ("stockade", group_chain_body(ingress)),
            ("naive", _naive_lines(snapshot, group_id)),
        ):
            bodies[(size, name)] = f"flush chain inet stk_vpc {chain}\n" + "".join(
                f"add rule inet stk_vpc {chain} {line}\n" for line in lines
            )
    world = World(PREFIX)
    reconciler = Reconciler(world)
    try:
        reconciler.apply_snapshot(largest)
        router_ns = world.router(largest.vpcs[0].vpc_id)
        samples: dict[tuple[int, str], list[float]] = {key: [] for key in bodies}
        listener = open_socket(world.instance(server), socket.AF_INET, socket.SOCK_STREAM)
        listener.bind(("0.0.0.0", 80))
        listener.listen(1024)
        listener.settimeout(2)
        with contextlib.closing(listener), Nft(router_ns) as nft:
            for _ in range(rounds):
                for key, body in bodies.items():
                    nft.run(body)
                    _flush_conntrack(router_ns)
                    samples[key].append(
                        _connection_rate(
                            world.instance(client), listener, "10.0.0.20", SECONDS_PER_SAMPLE
                        )
                    )
    finally:
        reconciler.close()
        netns.remove_all(world.prefix)
    rate = {key: statistics.median(values) for key, values in samples.items()}
    for size in sizes:
        emit(
            f"new_connections_{size}_rules",
            "connections/s",
            rate[(size, "stockade")],
            rate[(size, "naive")],
            rules_on_destination=size,
            nft_rules_naive=size,
            set_elements_stockade=elements[size],
            rounds=rounds,
        )
    low, high = min(sizes), max(sizes)
    emit(
        f"flatness_{low}_to_{high}",
        f"rate({high})/rate({low})",
        rate[(high, "stockade")] / rate[(low, "stockade")],
        rate[(high, "naive")] / rate[(low, "naive")],
        target=">= 0.9 for stockade",
    )


# -- convergence and full rebuild ---------------------------------------------------------------


def _populate(ctx: ServiceContext, instances: int, groups: int, rules: int) -> dict:
    """``instances`` instances with 5 random groups each, from ``groups`` groups of
    ``rules`` inbound rules; plus a client and a server group for the probes."""
    services = Services(ctx)
    vpc = services.network.create_vpc("10.0.0.0/16")
    subnet = services.network.create_subnet(vpc.vpc_id, "10.0.0.0/20")
    rng = random.Random(7)
    pool = []
    for g in range(groups):
        gid = services.groups.create(f"pool-{g}", "bench", vpc.vpc_id).group.group_id
        services.rules.authorize(
            gid,
            [
                IpPermission("tcp", 1000 + k, 1000 + k, ip_ranges=((f"198.18.{g}.{k}/32", None),))
                for k in range(rules)
            ],
        )
        pool.append(gid)
    server_g = services.groups.create("server", "bench server", vpc.vpc_id).group.group_id
    client_g = services.groups.create("client", "bench client", vpc.vpc_id).group.group_id
    launched = 0
    while launched < instances - 2:
        batch = min(10, instances - 2 - launched)
        services.instances.run(
            LaunchRequest(
                subnet_id=subnet.subnet_id, max_count=batch, group_ids=tuple(rng.sample(pool, 5))
            )
        )
        launched += batch
    server = services.instances.run(
        LaunchRequest(subnet_id=subnet.subnet_id, group_ids=(server_g, *rng.sample(pool, 4)))
    )[0]
    client = services.instances.run(
        LaunchRequest(subnet_id=subnet.subnet_id, group_ids=(client_g, *rng.sample(pool, 4)))
    )[0]
    return {"server": server, "client": client, "server_group": server_g}


def _sender(namespace: str, address: str, port: int, stop: threading.Event) -> None:
    sock = open_socket(namespace, socket.AF_INET, socket.SOCK_DGRAM)
    try:
        while not stop.is_set():
            with contextlib.suppress(OSError):  # before the rule: "not permitted" at times
                sock.sendto(b"x", (address, port))
            time.sleep(0.0002)
    finally:
        sock.close()


def bench_convergence_and_rebuild() -> None:
    with tempfile.TemporaryDirectory(prefix="stockade-bench-") as tmp:
        store = SqlStore.open(str(Path(tmp) / "bench.db"))
        try:
            # 60 rules per pool group; the server's group takes the 100 changes (AWS's
            # adjustable quota: 200 rules x 5 groups stays within 1,000).
            ctx = ServiceContext(store, Scope(), Quotas(rules_per_group=200))
            made = _populate(ctx, 1000, 100, 60)
            world = World(PREFIX)
            times, first = _convergence(store, ctx, made, world)
            rebuild, baseline, sizes = _rebuild(store, world, made)
        finally:
            netns.remove_all(PREFIX)
            store.close()
    times.sort()
    p50, p99 = times[len(times) // 2], times[int(len(times) * 0.99) - 1]
    details = {
        "instances": 1000,
        "groups_per_instance": 5,
        "rules_per_group": 60,
        "changes": len(times),
        "namespaces": 2,
        "agent_start_seconds": round(first, 3),
    }
    emit("convergence_p50", "seconds", p50, rebuild, target="<= 0.050", **details)
    emit("convergence_p99", "seconds", p99, rebuild, target="<= 0.250", **details)
    emit(
        "full_rebuild",
        "seconds",
        rebuild,
        baseline,
        target="<= 1.0",
        instances=1000,
        groups_per_instance=5,
        rules_per_group=60,
        **sizes,
    )


def _convergence(store, ctx, made, world) -> tuple[list[float], float]:
    """100 authorizations, each timed from the call returning to the first packet in."""
    probes = {made["server"].instance.instance_id, made["client"].instance.instance_id}
    agent = Agent(store, world, realize=lambda port: port.instance_id in probes)
    started = time.perf_counter()
    agent.start()
    first = time.perf_counter() - started
    try:
        server_ns = world.instance(made["server"].instance.instance_id)
        client_ns = world.instance(made["client"].instance.instance_id)
        server_ip = made["server"].primary.private_ip
        client_ip = made["client"].primary.private_ip
        rules = Services(ctx).rules
        times = []
        for k in range(100):
            port = 20000 + k
            sink = open_socket(server_ns, socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("0.0.0.0", port))
            sink.settimeout(3)
            stop = threading.Event()
            sender = threading.Thread(
                target=_sender, args=(client_ns, server_ip, port, stop), daemon=True
            )
            sender.start()
            time.sleep(0.005)  # the flow is being tried (and dropped) before the change
            rules.authorize(
                made["server_group"],
                [IpPermission("udp", port, port, ip_ranges=((f"{client_ip}/32", None),))],
            )
            returned = time.perf_counter()
            sink.recv(16)
            times.append(time.perf_counter() - returned)
            stop.set()
            sender.join()
            sink.close()
        return times, first
    finally:
        agent.stop()


def _rebuild(store, world, made) -> tuple[float, float, dict]:
    """Rebuild the same world from the store (warm: namespaces exist), and load the naive
    rendering of the same policies into a scratch namespace."""
    probes = {made["server"].instance.instance_id, made["client"].instance.instance_id}
    agent = Agent(store, world, realize=lambda port: port.instance_id in probes)
    try:
        agent.rebuild()  # warm-up: contexts and handles
        samples = []
        for _ in range(3):
            started = time.perf_counter()
            agent.rebuild()
            samples.append(time.perf_counter() - started)
        (router,) = agent.routers.values()
        (snapshot,) = agent.follower.snapshots.values()
        text = render_full(router.applier.current)
        naive = _naive_table(snapshot, router.plan.ports)
    finally:
        agent.stop()
    scratch = f"{PREFIX}naive"
    netns.create(scratch)
    with Nft(scratch) as nft:
        started = time.perf_counter()
        nft.run(naive)
        baseline = time.perf_counter() - started
    sizes = {
        "nft_text_bytes": len(text),
        "naive_text_bytes": len(naive),
        "naive_rules": naive.count("accept"),
    }
    return statistics.median(samples), baseline, sizes


def _naive_table(snapshot: Snapshot, ports) -> str:
    """Every interface's effective rules as one linear chain each (no sharing, no sets)."""
    from stockade.policy import effective_policy

    lines = ["add table inet stk_naive", "delete table inet stk_naive", "table inet stk_naive {"]
    for port in ports:
        policy = effective_policy(snapshot, port.eni_id)
        lines.append(f"  chain in_{port.ifname} {{")
        for entry in policy.ingress:
            if entry.protocol in ("tcp", "udp"):
                lines.append(
                    f"    ip saddr {entry.cidr} meta l4proto {entry.protocol} th dport "
                    f"{entry.from_port}-{entry.to_port} counter accept"
                )
            else:
                lines.append(f"    ip saddr {entry.cidr} counter accept")
        lines.append("    drop\n  }")
    lines.append("}")
    return "\n".join(lines) + "\n"


# -- route change convergence --------------------------------------------------------------------

HOST = "203.0.113.10"


def _routed_world(count: int) -> tuple[Snapshot, RouteTable, RouteTable]:
    """``count`` instances × 5 of 100 groups (10 rules each) in one subnet whose table
    routes 0.0.0.0/0 to the gateway; the first instance has a public IP. Returns the
    snapshot, the subnet's table and the same table without its default route."""
    rng = random.Random(11)
    vpc = Vpc("vpc-0000000000000c001", ACCOUNT, REGION, "10.0.0.0/16")
    subnet = Subnet(
        "subnet-000000000000c002", vpc.vpc_id, ACCOUNT, REGION, "10.0.0.0/20", "us-east-1a", "x"
    )
    igw = InternetGateway("igw-0000000000000c003", ACCOUNT, REGION, vpc.vpc_id)
    groups, rules = [], []
    for g in range(100):
        group = SecurityGroup(f"sg-{g + 0xC100:017x}", f"g{g}", "g", vpc.vpc_id, ACCOUNT, REGION)
        groups.append(group)
        spec = RuleSpec(True, "-1", -1, -1, Peer(PeerKind.CIDR_V4, "0.0.0.0/0"))
        rules.append(SecurityGroupRule(f"sgr-{g + 0xC100:017x}", group.group_id, ACCOUNT, spec))
        for k in range(9):
            cidr = f"198.18.{g}.{k}/32"
            spec = RuleSpec(False, "tcp", 1000 + k, 1000 + k, Peer(PeerKind.CIDR_V4, cidr))
            rules.append(
                SecurityGroupRule(f"sgr-{g * 16 + k + 0xD000:017x}", group.group_id, ACCOUNT, spec)
            )
    enis, instances = [], []
    for i in range(count):
        instance_id, eni_id = f"i-{i + 0xE000:017x}", f"eni-{i + 0xE000:017x}"
        enis.append(
            NetworkInterface(
                eni_id,
                ACCOUNT,
                REGION,
                vpc.vpc_id,
                subnet.subnet_id,
                "us-east-1a",
                str(ipaddress.IPv4Address("10.0.0.10") + i),
                f"02:00:00:{i >> 16:02x}:{(i >> 8) & 255:02x}:{i & 255:02x}",
                tuple(sorted(g.group_id for g in rng.sample(groups, 5))),
                public_ip="198.51.100.10" if i == 0 else None,
                instance_id=instance_id,
                device_index=0,
            )
        )
        instances.append(
            Instance(
                instance_id,
                ACCOUNT,
                REGION,
                f"r-{i + 0xE000:017x}",
                vpc.vpc_id,
                subnet.subnet_id,
                "us-east-1a",
                "ami-12345678",
                "t3.micro",
                InstanceState.RUNNING,
                "2024-01-01T00:00:00Z",
                eni_id,
            )
        )
    local = Route(vpc.cidr_block, LOCAL)
    main = RouteTable(
        "rtb-0000000000000c004",
        vpc.vpc_id,
        ACCOUNT,
        REGION,
        (local,),
        (RouteTableAssociation("rtbassoc-00000000000c005", main=True),),
    )
    public = RouteTable(
        "rtb-0000000000000c006",
        vpc.vpc_id,
        ACCOUNT,
        REGION,
        (local, Route("0.0.0.0/0", igw.igw_id)),
        (RouteTableAssociation("rtbassoc-00000000000c007", subnet_id=subnet.subnet_id),),
    )
    snapshot = Snapshot(
        1,
        (vpc,),
        (subnet,),
        (igw,),
        tuple(groups),
        tuple(rules),
        (),
        tuple(enis),
        tuple(instances),
        route_tables=(main, public),
    )
    return snapshot, public, dataclasses.replace(public, routes=(local,))


def _lookup(ipr, source: str, iif: int) -> str:
    """How the router's kernel routes the instance's packet to the internet host."""
    try:
        (route,) = ipr.route("get", dst=HOST, src=source, iif=iif)
    except Exception:  # a blackhole answers the lookup with an error
        return "drop"
    return "forward" if route["type"] == 1 else "drop"


def bench_route_change(count: int = 1000, changes: int = 100) -> None:
    snapshot, with_route, without = _routed_world(count)
    client, server = snapshot.instances[0], snapshot.instances[1]
    client_eni = snapshot.interfaces[0]
    realize = {client.instance_id, server.instance_id}
    reconciler = Reconciler(World(PREFIX), realize=lambda port: port.instance_id in realize)
    scope = Scope()
    times, rule_times = [], []
    try:
        reconciler.apply_snapshot(snapshot, scope)
        router = netns.iproute(World(PREFIX).router(client.vpc_id))
        iif = links.index(router, World.port(client_eni.eni_id))
        group = client_eni.group_ids[0]
        extra = SecurityGroupRule(
            "sgr-0000000000000cfff",
            group,
            ACCOUNT,
            RuleSpec(False, "tcp", 4242, 4242, Peer(PeerKind.CIDR_V4, "198.18.200.1/32")),
        )
        with reconciler.topology.internet.host(HOST) as host:
            sink = open_socket(host, socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("0.0.0.0", 9999))
            sink.settimeout(3)
            sender = open_socket(
                World(PREFIX).instance(client.instance_id), socket.AF_INET, socket.SOCK_DGRAM
            )
            revision = 1
            base_rules = snapshot.rules  # the baseline adds ``extra`` to these, then removes it
            for k in range(changes):
                revision += 1
                table = without if k % 2 == 0 else with_route
                tables = (snapshot.route_tables[0], table)
                new = dataclasses.replace(snapshot, revision=revision, route_tables=tables)
                before = _lookup(router, client_eni.private_ip, iif)
                started = time.perf_counter()
                reconciler.apply(
                    scope, Refresh(new, False, frozenset(), frozenset(), frozenset()), Batch(0, 0)
                )
                while _lookup(router, client_eni.private_ip, iif) == before:
                    if time.perf_counter() - started > 5:
                        raise RuntimeError("the route change never reached the kernel")
                times.append(time.perf_counter() - started)
                if table is with_route:  # the real packet goes through again
                    sender.sendto(b"x", (HOST, 9999))
                    sink.recv(16)
                # baseline: a ruleset change through the same path
                revision += 1
                rules = base_rules + ((extra,) if k % 2 == 0 else ())
                changed = dataclasses.replace(new, revision=revision, rules=rules)
                started = time.perf_counter()
                reconciler.apply(
                    scope,
                    Refresh(changed, False, frozenset({group}), frozenset(), frozenset()),
                    Batch(0, 0),
                )
                rule_times.append(time.perf_counter() - started)
                reconciler.settle()
                snapshot = dataclasses.replace(snapshot, rules=rules)
            sender.close()
            sink.close()
        router.close()
    finally:
        reconciler.close()
        netns.remove_all(PREFIX)
    _emit_against_ruleset_change(
        "route_change", times, rule_times, instances=count, changes=changes
    )


def bench_acl_change(count: int = 1000, changes: int = 100) -> None:
    """A network ACL entry added to and removed from the subnet's ACL (an outbound deny of
    udp/9999 to the internet host, before the allow-all), in the route-change world."""
    snapshot, _with_route, _without = _routed_world(count)
    subnet = snapshot.subnets[0]
    vpc = snapshot.vpcs[0]
    base = (
        acl_entry(100, False, "allow", "-1", "0.0.0.0/0"),
        acl_entry(100, True, "allow", "-1", "0.0.0.0/0"),
        *deny_all_entries(False),
    )
    deny = acl_entry(50, True, "deny", "17", f"{HOST}/32", port_range=(9999, 9999))
    acl = NetworkAcl(
        "acl-0000000000000c008",
        vpc.vpc_id,
        ACCOUNT,
        REGION,
        entries=base,
        associations=(NetworkAclAssociation("aclassoc-00000000000c009", subnet.subnet_id),),
    )
    snapshot = dataclasses.replace(snapshot, network_acls=(acl,))
    client, server = snapshot.instances[0], snapshot.instances[1]
    realize = {client.instance_id, server.instance_id}
    reconciler = Reconciler(World(PREFIX), realize=lambda port: port.instance_id in realize)
    scope = Scope()
    times, rule_times, modes = [], [], set()
    group = snapshot.interfaces[0].group_ids[0]
    extra = SecurityGroupRule(
        "sgr-0000000000000cffe",
        group,
        ACCOUNT,
        RuleSpec(False, "tcp", 4242, 4242, Peer(PeerKind.CIDR_V4, "198.18.200.1/32")),
    )
    base_rules = snapshot.rules
    try:
        reconciler.apply_snapshot(snapshot, scope)
        with reconciler.topology.internet.host(HOST) as host:
            sink = open_socket(host, socket.AF_INET, socket.SOCK_DGRAM)
            sink.bind(("0.0.0.0", 9999))
            sender = open_socket(
                World(PREFIX).instance(client.instance_id), socket.AF_INET, socket.SOCK_DGRAM
            )
            revision = 1
            for k in range(changes):
                revision += 1
                denied = k % 2 == 0
                changed = dataclasses.replace(acl, entries=(deny, *base) if denied else base)
                new = dataclasses.replace(snapshot, revision=revision, network_acls=(changed,))
                batch = Batch(revision, 0)
                started = time.perf_counter()
                reconciler.apply(
                    scope, Refresh(new, False, frozenset(), frozenset(), frozenset()), batch
                )
                times.append(time.perf_counter() - started)  # its transactions are in force
                modes.add(batch.applied[vpc.vpc_id].mode)
                reconciler.settle()
                # a real packet: dropped while the entry is there, through once it is gone
                sender.sendto(b"x", (HOST, 9999))
                sink.settimeout(0.1 if denied else 3)
                try:
                    sink.recv(16)
                    arrived = True
                except TimeoutError:
                    arrived = False
                if arrived == denied:
                    raise RuntimeError(
                        f"change {k}: the packet {'passed' if arrived else 'was lost'}"
                    )
                # baseline: a ruleset change through the same path
                revision += 1
                rules = base_rules + ((extra,) if denied else ())  # added, then removed
                snapshot = dataclasses.replace(new, revision=revision, rules=rules)
                started = time.perf_counter()
                reconciler.apply(
                    scope,
                    Refresh(snapshot, False, frozenset({group}), frozenset(), frozenset()),
                    Batch(0, 0),
                )
                rule_times.append(time.perf_counter() - started)
                reconciler.settle()
                acl = changed
            sender.close()
            sink.close()
    finally:
        reconciler.close()
        netns.remove_all(PREFIX)
    _emit_against_ruleset_change(
        "acl_change", times, rule_times, instances=count, changes=changes, applied=sorted(modes)
    )


def _emit_against_ruleset_change(
    case: str, times: list[float], rule_times: list[float], **details
) -> None:
    """p50 and p99 of a change's convergence, each against a ruleset change's in the same
    run (the route and ACL cases share this baseline)."""
    times, rule_times = sorted(times), sorted(rule_times)
    for name, q in (("p50", 0.5), ("p99", 0.99)):
        at = min(len(times) - 1, int(len(times) * q))
        emit(
            f"{case}_{name}",
            "seconds",
            times[at],
            rule_times[at],
            target="<= 0.050",
            groups_per_instance=5,
            baseline_is="a ruleset change's convergence (same path, same run)",
            **details,
        )


def main() -> int:
    ok, why = usable()
    if not ok:
        print(json.dumps({"case": "skipped", "reason": why}), flush=True)
        return 0
    netns.remove_all(PREFIX)
    cases = {
        "route_change": bench_route_change,
        "acl_change": bench_acl_change,
        "connection_rate": bench_connection_rate,
        "connection_rate_acls": bench_connection_rate_acls,
        "changes_without_window": bench_changes_without_window,
        "repair": bench_repair,
        "api_writes_with_dataplane": bench_api_writes_with_dataplane,
        "convergence_and_rebuild": bench_convergence_and_rebuild,
    }
    try:
        for name in sys.argv[1:] or cases:  # e.g. `bench/dataplane.py route_change`
            cases[name]()
    finally:
        netns.remove_all(PREFIX)
    return 0


if __name__ == "__main__":
    sys.exit(main())
