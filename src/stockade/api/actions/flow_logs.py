"""VPC Flow Logs: CreateFlowLogs, DescribeFlowLogs, DeleteFlowLogs."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import tag_specs
from stockade.api.actions.describe import Aliases, page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.api.filters import filters_for
from stockade.service.flow_logs import FlowLogRequest
from stockade.shapes import flow_logs as shapes


@action("CreateFlowLogs")
def create_flow_logs(call: Call) -> dict[str, Any]:
    tags = tag_specs(call, accepted={"vpc-flow-log"}, default="vpc-flow-log")
    created, refused = call.services.flow_logs.create(
        FlowLogRequest(
            resource_type=call.get("ResourceType"),
            resource_ids=call.get("ResourceIds") or (),
            traffic_type=call.get("TrafficType"),
            log_destination_type=call.get("LogDestinationType"),
            log_destination=call.get("LogDestination"),
            log_group_name=call.get("LogGroupName"),
            deliver_logs_permission_arn=call.get("DeliverLogsPermissionArn"),
            log_format=call.get("LogFormat"),
            max_aggregation_interval=call.get("MaxAggregationInterval"),
            tags=tags.get("vpc-flow-log", ()),
        )
    )
    data: dict[str, Any] = {
        "FlowLogIds": [f.flow_log_id for f in created],
        "Unsuccessful": [shapes.unsuccessful(u) for u in refused],
    }
    if call.get("ClientToken"):
        data["ClientToken"] = call.get("ClientToken")
    return data


#: filter names the shape's keys do not spell
_ALIASES: Aliases = {"deliver-log-status": "DeliverLogsStatus"}


@action("DescribeFlowLogs")
def describe_flow_logs(call: Call) -> dict[str, Any]:
    """DescribeFlowLogs names its filters ``Filter`` (not ``Filters``)."""
    fs = filters_for(call.action, call.get("Filter"))
    found = call.services.flow_logs.describe(call.get("FlowLogIds") or ())
    selected = select(call, (shapes.flow_log(f) for f in found), _ALIASES, fs)
    items, token = page(call, selected, lambda s: s["FlowLogId"])
    return with_token({"FlowLogs": items}, token)


@action("DeleteFlowLogs")
def delete_flow_logs(call: Call) -> dict[str, Any]:
    refused = call.services.flow_logs.delete(call.get("FlowLogIds") or ())
    return {"Unsuccessful": [shapes.unsuccessful(u) for u in refused]}
