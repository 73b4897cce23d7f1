"""``stockade instance``: launch instances and change their groups."""

from typing import TYPE_CHECKING, Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain import errors
from stockade.domain.instance_names import named_instance
from stockade.domain.tags import check_tags
from stockade.shapes import instances as shapes

if TYPE_CHECKING:  # the services load the store: imported when a command runs, not at start-up
    from stockade.domain.interface import NetworkInterface
    from stockade.service.contracts import InstanceDetail, StateChange

app = typer.Typer(
    help="Instances: run, stop, start, terminate, set groups, secondary private IPs.",
    no_args_is_help=True,
)

Instances = Annotated[list[str], typer.Argument(help="Instance ids or Name tags.")]


def group_names(cli: Cli) -> dict[str, str]:
    return cli.services.groups.names()


def resolve_instance(cli: Cli, name_or_id: str) -> "InstanceDetail":
    """An instance by id, or by its Name tag (which must be unique among live instances)."""
    service = cli.services.instances
    if name_or_id.startswith("i-"):
        return service.get(name_or_id)
    details = service.describe()
    found = named_instance((d.instance for d in details), name_or_id)
    return next(d for d in details if d.instance is found)


def _shape(d: "InstanceDetail", names: dict[str, str]) -> dict:
    return shapes.instance(d.instance, d.interfaces, names)


def _print(details: "list[InstanceDetail]", names: dict[str, str]) -> None:
    t = render.table(
        "Instances", "Instance id", "Name", "State", "Private IP", "Public IP", "Groups", "VPC"
    )
    for d in details:
        primary = d.primary
        t.add_row(
            d.instance.instance_id,
            render.name_tag(d.instance.tags),
            d.instance.state.value,
            primary.private_ip if primary else "",
            (primary.public_ip or "") if primary else "",
            ", ".join(names.get(g, g) for g in d.group_ids),
            d.instance.vpc_id,
        )
    console.print(t)


@command(app, "run")
def run(
    cli: Cli,
    name: Annotated[str | None, typer.Option("--name", help="Name tag.")] = None,
    subnet: Annotated[
        str | None, typer.Option("--subnet", help="subnet-… (default VPC if absent).")
    ] = None,
    group: Annotated[
        list[str] | None, typer.Option("--group", help="Group id or name (repeatable).")
    ] = None,
    public_ip: Annotated[
        bool | None,
        typer.Option(
            "--public-ip/--no-public-ip", help="Public IPv4 (default: the subnet's setting)."
        ),
    ] = None,
    count: Annotated[int, typer.Option("--count", help="How many.")] = 1,
    image: Annotated[str, typer.Option("--image")] = "ami-00000000000000000",
    instance_type: Annotated[str, typer.Option("--type")] = "t3.micro",
) -> None:
    """Launch instances (groups default to the VPC's default group)."""
    from stockade.service.contracts import LaunchRequest

    vpc_id = None
    if subnet:
        vpc_id = cli.services.network.list_subnets([subnet])[0].vpc_id
    gids = tuple(cli.services.groups.find(g, vpc_id).group.group_id for g in group or [])
    request = LaunchRequest(
        image_id=image,
        instance_type=instance_type,
        min_count=count,
        max_count=count,
        subnet_id=subnet,
        group_ids=gids,
        associate_public_ip=public_ip,
        tags=check_tags([("Name", name)]) if name else (),
    )
    details = cli.services.instances.run(request)
    names = group_names(cli)
    cli.emit([_shape(d, names) for d in details], lambda: _print(details, names))


@command(app, "list")
def list_instances(cli: Cli) -> None:
    """List instances with their addresses and groups."""
    details = cli.services.instances.describe()
    names = group_names(cli)
    cli.emit([_shape(d, names) for d in details], lambda: _print(details, names))


def _transition(cli: Cli, instances: list[str], action: str) -> None:
    ids_ = [resolve_instance(cli, i).instance.instance_id for i in instances]
    changes: list[StateChange] = getattr(cli.services.instances, action)(ids_)
    data = [
        {
            "InstanceId": c.instance_id,
            "PreviousState": {"Code": c.previous.code, "Name": c.previous.value},
            "CurrentState": {"Code": c.current.code, "Name": c.current.value},
        }
        for c in changes
    ]

    def human() -> None:
        for c in changes:
            console.print(f"{c.instance_id}: {c.previous.value} -> {c.current.value}")

    cli.emit(data, human)


@command(app, "stop")
def stop(cli: Cli, instances: Instances) -> None:
    """Stop instances (their public IPs are released, as in AWS)."""
    _transition(cli, instances, "stop")


@command(app, "start")
def start(cli: Cli, instances: Instances) -> None:
    """Start stopped instances (new public IPs)."""
    _transition(cli, instances, "start")


@command(app, "terminate")
def terminate(cli: Cli, instances: Instances) -> None:
    """Terminate instances (their launch interfaces are deleted)."""
    _transition(cli, instances, "terminate")


@command(app, "set-groups")
def set_groups(
    cli: Cli,
    instance: Annotated[str, typer.Argument(help="Instance id or Name tag.")],
    groups: Annotated[list[str], typer.Argument(help="Group ids or names: the new set.")],
) -> None:
    """Replace a running instance's security groups."""
    d = resolve_instance(cli, instance)
    gids = [cli.services.groups.find(g, d.instance.vpc_id).group.group_id for g in groups]
    updated = cli.services.instances.modify_groups(d.instance.instance_id, gids)
    names = group_names(cli)
    cli.emit(_shape(updated, names), lambda: _print([updated], names))


def _primary_eni(cli: Cli, instance: str) -> str:
    d = resolve_instance(cli, instance)
    if d.primary is None:
        raise errors.error(
            "IncorrectInstanceState", f"The instance {d.instance.instance_id} has no interface"
        )
    return d.primary.eni_id


def _emit_addresses(cli: Cli, eni: "NetworkInterface") -> None:
    """The interface's private IPv4 addresses after an assign or unassign."""
    cli.emit(
        {"NetworkInterfaceId": eni.eni_id, "PrivateIpAddresses": list(eni.private_ipv4_addresses)},
        lambda: console.print(f"{eni.eni_id}: {', '.join(eni.private_ipv4_addresses)}"),
    )


@command(app, "assign-ip")
def assign_ip(
    cli: Cli,
    instance: Annotated[str, typer.Argument(help="Instance id or Name tag.")],
    addresses: Annotated[
        list[str] | None, typer.Argument(help="Secondary private IPv4 addresses.")
    ] = None,
    count: Annotated[
        int | None, typer.Option("--count", help="Let stockade choose this many instead.")
    ] = None,
    reassign: Annotated[
        bool,
        typer.Option("--allow-reassignment", help="Take an address another interface holds."),
    ] = False,
) -> None:
    """Add secondary private IPv4 addresses to an instance's primary interface
    (AssignPrivateIpAddresses)."""
    eni = cli.services.interfaces.assign_private_ips(
        _primary_eni(cli, instance), addresses or (), count, reassign
    )
    _emit_addresses(cli, eni)


@command(app, "unassign-ip")
def unassign_ip(
    cli: Cli,
    instance: Annotated[str, typer.Argument(help="Instance id or Name tag.")],
    addresses: Annotated[list[str], typer.Argument(help="Secondary addresses to remove.")],
) -> None:
    """Remove secondary private IPv4 addresses from an instance's primary interface
    (UnassignPrivateIpAddresses)."""
    eni = cli.services.interfaces.unassign_private_ips(_primary_eni(cli, instance), addresses)
    _emit_addresses(cli, eni)
