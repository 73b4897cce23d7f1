"""``stockade demo``: build the seed scenario in a throwaway store and show it."""

from __future__ import annotations

import tempfile
from pathlib import Path

from rich.console import Console

from stockade.demo.checks import run_checks
from stockade.demo.console import hold
from stockade.demo.seed import Seed, build_seed
from stockade.domain.quotas import Quotas
from stockade.domain.scope import Scope
from stockade.service.context import ServiceContext
from stockade.service.groups import GroupService
from stockade.service.instances import InstanceService
from stockade.store.sql import SqlStore
from stockade.view import tables
from stockade.view.verdict import because


def run_demo(console: Console, db: str | None = None, keep: bool = False) -> Seed:
    """The analyzer's demo; with ``keep`` (an interactive run), its console is served
    over the demo's store until ^C."""
    with tempfile.TemporaryDirectory(prefix="stockade-demo-") as tmp:
        path = db or str(Path(tmp) / "demo.db")
        store = SqlStore.open(path)
        try:
            ctx = ServiceContext(store, Scope(), Quotas())
            seed = build_seed(ctx)
            _show(console, ctx, seed, path if db else None)
            if keep:
                from stockade.api.app import serving
                from stockade.console.app import create_server_app

                with serving(create_server_app(store)) as endpoint:
                    hold(console, f"{endpoint}/console", keep, live=False)
            return seed
        finally:
            store.close()


def _show(console: Console, ctx: ServiceContext, seed: Seed, kept: str | None) -> None:
    console.rule("[bold]stockade demo: the seed scenario")
    console.print(
        f"VPC [bold]{seed.vpc_id}[/bold] 10.0.0.0/16, internet gateway {seed.igw_id} "
        f"attached; public subnet {seed.subnet_id} 10.0.1.0/24 (public IPs on launch), "
        f"private subnet {seed.private_subnet_id} 10.0.2.0/24.\n"
        "AWS forbids group names starting with 'sg-', so the issue's sg-1..3 are "
        "group-1..3 here."
    )
    _print_routes(console, ctx, seed)
    _print_acls(console, ctx, seed)
    details = [d for d in GroupService(ctx).describe() if d.group.vpc_id == seed.vpc_id]
    names = {d.group.group_id: d.group.name for d in details}
    rules = tables.table(
        "Security group rules",
        "Group",
        "Direction",
        "Type",
        "Protocol",
        "Port range",
        "Peer",
        "Description",
    )
    for d in details:
        for rule in sorted(d.rules, key=lambda r: r.is_egress):
            direction = "outbound" if rule.is_egress else "inbound"
            rules.add_row(d.group.name, direction, *tables.rule_cells(rule, names))
    console.print()
    console.print(rules)
    instances = [i for i in InstanceService(ctx).describe() if i.instance.vpc_id == seed.vpc_id]
    t = tables.table("Instances", "Name", "Instance id", "Private IP", "Public IP", "Groups")
    for i in instances:
        p = i.primary
        t.add_row(
            tables.name_tag(i.instance.tags),
            i.instance.instance_id,
            p.private_ip if p else "",
            (p.public_ip or "-") if p else "",
            ", ".join(names.get(g, g) for g in i.group_ids),
        )
    console.print()
    console.print(t)
    _print_checks(console, ctx, seed)
    if kept:
        console.print(
            f"\nState kept in {kept}: try "
            f"`stockade check --from C --to ntp --port 123 --db {kept}`."
        )


def _print_routes(console: Console, ctx: ServiceContext, seed: Seed) -> None:
    """Each subnet's route table and routes: what makes one public and the other not."""
    with ctx.read() as tx:
        snapshot = tx.snapshot()
    t = tables.table("Subnets and their route tables", "Subnet", "Name", "CIDR", "Table", "Routes")
    for subnet in (s for s in snapshot.subnets if s.vpc_id == seed.vpc_id):
        table = snapshot.route_table_by_subnet[subnet.subnet_id]
        kind = "main" if table.is_main else "explicit"
        routes = ", ".join(f"{r.destination} -> {r.target}" for r in table.routes)
        t.add_row(
            subnet.subnet_id,
            tables.name_tag(subnet.tags),
            subnet.cidr_block,
            f"{table.route_table_id} ({kind})",
            routes,
        )
    console.print()
    console.print(t)


def _print_acls(console: Console, ctx: ServiceContext, seed: Seed) -> None:
    """The public subnet's custom network ACL, as the console lists it: its deny first."""
    with ctx.read() as tx:
        acl = tx.snapshot().network_acl_by_id[seed.network_acl_id]
    subnets = ", ".join(acl.subnet_ids)
    console.print()
    console.print(
        f"Network ACL [bold]{acl.network_acl_id}[/bold] (public) on {subnets}; every other "
        "subnet keeps the VPC's default ACL (allow all, both ways)."
    )
    console.print(tables.acl_entries_table(acl, egress=False))
    console.print(tables.acl_entries_table(acl, egress=True))


def _print_checks(console: Console, ctx: ServiceContext, seed: Seed) -> None:
    """The analyzer's verdict on each seed check, with the deciding rule or the fix."""
    with ctx.read() as tx:
        snapshot = tx.snapshot()
    t = tables.table("The analyzer's verdicts", "Check", "Verdict", "Because")
    for check, decision in run_checks(snapshot, seed):
        verdict = decision.verdict.value
        colour = "green" if decision.allowed else "red"
        mark = "" if verdict == check.expected else " (UNEXPECTED)"
        t.add_row(check.label, tables.styled(verdict, colour) + mark, because(decision))
    console.print()
    console.print(t)
