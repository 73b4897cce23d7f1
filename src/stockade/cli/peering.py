"""``stockade peering``: VPC peering connections between VPCs of one or two accounts."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.peering import VpcPeeringConnection
from stockade.domain.tags import check_tags
from stockade.service.contracts import PeeringRequest
from stockade.shapes import peering as shapes

app = typer.Typer(
    help="VPC peering: request, accept, reject, delete, list, show.", no_args_is_help=True
)

PcxArg = Annotated[str, typer.Argument(help="pcx-…")]


def _said(verb: str, p: VpcPeeringConnection) -> None:
    console.print(f"{verb} {p.vpc_peering_connection_id}: {render.safe(p.status.value)}")


@command(app, "create")
def create(
    cli: Cli,
    vpc: Annotated[str, typer.Option("--vpc", help="Your VPC (vpc-…), the requester.")],
    peer_vpc: Annotated[str, typer.Option("--peer-vpc", help="The accepter's VPC (vpc-…).")],
    peer_account: Annotated[
        str | None, typer.Option("--peer-account", help="The accepter's account (default: you).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A Name tag.")] = None,
) -> None:
    """Request a peering; the accepter VPC's owner accepts it (same account too)."""
    tags = check_tags([("Name", name)]) if name else ()
    p = cli.services.peering.create(PeeringRequest(vpc, peer_vpc, peer_account, tags=tags))
    cli.emit(shapes.vpc_peering_connection(p), lambda: _said("requested", p))


@command(app, "accept")
def accept(cli: Cli, pcx_id: PcxArg) -> None:
    """Accept a pending request (as the accepter VPC's owner)."""
    p = cli.services.peering.accept(pcx_id)
    cli.emit(shapes.vpc_peering_connection(p), lambda: _said("accepted", p))


@command(app, "reject")
def reject(cli: Cli, pcx_id: PcxArg) -> None:
    """Reject a pending request (as the accepter VPC's owner)."""
    p = cli.services.peering.reject(pcx_id)
    cli.emit(shapes.vpc_peering_connection(p), lambda: _said("rejected", p))


@command(app, "delete")
def delete(cli: Cli, pcx_id: PcxArg) -> None:
    """Delete a peering: either owner once active, the requester's while pending. Rules
    referencing groups across it go stale (DescribeStaleSecurityGroups lists them)."""
    p = cli.services.peering.delete(pcx_id)
    cli.emit(shapes.vpc_peering_connection(p), lambda: _said("deleted", p))


@command(app, "list")
def list_peerings(cli: Cli) -> None:
    """Peerings with a side in this account (whatever their status)."""
    found = cli.services.peering.describe()

    def human() -> None:
        t = render.table(
            "VPC peering connections", "Peering id", "Name", "Status", "Requester", "Accepter"
        )
        for p in found:
            t.add_row(
                p.vpc_peering_connection_id,
                render.name_tag(p.tags),
                p.status.value,
                f"{p.requester.vpc_id} ({p.requester.owner_id})",
                f"{p.accepter.vpc_id} ({p.accepter.owner_id})",
            )
        console.print(t)

    cli.emit([shapes.vpc_peering_connection(p) for p in found], human)


@command(app, "show")
def show(cli: Cli, pcx_id: PcxArg) -> None:
    """One peering: both sides, their address blocks and DNS options, its status."""
    [p] = cli.services.peering.describe([pcx_id])

    def human() -> None:
        t = render.table(p.vpc_peering_connection_id, "Side", "VPC", "Account", "CIDRs", "DNS")
        for label, side in (("requester", p.requester), ("accepter", p.accepter)):
            t.add_row(
                label,
                side.vpc_id,
                side.owner_id,
                " ".join((*side.cidr_blocks, *side.ipv6_cidr_blocks)),
                "yes" if side.allow_dns_resolution_from_remote_vpc else "",
            )
        console.print(t)
        console.print(f"status: {render.safe(p.status.value)} — {render.safe(p.status_message)}")
        if p.expiration_time:
            console.print(f"expires: {p.expiration_time}")

    cli.emit(shapes.vpc_peering_connection(p), human)
