"""Reachability Analyzer's paths and analyses through a stockade server."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from stockade.domain.errors import AwsError
from stockade.domain.network_insights import NetworkInsightsAnalysis, NetworkInsightsPath
from stockade.domain.tags import RawTags
from stockade.remote.client import Remote
from stockade.service.contracts import AnalysisRequest, InsightsPathRequest
from stockade.shapes import network_insights as shapes
from stockade.shapes import tag_list

T = TypeVar("T")


def _specs(kind: str, tags: RawTags) -> list[dict[str, Any]] | None:
    return [{"ResourceType": kind, "Tags": tag_list(tags)}] if tags else None


def _filter(given: Any) -> dict[str, Any] | None:
    """A ``PathFilter`` as the request's ``PathRequestFilter`` (``None`` if empty)."""
    if given is None or given.is_empty:
        return None
    return shapes.path_filter(given)


def _read(read: Callable[[Any], T], shape: Any, operation: str) -> T:
    """An answer read leniently; one that cannot be is one error naming the answer."""
    try:
        return read(shape)
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise AwsError(
            "InternalError", f"the {operation} answer cannot be read: missing or bad {exc}"
        ) from None


class RemoteNetworkInsightsService(Remote):
    """:class:`stockade.service.network_insights.NetworkInsightsService`, over the EC2 API."""

    def create_path(self, request: InsightsPathRequest) -> NetworkInsightsPath:
        shape = self.call(
            "create_network_insights_path",
            Source=request.source,
            Destination=request.destination,
            SourceIp=request.source_ip,
            DestinationIp=request.destination_ip,
            Protocol=request.protocol,
            DestinationPort=request.destination_port,
            FilterAtSource=_filter(request.filter_at_source),
            FilterAtDestination=_filter(request.filter_at_destination),
            ClientToken=request.client_token or secrets.token_hex(16),
            TagSpecifications=_specs("network-insights-path", request.tags),
        )
        return _read(shapes.read_path, shape["NetworkInsightsPath"], "create_network_insights_path")

    def describe_paths(self, path_ids: Sequence[str] = ()) -> list[NetworkInsightsPath]:
        operation = "describe_network_insights_paths"
        items = self.pages(
            operation, "NetworkInsightsPaths", NetworkInsightsPathIds=list(path_ids) or None
        )
        return [_read(shapes.read_path, p, operation) for p in items]

    def delete_path(self, path_id: str | None) -> str:
        shape = self.call("delete_network_insights_path", NetworkInsightsPathId=path_id)
        return str(shape["NetworkInsightsPathId"])

    def start_analysis(self, request: AnalysisRequest) -> NetworkInsightsAnalysis:
        operation = "start_network_insights_analysis"
        shape = self.call(
            operation,
            NetworkInsightsPathId=request.path_id,
            ClientToken=request.client_token or secrets.token_hex(16),
            TagSpecifications=_specs("network-insights-analysis", request.tags),
            AdditionalAccounts=list(request.additional_accounts) or None,
            FilterInArns=list(request.filter_in_arns) or None,
            FilterOutArns=list(request.filter_out_arns) or None,
        )
        return _read(shapes.read_analysis, shape["NetworkInsightsAnalysis"], operation)

    def describe_analyses(
        self, analysis_ids: Sequence[str] = (), path_id: str | None = None
    ) -> list[NetworkInsightsAnalysis]:
        operation = "describe_network_insights_analyses"
        items = self.pages(
            operation,
            "NetworkInsightsAnalyses",
            NetworkInsightsAnalysisIds=list(analysis_ids) or None,
            NetworkInsightsPathId=path_id,
        )
        return [_read(shapes.read_analysis, a, operation) for a in items]

    def delete_analysis(self, analysis_id: str | None) -> str:
        shape = self.call("delete_network_insights_analysis", NetworkInsightsAnalysisId=analysis_id)
        return str(shape["NetworkInsightsAnalysisId"])
