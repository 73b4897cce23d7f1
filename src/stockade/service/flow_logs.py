"""VPC Flow Logs: CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs.

A flow log is a stored resource; the data plane's agent reads this scope's flow logs and
writes records only for the interfaces they cover (a VPC's or a subnet's flow log covers
its interfaces, present and future), only of the actions asked for — as AWS, which logs
nothing without a flow log. What is checked and why the destination is only stored is in
:mod:`stockade.domain.flow_log`.

Create checks every parameter, then that every resource exists (its kind's ``NotFound``:
the call changes nothing); a resource that already has a flow log of the same traffic type
and destination is reported in ``Unsuccessful`` with ``FlowLogAlreadyExists`` while the
others are created, as AWS does. Delete reports an unknown id in ``Unsuccessful``
(``InvalidFlowLogId.NotFound``) and deletes the others ([UNVERIFIED]: moto raises instead);
a malformed id fails the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from stockade.domain import errors, ids
from stockade.domain.flow_log import (
    FlowLog,
    Unsuccessful,
    check_destination,
    check_format,
    check_interval,
    check_resource_ids,
    check_resource_type,
    check_traffic_type,
)
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.service.contracts import FlowLogRequest
from stockade.service.network_insights import now
from stockade.service.tags import tag_new
from stockade.store.repository import Transaction

#: Flow logs per resource (AWS's quota, not adjustable; the error code is [UNVERIFIED]).
MAX_PER_RESOURCE = 25
_ALREADY = "Error. There is an existing Flow Log with the same configuration and log destination."


_LOOKUP = {"vpc": lookups.vpc, "subnet": lookups.subnet, "eni": lookups.interface}


def _exists(tx: Transaction, prefix: str, resource_id: str) -> None:
    if ids.kind_of(resource_id) != prefix:
        # a VPC id given with ResourceType Subnet is malformed for that type
        raise errors.malformed_id(prefix, resource_id)
    _LOOKUP[prefix](tx, resource_id)


class FlowLogService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def create(self, request: FlowLogRequest) -> tuple[list[FlowLog], list[Unsuccessful]]:
        prefix = check_resource_type(request.resource_type)
        resource_ids = check_resource_ids(tuple(request.resource_ids))
        traffic = check_traffic_type(request.traffic_type)
        kind, destination, group = check_destination(
            request.log_destination_type, request.log_destination, request.log_group_name
        )
        interval = check_interval(request.max_aggregation_interval)
        log_format = check_format(request.log_format)
        created: list[FlowLog] = []
        refused: list[Unsuccessful] = []
        with self.ctx.write() as tx:
            for resource_id in resource_ids:
                _exists(tx, prefix, resource_id)
            existing = tx.list_flow_logs()
            stamp = now()
            for resource_id in resource_ids:
                flow_log = FlowLog(
                    ids.new_id("fl"),
                    tx.scope.account,
                    tx.scope.region,
                    stamp,
                    resource_id,
                    traffic,
                    kind,
                    destination,
                    group,
                    request.deliver_logs_permission_arn,
                    log_format,
                    interval,
                )
                if any(flow_log.same_configuration(f) for f in existing):
                    refused.append(Unsuccessful(resource_id, "FlowLogAlreadyExists", _ALREADY))
                    continue
                if sum(f.resource_id == resource_id for f in existing) >= MAX_PER_RESOURCE:
                    refused.append(
                        Unsuccessful(
                            resource_id,
                            "FlowLogsLimitExceeded",
                            f"You have reached the limit of {MAX_PER_RESOURCE} flow logs "
                            f"for resource {resource_id}.",
                        )
                    )
                    continue
                tx.put_flow_log(flow_log)
                existing.append(flow_log)
                created.append(flow_log)
            tags = tag_new(tx, [f.flow_log_id for f in created], request.tags)
        return [replace(f, tags=tags) for f in created], refused

    def describe(self, flow_log_ids: Sequence[str] = ()) -> list[FlowLog]:
        """This scope's flow logs; named ids that do not exist are left out (AWS answers an
        empty list for them, [UNVERIFIED]); a malformed one is ``InvalidFlowLogId.Malformed``."""
        for flow_log_id in flow_log_ids:
            ids.check("fl", flow_log_id)
        with self.ctx.read() as tx:
            found = tx.list_flow_logs()
        if flow_log_ids:
            wanted = set(flow_log_ids)
            found = [f for f in found if f.flow_log_id in wanted]
        return found

    def delete(self, flow_log_ids: Sequence[str]) -> list[Unsuccessful]:
        if not flow_log_ids:
            raise errors.missing_parameter("FlowLogIds")
        for flow_log_id in flow_log_ids:
            ids.check("fl", flow_log_id)
        refused: list[Unsuccessful] = []
        with self.ctx.write() as tx:
            for flow_log_id in dict.fromkeys(flow_log_ids):
                if tx.get_flow_log(flow_log_id) is None:
                    refused.append(
                        Unsuccessful(
                            flow_log_id,
                            "InvalidFlowLogId.NotFound",
                            "These flow log ids in the input list are not found: "
                            f"[TotalCount: 1] {flow_log_id}",
                        )
                    )
                    continue
                tx.delete_flow_log(flow_log_id)
        return refused
