"""VPC Flow Logs as a resource (``fl-``): what a flow log may be, checked with AWS's errors.

A flow log asks for records of one VPC's, subnet's or network interface's traffic
(``ACCEPT``, ``REJECT`` or ``ALL``). AWS delivers them to CloudWatch Logs, S3 or Firehose;
stockade delivers to none of those: the data plane writes the records of every interface a
flow log covers to its local files (``<state dir>/flowlogs/<vpc id>.log``, what
``stockade flowlogs`` shows and ``stockade flowlogs analyze`` reads). The destination is
checked and stored as given, and the flow log says it was not delivered there
(``DeliverLogsStatus`` ``FAILED``, :data:`NOT_DELIVERED`): a client that reads the flow log
back sees where AWS would have written and that nothing arrived.

Checks (AWS's, from the EC2 API reference): ``ResourceType`` one of VPC|Subnet|
NetworkInterface (AWS's transit-gateway kinds are not modelled: ``InvalidParameterValue``),
1–25 ``ResourceIds`` of that kind ([UNVERIFIED] the limit's error), ``TrafficType``
ACCEPT|REJECT|ALL and required for these kinds, ``LogDestinationType`` cloud-watch-logs
(the default)|s3|kinesis-data-firehose with the destination that type needs,
``MaxAggregationInterval`` 60|600, and a ``LogFormat`` of ``${field}`` names AWS knows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from stockade.domain import errors
from stockade.domain.flow_log_fields import DEFAULT_FIELDS, KNOWN_FIELDS
from stockade.domain.tags import Tags

RESOURCE_TYPES = {"VPC": "vpc", "Subnet": "subnet", "NetworkInterface": "eni"}
TRAFFIC_TYPES = ("ACCEPT", "REJECT", "ALL")
DESTINATION_TYPES = ("cloud-watch-logs", "s3", "kinesis-data-firehose")
INTERVALS = (60, 600)
#: How many resources one CreateFlowLogs call may name (the API reference's limit).
MAX_RESOURCE_IDS = 25
#: The default record format, version 2 (AWS's ``LogFormat`` when none is given).
DEFAULT_FORMAT = " ".join(f"${{{name}}}" for name in DEFAULT_FIELDS)
#: ``DeliverLogsErrorMessage`` of every flow log: stockade delivers to no AWS service.
NOT_DELIVERED = "Unknown error"
_FIELD = re.compile(r"\$\{([a-z0-9-]+)\}")


@dataclass(frozen=True)
class FlowLog:
    flow_log_id: str
    owner_id: str
    region: str
    creation_time: str
    resource_id: str
    traffic_type: str
    log_destination_type: str
    log_destination: str | None
    log_group_name: str | None
    deliver_logs_permission_arn: str | None
    log_format: str = DEFAULT_FORMAT
    max_aggregation_interval: int = 600
    tags: Tags = ()

    @property
    def logs(self) -> frozenset[str]:
        """The actions whose records this flow log asks for."""
        return (
            frozenset(("ACCEPT", "REJECT"))
            if self.traffic_type == "ALL"
            else frozenset((self.traffic_type,))
        )

    def same_configuration(self, other: FlowLog) -> bool:
        """AWS refuses a second flow log of one resource with the same traffic type and
        destination (``FlowLogAlreadyExists``)."""
        return (
            self.resource_id == other.resource_id
            and self.traffic_type == other.traffic_type
            and self.log_destination_type == other.log_destination_type
            and (self.log_destination or self.log_group_name)
            == (other.log_destination or other.log_group_name)
        )


@dataclass(frozen=True)
class Unsuccessful:
    """One resource (or flow log id) a call could not handle, and AWS's error for it."""

    resource_id: str
    code: str
    message: str


def check_resource_type(value: str | None) -> str:
    """The id prefix of the kind ``value`` names."""
    if value is None:
        raise errors.missing_parameter("ResourceType")
    if value not in RESOURCE_TYPES:
        raise errors.invalid_value(
            "ResourceType", value, f"Valid values are {', '.join(RESOURCE_TYPES)}."
        )
    return RESOURCE_TYPES[value]


def check_resource_ids(resource_ids: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    if not resource_ids:
        raise errors.missing_parameter("ResourceIds")
    if len(resource_ids) > MAX_RESOURCE_IDS:
        # [UNVERIFIED] the code and message AWS uses past 25 resources
        raise errors.invalid_parameter_value(
            f"Too many resource IDs: at most {MAX_RESOURCE_IDS} may be given."
        )
    return tuple(dict.fromkeys(resource_ids))


def check_traffic_type(value: str | None) -> str:
    if value is None:
        # [UNVERIFIED] AWS's code when a VPC/subnet/interface flow log has no TrafficType
        raise errors.missing_parameter("TrafficType")
    if value not in TRAFFIC_TYPES:
        raise errors.invalid_value(
            "TrafficType", value, f"Valid values are {', '.join(TRAFFIC_TYPES)}."
        )
    return value


def check_destination(
    kind: str | None, destination: str | None, group_name: str | None
) -> tuple[str, str | None, str | None]:
    """(type, destination ARN, log group name): CloudWatch Logs takes a group name or a
    log-group ARN (not both); S3 and Firehose take an ARN of their service."""
    kind = kind or "cloud-watch-logs"
    if kind not in DESTINATION_TYPES:
        raise errors.invalid_value(
            "LogDestinationType", kind, f"Valid values are {', '.join(DESTINATION_TYPES)}."
        )
    if kind == "cloud-watch-logs":
        if destination and group_name:
            raise errors.invalid_combination(
                "Please only provide LogGroupName or only provide LogDestination."
            )
        if not (destination or group_name):
            raise errors.missing_parameter("LogGroupName")
        if destination and not destination.startswith("arn:aws:logs:"):
            raise errors.invalid_value("LogDestination", destination, "It must be a log group ARN.")
        return kind, destination, group_name
    if group_name:
        raise errors.invalid_combination(
            f"LogGroupName cannot be given when LogDestinationType is {kind}."
        )
    if not destination:
        raise errors.missing_parameter("LogDestination")
    service = "s3" if kind == "s3" else "firehose"
    if not destination.startswith(f"arn:aws:{service}:"):
        raise errors.invalid_value(
            "LogDestination", destination, f"It must be an ARN of {service}."
        )
    return kind, destination, None


def check_interval(value: int | None) -> int:
    if value is None:
        return 600
    if value not in INTERVALS:
        raise errors.invalid_value("MaxAggregationInterval", value, "Valid values are 60 and 600.")
    return int(value)


def check_format(value: str | None) -> str:
    """The ``${field}`` list; each a field AWS knows, separated by spaces."""
    if value is None or value == "":
        return DEFAULT_FORMAT
    words = value.split()
    names = [_FIELD.fullmatch(word) for word in words]
    if not words or any(m is None for m in names):
        raise errors.invalid_value("LogFormat", value, "Fields must be written as ${field}.")
    unknown = [m.group(1) for m in names if m and m.group(1) not in KNOWN_FIELDS]
    if unknown:
        raise errors.invalid_value("LogFormat", value, f"Unknown fields: {', '.join(unknown)}.")
    return " ".join(words)


def coverage(
    flow_logs: Iterable[FlowLog], ports: Iterable[tuple[str, str, str]]
) -> dict[str, frozenset[str]]:
    """Interface id → the actions its records are written for, of every port ``(interface
    id, subnet id, VPC id)`` some flow log covers: its own, its subnet's or its VPC's (a
    subnet's or VPC's flow log covers interfaces created after it too, as AWS's does)."""
    by_resource: dict[str, frozenset[str]] = {}
    for flow_log in flow_logs:
        by_resource[flow_log.resource_id] = (
            by_resource.get(flow_log.resource_id, frozenset()) | flow_log.logs
        )
    out: dict[str, frozenset[str]] = {}
    for eni_id, subnet_id, vpc_id in ports:
        actions = frozenset[str]().union(
            *(by_resource.get(r, frozenset()) for r in (eni_id, subnet_id, vpc_id))
        )
        if actions:
            out[eni_id] = actions
    return out
