"""``stockade nacl``: network ACLs, the stateless subnet firewall (entries, associations)."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain import errors
from stockade.domain.network_acl import NetworkAcl
from stockade.domain.tags import check_tags
from stockade.shapes import network_acls as shapes
from stockade.view.rule_input import acl_entry_request

app = typer.Typer(
    help="Network ACLs: numbered allow/deny entries at the subnet boundary (stateless).",
    no_args_is_help=True,
)

AclArg = Annotated[str, typer.Argument(help="acl-…")]
RuleArg = Annotated[int, typer.Argument(help="Rule number, 1-32766 (lowest is evaluated first).")]
EgressOpt = Annotated[
    bool, typer.Option("--egress/--ingress", help="Outbound (--egress) or inbound (default).")
]
ActionOpt = Annotated[str, typer.Option("--action", help="allow or deny.")]
ProtocolOpt = Annotated[
    str, typer.Option("--protocol", help="tcp, udp, icmp, icmpv6, a number, or -1 (all).")
]
CidrOpt = Annotated[str, typer.Option("--cidr", help="Source (inbound) or destination (outbound).")]
PortsOpt = Annotated[
    str | None, typer.Option("--ports", help="TCP/UDP destination ports: 22 or 1024-65535.")
]
IcmpOpt = Annotated[str | None, typer.Option("--icmp", help="ICMP type[:code]; -1 for all types.")]


def _show(acl: NetworkAcl) -> None:
    name = render.name_tag(acl.tags)
    default = " (default)" if acl.is_default else ""
    console.print(
        f"{acl.network_acl_id}{default} in {acl.vpc_id}"
        + (f" — {render.safe(name)}" if name else "")
    )
    console.print(render.acl_entries_table(acl, egress=False))
    console.print(render.acl_entries_table(acl, egress=True))
    console.print(render.acl_associations_table(acl))


@command(app, "create")
def create(
    cli: Cli,
    vpc: Annotated[str, typer.Option("--vpc", help="vpc-…")],
    name: Annotated[str | None, typer.Option("--name", help="A Name tag.")] = None,
) -> None:
    """Create a network ACL (it denies everything until entries are added)."""
    tags = check_tags([("Name", name)]) if name else ()
    acl = cli.services.network_acls.create(vpc, tags)
    cli.emit(shapes.network_acl(acl), lambda: console.print(f"created {acl.network_acl_id}"))


@command(app, "list")
def list_acls(cli: Cli, vpc: Annotated[str | None, typer.Option("--vpc")] = None) -> None:
    """List network ACLs: VPC, default or not, subnets, entries each way."""
    acls = [a for a in cli.services.network_acls.describe() if vpc in (None, a.vpc_id)]

    def human() -> None:
        t = render.table(
            "Network ACLs", "Network ACL id", "Name", "VPC", "Default", "Subnets", "In", "Out"
        )
        for a in acls:
            t.add_row(
                a.network_acl_id,
                render.name_tag(a.tags),
                a.vpc_id,
                "yes" if a.is_default else "",
                "\n".join(a.subnet_ids),
                str(sum(1 for e in a.entries if not e.egress)),
                str(sum(1 for e in a.entries if e.egress)),
            )
        console.print(t)

    cli.emit([shapes.network_acl(a) for a in acls], human)


@command(app, "show")
def show(cli: Cli, network_acl_id: AclArg) -> None:
    """Show an ACL as the console does: inbound and outbound rules in evaluation order
    (rule number, type, protocol, port range, source/destination, allow/deny; * last) and
    its subnets."""
    acl = cli.services.network_acls.get(network_acl_id)
    cli.emit(shapes.network_acl(acl), lambda: _show(acl))


@command(app, "delete")
def delete(cli: Cli, network_acl_id: AclArg) -> None:
    """Delete a network ACL no subnet uses (never a VPC's default one)."""
    cli.services.network_acls.delete(network_acl_id)
    cli.emit({"Return": True}, lambda: console.print(f"deleted {network_acl_id}"))


@command(app, "add-entry")
def add_entry(
    cli: Cli,
    network_acl_id: AclArg,
    rule_number: RuleArg,
    cidr: CidrOpt,
    egress: EgressOpt = False,
    action: ActionOpt = "allow",
    protocol: ProtocolOpt = "-1",
    ports: PortsOpt = None,
    icmp: IcmpOpt = None,
) -> None:
    """Add an entry (CreateNetworkAclEntry)."""
    request = acl_entry_request(rule_number, egress, action, protocol, cidr, ports, icmp)
    cli.services.network_acls.create_entry(network_acl_id, request)
    _done(cli, f"{_way(egress)} rule {rule_number} ({action}) added to {network_acl_id}")


@command(app, "replace-entry")
def replace_entry(
    cli: Cli,
    network_acl_id: AclArg,
    rule_number: RuleArg,
    cidr: CidrOpt,
    egress: EgressOpt = False,
    action: ActionOpt = "allow",
    protocol: ProtocolOpt = "-1",
    ports: PortsOpt = None,
    icmp: IcmpOpt = None,
) -> None:
    """Replace the entry of that number and direction (ReplaceNetworkAclEntry)."""
    request = acl_entry_request(rule_number, egress, action, protocol, cidr, ports, icmp)
    cli.services.network_acls.replace_entry(network_acl_id, request)
    _done(cli, f"{_way(egress)} rule {rule_number} of {network_acl_id} replaced")


def _way(egress: bool) -> str:
    return "outbound" if egress else "inbound"


def _done(cli: Cli, message: str) -> None:
    """An entry call's answer: EC2's ``Return`` in JSON, one line for humans."""
    cli.emit({"Return": True}, lambda: console.print(message))


@command(app, "delete-entry")
def delete_entry(
    cli: Cli, network_acl_id: AclArg, rule_number: RuleArg, egress: EgressOpt = False
) -> None:
    """Delete an entry (never a * one)."""
    cli.services.network_acls.delete_entry(network_acl_id, rule_number, egress)
    _done(cli, f"{_way(egress)} rule {rule_number} deleted from {network_acl_id}")


@command(app, "associate")
def associate(
    cli: Cli,
    network_acl_id: AclArg,
    subnet: Annotated[str, typer.Option("--subnet", help="subnet-…")],
) -> None:
    """Make this the subnet's ACL (ReplaceNetworkAclAssociation on the subnet's current
    association; to undo, associate the subnet with its VPC's default ACL)."""
    acls = cli.services.network_acls
    [found] = cli.services.network.list_subnets([subnet])  # InvalidSubnetID.NotFound
    current = next(
        (a for acl in acls.describe() for a in acl.associations if a.subnet_id == subnet), None
    )
    if current is None:  # every subnet has one; only state made without ACLs lacks it
        raise errors.error(
            "InvalidAssociationID.NotFound", f"{found.subnet_id} has no network ACL association"
        )
    new_id = acls.replace_association(current.association_id, network_acl_id)
    cli.emit(
        {"NewAssociationId": new_id},
        lambda: console.print(f"associated {subnet} with {network_acl_id}: {new_id}"),
    )
