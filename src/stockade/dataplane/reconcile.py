"""Snapshot → kernel: the part of the agent that does not know where snapshots come from.

Given a scope's snapshot (and what changed in it), the reconciler plans the scope's VPCs,
fixes the topology, recompiles only the security groups whose chains may differ (a group's
chain depends on its rules, and on whether a group it references has members at all — the
members themselves are set elements), and applies each VPC's ruleset as one nft
transaction. The agent feeds it from the store; tests and the benchmark feed it snapshots
directly.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from stockade.dataplane import netns
from stockade.dataplane.applier import Applied, Applier
from stockade.dataplane.compile import MemberIndex, assemble, compile_group, edges_of
from stockade.dataplane.counters import carry_over
from stockade.dataplane.flowlog import FlowLogReader, Wanted
from stockade.dataplane.flowlog_window import DEFAULT_INTERVAL
from stockade.dataplane.follow import Refresh
from stockade.dataplane.names import World
from stockade.dataplane.nft import NftError
from stockade.dataplane.plan import PortPlan, VpcPlan, addresses_left, addresses_rehomed, plan_world
from stockade.dataplane.ruleset import GroupChain, PortRules
from stockade.dataplane.topology import Topology
from stockade.domain.flow_log import FlowLog, coverage
from stockade.domain.scope import Scope
from stockade.domain.security_group import PeerKind
from stockade.domain.state import Snapshot

log = logging.getLogger(__name__)


@dataclass
class Router:
    """One VPC as realised: its scope, plan, applier and flow-log reader."""

    scope: Scope
    plan: VpcPlan
    applier: Applier
    reader: FlowLogReader | None = None


@dataclass
class Batch:
    revision: int
    seconds: float
    applied: dict[str, Applied] = field(default_factory=dict)


class Reconciler:
    """Keeps a world's namespaces, links and rules equal to the snapshots it is given.

    ``realize`` chooses which ports get real namespaces (default: all); the others exist
    only in the compiled tables (the benchmark runs 1,000 instances that way). Not
    thread-safe: one thread drives it (rtnetlink handles belong to their thread).
    """

    def __init__(
        self,
        world: World | None = None,
        state_dir: str | Path | None = None,
        realize: Callable[[PortPlan], bool] | None = None,
        flowlog_interval: float = DEFAULT_INTERVAL,
        flow_logs: Callable[[Scope], Sequence[FlowLog]] | None = None,
    ) -> None:
        self.world = world or World()
        #: a scope's flow logs (``fl-`` resources): records only for what they cover; without
        #: it (snapshots fed directly) every interface is logged
        self.flow_logs = flow_logs
        self.state_dir = Path(state_dir) if state_dir else None
        self.flowlog_interval = flowlog_interval  # seconds per flow-log record (AWS: 60, 600)
        self.realize = realize
        self.topology = Topology(self.world)
        self.routers: dict[str, Router] = {}
        # What is kept between batches, so that a small change costs little:
        self._chains: dict[str, tuple[GroupChain, GroupChain]] = {}  # by group id
        self._nonempty: dict[Scope, set[tuple[str, int]]] = {}
        self._members = MemberIndex()
        self._plan_cache: dict = {}
        self._port_rules: dict[str, tuple[PortPlan, PortRules]] = {}
        self._untracked: dict[str, tuple] = {}

    def apply_snapshot(
        self, snapshot: Snapshot, scope: Scope | None = None, context: Snapshot | None = None
    ) -> Batch:
        """Make the kernel match ``snapshot`` (everything may have changed), retirements
        included; ``context`` as for :meth:`apply`."""
        batch = Batch(snapshot.revision, 0.0)
        self.apply(
            scope or Scope(),
            Refresh(snapshot, True, frozenset(), frozenset(), frozenset()),
            batch,
            context,
        )
        self.settle()
        return batch

    def settle(self) -> None:
        """Send each router's pending retirement (after a batch is in force): old chains
        go off the path between a change and its first packet. A refused one leaves the
        router to a full rewrite next time."""
        for router in self.routers.values():
            try:
                router.applier.settle()
            except NftError as exc:
                log.warning(
                    "retiring old chains in %s refused (%s); the next apply rewrites the table",
                    router.applier.namespace,
                    exc,
                )

    def forget_kernel(self) -> None:
        """Assume nothing about the kernel: the next apply of each VPC is a full rewrite."""
        for router in self.routers.values():
            router.applier.current = None
        self.topology.forget_routing()

    def verify(self, topology: bool = True) -> list[str]:
        """Compare the kernel with what was applied and repair what drifted.

        Checks each router's tables and nftables generation (cheap) and, with
        ``topology``, its namespaces, links, addresses and routes; a router that drifted is
        put back: its topology re-synced as after a restart (what is intact is kept) and
        its table rewritten whole. Returns one line per finding (empty: no drift).
        """
        found: list[str] = []
        for vpc_id, router in list(self.routers.items()):
            namespace = self.world.router(vpc_id)
            drift: list[str] = []
            if not netns.exists(namespace):  # our sockets keep the old one alive: look first
                drift = [f"router namespace {namespace} is missing"]
            elif topology:
                drift = self.topology.drift(self._topology_plan(router.plan))
            if not drift:
                drift = router.applier.drift()
            if drift:
                found += [f"{vpc_id}: {line}" for line in drift]
                self._repair(vpc_id)
        return found

    def _repair(self, vpc_id: str) -> None:
        """Put a drifted router back: topology as after a restart (what is intact stays),
        its whole table rewritten — before any link is re-created (``Topology.sync``)."""
        router = self.routers[vpc_id]
        desired = router.applier.desired
        namespace = self.world.router(vpc_id)
        plan = self._topology_plan(router.plan)
        if netns.exists(namespace):
            self.topology.sync(None, plan, (), router.applier.repair)
            self.topology.forget_routing()
            self._route({vpc_id: router.plan})
            return
        # The namespace went, and with it the links; our sockets still hold the old one.
        self._remove(vpc_id)
        self.topology.forget_namespace(namespace)

        def rules(scope=router.scope, full=router.plan) -> None:
            fresh = self._router(scope, full)
            if desired is not None:
                fresh.applier.apply(desired)

        self.topology.sync(None, plan, (), rules)
        self.topology.forget_routing()
        self._route({vpc_id: router.plan})

    def prune(self) -> None:
        self.topology.prune(self._topology_plan(r.plan) for r in self.routers.values())

    def close(self) -> None:
        """Stop the flow-log readers and release sockets (the world stays as it is)."""
        for router in self.routers.values():
            if router.reader is not None:
                router.reader.stop()
            router.applier.close()
        self.topology.close()

    def apply(
        self, scope: Scope, refresh: Refresh, batch: Batch, context: Snapshot | None = None
    ) -> None:
        """Apply one scope's refreshed snapshot; record what each VPC's apply did.

        The scope's VPCs are planned from its own snapshot; their rules are compiled over
        ``context`` when given — the snapshot merged with the scopes it is peered with
        (``Follower.context``), so a group reference across a peering resolves to the
        peer's members."""
        plans = plan_world(refresh.snapshot, self._plan_cache)
        snapshot = context or refresh.snapshot
        same_rules = self._same_rules(refresh, plans)
        if same_rules != plans.keys():
            self._recompile(scope, snapshot, refresh, plans)
        for vpc_id in [v for v, r in self.routers.items() if r.scope == scope]:
            if vpc_id not in plans:
                self._remove(vpc_id)
        for vpc_id, plan in plans.items():
            router = self.routers.get(vpc_id)
            old = router.plan if router else None

            ruleset = None  # a routing change: the table as it is stays right
            if vpc_id not in same_rules:
                ruleset = assemble(
                    snapshot, plan, self._chains, self._members, self._port_rules, self._untracked
                )

            def rules(vpc_id=vpc_id, plan=plan, ruleset=ruleset) -> None:
                if ruleset is None:
                    return
                # A new router holds no port yet, should the links fail to come (a retry).
                router = self.routers.get(vpc_id) or self._router(scope, replace(plan, ports=()))
                batch.applied[vpc_id] = router.applier.apply(ruleset)

            # The rules go in between the links that go and those that come (Topology.sync).
            self.topology.sync(
                self._topology_plan(old) if old else None,
                self._topology_plan(plan),
                addresses_rehomed(old, plan),
                rules,
            )
            self.routers[vpc_id].plan = plan  # only now: a failed sync is retried from `old`
        self._forget_gone_ports()
        self._route(plans)

    def _same_rules(self, refresh: Refresh, plans: dict[str, VpcPlan]) -> set[str]:
        """The VPCs whose ruleset cannot have changed: no group, interface or instance was
        re-read (a routing or network-ACL change, :mod:`stockade.dataplane.follow`) and
        what the table holds beyond the groups — ports, 1:1 NAT and what of it may cross the
        edge untracked, edges, ACL crossings — is
        the same, on a table in a known state. Their apply skips compiling and nftables
        altogether; the others only assemble (a changed ACL recompiles no group)."""
        if refresh.full or refresh.groups or refresh.interfaces or refresh.instances:
            return set()
        out = set()
        for vpc_id, plan in plans.items():
            router = self.routers.get(vpc_id)
            if router is None or router.applier.current is None:
                continue
            old = router.plan
            if (
                old.ports == plan.ports
                and old.nat == plan.nat
                and old.untracked_at_edge == plan.untracked_at_edge
                and edges_of(old) == edges_of(plan)
                and old.acls == plan.acls
            ):
                out.add(vpc_id)
        return out

    def _route(self, plans: dict[str, VpcPlan]) -> None:
        """Peering links, then the policy routing of the VPCs just planned — of every VPC
        when a peering link came or went (a route over it is a blackhole until it exists)."""
        if self.topology.sync_peerings(r.plan for r in self.routers.values()):
            plans = {v: r.plan for v, r in self.routers.items()}
        for vpc_id in plans:
            router = self.routers.get(vpc_id)
            if router is not None:
                self.topology.sync_routes(router.plan)

    def _forget_gone_ports(self) -> None:
        """Drop the per-interface caches' entries of interfaces no router has any more: a
        long-running agent would otherwise keep every interface it ever saw."""
        ports = [p for r in self.routers.values() for p in r.plan.ports]
        enis, ifnames = {p.eni_id for p in ports}, {p.ifname for p in ports}
        for eni_id in self._port_rules.keys() - enis:
            del self._port_rules[eni_id]
        for ifname in self._untracked.keys() - ifnames:
            del self._untracked[ifname]

    def _router(self, scope: Scope, plan: VpcPlan) -> Router:
        namespace = self.world.router(plan.vpc_id)
        router = Router(scope, plan, Applier(namespace))
        if self.state_dir is not None:
            router.reader = FlowLogReader(
                namespace,
                plan.vpc_id,
                self.state_dir,
                lambda ifname: self._interface(plan.vpc_id, ifname),
                lambda: router.plan.ports,
                self.flowlog_interval,
                self._wanted(router),
            )
            router.reader.start()
            router.applier.before_rewrite = carry_over(
                router.applier.nft, self.state_dir, plan.vpc_id
            )
        self.routers[plan.vpc_id] = router
        return router

    def _wanted(self, router: Router) -> Wanted | None:
        """What the router's flow-log reader writes: its interfaces that a flow log of the
        scope covers, by the interface's, its subnet's or the VPC's flow logs."""
        flow_logs = self.flow_logs
        if flow_logs is None:
            return None
        return lambda: coverage(
            flow_logs(router.scope),
            ((p.eni_id, p.subnet_id, router.plan.vpc_id) for p in router.plan.ports),
        )

    def _interface(self, vpc_id: str, ifname: str) -> tuple[str, str] | None:
        """(interface id, account) of a router port, for flow-log records."""
        router = self.routers.get(vpc_id)
        port = router.plan.port_by_ifname.get(ifname) if router else None
        return (port.eni_id, port.owner_id) if port else None

    def _remove(self, vpc_id: str) -> None:
        router = self.routers.pop(vpc_id)
        if router.reader is not None:
            router.reader.stop()
        router.applier.close()
        self.topology.remove_vpc(vpc_id, router.plan.instances, addresses_left(router.plan, None))

    def _topology_plan(self, plan: VpcPlan) -> VpcPlan:
        if self.realize is None:
            return plan
        return replace(plan, ports=tuple(p for p in plan.ports if self.realize(p)))

    def _recompile(self, scope: Scope, snapshot: Snapshot, refresh: Refresh, plans: dict) -> None:
        """Recompile the groups whose chains may differ; keep the others' compiled chains.

        A group's chain depends on its rules (re-read groups are in ``refresh.groups``) and,
        for each group it references, on whether that group has any member of each family
        (a lookup in an empty set is left out); the members themselves are set elements.
        """
        referencing: dict[str, set[str]] = {}
        for rule in snapshot.rules:
            if rule.spec.peer.kind is PeerKind.GROUP:
                referencing.setdefault(rule.spec.peer.value, set()).add(rule.group_id)
        nonempty = {
            (g, f) for g in referencing for f in (4, 6) if self._members.members(snapshot, g, f)
        }
        previous = self._nonempty.get(scope)
        if refresh.full or previous is None:
            dirty = {g.group_id for g in snapshot.groups} | {
                g for g in self._chains if g not in snapshot.group_by_id
            }
        else:
            dirty = set(refresh.groups)
            for group_id, _family in previous ^ nonempty:
                dirty |= referencing.get(group_id, set())
        for group_id in dirty:
            self._chains.pop(group_id, None)
        needed = {g for plan in plans.values() for p in plan.ports for g in p.group_ids}
        for group_id in needed - self._chains.keys():
            self._chains[group_id] = compile_group(snapshot, group_id)
        self._nonempty[scope] = nonempty
