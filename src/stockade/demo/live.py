"""``stockade demo`` as root: the seed scenario on real packets, analyzer beside kernel.

The seed is built through the EC2 API — an in-process ``stockade serve`` app on a loopback
port, driven by boto3 (:class:`stockade.remote.RemoteServices`) — while the data-plane
agent follows the same store and builds the world: a namespace per instance, a VPC router
enforcing the groups with nftables, an internet namespace. Listeners run inside the
instances (tcp/22 and tcp/80 on web, tcp/123 on ntp, nothing on web's tcp/8080); each
check is then probed for real from the right place (an instance, or a transient internet
host) and printed beside ``policy.decide``'s verdict. A rule is changed live through the
API and the effect shown. The world (prefix ``stkdemo-``, or ``$STOCKADE_DEMO_PREFIX``) is
removed at the end; while another demo holds it, this one shows the analyzer only.

The server is ``stockade serve``'s app, console included, told about the agent (its status
and state directory), so the console's live page streams the demo's flow logs and probes
its world. The demo ends by printing the console's address; run from a terminal it keeps
the world, the listeners and the server until ^C (:func:`stockade.demo.console.hold`).
Its flow logs close an aggregation interval every :data:`FLOWLOG_INTERVAL_S` seconds rather
than AWS's 60 or 600, so records reach the live page while one watches.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.text import Text

from stockade.demo.checks import SEED_CHECKS, SeedCheck
from stockade.demo.console import hold
from stockade.demo.seed import MY_COMPUTER, OUTSIDER, Seed, build_seed
from stockade.domain.permissions import IpPermission
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.policy import Flow, decide
from stockade.service.context import ServiceContext
from stockade.store.sql import SqlStore
from stockade.view import tables
from stockade.view.verdict import because

PREFIX = "stkdemo-"
TIMEOUT = 0.5
FLOWLOG_INTERVAL_S = 10.0
#: The seed checks, and one more: allowed, but nothing listens (the kernel refuses).
CHECKS = SEED_CHECKS + (
    SeedCheck(
        f"{MY_COMPUTER} -> web:8080 (allowed, nothing listening)",
        MY_COMPUTER,
        "web",
        8080,
        "allowed",
    ),
)


def run_live_demo(console: Console, keep: bool = False) -> bool:
    """Run the data-plane demo; ``False`` (having said why) when this machine cannot.
    With ``keep`` (an interactive run), leave the world and its console up until ^C."""
    from stockade.dataplane import nft

    ok, why = nft.usable()
    if not ok:
        console.print(
            f"[yellow]The data-plane demo needs root and nftables: {why}.[/] "
            "Showing what the analyzer says instead.\n"
        )
        return False
    from stockade.api.app import serving
    from stockade.console.app import create_server_app
    from stockade.dataplane.agent import Agent
    from stockade.dataplane.names import World
    from stockade.dataplane.ownership import holder, remove_world
    from stockade.dataplane.probe import Listeners
    from stockade.remote import RemoteServices

    world = World(os.environ.get("STOCKADE_DEMO_PREFIX") or PREFIX)
    running = holder(world)
    if running is not None:  # another demo is using the world: leave it alone
        console.print(
            f"[yellow]Another data-plane demo is running ({running.describe(world)})."
            "[/] Showing what the analyzer says instead.\n"
        )
        return False
    remove_world(world)  # what a previous demo killed half-way left behind
    with tempfile.TemporaryDirectory(prefix="stockade-demo-") as tmp:
        store = SqlStore.open(str(Path(tmp) / "demo.db"))
        agent = None
        try:
            state = Path(tmp) / "dataplane"
            agent = Agent(store, world, state_dir=state, flowlog_interval=FLOWLOG_INTERVAL_S)
            agent.start()
            stopping = threading.Event()

            def status() -> dict:  # "stopped" once the demo ends: the live page's streams end
                if stopping.is_set():
                    return {**agent.status(), "state": "stopped", "reason": "the demo is ending"}
                return {**agent.status(), "state": "running"}

            app = create_server_app(store, dataplane=status, dataplane_state=state)
            with serving(app) as endpoint, Listeners() as listeners:
                scope = Scope()
                api = RemoteServices(endpoint, scope.account, scope.region)
                console.rule("[bold]stockade demo: the seed scenario on real packets")
                console.print(
                    f"EC2 API on {endpoint} (boto3); the data plane follows the "
                    f"same store (namespaces {PREFIX}*)."
                )
                started = time.perf_counter()
                seed = build_seed(api)
                # AWS logs nothing without a flow log: one for the VPC, every action
                api.client.create_flow_logs(
                    ResourceIds=[seed.vpc_id],
                    ResourceType="VPC",
                    TrafficType="ALL",
                    LogGroupName="stockade-demo",
                )
                agent.wait_for(store.revision())
                console.print(
                    f"Seed built through the API and realised in "
                    f"{time.perf_counter() - started:.2f} s."
                )
                from stockade.demo.show import _show

                _show(console, ServiceContext(store, scope, Quotas()), seed, None)
                _listen(console, agent, seed, listeners)
                _probe_and_compare(console, agent, seed, api, listeners)
                hold(console, f"{endpoint}/console", keep, live=True)
                stopping.set()
            agent.stop()  # closes the flow logs' aggregation interval: its records are written
            _flow_log_excerpt(console, Path(tmp) / "dataplane")
        finally:
            if agent is not None:
                agent.stop()
            store.close()
            remove_world(world)
    return True


def _listen(console: Console, agent, seed: Seed, listeners) -> None:
    """Servers inside the instances (for the checks, and the console's probes after)."""
    web_ns = agent.world.instance(seed.instances["web"])
    ntp_ns = agent.world.instance(seed.instances["ntp"])
    app_ns = agent.world.instance(seed.instances["app"])
    for port in (22, 80):
        listeners.tcp(web_ns, port)
    for port in (22, 123):
        listeners.tcp(ntp_ns, port)
    listeners.tcp(app_ns, 80)
    console.print(
        "\nListening inside the instances: web tcp/22 and tcp/80 (nothing on "
        "tcp/8080), ntp tcp/22 and tcp/123, app tcp/80."
    )


def _probe_and_compare(console: Console, agent, seed: Seed, api, listeners) -> None:
    rows = _run_checks(agent, seed, CHECKS, listeners)
    table = tables.table(
        "The analyzer beside real packets", "Check", "Analyzer", "Real packets", "Agree"
    )
    for label, decision, outcome in rows:
        table.add_row(label, *_cells(decision, outcome))
    console.print()
    console.print(table)
    _live_change(console, agent, seed, api, listeners)


def _run_checks(agent, seed: Seed, checks, listeners) -> list:
    from stockade.dataplane.probe import Probe, run

    (snapshot,) = agent.follower.snapshots.values()
    internet = agent.topology.internet
    hosts = {c.source for c in checks if c.source not in seed.instances}
    names = {address: internet.add_host(address) for address in hosts}
    try:
        probes, decisions = [], []
        for check in checks:
            instance = snapshot.instance_by_id[seed.instances[check.destination]]
            eni = snapshot.interface_by_id[instance.primary_eni_id]
            if check.source in seed.instances:
                namespace = agent.world.instance(seed.instances[check.source])
                source, address = seed.instances[check.source], eni.private_ip
            else:
                namespace, source, address = names[check.source], check.source, eni.public_ip
            probes.append(Probe(namespace, address, check.protocol, check.port))
            decisions.append(decide(snapshot, Flow(source, address, check.protocol, check.port)))
        outcomes = run(probes, TIMEOUT, listeners)
    finally:
        for address in hosts:
            internet.remove_host(address)
    return [(c.label, d, o) for c, d, o in zip(checks, decisions, outcomes, strict=True)]


def _cells(decision, outcome: str) -> tuple[Text, str, Text]:
    """Styled cells (a table prints string cells as text, markup and all)."""
    real_allowed = outcome in ("connected", "refused")
    colour = "green" if decision.allowed else "red"
    agree = (
        tables.styled("yes", "green")
        if real_allowed == decision.allowed
        else tables.styled("NO", "red bold")
    )
    return tables.styled(decision.verdict.value, colour), outcome, agree


def _live_change(console: Console, agent, seed: Seed, api, listeners) -> None:
    """Authorize SSH from the outsider through the API, show it, revoke it, show it."""
    check = (SeedCheck(f"{OUTSIDER} -> web:22", OUTSIDER, "web", 22, "allowed"),)
    console.print(
        f"\n[bold]A rule changed live[/]: authorize tcp/22 from {OUTSIDER}/32 on "
        "web, through the API ..."
    )
    started = time.perf_counter()
    added = api.rules.authorize(
        seed.groups["web"],
        [
            IpPermission(
                "tcp", 22, 22, ip_ranges=((f"{OUTSIDER}/32", "demo: the outsider, briefly"),)
            )
        ],
    )
    returned = time.perf_counter()
    agent.wait_for(agent.store.revision())
    applied = time.perf_counter()
    table = tables.table("After the change", "Check", "Analyzer", "Real packets", "Agree")
    for label, decision, outcome in _run_checks(agent, seed, check, listeners):
        table.add_row(f"{label} (rule added)", *_cells(decision, outcome))
        console.print(f"  analyzer: {escape(because(decision))}", highlight=False)
    console.print(
        f"API call {1000 * (returned - started):.0f} ms; in the kernel "
        f"{1000 * (applied - returned):.0f} ms after the call returned "
        f"(batch {agent.last.applied.get(seed.vpc_id).mode})."
    )
    api.rules.revoke(seed.groups["web"], rule_ids=[added[0].rule_id])
    agent.wait_for(agent.store.revision())
    for label, decision, outcome in _run_checks(agent, seed, check, listeners):
        table.add_row(f"{label} (rule revoked)", *_cells(decision, outcome))
    console.print(table)


def _flow_log_excerpt(console: Console, state_dir: Path) -> None:
    from stockade.dataplane.flowlog import HEADER, read_records

    records = [r for r in read_records(state_dir) if r[-1] == "OK"]  # not NODATA
    if not records:
        return
    console.print(
        f"\n[bold]VPC Flow Logs[/] (v2, written by the data plane; "
        f"{len(records)} records, the last 8):"
    )
    console.print(HEADER, highlight=False, soft_wrap=True)
    for record in records[-8:]:
        console.print(" ".join(record), highlight=False, soft_wrap=True)
