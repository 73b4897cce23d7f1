"""VPC Flow Logs (the resources) through a stockade server."""

from __future__ import annotations

from collections.abc import Sequence

from stockade.domain.flow_log import FlowLog, Unsuccessful
from stockade.remote.client import Remote
from stockade.service.contracts import FlowLogRequest
from stockade.shapes import flow_logs as shapes
from stockade.shapes import tag_list


class RemoteFlowLogService(Remote):
    """:class:`stockade.service.flow_logs.FlowLogService`, over the EC2 API."""

    def create(self, request: FlowLogRequest) -> tuple[list[FlowLog], list[Unsuccessful]]:
        tags = [{"ResourceType": "vpc-flow-log", "Tags": tag_list(request.tags)}]
        answer = self.call(
            "create_flow_logs",
            ResourceType=request.resource_type,
            ResourceIds=list(request.resource_ids),
            TrafficType=request.traffic_type,
            LogDestinationType=request.log_destination_type,
            LogDestination=request.log_destination,
            LogGroupName=request.log_group_name,
            DeliverLogsPermissionArn=request.deliver_logs_permission_arn,
            LogFormat=request.log_format,
            MaxAggregationInterval=request.max_aggregation_interval,
            TagSpecifications=tags if request.tags else None,
        )
        refused = self._unsuccessful(answer, "create_flow_logs")
        created = answer.get("FlowLogIds") or []
        return (self.describe(created) if created else []), refused

    def describe(self, flow_log_ids: Sequence[str] = ()) -> list[FlowLog]:
        found = self.pages("describe_flow_logs", "FlowLogs", FlowLogIds=list(flow_log_ids) or None)
        node = self.read({"FlowLogs": list(found)}, "describe_flow_logs")
        return [shapes.read_flow_log(item, self.origin) for item in node.items("FlowLogs")]

    def delete(self, flow_log_ids: Sequence[str]) -> list[Unsuccessful]:
        answer = self.call("delete_flow_logs", FlowLogIds=list(flow_log_ids))
        return self._unsuccessful(answer, "delete_flow_logs")

    def _unsuccessful(self, answer: dict, operation: str) -> list[Unsuccessful]:
        node = self.read({"Unsuccessful": answer.get("Unsuccessful") or []}, operation)
        return [shapes.read_unsuccessful(item) for item in node.items("Unsuccessful")]
