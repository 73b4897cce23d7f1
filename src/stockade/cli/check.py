"""``stockade check`` and ``stockade exposure``: the policy engine on the local store.

``check`` answers "can X reach Y on this port, and which rule says so?" — or, when denied,
what blocks it and the smallest rule that would allow it. ``exposure`` lists what each
instance exposes to the internet. Endpoints are instance ids, interface ids, IP addresses or
instance Name tags.
"""

from typing import TYPE_CHECKING, Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain import errors
from stockade.domain.instance_names import endpoint_id
from stockade.domain.state import Snapshot

if TYPE_CHECKING:  # the policy engine (numpy) is imported when a command runs
    from stockade.policy import Flow

app = typer.Typer()


def snapshot(cli: Cli) -> Snapshot:
    with cli.ctx.read() as tx:
        return tx.snapshot()


def endpoint(snap: Snapshot, given: str) -> str:
    """An instance Name tag becomes its id; ids and addresses pass through unchanged."""
    return endpoint_id(snap.instances, given)


def _flow(
    snap: Snapshot,
    source: str,
    destination: str,
    proto: str,
    port: int | None,
    source_port: int | None = None,
) -> "Flow":
    from stockade.policy import Flow

    try:
        return Flow(
            endpoint(snap, source),
            endpoint(snap, destination),
            proto,
            port,
            source_port=source_port,
        )
    except ValueError as exc:
        raise errors.invalid_parameter_value(str(exc)) from None


@command(app, "check")
def check(
    cli: Cli,
    source: Annotated[str, typer.Option("--from", help="Instance (id or Name), eni-… or IP.")],
    destination: Annotated[str, typer.Option("--to", help="Instance (id or Name), eni-… or IP.")],
    port: Annotated[
        int | None, typer.Option("--port", help="Destination port (ICMP: the type).")
    ] = None,
    proto: Annotated[
        str, typer.Option("--proto", help="tcp, udp, icmp, icmpv6 or a number.")
    ] = "tcp",
    source_port: Annotated[
        int | None,
        typer.Option(
            "--source-port",
            help="The client's port (TCP/UDP), which network ACLs judge the reply by; "
            "default: any of Linux's ephemeral ports 32768-60999, all of which must pass.",
        ),
    ] = None,
) -> None:
    """Is a new connection allowed — every layer it crosses in order (groups, network ACLs
    both ways, routes) and what decided each — or what blocks it, and the fix; and whether
    AWS would track the connection (an untracked one is cut when its rule goes)."""
    from stockade.policy import decide, explain, reply_verdict
    from stockade.policy.explain import explain_tracking, tracking_fields
    from stockade.policy.layers import layers

    snap = snapshot(cli)
    decision = decide(snap, _flow(snap, source, destination, proto, port, source_port))
    explanation = explain(decision)
    tracking = reply_verdict(snap, decision)

    def human() -> None:
        colour = "green" if decision.allowed else "red"
        first, _, rest = explanation.partition("\n")
        console.print(f"[bold {colour}]{render.safe(first)}[/]", highlight=False)
        if rest:
            console.print(render.safe(rest, newlines=True), highlight=False)
        if decision.allowed:
            console.print(render.safe(explain_tracking(tracking)), highlight=False)

    cli.emit(
        {
            **decision.to_dict(),
            "layers": [layer.to_dict() for layer in layers(decision)],
            "explanation": explanation,
            **tracking_fields(decision, tracking),
        },
        human,
    )


@command(app, "exposure")
def show_exposure(
    cli: Cli,
    vpc: Annotated[str | None, typer.Option("--vpc", help="Only this VPC.")] = None,
    all_: Annotated[
        bool, typer.Option("--all", help="Also interfaces open to public CIDRs but not reachable.")
    ] = False,
) -> None:
    """What each instance exposes to the internet: open port ranges and the rules."""
    from stockade.policy import exposure

    snap = snapshot(cli)
    findings = [f for f in exposure(snap, vpc) if all_ or f.exposed]
    names = {i.instance_id: dict(i.tags).get("Name", "") for i in snap.instances}

    def human() -> None:
        t = render.table(
            "Exposure to the internet",
            "Severity",
            "Instance",
            "Name",
            "Interface",
            "Open",
            "Status",
            "Rules",
        )
        for f in findings:
            data = f.to_dict()
            details = data["networkReachabilityDetails"]
            ranges = ", ".join(
                _range_text(d) + (" (denied by network ACL)" if d["deniedByNetworkAcl"] else "")
                for d in details
            )
            rules = sorted({r["security_group_rule_id"] for d in details for r in d["rules"]})
            instance = data["resource"].get("instance_id") or ""
            t.add_row(
                data["severity"],
                instance,
                names.get(instance, ""),
                data["resource"]["network_interface_id"],
                ranges,
                f.status,
                "\n".join(rules),
            )
        console.print(t)
        if not findings:
            console.print("Nothing is open to the internet.")

    cli.emit([f.to_dict() for f in findings], human)


def _range_text(detail: dict) -> str:
    proto = detail["protocol"].lower()
    span = detail.get("openPortRange") or {}
    begin, end = span.get("begin"), span.get("end")
    if begin is None or (begin, end) in ((0, 65535), (-1, -1)):
        return f"{proto}/all"
    return f"{proto}/{begin}" if begin == end else f"{proto}/{begin}-{end}"
