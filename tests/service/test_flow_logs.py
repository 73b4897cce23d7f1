"""Flow logs as resources: the service's rules, and which interfaces they cover."""

from __future__ import annotations

from dataclasses import replace

import pytest

from stockade.dataplane.flowlog_window import covered_lines
from stockade.domain.flow_log import DEFAULT_FORMAT, FlowLog, coverage
from stockade.service.bundle import Services
from stockade.service.flow_logs import MAX_PER_RESOURCE, FlowLogRequest, FlowLogService


@pytest.fixture
def vpc(ctx) -> str:
    return Services(ctx).network.create_vpc("10.0.0.0/16").vpc_id


def _request(resource_id: str, **changes) -> FlowLogRequest:
    base = FlowLogRequest("VPC", [resource_id], "ALL", log_group_name="g")
    return replace(base, **changes)


def test_create_stores_what_was_asked(ctx, vpc):
    created, refused = FlowLogService(ctx).create(
        _request(vpc, traffic_type="REJECT", max_aggregation_interval=60, tags=(("k", "v"),))
    )
    assert refused == []
    (flow_log,) = FlowLogService(ctx).describe()
    assert flow_log == created[0]
    assert flow_log.traffic_type == "REJECT" and flow_log.max_aggregation_interval == 60
    assert flow_log.log_format == DEFAULT_FORMAT and flow_log.tags == (("k", "v"),)


def test_a_missing_resource_fails_the_whole_call(ctx, vpc, rejected):
    other = "vpc-0123456789abcdef0"
    rejected(
        "InvalidVpcID.NotFound",
        FlowLogService(ctx).create,
        _request(vpc, resource_ids=[vpc, other]),
    )
    assert FlowLogService(ctx).describe() == []


def test_the_per_resource_limit(ctx, vpc):
    service = FlowLogService(ctx)
    for n in range(MAX_PER_RESOURCE):
        assert service.create(_request(vpc, log_group_name=f"g{n}"))[1] == []
    created, refused = service.create(_request(vpc, log_group_name="one-more"))
    assert created == [] and [u.code for u in refused] == ["FlowLogsLimitExceeded"]


def test_delete_needs_ids(ctx, rejected):
    rejected("MissingParameter", FlowLogService(ctx).delete, [])


def _flow_log(resource_id: str, traffic: str) -> FlowLog:
    return FlowLog(
        "fl-0123456789abcdef0", "1", "r", "t", resource_id, traffic, "s3", "arn", None, None
    )


def test_coverage_by_interface_subnet_and_vpc():
    ports = [
        ("eni-a", "subnet-1", "vpc-1"),
        ("eni-b", "subnet-2", "vpc-1"),
        ("eni-c", "subnet-3", "vpc-2"),
    ]
    logs = [
        _flow_log("subnet-1", "REJECT"),
        _flow_log("eni-a", "ACCEPT"),
        _flow_log("vpc-1", "REJECT"),
    ]
    assert coverage(logs, ports) == {
        "eni-a": frozenset({"ACCEPT", "REJECT"}),
        "eni-b": frozenset({"REJECT"}),
    }
    assert coverage([], ports) == {}


def test_covered_lines_keep_the_asked_actions_and_nodata():
    lines = [
        "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 40 0 1 ACCEPT OK\n",
        "2 1 eni-a 10.0.0.1 10.0.0.2 1 2 6 1 40 0 1 REJECT OK\n",
        "2 1 eni-b - - - - - - - 0 1 - NODATA\n",
        "2 1 eni-c 10.0.0.1 10.0.0.2 1 2 6 1 40 0 1 ACCEPT OK\n",
    ]
    wanted = {"eni-a": frozenset({"REJECT"}), "eni-b": frozenset({"ACCEPT"})}
    assert covered_lines(lines, wanted) == [lines[1], lines[2]]
