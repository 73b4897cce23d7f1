"""VPC Flow Logs in the store (migration 0008).

Rows map to :class:`stockade.domain.flow_log.FlowLog` here rather than in ``mapping.py``:
only the flow-log service and the data plane's coverage read this table. Flow logs are
scoped (account, region) and take tags through the shared tag table, so CreateTags and
DescribeTags work on ``fl-`` ids unchanged.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from stockade.domain.flow_log import FlowLog
from stockade.store import loaders
from stockade.store import schema as s
from stockade.store.loaders import Where
from stockade.store.mapping import AnyRow, TagIndex
from stockade.store.transaction_core import TransactionCore

_F = s.flow_logs
_COLUMNS = (
    "creation_time",
    "resource_id",
    "traffic_type",
    "log_destination_type",
    "log_destination",
    "log_group_name",
    "deliver_logs_permission_arn",
    "log_format",
    "max_aggregation_interval",
)


def flow_log_values(flow_log: FlowLog) -> dict[str, Any]:
    return {
        "flow_log_id": flow_log.flow_log_id,
        "account": flow_log.owner_id,
        "region": flow_log.region,
        **{name: getattr(flow_log, name) for name in _COLUMNS},
    }


def flow_log_from(row: AnyRow, tags: TagIndex) -> FlowLog:
    return FlowLog(
        flow_log_id=row.flow_log_id,
        owner_id=row.account,
        region=row.region,
        tags=tags.get(row.flow_log_id, ()),
        **{name: getattr(row, name) for name in _COLUMNS},
    )


def load_flow_logs(conn: Connection, where: Where) -> list[FlowLog]:
    rows = conn.execute(select(_F).where(where).order_by(_F.c.seq)).all()
    tags = loaders.tags_where(conn, _F, where) if rows else {}
    return [flow_log_from(row, tags) for row in rows]


class FlowLogRepository(TransactionCore):
    """The flow-log methods of :class:`stockade.store.transaction.SqlTransaction`."""

    def get_flow_log(self, flow_log_id: str) -> FlowLog | None:
        found = load_flow_logs(self._c, self._matching(_F, flow_log_id=flow_log_id))
        return found[0] if found else None

    def list_flow_logs(self) -> list[FlowLog]:
        return load_flow_logs(self._c, self._in_scope(_F))

    def put_flow_log(self, flow_log: FlowLog) -> None:
        self._upsert(_F, [flow_log_values(flow_log)])

    def delete_flow_log(self, flow_log_id: str) -> None:
        self._delete(_F, flow_log_id)
