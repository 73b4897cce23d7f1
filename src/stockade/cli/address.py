"""``stockade address``: Elastic IPs — a public IPv4 the account keeps until it lets go."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.tags import check_tags
from stockade.shapes import gateways as shapes

app = typer.Typer(
    help="Elastic IPs: allocate, associate, disassociate, release, list.", no_args_is_help=True
)


@command(app, "allocate")
def allocate(
    cli: Cli, name: Annotated[str | None, typer.Option("--name", help="A Name tag.")] = None
) -> None:
    """Allocate an Elastic IP (from stockade's documentation ranges)."""
    eip = cli.services.addresses.allocate("vpc", check_tags([("Name", name)]) if name else ())
    cli.emit(
        shapes.allocated(eip),
        lambda: console.print(f"allocated {eip.allocation_id} {eip.public_ip}"),
    )


@command(app, "associate")
def associate(
    cli: Cli,
    allocation_id: Annotated[str, typer.Argument(help="eipalloc-…")],
    instance: Annotated[
        str | None, typer.Option("--instance", help="i-… (an instance with one interface)")
    ] = None,
    eni: Annotated[str | None, typer.Option("--eni", help="eni-…")] = None,
    private_ip: Annotated[str | None, typer.Option("--private-ip")] = None,
    reassociate: Annotated[
        bool,
        typer.Option(
            "--reassociate/--no-reassociate",
            help="Move the address if it is associated elsewhere (AWS's default).",
        ),
    ] = True,
) -> None:
    """Associate with an instance or an interface: it becomes the public IPv4."""
    eip = cli.services.addresses.associate(
        allocation_id,
        instance_id=instance,
        eni_id=eni,
        private_ip=private_ip,
        allow_reassociation=reassociate,
    )
    target = eip.instance_id or eip.network_interface_id
    cli.emit(
        {"AssociationId": eip.association_id},
        lambda: console.print(f"associated {eip.public_ip} with {target} ({eip.association_id})"),
    )


@command(app, "disassociate")
def disassociate(
    cli: Cli, association_id: Annotated[str, typer.Argument(help="eipassoc-…")]
) -> None:
    """Disassociate; the address stays allocated."""
    cli.services.addresses.disassociate(association_id)
    cli.emit({"Return": True}, lambda: console.print(f"disassociated {association_id}"))


@command(app, "release")
def release(cli: Cli, allocation_id: Annotated[str, typer.Argument(help="eipalloc-…")]) -> None:
    """Release an unassociated address back to the pool."""
    cli.services.addresses.release(allocation_id)
    cli.emit({"Return": True}, lambda: console.print(f"released {allocation_id}"))


@command(app, "list")
def list_addresses(cli: Cli) -> None:
    """List Elastic IPs and what holds them."""
    eips = cli.services.addresses.describe()

    def human() -> None:
        t = render.table(
            "Elastic IPs", "Allocation id", "Name", "Public IP", "Associated with", "Private IP"
        )
        for e in eips:
            holder = e.instance_id or e.nat_gateway_id or e.network_interface_id or ""
            t.add_row(
                e.allocation_id, render.name_tag(e.tags), e.public_ip, holder, e.private_ip or ""
            )
        console.print(t)

    cli.emit([shapes.address(e) for e in eips], human)
