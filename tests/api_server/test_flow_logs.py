"""CreateFlowLogs / DescribeFlowLogs / DeleteFlowLogs through boto3 on a real server."""

from __future__ import annotations

import pytest

GROUP = "/stockade/flow-logs"
S3 = "arn:aws:s3:::example-flow-log-bucket"


def _create(ec2, resource_id: str, **extra):
    params = {
        "ResourceIds": [resource_id],
        "ResourceType": "VPC",
        "TrafficType": "ALL",
        "LogGroupName": GROUP,
        **extra,
    }
    return ec2.create_flow_logs(**params)


def test_created_flow_log_reads_back_with_defaults_and_tags(ec2, vpc_id):
    answer = _create(
        ec2,
        vpc_id,
        TagSpecifications=[
            {"ResourceType": "vpc-flow-log", "Tags": [{"Key": "team", "Value": "net"}]}
        ],
        ClientToken="token-1",
    )
    assert answer["Unsuccessful"] == [] and answer["ClientToken"] == "token-1"
    (flow_log_id,) = answer["FlowLogIds"]
    assert flow_log_id.startswith("fl-")
    (found,) = ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"]
    assert found["ResourceId"] == vpc_id
    assert found["TrafficType"] == "ALL"
    assert found["LogDestinationType"] == "cloud-watch-logs"
    assert found["LogGroupName"] == GROUP
    assert found["MaxAggregationInterval"] == 600
    assert found["LogFormat"].startswith("${version} ${account-id} ${interface-id}")
    assert found["FlowLogStatus"] == "ACTIVE"
    # stockade writes records locally and says it delivered nothing to CloudWatch Logs
    assert found["DeliverLogsStatus"] == "FAILED"
    assert found["Tags"] == [{"Key": "team", "Value": "net"}]
    tags = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [flow_log_id]}])["Tags"]
    assert [(t["Key"], t["ResourceType"]) for t in tags] == [("team", "vpc-flow-log")]


def test_describe_filters(ec2, vpc_id):
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    on_vpc = _create(ec2, vpc_id, TrafficType="REJECT")["FlowLogIds"][0]
    on_subnet = ec2.create_flow_logs(
        ResourceIds=[subnet],
        ResourceType="Subnet",
        TrafficType="ACCEPT",
        LogDestinationType="s3",
        LogDestination=S3,
        MaxAggregationInterval=60,
    )["FlowLogIds"][0]

    def ids(name: str, *values: str) -> list[str]:
        flow_logs = ec2.describe_flow_logs(Filter=[{"Name": name, "Values": list(values)}])
        return sorted(f["FlowLogId"] for f in flow_logs["FlowLogs"])

    assert ids("resource-id", vpc_id) == [on_vpc]
    assert ids("resource-id", subnet) == [on_subnet]
    assert ids("traffic-type", "REJECT") == [on_vpc]
    assert ids("log-destination-type", "s3") == [on_subnet]
    assert ids("flow-log-id", on_subnet) == [on_subnet]
    assert ids("log-group-name", GROUP) == [on_vpc]
    assert ids("deliver-log-status", "FAILED") == sorted([on_vpc, on_subnet])
    assert ids("deliver-log-status", "SUCCESS") == []
    (s3,) = ec2.describe_flow_logs(FlowLogIds=[on_subnet])["FlowLogs"]
    assert s3["LogDestination"] == S3 and s3["MaxAggregationInterval"] == 60
    assert "LogGroupName" not in s3


def test_tag_filters_and_interface_flow_logs(ec2, vpc_id):
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    eni = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    flow_log_id = ec2.create_flow_logs(
        ResourceIds=[eni],
        ResourceType="NetworkInterface",
        TrafficType="ALL",
        LogGroupName=GROUP,
        TagSpecifications=[
            {"ResourceType": "vpc-flow-log", "Tags": [{"Key": "env", "Value": "t"}]}
        ],
    )["FlowLogIds"][0]
    for name, values in (("tag:env", ["t"]), ("tag-key", ["env"])):
        found = ec2.describe_flow_logs(Filter=[{"Name": name, "Values": values}])["FlowLogs"]
        assert [f["FlowLogId"] for f in found] == [flow_log_id]


def test_same_configuration_twice_is_unsuccessful_and_others_are_created(ec2, vpc_id):
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    _create(ec2, vpc_id)
    answer = ec2.create_flow_logs(
        ResourceIds=[vpc_id, other], ResourceType="VPC", TrafficType="ALL", LogGroupName=GROUP
    )
    assert len(answer["FlowLogIds"]) == 1
    (item,) = answer["Unsuccessful"]
    assert item["ResourceId"] == vpc_id
    assert item["Error"]["Code"] == "FlowLogAlreadyExists"
    # another traffic type of the same resource is another configuration
    assert _create(ec2, vpc_id, TrafficType="REJECT")["Unsuccessful"] == []


def test_delete_removes_and_reports_unknown_ids(ec2, vpc_id):
    flow_log_id = _create(ec2, vpc_id)["FlowLogIds"][0]
    missing = "fl-0123456789abcdef0"
    answer = ec2.delete_flow_logs(FlowLogIds=[flow_log_id, missing])
    (item,) = answer["Unsuccessful"]
    assert item["ResourceId"] == missing
    assert item["Error"]["Code"] == "InvalidFlowLogId.NotFound"
    assert ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"] == []
    assert ec2.describe_flow_logs()["FlowLogs"] == []


@pytest.mark.parametrize(
    ("code", "params"),
    [
        ("InvalidParameterValue", {"TrafficType": "SOME"}),
        ("InvalidParameterValue", {"MaxAggregationInterval": 30}),
        ("InvalidParameterValue", {"LogFormat": "${version} ${no-such-field}"}),
        ("InvalidParameterValue", {"LogFormat": "version srcaddr"}),
        ("InvalidParameterValue", {"LogDestinationType": "local"}),
        ("InvalidParameterValue", {"ResourceType": "TransitGateway"}),
        ("InvalidParameterCombination", {"LogDestination": "arn:aws:logs:us-east-1:1:log-group:g"}),
        ("MissingParameter", {"LogGroupName": None}),
        ("MissingParameter", {"LogDestinationType": "s3", "LogGroupName": None}),
        ("InvalidParameterCombination", {"LogDestinationType": "s3", "LogDestination": S3}),
        ("InvalidVpcID.NotFound", {"ResourceIds": ["vpc-0123456789abcdef0"]}),
        ("InvalidSubnetID.Malformed", {"ResourceType": "Subnet"}),
    ],
)
def test_bad_input_is_aws_error_and_changes_nothing(ec2, vpc_id, rejected, code, params):
    base = {"ResourceIds": [vpc_id], "ResourceType": "VPC", "TrafficType": "ALL"}
    base["LogGroupName"] = GROUP
    merged = {**base, **params}
    rejected(code, ec2.create_flow_logs, **{k: v for k, v in merged.items() if v is not None})


def test_malformed_flow_log_id(ec2, rejected):
    rejected("InvalidFlowLogId.Malformed", ec2.delete_flow_logs, FlowLogIds=["fl-nope"])
    rejected("InvalidFlowLogId.Malformed", ec2.describe_flow_logs, FlowLogIds=["flow"])
    rejected(
        "InvalidParameterValue", ec2.describe_flow_logs, Filter=[{"Name": "nope", "Values": ["x"]}]
    )
