"""Reachability Analyzer's API through boto3 on a real loopback server, on real state."""

from __future__ import annotations

import botocore.waiter
import pytest
from api_server.api_helpers import client, out

INTERNET_HOST = "198.51.100.1"  # what an internet-gateway end stands for (documented)


@pytest.fixture
def world(ec2, vpc_id):
    """A client instance in one subnet, a web instance (public IP) in another, of a VPC
    whose main table routes 0.0.0.0/0 to its internet gateway. The web group allows tcp/80
    from anywhere and tcp/443 from the client's subnet only."""
    [igw] = ec2.describe_internet_gateways(
        Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}]
    )["InternetGateways"]
    igw_id = igw["InternetGatewayId"]
    [main] = ec2.describe_route_tables(
        Filters=[
            {"Name": "vpc-id", "Values": [vpc_id]},
            {"Name": "association.main", "Values": ["true"]},
        ]
    )["RouteTables"]
    ec2.create_route(
        RouteTableId=main["RouteTableId"], DestinationCidrBlock="0.0.0.0/0", GatewayId=igw_id
    )
    subnet_a = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    subnet_b = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    client_sg = ec2.create_security_group(GroupName="client", Description="c", VpcId=vpc_id)[
        "GroupId"
    ]
    web_sg = ec2.create_security_group(GroupName="web", Description="w", VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=web_sg,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 80,
                "ToPort": 80,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            },
            {
                "IpProtocol": "tcp",
                "FromPort": 443,
                "ToPort": 443,
                "IpRanges": [{"CidrIp": "10.0.1.0/24"}],
            },
        ],
    )

    def launch(subnet: str, group: str, public: bool) -> dict:
        [instance] = ec2.run_instances(
            ImageId="ami-1",
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[
                {
                    "DeviceIndex": 0,
                    "SubnetId": subnet,
                    "Groups": [group],
                    "AssociatePublicIpAddress": public,
                }
            ],
        )["Instances"]
        return instance

    web = launch(subnet_b, web_sg, True)
    client_instance = launch(subnet_a, client_sg, False)
    return {
        "vpc": vpc_id,
        "igw": igw_id,
        "main": main["RouteTableId"],
        "client": client_instance["InstanceId"],
        "client_eni": client_instance["NetworkInterfaces"][0]["NetworkInterfaceId"],
        "client_ip": client_instance["PrivateIpAddress"],
        "client_sg": client_sg,
        "web": web["InstanceId"],
        "web_eni": web["NetworkInterfaces"][0]["NetworkInterfaceId"],
        "web_sg": web_sg,
        "subnet_a": subnet_a,
        "subnet_b": subnet_b,
    }


#: What Terraform's provider polls for (``aws_ec2_network_insights_analysis``: Status until
#: ``succeeded``, error on ``failed``) as a botocore waiter; botocore ships none for it.
_SUCCEEDED = {
    "version": 2,
    "waiters": {
        "NetworkInsightsAnalysisSucceeded": {
            "operation": "DescribeNetworkInsightsAnalyses",
            "delay": 1,
            "maxAttempts": 1,
            "acceptors": [
                {
                    "matcher": "pathAll",
                    "argument": "NetworkInsightsAnalyses[].Status",
                    "expected": "succeeded",
                    "state": "success",
                },
                {
                    "matcher": "pathAny",
                    "argument": "NetworkInsightsAnalyses[].Status",
                    "expected": "failed",
                    "state": "failure",
                },
            ],
        }
    },
}


def succeeded_waiter(ec2):
    model = botocore.waiter.WaiterModel(_SUCCEEDED)
    return botocore.waiter.create_waiter_with_client("NetworkInsightsAnalysisSucceeded", model, ec2)


def _analyse(ec2, **path) -> dict:
    """Create the path, start an analysis, wait for it as boto3 does, and return it."""
    path_id = ec2.create_network_insights_path(**path)["NetworkInsightsPath"][
        "NetworkInsightsPathId"
    ]
    started = ec2.start_network_insights_analysis(NetworkInsightsPathId=path_id)[
        "NetworkInsightsAnalysis"
    ]
    assert started["Status"] == "running"
    succeeded_waiter(ec2).wait(
        NetworkInsightsAnalysisIds=[started["NetworkInsightsAnalysisId"]],
        WaiterConfig={"Delay": 1, "MaxAttempts": 1},  # the first poll must see it done
    )
    [done] = ec2.describe_network_insights_analyses(
        NetworkInsightsAnalysisIds=[started["NetworkInsightsAnalysisId"]]
    )["NetworkInsightsAnalyses"]
    return done


def _ids(components: list[dict]) -> list[str]:
    return [c["Component"]["Id"] for c in components]


def _without_acls(components: list[dict]) -> list[str]:
    return [i for i in _ids(components) if not i.startswith("acl-")]


def test_allowed_path_lists_its_components_in_packet_order(ec2, world):
    done = _analyse(
        ec2,
        Source=world["client"],
        Destination=world["web"],
        Protocol="tcp",
        DestinationPort=443,
    )
    assert done["Status"] == "succeeded" and done["NetworkPathFound"] is True
    assert "Explanations" not in done or done["Explanations"] == []
    forward = done["ForwardPathComponents"]
    assert [c["SequenceNumber"] for c in forward] == list(range(1, len(forward) + 1))
    assert _without_acls(forward) == [
        world["client"],
        world["client_eni"],
        world["client_sg"],
        world["main"],
        world["web_sg"],
        world["web_eni"],
        world["web"],
    ]
    egress_rule = forward[2]["SecurityGroupRule"]
    assert egress_rule == {
        "Direction": "egress",
        "SecurityGroupId": world["client_sg"],
        "Protocol": "all",
        "Cidr": "0.0.0.0/0",
    }
    route = forward[_ids(forward).index(world["main"])]
    assert route["RouteTableRoute"] == {
        "DestinationCidr": "10.0.0.0/16",
        "GatewayId": "local",
        "Origin": "createroutetable",
        "State": "active",
    }
    ingress = forward[_ids(forward).index(world["web_sg"])]["SecurityGroupRule"]
    assert ingress == {
        "Direction": "ingress",
        "SecurityGroupId": world["web_sg"],
        "Protocol": "tcp",
        "Cidr": "10.0.1.0/24",
        "PortRange": {"From": 443, "To": 443},
    }
    assert (
        forward[0]["Subnet"]["Id"] == world["subnet_a"] and forward[0]["Vpc"]["Id"] == world["vpc"]
    )
    header = forward[0]["OutboundHeader"]
    assert header["SourceAddresses"] == [world["client_ip"]]
    assert header["DestinationPortRanges"] == [{"From": 443, "To": 443}]
    assert forward[0]["Component"]["Arn"].endswith(f":instance/{world['client']}")
    # the reply: groups pass it by connection tracking; it ends at the client
    back = _without_acls(done["ReturnPathComponents"])
    assert back[:2] == [world["web"], world["web_eni"]]
    assert back[-2:] == [world["client_eni"], world["client"]]
    # ACL crossings (when the engine reports them) sit between the two groups
    ids = _ids(forward)
    for position, component in enumerate(ids):
        if component.startswith("acl-"):
            assert ids.index(world["client_sg"]) < position < ids.index(world["web_sg"])


def test_security_group_denial_is_eni_sg_rules_mismatch_with_the_fix(ec2, world):
    done = _analyse(
        ec2, Source=world["client"], Destination=world["web"], Protocol="tcp", DestinationPort=22
    )
    assert done["NetworkPathFound"] is False
    assert done.get("ForwardPathComponents", []) == []
    [explanation] = done["Explanations"]
    assert explanation["ExplanationCode"] == "ENI_SG_RULES_MISMATCH"
    assert explanation["Direction"] == "ingress"
    assert explanation["NetworkInterface"]["Id"] == world["web_eni"]
    assert [g["Id"] for g in explanation["SecurityGroups"]] == [world["web_sg"]]
    assert explanation["SecurityGroups"][0]["Name"] == "web"
    assert explanation["PacketField"] == "destination-port"
    assert explanation["Port"] == 22 and explanation["Protocols"] == ["tcp"]
    fixes = {t["Key"]: t["Value"] for t in done["Tags"]}
    assert fixes["stockade:fix:1"].startswith(
        f"add inbound tcp/22 from {world['client_ip']}/32 to {world['web_sg']}"
    )


def test_from_the_internet_through_the_gateway(ec2, world):
    allowed = _analyse(
        ec2, Source=world["igw"], Destination=world["web"], Protocol="tcp", DestinationPort=80
    )
    assert allowed["NetworkPathFound"] is True
    forward = allowed["ForwardPathComponents"]
    assert _ids(forward)[0] == world["igw"]
    assert forward[0]["OutboundHeader"]["SourceAddresses"] == [INTERNET_HOST]
    assert _without_acls(forward)[-3:] == [world["web_sg"], world["web_eni"], world["web"]]
    back = _without_acls(allowed["ReturnPathComponents"])
    assert back[:2] == [world["web"], world["web_eni"]]
    assert back[-2:] == [world["main"], world["igw"]]
    # 443 is open to the client's subnet only: the address is what no rule matches
    denied = _analyse(
        ec2,
        Source=world["igw"],
        Destination=world["web"],
        Protocol="tcp",
        DestinationPort=443,
        SourceIp="203.0.113.9",
    )
    assert denied["NetworkPathFound"] is False
    [explanation] = denied["Explanations"]
    assert explanation["ExplanationCode"] == "ENI_SG_RULES_MISMATCH"
    assert explanation["PacketField"] == "source-address"


def test_no_route_to_the_destination(ec2, world):
    ec2.delete_route(RouteTableId=world["main"], DestinationCidrBlock="0.0.0.0/0")
    done = _analyse(
        ec2,
        Source=world["client"],
        DestinationIp="203.0.113.50",
        Protocol="udp",
        DestinationPort=53,
    )
    assert done["NetworkPathFound"] is False
    codes = {e["ExplanationCode"]: e for e in done["Explanations"]}
    no_route = codes["NO_ROUTE_TO_DESTINATION"]
    assert no_route["RouteTable"]["Id"] == world["main"]
    assert no_route["Subnet"]["Id"] == world["subnet_a"]


def test_a_port_range_filter_finds_the_open_port(ec2, world):
    done = _analyse(
        ec2,
        Source=world["client"],
        Destination=world["web"],
        Protocol="tcp",
        FilterAtSource={"DestinationPortRange": {"FromPort": 400, "ToPort": 500}},
    )
    assert done["NetworkPathFound"] is True
    header = done["ForwardPathComponents"][0]["OutboundHeader"]
    assert header["DestinationPortRanges"] == [{"From": 443, "To": 443}]
    closed = _analyse(
        ec2,
        Source=world["client"],
        Destination=world["web"],
        Protocol="tcp",
        FilterAtSource={"DestinationPortRange": {"FromPort": 1000, "ToPort": 2000}},
    )
    assert closed["NetworkPathFound"] is False


def test_paths_describe_filter_paginate_and_delete(ec2, world):
    made = []
    for port in range(7):
        made.append(
            ec2.create_network_insights_path(
                Source=world["client"],
                Destination=world["web"],
                Protocol="udp" if port % 2 else "tcp",
                DestinationPort=1000 + port,
                TagSpecifications=[
                    {
                        "ResourceType": "network-insights-path",
                        "Tags": [{"Key": "n", "Value": str(port)}],
                    }
                ],
            )["NetworkInsightsPath"]
        )
    first = made[0]
    assert first["NetworkInsightsPathId"].startswith("nip-")
    assert first["NetworkInsightsPathArn"].endswith(
        f":network-insights-path/{first['NetworkInsightsPathId']}"
    )
    assert first["SourceArn"].endswith(f":instance/{world['client']}")
    assert first["Tags"] == [{"Key": "n", "Value": "0"}]
    pages = ec2.get_paginator("describe_network_insights_paths").paginate(
        PaginationConfig={"PageSize": 3}
    )
    sizes, seen = [], []
    for page in pages:
        sizes.append(len(page["NetworkInsightsPaths"]))
        seen += [p["NetworkInsightsPathId"] for p in page["NetworkInsightsPaths"]]
    assert sizes == [3, 3, 1] and sorted(seen) == sorted(p["NetworkInsightsPathId"] for p in made)

    def found(*filters: tuple[str, str]) -> set[str]:
        answer = ec2.describe_network_insights_paths(
            Filters=[{"Name": n, "Values": [v]} for n, v in filters]
        )["NetworkInsightsPaths"]
        return {p["NetworkInsightsPathId"] for p in answer}

    udp = {p["NetworkInsightsPathId"] for p in made if p["Protocol"] == "udp"}
    assert found(("protocol", "udp")) == udp
    assert found(("source", world["client"]), ("destination", world["web"])) == set(seen)
    assert found(("source", world["web"])) == set()
    filtered = ec2.create_network_insights_path(
        Source=world["igw"],
        Destination=world["web"],
        Protocol="tcp",
        FilterAtSource={
            "SourceAddress": "203.0.113.7",
            "DestinationPortRange": {"FromPort": 80, "ToPort": 80},
        },
    )["NetworkInsightsPath"]
    assert filtered["FilterAtSource"] == {
        "SourceAddress": "203.0.113.7",
        "DestinationPortRange": {"FromPort": 80, "ToPort": 80},
    }
    assert found(("filter-at-source.source-address", "203.0.113.7")) == {
        filtered["NetworkInsightsPathId"]
    }
    assert found(("filter-at-source.destination-port-range", "80-80")) == {
        filtered["NetworkInsightsPathId"]
    }
    deleted = ec2.delete_network_insights_path(NetworkInsightsPathId=first["NetworkInsightsPathId"])
    assert deleted["NetworkInsightsPathId"] == first["NetworkInsightsPathId"]
    assert first["NetworkInsightsPathId"] not in found(("protocol", "tcp"))


def test_analyses_describe_filter_paginate_tags_and_delete(ec2, world, rejected):
    path_id = ec2.create_network_insights_path(
        Source=world["client"], Destination=world["web"], Protocol="tcp", DestinationPort=443
    )["NetworkInsightsPath"]["NetworkInsightsPathId"]
    denied_path = ec2.create_network_insights_path(
        Source=world["client"], Destination=world["web"], Protocol="tcp", DestinationPort=22
    )["NetworkInsightsPath"]["NetworkInsightsPathId"]
    started = [
        ec2.start_network_insights_analysis(
            NetworkInsightsPathId=path_id,
            TagSpecifications=[
                {
                    "ResourceType": "network-insights-analysis",
                    "Tags": [{"Key": "run", "Value": str(n)}],
                }
            ],
        )["NetworkInsightsAnalysis"]
        for n in range(4)
    ]
    denied = ec2.start_network_insights_analysis(NetworkInsightsPathId=denied_path)[
        "NetworkInsightsAnalysis"
    ]
    assert started[0]["NetworkInsightsAnalysisId"].startswith("nia-")
    assert started[0]["NetworkInsightsAnalysisArn"].endswith(
        f":network-insights-analysis/{started[0]['NetworkInsightsAnalysisId']}"
    )
    assert started[0]["Tags"] == [{"Key": "run", "Value": "0"}]
    of_path = ec2.describe_network_insights_analyses(NetworkInsightsPathId=path_id)[
        "NetworkInsightsAnalyses"
    ]
    assert sorted(a["NetworkInsightsAnalysisId"] for a in of_path) == sorted(
        a["NetworkInsightsAnalysisId"] for a in started
    )
    assert {a["Status"] for a in of_path} == {"succeeded"}
    pages = ec2.get_paginator("describe_network_insights_analyses").paginate(
        PaginationConfig={"PageSize": 2}
    )
    assert [len(p["NetworkInsightsAnalyses"]) for p in pages] == [2, 2, 1]

    def found(name: str, value: str) -> set[str]:
        answer = ec2.describe_network_insights_analyses(Filters=[{"Name": name, "Values": [value]}])
        return {a["NetworkInsightsAnalysisId"] for a in answer["NetworkInsightsAnalyses"]}

    assert found("path-found", "false") == {denied["NetworkInsightsAnalysisId"]}
    assert len(found("path-found", "true")) == 4
    assert len(found("status", "succeeded")) == 5 and found("status", "running") == set()
    # the time window: everything started before now, nothing after
    later = ec2.describe_network_insights_analyses(AnalysisStartTime="2999-01-01T00:00:00Z")
    assert later["NetworkInsightsAnalyses"] == []
    # tags through the shared machinery
    target = started[1]["NetworkInsightsAnalysisId"]
    ec2.create_tags(Resources=[target, path_id], Tags=[{"Key": "team", "Value": "net"}])
    tags = ec2.describe_tags(Filters=[{"Name": "key", "Values": ["team"]}])["Tags"]
    assert {(t["ResourceId"], t["ResourceType"]) for t in tags} == {
        (target, "network-insights-analysis"),
        (path_id, "network-insights-path"),
    }
    ec2.delete_tags(Resources=[target], Tags=[{"Key": "team"}])
    [again] = ec2.describe_network_insights_analyses(NetworkInsightsAnalysisIds=[target])[
        "NetworkInsightsAnalyses"
    ]
    assert {"Key": "team", "Value": "net"} not in again["Tags"]
    # a path with analyses is not deletable; without them it is
    rejected(
        "AnalysisExistsForNetworkInsightsPath",
        ec2.delete_network_insights_path,
        NetworkInsightsPathId=path_id,
    )
    for analysis in started:
        gone = ec2.delete_network_insights_analysis(
            NetworkInsightsAnalysisId=analysis["NetworkInsightsAnalysisId"]
        )
        assert gone["NetworkInsightsAnalysisId"] == analysis["NetworkInsightsAnalysisId"]
    ec2.delete_network_insights_path(NetworkInsightsPathId=path_id)
    rejected(
        "InvalidNetworkInsightsPathId.NotFound",
        ec2.describe_network_insights_paths,
        NetworkInsightsPathIds=[path_id],
    )


def test_client_token_makes_create_and_start_idempotent(ec2, world):
    params = dict(Source=world["client"], Destination=world["web"], Protocol="tcp")
    one = ec2.create_network_insights_path(ClientToken="token-1", DestinationPort=80, **params)
    two = ec2.create_network_insights_path(ClientToken="token-1", DestinationPort=80, **params)
    path_id = one["NetworkInsightsPath"]["NetworkInsightsPathId"]
    assert two["NetworkInsightsPath"]["NetworkInsightsPathId"] == path_id
    first = ec2.start_network_insights_analysis(NetworkInsightsPathId=path_id, ClientToken="t")
    second = ec2.start_network_insights_analysis(NetworkInsightsPathId=path_id, ClientToken="t")
    assert (
        first["NetworkInsightsAnalysis"]["NetworkInsightsAnalysisId"]
        == second["NetworkInsightsAnalysis"]["NetworkInsightsAnalysisId"]
    )
    assert (
        len(
            ec2.describe_network_insights_analyses(NetworkInsightsPathId=path_id)[
                "NetworkInsightsAnalyses"
            ]
        )
        == 1
    )


def test_errors(endpoint, account, ec2, world, rejected):
    raw = client(endpoint, account, parameter_validation=False)
    ok = dict(Source=world["client"], Destination=world["web"], ClientToken="x")
    rejected(
        "MissingParameter",
        raw.create_network_insights_path,
        Destination=world["web"],
        Protocol="tcp",
        ClientToken="y",
    )
    rejected(
        "MissingParameter",
        raw.create_network_insights_path,
        Source=world["client"],
        Destination=world["web"],
        ClientToken="y",
    )
    rejected(
        "MissingParameter", ec2.create_network_insights_path, Source=world["client"], Protocol="tcp"
    )
    rejected("InvalidParameterValue", ec2.create_network_insights_path, Protocol="icmp", **ok)
    rejected(
        "InvalidParameterValue",
        ec2.create_network_insights_path,
        Protocol="tcp",
        Source=world["vpc"],
        Destination=world["web"],
    )
    rejected(
        "InvalidParameterValue",
        ec2.create_network_insights_path,
        Protocol="tcp",
        SourceIp="2001:db8::1",
        **ok,
    )
    rejected(
        "InvalidParameterValue",
        raw.create_network_insights_path,
        Protocol="tcp",
        DestinationPort=70000,
        **ok,
    )
    rejected(
        "InvalidParameterValue",
        ec2.create_network_insights_path,
        Protocol="tcp",
        Source=world["igw"],
        Destination=world["igw"],
    )
    rejected(
        "InvalidParameterValue",
        ec2.create_network_insights_path,
        Protocol="tcp",
        FilterAtSource={"DestinationPortRange": {"FromPort": 90, "ToPort": 80}},
        **ok,
    )
    rejected(
        "InvalidParameterCombination",
        ec2.create_network_insights_path,
        Protocol="tcp",
        SourceIp="10.0.1.9",
        FilterAtSource={"SourceAddress": "10.0.1.9"},
        **ok,
    )
    rejected(
        "InvalidInstanceID.NotFound",
        ec2.create_network_insights_path,
        Protocol="tcp",
        Source="i-0123456789abcdef0",
        Destination=world["web"],
    )
    rejected(
        "InvalidNetworkInterfaceID.NotFound",
        ec2.create_network_insights_path,
        Protocol="tcp",
        Source=world["client"],
        Destination="eni-0123456789abcdef0",
    )
    rejected(
        "InvalidInternetGatewayID.NotFound",
        ec2.create_network_insights_path,
        Protocol="tcp",
        Source="igw-0123456789abcdef0",
        Destination=world["web"],
    )
    rejected(
        "InvalidNetworkInsightsPathId.Malformed",
        ec2.describe_network_insights_paths,
        NetworkInsightsPathIds=["nip-xyz"],
    )
    rejected(
        "InvalidNetworkInsightsPathId.NotFound",
        ec2.start_network_insights_analysis,
        NetworkInsightsPathId="nip-0123456789abcdef0",
    )
    rejected(
        "InvalidNetworkInsightsPathId.NotFound",
        ec2.delete_network_insights_path,
        NetworkInsightsPathId="nip-0123456789abcdef0",
    )
    rejected(
        "InvalidNetworkInsightsAnalysisId.Malformed",
        ec2.delete_network_insights_analysis,
        NetworkInsightsAnalysisId="nia-1",
    )
    rejected(
        "InvalidNetworkInsightsAnalysisId.NotFound",
        ec2.describe_network_insights_analyses,
        NetworkInsightsAnalysisIds=["nia-0123456789abcdef0"],
    )
    rejected("InvalidParameterValue", ec2.describe_network_insights_paths, MaxResults=500)
    rejected(
        "InvalidParameterValue",
        ec2.describe_network_insights_analyses,
        Filters=[{"Name": "source", "Values": ["x"]}],
    )
    # another account's path is not found
    path_id = ec2.create_network_insights_path(Protocol="tcp", **ok)["NetworkInsightsPath"][
        "NetworkInsightsPathId"
    ]
    other = client(endpoint, str(int(account) + 500000000))
    with pytest.raises(Exception) as info:
        other.describe_network_insights_paths(NetworkInsightsPathIds=[path_id])
    assert "InvalidNetworkInsightsPathId.NotFound" in str(info.value)


def test_a_network_acl_deny_is_subnet_acl_restriction_with_its_rule(ec2, world):
    acl = ec2.create_network_acl(VpcId=world["vpc"])["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=200,
            Protocol="-1",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="0.0.0.0/0",
        )
    ec2.create_network_acl_entry(
        NetworkAclId=acl,
        RuleNumber=100,
        Protocol="6",
        RuleAction="deny",
        Egress=False,
        CidrBlock="10.0.1.0/24",
        PortRange={"From": 443, "To": 443},
    )
    [default] = ec2.describe_network_acls(
        Filters=[
            {"Name": "association.subnet-id", "Values": [world["subnet_b"]]},
        ]
    )["NetworkAcls"]
    [association] = [a for a in default["Associations"] if a["SubnetId"] == world["subnet_b"]]
    ec2.replace_network_acl_association(
        AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl
    )
    done = _analyse(
        ec2, Source=world["client"], Destination=world["web"], Protocol="tcp", DestinationPort=443
    )
    assert done["NetworkPathFound"] is False
    [explanation] = done["Explanations"]
    assert explanation["ExplanationCode"] == "SUBNET_ACL_RESTRICTION"
    assert explanation["Direction"] == "ingress"
    assert explanation["Acl"]["Id"] == acl
    assert explanation["Acl"]["Arn"].endswith(f":network-acl/{acl}")
    assert explanation["AclRule"] == {
        "Cidr": "10.0.1.0/24",
        "Egress": False,
        "PortRange": {"From": 443, "To": 443},
        "Protocol": "tcp",
        "RuleAction": "deny",
        "RuleNumber": 100,
    }
    fix = {t["Key"]: t["Value"] for t in done["Tags"]}["stockade:fix:1"]
    assert fix.startswith(f"stockade nacl add-entry {acl} ") and "--ingress" in fix
    # port 80 is not denied by rule 100: the same ACL lets it through, and shows entry 200
    allowed = _analyse(
        ec2, Source=world["client"], Destination=world["web"], Protocol="tcp", DestinationPort=80
    )
    assert allowed["NetworkPathFound"] is True
    crossing = [c for c in allowed["ForwardPathComponents"] if c["Component"]["Id"] == acl]
    assert [c["AclRule"]["RuleNumber"] for c in crossing] == [200]


def test_the_aws_cli_creates_analyses_and_reads_a_path(aws, ec2, world):
    """The aws cli fills ClientToken itself (an idempotency token in the model)."""
    made = out(
        aws(
            "ec2",
            "create-network-insights-path",
            "--source",
            world["client"],
            "--destination",
            world["web"],
            "--protocol",
            "tcp",
            "--destination-port",
            "80",
        )  # fmt: skip
    )["NetworkInsightsPath"]
    started = out(
        aws(
            "ec2",
            "start-network-insights-analysis",
            "--network-insights-path-id",
            made["NetworkInsightsPathId"],
        )  # fmt: skip
    )["NetworkInsightsAnalysis"]
    assert started["Status"] == "running"
    [done] = out(
        aws(
            "ec2",
            "describe-network-insights-analyses",
            "--network-insights-analysis-ids",
            started["NetworkInsightsAnalysisId"],
        )  # fmt: skip
    )["NetworkInsightsAnalyses"]
    assert done["Status"] == "succeeded" and done["NetworkPathFound"] is True
    assert done["ForwardPathComponents"][0]["Component"]["Id"] == world["client"]
