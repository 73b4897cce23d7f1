"""EC2 shapes of VPC Flow Logs (``FlowLog``, ``UnsuccessfulItem``)."""

from __future__ import annotations

from typing import Any

from stockade.domain.flow_log import NOT_DELIVERED, FlowLog, Unsuccessful
from stockade.shapes import tag_list


def flow_log(f: FlowLog) -> dict[str, Any]:
    """Every flow log is ``ACTIVE`` (the data plane writes its records locally) and says
    its destination was not delivered to: stockade sends nothing to CloudWatch Logs, S3 or
    Firehose."""
    shape: dict[str, Any] = {
        "CreationTime": f.creation_time,
        "DeliverLogsStatus": "FAILED",
        "DeliverLogsErrorMessage": NOT_DELIVERED,
        "FlowLogId": f.flow_log_id,
        "FlowLogStatus": "ACTIVE",
        "ResourceId": f.resource_id,
        "TrafficType": f.traffic_type,
        "LogDestinationType": f.log_destination_type,
        "LogFormat": f.log_format,
        "MaxAggregationInterval": f.max_aggregation_interval,
        "Tags": tag_list(f.tags),
    }
    optional = {
        "LogDestination": f.log_destination,
        "LogGroupName": f.log_group_name,
        "DeliverLogsPermissionArn": f.deliver_logs_permission_arn,
    }
    shape.update({key: value for key, value in optional.items() if value is not None})
    return shape


def unsuccessful(item: Unsuccessful) -> dict[str, Any]:
    return {"Error": {"Code": item.code, "Message": item.message}, "ResourceId": item.resource_id}
