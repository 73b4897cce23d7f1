"""VPC Flow Log record fields (AWS facts): the default version-2 list and every known name.

One list for the writer (the data plane's flow logs) and the reader (the analyzer): both
import it from here, below them, so neither imports the other.
"""

from __future__ import annotations

#: The default format, version 2 (VPC user guide, "Flow log records").
DEFAULT_FIELDS = (
    "version",
    "account-id",
    "interface-id",
    "srcaddr",
    "dstaddr",
    "srcport",
    "dstport",
    "protocol",
    "packets",
    "bytes",
    "start",
    "end",
    "action",
    "log-status",
)
#: Every field a custom format may hold (versions 2–8), for recognising a header line.
KNOWN_FIELDS = frozenset(
    DEFAULT_FIELDS
    + (
        "vpc-id",
        "subnet-id",
        "instance-id",
        "tcp-flags",
        "type",
        "pkt-srcaddr",
        "pkt-dstaddr",
        "region",
        "az-id",
        "sublocation-type",
        "sublocation-id",
        "pkt-src-aws-service",
        "pkt-dst-aws-service",
        "flow-direction",
        "traffic-path",
        "ecs-cluster-arn",
        "ecs-cluster-name",
        "ecs-container-instance-arn",
        "ecs-container-instance-id",
        "ecs-container-id",
        "ecs-second-container-id",
        "ecs-service-name",
        "ecs-task-definition-arn",
        "ecs-task-arn",
        "ecs-task-id",
        "reject-reason",
    )
)
