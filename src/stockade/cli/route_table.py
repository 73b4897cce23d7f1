"""``stockade route-table``: where a subnet's packets go (tables, routes, associations)."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.tags import check_tags
from stockade.service.contracts import RouteRequest, RouteTableDetail
from stockade.shapes import routing as shapes

app = typer.Typer(
    help="Route tables: routes (local, gateways, interfaces) and subnet associations.",
    no_args_is_help=True,
)

TableArg = Annotated[str, typer.Argument(help="rtb-…")]
DestinationArg = Annotated[
    str, typer.Argument(help="Destination: an IPv4 or IPv6 CIDR, or a prefix list (pl-…).")
]
TargetOpt = Annotated[
    str,
    typer.Option(
        "--target",
        help="Where the route goes: igw-…, nat-…, eni-…, i-…, pcx-…, eigw-… (or local).",
    ),
]


def _shape(detail: RouteTableDetail) -> dict:
    return shapes.route_table(detail.table, detail.states)


def _show(detail: RouteTableDetail) -> None:
    table = detail.table
    name = render.name_tag(table.tags)
    main = " (main)" if table.is_main else ""
    console.print(
        f"{table.route_table_id}{main} in {table.vpc_id}"
        + (f" — {render.safe(name)}" if name else "")
    )
    console.print(render.routes_table(table, detail.states))
    console.print(render.associations_table(table))


@command(app, "create")
def create(
    cli: Cli,
    vpc: Annotated[str, typer.Option("--vpc", help="vpc-…")],
    name: Annotated[str | None, typer.Option("--name", help="A Name tag.")] = None,
) -> None:
    """Create a route table (it starts with the VPC's local routes)."""
    tags = check_tags([("Name", name)]) if name else ()
    detail = cli.services.route_tables.create(vpc, tags)
    cli.emit(_shape(detail), lambda: console.print(f"created {detail.table.route_table_id}"))


@command(app, "list")
def list_tables(cli: Cli, vpc: Annotated[str | None, typer.Option("--vpc")] = None) -> None:
    """List route tables: VPC, main or not, subnets, routes."""
    details = [d for d in cli.services.route_tables.describe() if vpc in (None, d.table.vpc_id)]

    def human() -> None:
        t = render.table(
            "Route tables", "Route table id", "Name", "VPC", "Main", "Subnets", "Routes"
        )
        for d in details:
            t.add_row(
                d.table.route_table_id,
                render.name_tag(d.table.tags),
                d.table.vpc_id,
                "yes" if d.table.is_main else "",
                "\n".join(d.table.subnet_ids),
                str(len(d.table.routes)),
            )
        console.print(t)

    cli.emit([_shape(d) for d in details], human)


@command(app, "show")
def show(cli: Cli, route_table_id: TableArg) -> None:
    """Show a table's routes (destination, target, status) and associations."""
    detail = cli.services.route_tables.get(route_table_id)
    cli.emit(_shape(detail), lambda: _show(detail))


@command(app, "delete")
def delete(cli: Cli, route_table_id: TableArg) -> None:
    """Delete a route table with no associations (never the main one)."""
    cli.services.route_tables.delete(route_table_id)
    cli.emit({"Return": True}, lambda: console.print(f"deleted {route_table_id}"))


@command(app, "add-route")
def add_route(
    cli: Cli, route_table_id: TableArg, destination: DestinationArg, target: TargetOpt
) -> None:
    """Add a route (CreateRoute)."""
    cli.services.route_tables.create_route(route_table_id, RouteRequest.of(destination, target))
    cli.emit(
        {"Return": True}, lambda: console.print(f"{destination} -> {target} in {route_table_id}")
    )


@command(app, "replace-route")
def replace_route(
    cli: Cli, route_table_id: TableArg, destination: DestinationArg, target: TargetOpt
) -> None:
    """Point an existing route elsewhere (ReplaceRoute; --target local restores a local route)."""
    cli.services.route_tables.replace_route(route_table_id, RouteRequest.of(destination, target))
    cli.emit(
        {"Return": True}, lambda: console.print(f"{destination} -> {target} in {route_table_id}")
    )


@command(app, "delete-route")
def delete_route(cli: Cli, route_table_id: TableArg, destination: DestinationArg) -> None:
    """Delete a route (never a local one)."""
    cli.services.route_tables.delete_route(route_table_id, RouteRequest.of(destination))
    cli.emit(
        {"Return": True}, lambda: console.print(f"deleted {destination} from {route_table_id}")
    )


@command(app, "associate")
def associate(
    cli: Cli,
    route_table_id: TableArg,
    subnet: Annotated[str, typer.Option("--subnet", help="subnet-…")],
) -> None:
    """Make this table the subnet's (explicit association)."""
    association_id = cli.services.route_tables.associate(route_table_id, subnet)
    cli.emit(
        {"AssociationId": association_id, "AssociationState": {"State": "associated"}},
        lambda: console.print(f"associated {subnet} with {route_table_id}: {association_id}"),
    )


@command(app, "disassociate")
def disassociate(
    cli: Cli, association_id: Annotated[str, typer.Argument(help="rtbassoc-…")]
) -> None:
    """Remove an explicit association (the subnet goes back to the main table)."""
    cli.services.route_tables.disassociate(association_id)
    cli.emit({"Return": True}, lambda: console.print(f"disassociated {association_id}"))


@command(app, "set-main")
def set_main(cli: Cli, route_table_id: TableArg) -> None:
    """Make this table its VPC's main table (subnets without an explicit table follow)."""
    tables = cli.services.route_tables
    target = tables.get(route_table_id).table
    [current] = [
        a
        for d in tables.describe()
        if d.table.vpc_id == target.vpc_id
        for a in d.table.associations
        if a.main
    ]
    new_id = tables.replace_association(current.association_id, route_table_id)
    cli.emit(
        {"NewAssociationId": new_id, "AssociationState": {"State": "associated"}},
        lambda: console.print(f"{route_table_id} is now the main table of {target.vpc_id}"),
    )
