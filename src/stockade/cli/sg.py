"""``stockade sg``: security groups and their rules."""

from typing import TYPE_CHECKING, Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.permissions import IpPermission
from stockade.domain.tags import check_tags
from stockade.shapes import groups as shapes
from stockade.view.rule_input import build_permission

if TYPE_CHECKING:  # the services load the store: imported when a command runs, not at start-up
    from stockade.service.contracts import GroupDetail

app = typer.Typer(
    help="Security groups: create, inspect, allow and revoke traffic.", no_args_is_help=True
)

Group = Annotated[str, typer.Argument(help="Group id (sg-…) or name.")]
VpcOpt = Annotated[str | None, typer.Option("--vpc", help="VPC id (to find a group by name).")]
Egress = Annotated[bool, typer.Option("--egress/--ingress", help="Outbound or inbound rules.")]
Proto = Annotated[
    str | None, typer.Option("--proto", help="tcp, udp, icmp, icmpv6, all or a number.")
]
Port = Annotated[
    str | None, typer.Option("--port", help="22, 8000-8080 or all; ICMP: TYPE[:CODE].")
]
Service = Annotated[
    str | None, typer.Option("--service", help="A well-known service: ssh, http, rdp…")
]
Cidrs = Annotated[list[str] | None, typer.Option("--cidr", help="IPv4 or IPv6 CIDR (repeatable).")]
Groups = Annotated[
    list[str] | None, typer.Option("--source-group", help="Group id or name (repeatable).")
]
Lists = Annotated[
    list[str] | None, typer.Option("--prefix-list", help="Prefix list id (repeatable).")
]
Desc = Annotated[str | None, typer.Option("--description", help="Rule description.")]


def _shape(d: "GroupDetail") -> dict:
    return shapes.security_group(d.group, d.rules)


def _resolve(cli: Cli, name_or_id: str, vpc: str | None) -> "GroupDetail":
    return cli.services.groups.find(name_or_id, vpc)


@command(app, "create")
def create(
    cli: Cli,
    name: Annotated[str, typer.Argument(help="Group name (unique per VPC).")],
    description: Annotated[str | None, typer.Option("--description", "-d")] = None,
    vpc: VpcOpt = None,
    tag: Annotated[list[str] | None, typer.Option("--tag", help="KEY=VALUE (repeatable).")] = None,
) -> None:
    """Create a group (default outbound rule, no inbound rules)."""
    tags = check_tags(tuple(t.partition("=")[::2]) for t in tag or [])  # type: ignore[misc]
    d = cli.services.groups.create(name, description or name, vpc, tags)
    cli.emit(_shape(d), lambda: _show(cli, d))


@command(app, "list")
def list_groups(cli: Cli, vpc: VpcOpt = None) -> None:
    """List groups with their rule counts."""
    details = [d for d in cli.services.groups.describe() if vpc in (None, d.group.vpc_id)]

    def human() -> None:
        t = render.table(
            "Security groups", "Group id", "Name", "VPC", "Inbound", "Outbound", "Description"
        )
        for d in details:
            g = d.group
            t.add_row(
                g.group_id, g.name, g.vpc_id, str(len(d.ingress)), str(len(d.egress)), g.description
            )
        console.print(t)

    cli.emit([_shape(d) for d in details], human)


def _show(cli: Cli, d: "GroupDetail") -> None:
    g = d.group
    names = cli.services.groups.names()
    console.print(
        f"[bold]{g.group_id}[/bold]  {render.safe(g.name)}  ({g.vpc_id})  "
        f"{render.safe(g.description)}"
    )
    render.print_rules(g.name, list(d.rules), names)
    from stockade.cli.dataplane import print_rule_hits  # data plane: per-rule hits, if any

    print_rule_hits([r.rule_id for r in d.rules])


@command(app, "show")
def show(cli: Cli, group: Group, vpc: VpcOpt = None) -> None:
    """Show a group's inbound and outbound rules, as the console does."""
    d = _resolve(cli, group, vpc)
    cli.emit(_shape(d), lambda: _show(cli, d))


@command(app, "delete")
def delete(cli: Cli, group: Group, vpc: VpcOpt = None) -> None:
    """Delete a group (not the default group, nor one in use or referenced)."""
    d = _resolve(cli, group, vpc)
    gid = cli.services.groups.delete(d.group.group_id)
    cli.emit({"Return": True, "GroupId": gid}, lambda: console.print(f"deleted {gid}"))


def _permission(
    cli: Cli,
    target: "GroupDetail",
    proto: str | None,
    port: str | None,
    service: str | None,
    cidr: list[str] | None,
    source_group: list[str] | None,
    prefix_list: list[str] | None,
    description: str | None = None,
) -> IpPermission:
    """The options of ``allow``/``revoke`` as one permission (source groups resolved in the
    target's VPC)."""
    peers = [_resolve(cli, g, target.group.vpc_id).group.group_id for g in source_group or []]
    return build_permission(proto, port, service, cidr or [], peers, prefix_list or [], description)


@command(app, "allow")
def allow(
    cli: Cli,
    group: Group,
    egress: Egress = False,
    proto: Proto = None,
    port: Port = None,
    service: Service = None,
    cidr: Cidrs = None,
    source_group: Groups = None,
    prefix_list: Lists = None,
    description: Desc = None,
    vpc: VpcOpt = None,
) -> None:
    """Add a rule: e.g. ``sg allow web --service ssh --cidr 203.0.113.10/32``."""
    target = _resolve(cli, group, vpc)
    perm = _permission(
        cli, target, proto, port, service, cidr, source_group, prefix_list, description
    )
    rules = cli.services.rules.authorize(target.group.group_id, [perm], egress=egress)
    region = cli.region
    cli.emit(
        {
            "Return": True,
            "SecurityGroupRules": [shapes.security_group_rule(r, region) for r in rules],
        },
        lambda: console.print(render.rules_table(f"Added to {target.group.name}", rules, egress)),
    )


@command(app, "revoke")
def revoke(
    cli: Cli,
    group: Group,
    rule_id: Annotated[
        list[str] | None, typer.Option("--rule-id", help="sgr-… (repeatable).")
    ] = None,
    egress: Egress = False,
    proto: Proto = None,
    port: Port = None,
    service: Service = None,
    cidr: Cidrs = None,
    source_group: Groups = None,
    prefix_list: Lists = None,
    vpc: VpcOpt = None,
) -> None:
    """Remove rules by id (``--rule-id``) or by exact properties."""
    target = _resolve(cli, group, vpc)
    service_ = cli.services.rules
    if rule_id:
        result = service_.revoke(target.group.group_id, rule_ids=rule_id, egress=egress)
    else:
        perm = _permission(cli, target, proto, port, service, cidr, source_group, prefix_list)
        result = service_.revoke(target.group.group_id, [perm], egress=egress)
    revoked = list(result.revoked)

    def human() -> None:
        console.print(render.rules_table(f"Revoked from {target.group.name}", revoked, egress))
        if result.unknown:
            console.print(f"[yellow]{len(result.unknown)} permission(s) matched no rule[/yellow]")

    cli.emit(
        {
            "Return": True,
            "RevokedSecurityGroupRules": [shapes.revoked_rule(r) for r in revoked],
            "UnknownIpPermissions": len(result.unknown),
        },
        human,
    )
