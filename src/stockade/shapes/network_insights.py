"""NetworkInsightsPath and NetworkInsightsAnalysis shapes, and back (for the remote client).

The analysis's result is stored as shapes already (``NetworkInsightsAnalysis.findings``,
built by :mod:`stockade.shapes.insights_findings`), so writing it is a merge; reading an
answer back keeps those members as they came.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from stockade.domain import ids
from stockade.domain.network_insights import (
    AnalysisStatus,
    NetworkInsightsAnalysis,
    NetworkInsightsPath,
    PathFilter,
)
from stockade.shapes import tag_list

#: The members of an analysis that carry its result (kept as shapes in ``findings``).
RESULT_MEMBERS = (
    "NetworkPathFound",
    "ForwardPathComponents",
    "ReturnPathComponents",
    "Explanations",
    "AlternatePathHints",
    "SuggestedAccounts",
)


def _ports(pair: tuple[int, int] | None) -> dict[str, int] | None:
    return None if pair is None else {"FromPort": pair[0], "ToPort": pair[1]}


def path_filter(f: PathFilter) -> dict[str, Any]:
    out = {
        "SourceAddress": f.source_address,
        "SourcePortRange": _ports(f.source_ports),
        "DestinationAddress": f.destination_address,
        "DestinationPortRange": _ports(f.destination_ports),
    }
    return {k: v for k, v in out.items() if v is not None}


def network_insights_path(p: NetworkInsightsPath) -> dict[str, Any]:
    out: dict[str, Any] = {
        "NetworkInsightsPathId": p.path_id,
        "NetworkInsightsPathArn": p.arn,
        "CreatedDate": p.created_date,
        "Source": p.source,
        "SourceArn": ids.arn(p.region, p.owner_id, p.source),
        "Protocol": p.protocol,
        "Tags": tag_list(p.tags),
    }
    if p.destination is not None:
        out["Destination"] = p.destination
        out["DestinationArn"] = ids.arn(p.region, p.owner_id, p.destination)
    optional = {
        "SourceIp": p.source_ip,
        "DestinationIp": p.destination_ip,
        "DestinationPort": p.destination_port,
        "FilterAtSource": p.filter_at_source and path_filter(p.filter_at_source),
        "FilterAtDestination": p.filter_at_destination and path_filter(p.filter_at_destination),
    }
    out.update({k: v for k, v in optional.items() if v is not None})
    return out


def network_insights_analysis(a: NetworkInsightsAnalysis) -> dict[str, Any]:
    out: dict[str, Any] = {
        "NetworkInsightsAnalysisId": a.analysis_id,
        "NetworkInsightsAnalysisArn": a.arn,
        "NetworkInsightsPathId": a.path_id,
        "AdditionalAccounts": list(a.additional_accounts),
        "FilterInArns": list(a.filter_in_arns),
        "FilterOutArns": list(a.filter_out_arns),
        "StartDate": a.start_date,
        "Status": a.status.value,
        "Tags": tag_list(a.tags),
    }
    if a.status_message:
        out["StatusMessage"] = a.status_message
    if a.warning_message:
        out["WarningMessage"] = a.warning_message
    out.update(a.result)
    return out


# -- reading answers back (the remote client: the server's values as sent) -----------------


def _pair(node: Mapping[str, Any] | None) -> tuple[int, int] | None:
    return None if not node else (node["FromPort"], node["ToPort"])


def read_path_filter(node: Mapping[str, Any] | None) -> PathFilter | None:
    if not node:
        return None
    return PathFilter(
        node.get("SourceAddress"),
        _pair(node.get("SourcePortRange")),
        node.get("DestinationAddress"),
        _pair(node.get("DestinationPortRange")),
    )


def _tags(node: Mapping[str, Any]) -> tuple[tuple[str, str], ...]:
    return tuple((t["Key"], t.get("Value", "")) for t in node.get("Tags") or ())


def _owner_region(arn: str) -> tuple[str, str]:
    """(account, region) of an ARN ``arn:aws:ec2:<region>:<account>:…``."""
    parts = arn.split(":")
    return parts[4], parts[3]


def _date(value: Any) -> str:
    """boto3 parses timestamps to datetimes; the domain keeps ISO text."""
    if hasattr(value, "isoformat"):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    return str(value)


def read_path(node: Mapping[str, Any]) -> NetworkInsightsPath:
    account, region = _owner_region(node["NetworkInsightsPathArn"])
    return NetworkInsightsPath(
        path_id=node["NetworkInsightsPathId"],
        owner_id=account,
        region=region,
        created_date=_date(node["CreatedDate"]),
        source=node["Source"],
        protocol=node["Protocol"],
        destination=node.get("Destination"),
        source_ip=node.get("SourceIp"),
        destination_ip=node.get("DestinationIp"),
        destination_port=node.get("DestinationPort"),
        filter_at_source=read_path_filter(node.get("FilterAtSource")),
        filter_at_destination=read_path_filter(node.get("FilterAtDestination")),
        tags=_tags(node),
    )


def read_analysis(node: Mapping[str, Any]) -> NetworkInsightsAnalysis:
    account, region = _owner_region(node["NetworkInsightsAnalysisArn"])
    result = {k: node[k] for k in RESULT_MEMBERS if k in node}
    return NetworkInsightsAnalysis(
        analysis_id=node["NetworkInsightsAnalysisId"],
        path_id=node["NetworkInsightsPathId"],
        owner_id=account,
        region=region,
        start_date=_date(node["StartDate"]),
        status=AnalysisStatus(node["Status"]),
        findings=json.dumps(result) if result else "",
        status_message=node.get("StatusMessage"),
        warning_message=node.get("WarningMessage"),
        additional_accounts=tuple(node.get("AdditionalAccounts") or ()),
        filter_in_arns=tuple(node.get("FilterInArns") or ()),
        filter_out_arns=tuple(node.get("FilterOutArns") or ()),
        tags=_tags(node),
    )
