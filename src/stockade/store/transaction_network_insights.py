"""Reachability Analyzer's paths and analyses in the store (migration 0006).

Rows map to :mod:`stockade.domain.network_insights` here rather than in ``mapping.py``:
nothing else reads these tables, and the filters and the stored result are JSON text. Both
kinds are scoped (account, region) like every resource and take tags through the shared
tag table, so CreateTags/DescribeTags work on ``nip-``/``nia-`` ids unchanged.
"""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from sqlalchemy import Connection, select

from stockade.domain.network_insights import (
    AnalysisStatus,
    NetworkInsightsAnalysis,
    NetworkInsightsPath,
    PathFilter,
)
from stockade.store import loaders
from stockade.store import schema as s
from stockade.store.loaders import Where
from stockade.store.mapping import AnyRow, TagIndex
from stockade.store.transaction_core import TransactionCore

_P, _A = s.network_insights_paths, s.network_insights_analyses


def _filter_text(given: PathFilter | None) -> str | None:
    return None if given is None else json.dumps(asdict(given))


def _filter_from(text: str | None) -> PathFilter | None:
    if text is None:
        return None
    values: dict[str, Any] = json.loads(text)
    for key in ("source_ports", "destination_ports"):
        if values.get(key) is not None:
            values[key] = tuple(values[key])
    return PathFilter(**values)


def path_values(path: NetworkInsightsPath) -> dict[str, Any]:
    return {
        "path_id": path.path_id,
        "account": path.owner_id,
        "region": path.region,
        "created_date": path.created_date,
        "source": path.source,
        "destination": path.destination,
        "source_ip": path.source_ip,
        "destination_ip": path.destination_ip,
        "protocol": path.protocol,
        "destination_port": path.destination_port,
        "filter_at_source": _filter_text(path.filter_at_source),
        "filter_at_destination": _filter_text(path.filter_at_destination),
        "client_token": path.client_token,
    }


def path_from(row: AnyRow, tags: TagIndex) -> NetworkInsightsPath:
    return NetworkInsightsPath(
        path_id=row.path_id,
        owner_id=row.account,
        region=row.region,
        created_date=row.created_date,
        source=row.source,
        protocol=row.protocol,
        destination=row.destination,
        source_ip=row.source_ip,
        destination_ip=row.destination_ip,
        destination_port=row.destination_port,
        filter_at_source=_filter_from(row.filter_at_source),
        filter_at_destination=_filter_from(row.filter_at_destination),
        client_token=row.client_token,
        tags=tags.get(row.path_id, ()),
    )


def analysis_values(analysis: NetworkInsightsAnalysis) -> dict[str, Any]:
    return {
        "analysis_id": analysis.analysis_id,
        "account": analysis.owner_id,
        "region": analysis.region,
        "path_id": analysis.path_id,
        "start_date": analysis.start_date,
        "status": analysis.status.value,
        "status_message": analysis.status_message,
        "warning_message": analysis.warning_message,
        "findings": analysis.findings,
        "additional_accounts": json.dumps(list(analysis.additional_accounts)),
        "filter_in_arns": json.dumps(list(analysis.filter_in_arns)),
        "filter_out_arns": json.dumps(list(analysis.filter_out_arns)),
        "client_token": analysis.client_token,
    }


def analysis_from(row: AnyRow, tags: TagIndex) -> NetworkInsightsAnalysis:
    return NetworkInsightsAnalysis(
        analysis_id=row.analysis_id,
        path_id=row.path_id,
        owner_id=row.account,
        region=row.region,
        start_date=row.start_date,
        status=AnalysisStatus(row.status),
        findings=row.findings,
        status_message=row.status_message,
        warning_message=row.warning_message,
        additional_accounts=tuple(json.loads(row.additional_accounts)),
        filter_in_arns=tuple(json.loads(row.filter_in_arns)),
        filter_out_arns=tuple(json.loads(row.filter_out_arns)),
        client_token=row.client_token,
        tags=tags.get(row.analysis_id, ()),
    )


def load_paths(conn: Connection, where: Where) -> list[NetworkInsightsPath]:
    rows = conn.execute(select(_P).where(where).order_by(_P.c.seq)).all()
    tags = loaders.tags_where(conn, _P, where) if rows else {}
    return [path_from(row, tags) for row in rows]


def load_analyses(conn: Connection, where: Where) -> list[NetworkInsightsAnalysis]:
    rows = conn.execute(select(_A).where(where).order_by(_A.c.seq)).all()
    tags = loaders.tags_where(conn, _A, where) if rows else {}
    return [analysis_from(row, tags) for row in rows]


class NetworkInsightsRepository(TransactionCore):
    """The network-insights methods of :class:`stockade.store.transaction.SqlTransaction`."""

    def get_network_insights_path(self, path_id: str) -> NetworkInsightsPath | None:
        found = load_paths(self._c, self._matching(_P, path_id=path_id))
        return found[0] if found else None

    def list_network_insights_paths(self) -> list[NetworkInsightsPath]:
        return load_paths(self._c, self._in_scope(_P))

    def put_network_insights_path(self, path: NetworkInsightsPath) -> None:
        self._upsert(_P, [path_values(path)])

    def delete_network_insights_path(self, path_id: str) -> None:
        self._delete(_P, path_id)

    def get_network_insights_analysis(self, analysis_id: str) -> NetworkInsightsAnalysis | None:
        found = load_analyses(self._c, self._matching(_A, analysis_id=analysis_id))
        return found[0] if found else None

    def list_network_insights_analyses(
        self, path_id: str | None = None
    ) -> list[NetworkInsightsAnalysis]:
        return load_analyses(self._c, self._matching(_A, path_id=path_id))

    def put_network_insights_analysis(self, analysis: NetworkInsightsAnalysis) -> None:
        self._upsert(_A, [analysis_values(analysis)])

    def delete_network_insights_analysis(self, analysis_id: str) -> None:
        self._delete(_A, analysis_id)
