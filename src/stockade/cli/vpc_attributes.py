"""``stockade vpc attribute`` and ``stockade vpc modify``: a VPC's DNS and Network Address
Usage settings (one attribute per EC2 call; ``modify`` makes one call per option given)."""

from typing import Annotated, Any

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console, fail
from stockade.cli.vpc import vpc_app
from stockade.service.contracts import VPC_ATTRIBUTES


@command(vpc_app, "attribute")
def vpc_attribute(
    cli: Cli,
    vpc_id: Annotated[str, typer.Argument(help="vpc-…")],
    attribute: Annotated[
        str | None,
        typer.Argument(help="One of " + ", ".join(VPC_ATTRIBUTES) + " (default: all)."),
    ] = None,
) -> None:
    """Show a VPC's attributes."""
    names = [attribute] if attribute else list(VPC_ATTRIBUTES)
    calls = cli.services.vpc_attributes
    values = {name: calls.describe_vpc_attribute(vpc_id, name) for name in names}

    def human() -> None:
        t = render.table(f"Attributes of {vpc_id}", "Attribute", "Value")
        for name, value in values.items():
            t.add_row(name, "true" if value else "false")
        console.print(t)

    cli.emit({"VpcId": vpc_id, **{n: {"Value": v} for n, v in values.items()}}, human)


def _flag(name: str, help_text: str) -> Any:
    """A ``--name/--no-name`` option that stays ``None`` when not given."""
    return typer.Option(f"--{name}/--no-{name}", help=help_text)


@command(vpc_app, "modify")
def vpc_modify(
    cli: Cli,
    vpc_id: Annotated[str, typer.Argument(help="vpc-…")],
    dns_support: Annotated[bool | None, _flag("dns-support", "Amazon DNS in the VPC.")] = None,
    dns_hostnames: Annotated[
        bool | None, _flag("dns-hostnames", "Public DNS names (needs DNS support).")
    ] = None,
    address_usage_metrics: Annotated[
        bool | None, _flag("address-usage-metrics", "Network Address Usage metrics.")
    ] = None,
) -> None:
    """Change a VPC's attributes (DNS support is applied first when both DNS flags are set)."""
    given = {
        "enable_dns_support": dns_support,
        "enable_dns_hostnames": dns_hostnames,
        "enable_network_address_usage_metrics": address_usage_metrics,
    }
    if all(v is None for v in given.values()):
        raise fail("give at least one of --dns-support, --dns-hostnames, --address-usage-metrics")
    calls = cli.services.vpc_attributes
    vpc = None
    for field, value in given.items():
        if value is not None:
            vpc = calls.modify_vpc_attribute(vpc_id, **{field: value})
    shown = {name: getattr(vpc, field) for name, field in VPC_ATTRIBUTES.items()}
    cli.emit(
        {"VpcId": vpc_id, **{n: {"Value": v} for n, v in shown.items()}},
        lambda: console.print(
            f"modified {vpc_id}: " + ", ".join(f"{n}={str(v).lower()}" for n, v in shown.items())
        ),
    )
