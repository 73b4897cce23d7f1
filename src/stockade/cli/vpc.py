"""``stockade vpc``, ``stockade subnet`` and ``stockade igw``: the network groups live in."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.tags import check_tags
from stockade.service.contracts import RouteRequest
from stockade.shapes import network as shapes

vpc_app = typer.Typer(
    help="VPCs: create, list, delete; secondary CIDR blocks.", no_args_is_help=True
)
subnet_app = typer.Typer(help="Subnets of a VPC.", no_args_is_help=True)
igw_app = typer.Typer(
    help="Internet gateways: what makes public IPs reachable.", no_args_is_help=True
)

NameOpt = Annotated[str | None, typer.Option("--name", help="A Name tag.")]


def _name(name: str | None):
    return check_tags([("Name", name)]) if name else ()


@command(vpc_app, "create")
def vpc_create(
    cli: Cli,
    cidr: Annotated[str, typer.Argument(help="IPv4 CIDR, /16 to /28 (e.g. 10.0.0.0/16).")],
    ipv6: Annotated[bool, typer.Option("--ipv6", help="Also assign an IPv6 /56.")] = False,
    internet_gateway: Annotated[
        bool,
        typer.Option(
            "--internet-gateway",
            help="Create and attach an internet gateway, and route 0.0.0.0/0 (and ::/0 with "
            "--ipv6) to it from the main route table: every subnet is public.",
        ),
    ] = False,
    name: NameOpt = None,
) -> None:
    """Create a VPC (with its main route table and default security group)."""
    net = cli.services.network
    vpc = net.create_vpc(cidr, amazon_provided_ipv6=ipv6, tags=_name(name))
    if internet_gateway:
        igw = net.create_internet_gateway()
        net.attach_internet_gateway(igw.igw_id, vpc.vpc_id)
        tables = cli.services.route_tables
        main = next(
            d.table for d in tables.describe() if d.table.vpc_id == vpc.vpc_id and d.table.is_main
        )
        for default in ("0.0.0.0/0", "::/0") if vpc.ipv6_cidr_block else ("0.0.0.0/0",):
            tables.create_route(main.route_table_id, RouteRequest.of(default, igw.igw_id))
    cli.emit(shapes.vpc(vpc), lambda: console.print(f"created {vpc.vpc_id} {vpc.cidr_block}"))


@command(vpc_app, "list")
def vpc_list(cli: Cli) -> None:
    """List VPCs."""
    vpcs = cli.services.network.list_vpcs()

    def human() -> None:
        t = render.table("VPCs", "VPC id", "Name", "IPv4 CIDR", "IPv6 CIDR", "Default")
        for v in vpcs:
            t.add_row(
                v.vpc_id,
                render.name_tag(v.tags),
                "\n".join(v.ipv4_blocks),  # the primary first, then the secondary blocks
                v.ipv6_cidr_block or "",
                "yes" if v.is_default else "",
            )
        console.print(t)

    cli.emit([shapes.vpc(v) for v in vpcs], human)


@command(vpc_app, "associate-cidr")
def vpc_associate_cidr(
    cli: Cli,
    vpc_id: Annotated[str, typer.Argument(help="vpc-…")],
    cidr: Annotated[
        str,
        typer.Argument(
            help="IPv4 CIDR, /16 to /28, overlapping none of the VPC's blocks and from the "
            "primary block's private range (or public space), e.g. 10.1.0.0/16."
        ),
    ],
) -> None:
    """Add a secondary IPv4 CIDR block to a VPC (AssociateVpcCidrBlock): subnets may use
    it, and every route table of the VPC routes it locally."""
    vpc, block = cli.services.cidr_blocks.associate_vpc_ipv4(vpc_id, cidr)
    association = shapes.ipv4_association(vpc, block)  # associated at once, unlike AWS
    cli.emit(
        {"VpcId": vpc.vpc_id, "CidrBlockAssociation": association},
        lambda: console.print(
            f"associated {block} with {vpc.vpc_id} as {association['AssociationId']}"
        ),
    )


@command(vpc_app, "disassociate-cidr")
def vpc_disassociate_cidr(
    cli: Cli,
    association_id: Annotated[
        str,
        typer.Argument(help="vpc-cidr-assoc-… (the block's AssociationId in `vpc list --json`)."),
    ],
) -> None:
    """Remove a secondary IPv4 block (or the IPv6 block) from its VPC
    (DisassociateVpcCidrBlock), with its local routes; never the primary block, nor a
    block a subnet still uses."""
    vpc, block = cli.services.cidr_blocks.disassociate_vpc_block(association_id)
    # DisassociateVpcCidrBlock's answer (``vpc`` is the VPC as it was), in its state now
    # (gone at once, unlike AWS).
    key, entry = shapes.vpc_block_association(vpc, block, "disassociated")
    cli.emit(
        {"VpcId": vpc.vpc_id, key: entry},
        lambda: console.print(f"disassociated {block} from {vpc.vpc_id}"),
    )


@command(vpc_app, "delete")
def vpc_delete(cli: Cli, vpc_id: Annotated[str, typer.Argument(help="vpc-…")]) -> None:
    """Delete an empty VPC (its default group goes with it)."""
    cli.services.network.delete_vpc(vpc_id)
    cli.emit({"Return": True}, lambda: console.print(f"deleted {vpc_id}"))


@command(subnet_app, "create")
def subnet_create(
    cli: Cli,
    vpc: Annotated[str, typer.Option("--vpc", help="vpc-…")],
    cidr: Annotated[str, typer.Option("--cidr", help="IPv4 CIDR inside the VPC.")],
    az: Annotated[str | None, typer.Option("--az", help="Availability zone.")] = None,
    public: Annotated[bool, typer.Option("--public", help="Map public IPs on launch.")] = False,
    name: NameOpt = None,
) -> None:
    """Create a subnet."""
    net = cli.services.network
    subnet = net.create_subnet(vpc, cidr, az, tags=_name(name))
    if public:
        subnet = net.modify_subnet_attribute(subnet.subnet_id, map_public_ip_on_launch=True)
    free = net.available_ip_counts([subnet.subnet_id])
    cli.emit(
        shapes.subnet(subnet, free[subnet.subnet_id]),
        lambda: console.print(
            f"created {subnet.subnet_id} {subnet.cidr_block} {subnet.availability_zone}"
        ),
    )


@command(subnet_app, "list")
def subnet_list(cli: Cli, vpc: Annotated[str | None, typer.Option("--vpc")] = None) -> None:
    """List subnets."""
    net = cli.services.network
    subnets = [s for s in net.list_subnets() if vpc in (None, s.vpc_id)]
    free = net.available_ip_counts()

    def human() -> None:
        t = render.table("Subnets", "Subnet id", "Name", "VPC", "CIDR", "Zone", "Public IPs")
        for s in subnets:
            t.add_row(
                s.subnet_id,
                render.name_tag(s.tags),
                s.vpc_id,
                s.cidr_block,
                s.availability_zone,
                "yes" if s.map_public_ip_on_launch else "",
            )
        console.print(t)

    cli.emit([shapes.subnet(s, free.get(s.subnet_id, 0)) for s in subnets], human)


@command(subnet_app, "delete")
def subnet_delete(cli: Cli, subnet_id: Annotated[str, typer.Argument(help="subnet-…")]) -> None:
    """Delete a subnet with no interfaces."""
    cli.services.network.delete_subnet(subnet_id)
    cli.emit({"Return": True}, lambda: console.print(f"deleted {subnet_id}"))


@command(igw_app, "create")
def igw_create(
    cli: Cli, vpc: Annotated[str | None, typer.Option("--vpc", help="Attach to this VPC.")] = None
) -> None:
    """Create an internet gateway (and attach it)."""
    net = cli.services.network
    igw = net.create_internet_gateway()
    if vpc:
        net.attach_internet_gateway(igw.igw_id, vpc)
        igw = net.list_internet_gateways([igw.igw_id])[0]
    cli.emit(shapes.internet_gateway(igw), lambda: console.print(f"created {igw.igw_id}"))


@command(igw_app, "list")
def igw_list(cli: Cli) -> None:
    """List internet gateways and their VPCs."""
    igws = cli.services.network.list_internet_gateways()

    def human() -> None:
        t = render.table("Internet gateways", "Gateway id", "Attached VPC")
        for g in igws:
            t.add_row(g.igw_id, g.vpc_id or "")
        console.print(t)

    cli.emit([shapes.internet_gateway(g) for g in igws], human)


@command(igw_app, "attach")
def igw_attach(cli: Cli, igw_id: str, vpc: Annotated[str, typer.Option("--vpc")]) -> None:
    """Attach a gateway to a VPC."""
    cli.services.network.attach_internet_gateway(igw_id, vpc)
    cli.emit({"Return": True}, lambda: console.print(f"attached {igw_id} to {vpc}"))


@command(igw_app, "detach")
def igw_detach(cli: Cli, igw_id: str, vpc: Annotated[str, typer.Option("--vpc")]) -> None:
    """Detach a gateway from its VPC."""
    cli.services.network.detach_internet_gateway(igw_id, vpc)
    cli.emit({"Return": True}, lambda: console.print(f"detached {igw_id} from {vpc}"))


@command(igw_app, "delete")
def igw_delete(cli: Cli, igw_id: str) -> None:
    """Delete a detached gateway."""
    cli.services.network.delete_internet_gateway(igw_id)
    cli.emit({"Return": True}, lambda: console.print(f"deleted {igw_id}"))
