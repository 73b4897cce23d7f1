"""``stockade nat-gateway`` and ``stockade egress-only-gateway``: outbound-only ways to the
internet (IPv4 through source NAT, IPv6 through an egress-only gateway)."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.tags import check_tags
from stockade.shapes import gateways as shapes

nat_app = typer.Typer(
    help="NAT gateways: private subnets reach out, nothing reaches in.", no_args_is_help=True
)
eigw_app = typer.Typer(
    help="Egress-only internet gateways: IPv6 out and back, nothing initiated in.",
    no_args_is_help=True,
)

NameOpt = Annotated[str | None, typer.Option("--name", help="A Name tag.")]


def _name(name: str | None):
    return check_tags([("Name", name)]) if name else ()


@command(nat_app, "create")
def nat_create(
    cli: Cli,
    subnet: Annotated[str, typer.Option("--subnet", help="subnet-… (a public one, usually)")],
    allocation: Annotated[
        str | None, typer.Option("--allocation", help="eipalloc-… (a public gateway's address)")
    ] = None,
    private: Annotated[
        bool, typer.Option("--private", help="A private NAT gateway (no Elastic IP).")
    ] = False,
    private_ip: Annotated[str | None, typer.Option("--private-ip")] = None,
    name: NameOpt = None,
) -> None:
    """Create a NAT gateway (available at once)."""
    nat = cli.services.gateways.create_nat_gateway(
        subnet,
        allocation_id=allocation,
        connectivity_type="private" if private else "public",
        private_ip=private_ip,
        tags=_name(name),
    )
    cli.emit(
        shapes.nat_gateway(nat),
        lambda: console.print(
            f"created {nat.nat_gateway_id} {nat.private_ip}"
            + (f" {nat.public_ip}" if nat.public_ip else "")
        ),
    )


@command(nat_app, "delete")
def nat_delete(cli: Cli, nat_gateway_id: Annotated[str, typer.Argument(help="nat-…")]) -> None:
    """Delete a NAT gateway (routes to it turn blackhole; its Elastic IP is freed)."""
    cli.services.gateways.delete_nat_gateway(nat_gateway_id)
    cli.emit({"NatGatewayId": nat_gateway_id}, lambda: console.print(f"deleted {nat_gateway_id}"))


@command(nat_app, "list")
def nat_list(cli: Cli) -> None:
    """List NAT gateways (deleted ones too, as AWS shows them for a while)."""
    nats = cli.services.gateways.describe_nat_gateways()

    def human() -> None:
        t = render.table(
            "NAT gateways", "Gateway id", "Name", "State", "Subnet", "Private IP", "Public IP"
        )
        for n in nats:
            t.add_row(
                n.nat_gateway_id,
                render.name_tag(n.tags),
                n.state.value,
                n.subnet_id,
                n.private_ip,
                n.public_ip or "",
            )
        console.print(t)

    cli.emit([shapes.nat_gateway(n) for n in nats], human)


@command(eigw_app, "create")
def eigw_create(
    cli: Cli, vpc: Annotated[str, typer.Option("--vpc", help="vpc-…")], name: NameOpt = None
) -> None:
    """Create an egress-only internet gateway for a VPC."""
    eigw = cli.services.gateways.create_egress_only_internet_gateway(vpc, _name(name))
    cli.emit(
        shapes.egress_only_internet_gateway(eigw),
        lambda: console.print(f"created {eigw.egress_only_internet_gateway_id}"),
    )


@command(eigw_app, "delete")
def eigw_delete(cli: Cli, eigw_id: Annotated[str, typer.Argument(help="eigw-…")]) -> None:
    """Delete an egress-only internet gateway."""
    cli.services.gateways.delete_egress_only_internet_gateway(eigw_id)
    cli.emit({"ReturnCode": True}, lambda: console.print(f"deleted {eigw_id}"))


@command(eigw_app, "list")
def eigw_list(cli: Cli) -> None:
    """List egress-only internet gateways."""
    eigws = cli.services.gateways.describe_egress_only_internet_gateways()

    def human() -> None:
        t = render.table("Egress-only internet gateways", "Gateway id", "Name", "VPC")
        for g in eigws:
            t.add_row(g.egress_only_internet_gateway_id, render.name_tag(g.tags), g.vpc_id or "")
        console.print(t)

    cli.emit([shapes.egress_only_internet_gateway(g) for g in eigws], human)
