"""``stockade flowlogs create|list|delete``: VPC Flow Logs as resources (which VPCs,
subnets or interfaces the data plane logs, and which actions), locally or through a
server with ``--endpoint``. The records themselves are ``stockade flowlogs``."""

from typing import Annotated

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.flow_log import Unsuccessful
from stockade.domain.tags import check_tags
from stockade.service.contracts import FlowLogRequest
from stockade.shapes import flow_logs as shapes

_KINDS = {"vpc": "VPC", "subnet": "Subnet", "eni": "NetworkInterface"}


def _resource_type(resource_ids: list[str]) -> str | None:
    """CreateFlowLogs' ``ResourceType`` from the ids' kind (all ids of one kind); an id of
    another kind is left to the service's checks."""
    kinds = {_KINDS.get(rid.split("-", 1)[0]) for rid in resource_ids}
    return kinds.pop() if len(kinds) == 1 else None


def _refused(refused: list[Unsuccessful]) -> None:
    for item in refused:
        console.print(f"{item.resource_id}: {item.code}: {render.safe(item.message)}")


def create_command(
    cli: Cli,
    resources: Annotated[list[str], typer.Argument(help="vpc-…, subnet-… or eni-… ids.")],
    traffic: Annotated[str, typer.Option("--traffic", help="ACCEPT, REJECT or ALL.")] = "ALL",
    log_format: Annotated[
        str | None, typer.Option("--format", help="A ${field} format (default: version 2).")
    ] = None,
    interval: Annotated[
        int | None, typer.Option("--interval", help="Aggregation interval: 60 or 600 s.")
    ] = None,
    log_group: Annotated[
        str | None, typer.Option("--log-group", help="CloudWatch Logs group (kept, not used).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A Name tag.")] = None,
) -> None:
    """Create flow logs (CreateFlowLogs): one per resource."""
    created, refused = cli.services.flow_logs.create(
        FlowLogRequest(
            resource_type=_resource_type(resources),
            resource_ids=resources,
            traffic_type=traffic,
            log_group_name=log_group or "stockade",
            log_format=log_format,
            max_aggregation_interval=interval,
            tags=check_tags([("Name", name)]) if name else (),
        )
    )

    def human() -> None:
        for f in created:
            console.print(f"created {f.flow_log_id} ({f.resource_id}, {f.traffic_type})")
        _refused(refused)

    cli.emit(
        {
            "FlowLogIds": [f.flow_log_id for f in created],
            "Unsuccessful": [shapes.unsuccessful(u) for u in refused],
        },
        human,
    )


def list_command(cli: Cli) -> None:
    """List flow logs: what each covers and which actions it logs."""
    found = cli.services.flow_logs.describe()

    def human() -> None:
        t = render.table("Flow logs", "Flow log id", "Name", "Resource", "Traffic", "Interval")
        for f in found:
            t.add_row(
                f.flow_log_id,
                render.name_tag(f.tags),
                f.resource_id,
                f.traffic_type,
                f"{f.max_aggregation_interval} s",
            )
        console.print(t)

    cli.emit([shapes.flow_log(f) for f in found], human)


def delete_command(
    cli: Cli, flow_logs: Annotated[list[str], typer.Argument(help="fl-… ids.")]
) -> None:
    """Delete flow logs (DeleteFlowLogs); an unknown id is reported, the others deleted."""
    refused = cli.services.flow_logs.delete(flow_logs)
    kept = {u.resource_id for u in refused}
    gone = [f for f in flow_logs if f not in kept]

    def human() -> None:
        for flow_log_id in gone:
            console.print(f"deleted {flow_log_id}")
        _refused(refused)

    cli.emit({"Unsuccessful": [shapes.unsuccessful(u) for u in refused]}, human)
    if refused:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    command(app, "create")(create_command)
    command(app, "list")(list_command)
    command(app, "delete")(delete_command)
