"""Reachability Analyzer: network insights paths and analyses."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import Aliases, page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain.network_insights import PathFilter
from stockade.service.contracts import AnalysisRequest, InsightsPathRequest
from stockade.shapes import network_insights as shapes


def _port_range(where: str, member: str) -> Callable[[Mapping[str, Any]], Iterable[str]]:
    """``filter-at-*.*-port-range``: the range as ``from-to`` (and the port alone when it is
    one port). The value format AWS expects is [UNVERIFIED]."""

    def candidates(shape: Mapping[str, Any]) -> Iterable[str]:
        ports = (shape.get(where) or {}).get(member)
        if ports:
            low, high = ports["FromPort"], ports["ToPort"]
            yield f"{low}-{high}"
            if low == high:
                yield str(low)

    return candidates


#: filter names the shape's keys do not spell (the addresses, ``source``… are automatic)
_PATH_ALIASES: Aliases = {
    f"{prefix}.{field}-port-range": _port_range(where, f"{field.capitalize()}PortRange")
    for prefix, where in (
        ("filter-at-source", "FilterAtSource"),
        ("filter-at-destination", "FilterAtDestination"),
    )
    for field in ("source", "destination")
}
_ANALYSIS_ALIASES: Aliases = {"path-found": "NetworkPathFound"}


def _filter(node: Mapping[str, Any] | None) -> PathFilter | None:
    """A ``PathRequestFilter`` as given (checked by the domain)."""
    if not node:
        return None

    def pair(ports: Mapping[str, Any] | None) -> tuple[Any, Any] | None:
        return None if not ports else (ports.get("FromPort"), ports.get("ToPort"))

    return PathFilter(
        node.get("SourceAddress"),
        pair(node.get("SourcePortRange")),
        node.get("DestinationAddress"),
        pair(node.get("DestinationPortRange")),
    )


@action("CreateNetworkInsightsPath")
def create_network_insights_path(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"network-insights-path"}, default="network-insights-path")
    path = call.services.network_insights.create_path(
        InsightsPathRequest(
            source=call.get("Source"),
            protocol=call.get("Protocol"),
            destination=call.get("Destination"),
            source_ip=call.get("SourceIp"),
            destination_ip=call.get("DestinationIp"),
            destination_port=call.get("DestinationPort"),
            filter_at_source=_filter(call.get("FilterAtSource")),
            filter_at_destination=_filter(call.get("FilterAtDestination")),
            client_token=call.get("ClientToken"),
            tags=tags.get("network-insights-path", ()),
        )
    )
    return {"NetworkInsightsPath": shapes.network_insights_path(path)}


@action("DescribeNetworkInsightsPaths")
def describe_network_insights_paths(call: Call) -> dict[str, Any]:
    paths = call.services.network_insights.describe_paths(call.get("NetworkInsightsPathIds") or ())
    selected = select(call, (shapes.network_insights_path(p) for p in paths), _PATH_ALIASES)
    items, token = page(call, selected, lambda s: s["NetworkInsightsPathId"])
    return with_token({"NetworkInsightsPaths": items}, token)


@action("DeleteNetworkInsightsPath")
def delete_network_insights_path(call: Call) -> dict[str, Any]:
    path_id = call.services.network_insights.delete_path(call.get("NetworkInsightsPathId"))
    return {"NetworkInsightsPathId": path_id}


@action("StartNetworkInsightsAnalysis")
def start_network_insights_analysis(call: Call) -> dict[str, Any]:
    kind = "network-insights-analysis"
    tags = tag_specs(call, accepted={kind}, default=kind)
    analysis = call.services.network_insights.start_analysis(
        AnalysisRequest(
            path_id=call.get("NetworkInsightsPathId"),
            client_token=call.get("ClientToken"),
            tags=tags.get(kind, ()),
            additional_accounts=tuple(call.get("AdditionalAccounts") or ()),
            filter_in_arns=tuple(call.get("FilterInArns") or ()),
            filter_out_arns=tuple(call.get("FilterOutArns") or ()),
        )
    )
    return {"NetworkInsightsAnalysis": shapes.network_insights_analysis(analysis)}


def _started_within(call: Call) -> Callable[[str], bool]:
    """``AnalysisStartTime``/``AnalysisEndTime``: analyses started in that window."""
    start: datetime | None = call.get("AnalysisStartTime")
    end: datetime | None = call.get("AnalysisEndTime")

    def within(start_date: str) -> bool:
        started = datetime.fromisoformat(start_date.replace("Z", "+00:00"))
        return (start is None or started >= start) and (end is None or started <= end)

    return within


@action("DescribeNetworkInsightsAnalyses")
def describe_network_insights_analyses(call: Call) -> dict[str, Any]:
    analyses = call.services.network_insights.describe_analyses(
        call.get("NetworkInsightsAnalysisIds") or (), call.get("NetworkInsightsPathId")
    )
    within = _started_within(call)
    shaped = (shapes.network_insights_analysis(a) for a in analyses if within(a.start_date))
    selected = select(call, shaped, _ANALYSIS_ALIASES)
    items, token = page(call, selected, lambda s: s["NetworkInsightsAnalysisId"])
    return with_token({"NetworkInsightsAnalyses": items}, token)


@action("DeleteNetworkInsightsAnalysis")
def delete_network_insights_analysis(call: Call) -> dict[str, Any]:
    analysis_id = call.services.network_insights.delete_analysis(
        call.get("NetworkInsightsAnalysisId")
    )
    return {"NetworkInsightsAnalysisId": analysis_id}
