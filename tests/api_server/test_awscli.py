"""The aws cli (v1, unchanged) against the server: shorthand options, errors, env config."""

from __future__ import annotations

from api_server.api_helpers import out


def test_security_group_flow_with_cli_shorthand(aws):
    vpc = out(aws("ec2", "create-vpc", "--cidr-block", "10.0.0.0/16"))["Vpc"]["VpcId"]
    gid = out(
        aws(
            "ec2",
            "create-security-group",
            "--group-name",
            "web",
            "--description",
            "web servers",
            "--vpc-id",
            vpc,
        )
    )["GroupId"]
    added = out(
        aws(
            "ec2",
            "authorize-security-group-ingress",
            "--group-id",
            gid,
            "--protocol",
            "tcp",
            "--port",
            "22-25",
            "--cidr",
            "203.0.113.0/24",
        )
    )
    [rule] = added["SecurityGroupRules"]
    assert (rule["FromPort"], rule["ToPort"], rule["CidrIpv4"]) == (22, 25, "203.0.113.0/24")
    out(
        aws(
            "ec2",
            "authorize-security-group-ingress",
            "--group-id",
            gid,
            "--ip-permissions",
            "IpProtocol=udp,FromPort=53,ToPort=53,IpRanges=[{CidrIp=10.0.0.0/8,Description=dns}]",
        )
    )
    groups = out(aws("ec2", "describe-security-groups", "--group-ids", gid))["SecurityGroups"]
    ports = sorted((p["IpProtocol"], p["FromPort"]) for p in groups[0]["IpPermissions"])
    assert ports == [("tcp", 22), ("udp", 53)]
    filtered = out(
        aws(
            "ec2",
            "describe-security-groups",
            "--filters",
            "Name=group-name,Values=w*",
            f"Name=vpc-id,Values={vpc}",
        )
    )
    assert [g["GroupId"] for g in filtered["SecurityGroups"]] == [gid]
    rules = out(
        aws("ec2", "describe-security-group-rules", "--filters", f"Name=group-id,Values={gid}")
    )["SecurityGroupRules"]
    assert len(rules) == 3
    aws(
        "ec2",
        "revoke-security-group-ingress",
        "--group-id",
        gid,
        "--protocol",
        "tcp",
        "--port",
        "22-25",
        "--cidr",
        "203.0.113.0/24",
    )
    aws("ec2", "delete-security-group", "--group-id", gid)


def test_cli_errors_print_the_aws_code(aws):
    result = aws("ec2", "delete-security-group", "--group-id", "sg-0123456789abcdef0", ok=False)
    assert result.returncode in (254, 255)
    assert (
        "An error occurred (InvalidGroup.NotFound) when calling the DeleteSecurityGroup "
        "operation: The security group 'sg-0123456789abcdef0' does not exist"
    ) in result.stderr
    dry = aws("ec2", "describe-vpcs", "--dry-run", ok=False)
    assert "(DryRunOperation)" in dry.stderr


def test_cli_pagination_and_sts(aws):
    for i in range(6):
        aws("ec2", "create-security-group", "--group-name", f"g{i}", "--description", "d")
    groups = out(aws("ec2", "describe-security-groups", "--page-size", "5"))["SecurityGroups"]
    assert len(groups) == 7
    identity = out(aws("sts", "get-caller-identity"))
    assert identity["Account"].isdigit() and len(identity["Account"]) == 12


def test_cli_endpoint_from_environment(aws, endpoint):
    result = aws(
        "ec2", "describe-regions", endpoint_url=False, extra_env={"AWS_ENDPOINT_URL_EC2": endpoint}
    )
    assert "us-east-1" in {r["RegionName"] for r in out(result)["Regions"]}


def test_cli_instances(aws):
    reservation = out(
        aws(
            "ec2",
            "run-instances",
            "--image-id",
            "ami-12345678",
            "--count",
            "1",
            "--instance-type",
            "t3.micro",
        )
    )
    iid = reservation["Instances"][0]["InstanceId"]
    described = out(aws("ec2", "describe-instances", "--instance-ids", iid))
    assert described["Reservations"][0]["Instances"][0]["State"]["Name"] == "running"
    aws("ec2", "terminate-instances", "--instance-ids", iid)
