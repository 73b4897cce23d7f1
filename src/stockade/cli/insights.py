"""``stockade insights``: Reachability Analyzer's paths and analyses (answered at once)."""

from typing import Annotated, Any

import typer

from stockade.cli import render
from stockade.cli.options import Cli, command, console
from stockade.domain.network_insights import NetworkInsightsAnalysis, NetworkInsightsPath
from stockade.domain.tags import check_tags
from stockade.service.contracts import AnalysisRequest, InsightsPathRequest
from stockade.shapes import network_insights as shapes

app = typer.Typer(
    help="Reachability Analyzer: paths between instances, interfaces and the internet "
    "(an internet gateway), analysed by the policy engine.",
    no_args_is_help=True,
)
path_app = typer.Typer(help="Network insights paths (the questions).", no_args_is_help=True)
app.add_typer(path_app, name="path")

PathArg = Annotated[str, typer.Argument(help="nip-…")]
FIX_TAG = "stockade:fix"


@command(path_app, "create")
def create_path(
    cli: Cli,
    source: Annotated[str, typer.Option("--source", help="i-…, eni-… or igw-… (the internet).")],
    destination: Annotated[
        str | None, typer.Option("--destination", help="i-…, eni-… or igw-….")
    ] = None,
    protocol: Annotated[str, typer.Option("--protocol", help="tcp or udp.")] = "tcp",
    port: Annotated[int | None, typer.Option("--port", help="Destination port (any).")] = None,
    source_ip: Annotated[str | None, typer.Option("--source-ip")] = None,
    destination_ip: Annotated[
        str | None, typer.Option("--destination-ip", help="Needed without --destination.")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="A Name tag.")] = None,
) -> None:
    """Create a path (CreateNetworkInsightsPath)."""
    path = cli.services.network_insights.create_path(
        InsightsPathRequest(
            source=source,
            protocol=protocol,
            destination=destination,
            source_ip=source_ip,
            destination_ip=destination_ip,
            destination_port=port,
            tags=check_tags([("Name", name)]) if name else (),
        )
    )
    cli.emit(shapes.network_insights_path(path), lambda: console.print(f"created {path.path_id}"))


def _target(p: NetworkInsightsPath) -> str:
    to = p.destination or ""
    if p.destination_ip:
        to = f"{to} ({p.destination_ip})" if to else p.destination_ip
    port = f"/{p.destination_port}" if p.destination_port is not None else " (any port)"
    return f"{to} {p.protocol}{port}"


@command(path_app, "list")
def list_paths(cli: Cli) -> None:
    """List paths: source, destination, protocol and port."""
    paths = cli.services.network_insights.describe_paths()

    def human() -> None:
        t = render.table("Network insights paths", "Path id", "Name", "Source", "To", "Created")
        for p in paths:
            source = p.source + (f" ({p.source_ip})" if p.source_ip else "")
            t.add_row(p.path_id, render.name_tag(p.tags), source, _target(p), p.created_date)
        console.print(t)

    cli.emit([shapes.network_insights_path(p) for p in paths], human)


@command(path_app, "delete")
def delete_path(
    cli: Cli,
    path_id: PathArg,
    analyses: Annotated[
        bool, typer.Option("--with-analyses", help="Delete its analyses first.")
    ] = False,
) -> None:
    """Delete a path (AWS refuses while it has analyses: --with-analyses deletes them)."""
    calls = cli.services.network_insights
    if analyses:
        for analysis in calls.describe_analyses(path_id=path_id):
            calls.delete_analysis(analysis.analysis_id)
    deleted = calls.delete_path(path_id)
    cli.emit({"NetworkInsightsPathId": deleted}, lambda: console.print(f"deleted {deleted}"))


@command(app, "analyze")
def analyze(cli: Cli, path_id: PathArg) -> None:
    """Analyse a path now (StartNetworkInsightsAnalysis) and show the answer: the components
    of the path and its reply, or what blocks it, and the smallest fix."""
    calls = cli.services.network_insights
    started = calls.start_analysis(AnalysisRequest(path_id))
    [analysis] = calls.describe_analyses([started.analysis_id])
    cli.emit(shapes.network_insights_analysis(analysis), lambda: show_analysis(analysis))


def show_analysis(analysis: NetworkInsightsAnalysis) -> None:
    result = analysis.result
    found = result.get("NetworkPathFound")
    verdict = {True: "path found", False: "NO PATH", None: analysis.status.value}[found]
    console.print(f"{analysis.analysis_id} ({analysis.path_id}): {verdict}")
    if analysis.status_message:
        console.print(render.safe(analysis.status_message))
    if analysis.warning_message:
        console.print(f"warning: {render.safe(analysis.warning_message)}")
    for title, key in (
        ("Forward path", "ForwardPathComponents"),
        ("Return path", "ReturnPathComponents"),
    ):
        if result.get(key):
            t = render.table(title, "#", "Component", "Detail")
            for c in result[key]:
                t.add_row(str(c["SequenceNumber"]), c["Component"]["Id"], component_detail(c))
            console.print(t)
    if result.get("Explanations"):
        t = render.table("Explanations", "Code", "Direction", "Component", "Detail")
        for e in result["Explanations"]:
            component = (e.get("Component") or {}).get("Id", "")
            t.add_row(
                e["ExplanationCode"], e.get("Direction", ""), component, explanation_detail(e)
            )
        console.print(t)
    fixes = [v for k, v in analysis.tags if k.startswith(FIX_TAG)]
    for fix in fixes:
        console.print(f"fix: {render.safe(fix)}")


def _ports(node: dict[str, Any] | None) -> str:
    if not node:
        return ""
    low, high = node["From"], node["To"]
    return f"/{low}" if low == high else f"/{low}-{high}"


def component_detail(c: dict[str, Any]) -> str:
    """One line: the rule, ACL entry or route the component applied."""
    if "SecurityGroupRule" in c:
        r = c["SecurityGroupRule"]
        peer = r.get("Cidr") or r.get("PrefixListId", "")
        word = "from" if r["Direction"] == "ingress" else "to"
        return f"{r['Direction']} {r['Protocol']}{_ports(r.get('PortRange'))} {word} {peer}"
    if "AclRule" in c:
        r = c["AclRule"]
        way = "outbound" if r["Egress"] else "inbound"
        number = r.get("RuleNumber", "*")
        ports = _ports(r.get("PortRange"))
        return f"{way} #{number} {r['RuleAction']} {r['Protocol']}{ports} {r['Cidr']}"
    if "RouteTableRoute" in c:
        r = c["RouteTableRoute"]
        target = next(
            (v for k, v in r.items() if k.endswith("Id") and not k.startswith("Destination")),
            "",
        )
        destination = r.get("DestinationCidr") or r.get("DestinationPrefixListId", "")
        return f"{destination} → {target} [{r.get('State', '')}]"
    header = c.get("OutboundHeader") or c.get("InboundHeader")
    if header:
        src = ",".join(header.get("SourceAddresses", []))
        dst = ",".join(header.get("DestinationAddresses", []))
        ports = _ports((header.get("DestinationPortRanges") or [None])[0])
        return f"{header.get('Protocol', '')} {src} → {dst}{ports}"
    return ""


def explanation_detail(e: dict[str, Any]) -> str:
    """One line: the ACL entry, the groups and packet field, or the route concerned."""
    if "AclRule" in e:
        return component_detail({"AclRule": e["AclRule"]})
    if "SecurityGroups" in e:
        groups = ", ".join(g["Id"] for g in e["SecurityGroups"]) or "no group"
        port = f" port {e['Port']}" if "Port" in e else ""
        return f"{groups}: no rule matches the {e.get('PacketField', 'packet')}{port}"
    if "RouteTable" in e:
        route = e.get("RouteTableRoute")
        return e["RouteTable"]["Id"] + (
            f" {component_detail({'RouteTableRoute': route})}" if route else " (no route)"
        )
    return ""
