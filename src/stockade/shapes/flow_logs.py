"""EC2 shapes of VPC Flow Logs (``FlowLog``, ``UnsuccessfulItem``)."""

from __future__ import annotations

from typing import Any

from stockade.domain.flow_log import DEFAULT_FORMAT, NOT_DELIVERED, FlowLog, Unsuccessful
from stockade.shapes import tag_list
from stockade.shapes.fields import Node, Origin, timestamp


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


def read_flow_log(node: Node, origin: Origin) -> FlowLog:
    """A ``FlowLog`` shape back into the domain (the remote client's lenient read)."""
    return FlowLog(
        flow_log_id=node.text("FlowLogId"),
        owner_id=origin.account,
        region=origin.region,
        creation_time=timestamp(node, "CreationTime") or "",
        resource_id=node.text("ResourceId"),
        traffic_type=node.text("TrafficType"),
        log_destination_type=node.opt_text("LogDestinationType") or "cloud-watch-logs",
        log_destination=node.opt_text("LogDestination"),
        log_group_name=node.opt_text("LogGroupName"),
        deliver_logs_permission_arn=node.opt_text("DeliverLogsPermissionArn"),
        log_format=node.opt_text("LogFormat") or DEFAULT_FORMAT,
        max_aggregation_interval=node.opt_integer("MaxAggregationInterval") or 600,
        tags=node.tags(),
    )


def read_unsuccessful(node: Node) -> Unsuccessful:
    error = node.obj("Error")
    return Unsuccessful(node.text("ResourceId"), error.text("Code"), error.text("Message"))
