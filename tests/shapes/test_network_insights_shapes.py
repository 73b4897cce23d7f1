"""Network insights shapes: the writer/reader round trip, and the Decision mapping on
hand-built decisions (the cases a small world does not reach easily)."""

from __future__ import annotations

import json

from stockade.domain.network_insights import (
    AnalysisStatus,
    NetworkInsightsAnalysis,
    NetworkInsightsPath,
    PathFilter,
)
from stockade.domain.state import Snapshot
from stockade.policy.decision import (
    AclEntryRef,
    AclStep,
    Blocker,
    Decision,
    PacketLeg,
    PathEnd,
    RouteStep,
    SuggestedAclEntry,
    Verdict,
)
from stockade.policy.flow import Flow
from stockade.policy.reasons import Reason
from stockade.policy.topology import EndType, PathKind
from stockade.shapes import insights_findings, insights_parts
from stockade.shapes import network_insights as shapes

ACCOUNT, REGION = "123456789012", "us-east-1"


def test_a_path_round_trips():
    path = NetworkInsightsPath(
        "nip-0123456789abcdef0",
        ACCOUNT,
        REGION,
        "2026-12-07T03:00:00.123Z",
        "igw-0123456789abcdef0",
        "udp",
        destination="i-0123456789abcdef0",
        filter_at_source=PathFilter("203.0.113.5", (1000, 2000), None, (53, 53)),
        tags=(("Name", "dns"),),
    )
    shape = shapes.network_insights_path(path)
    assert shape["SourceArn"] == f"arn:aws:ec2:{REGION}:{ACCOUNT}:internet-gateway/{path.source}"
    assert shape["FilterAtSource"] == {
        "SourceAddress": "203.0.113.5",
        "SourcePortRange": {"FromPort": 1000, "ToPort": 2000},
        "DestinationPortRange": {"FromPort": 53, "ToPort": 53},
    }
    assert "DestinationPort" not in shape and "FilterAtDestination" not in shape
    assert shapes.read_path(shape) == path


def test_an_analysis_round_trips_with_its_result():
    result = {"NetworkPathFound": False, "Explanations": [{"ExplanationCode": "NO_PATH"}]}
    analysis = NetworkInsightsAnalysis(
        "nia-0123456789abcdef0",
        "nip-0123456789abcdef0",
        ACCOUNT,
        REGION,
        "2026-12-07T03:00:00.123Z",
        AnalysisStatus.SUCCEEDED,
        findings=json.dumps(result),
        warning_message="w",
        tags=(("stockade:fix:1", "do this"),),
    )
    shape = shapes.network_insights_analysis(analysis)
    assert shape["NetworkPathFound"] is False and shape["Explanations"] == result["Explanations"]
    back = shapes.read_analysis(shape)
    assert back.result == result and back.path_found is False
    assert back == analysis


def _denied(*blockers: Blocker, routes=(), acls=()) -> Decision:
    flow = Flow("i-0123456789abcdef0", "203.0.113.9", "tcp", 443)
    return Decision(
        flow,
        Verdict.DENIED,
        PathKind.INTERNET,
        PathEnd(flow.source, EndType.INSTANCE, flow.source, "eni-0123456789abcdef0", "vpc-1"),
        PathEnd(flow.destination, EndType.EXTERNAL, address="203.0.113.9"),
        None,
        None,
        blockers,
        routes=routes,
        acls=acls,
    )


def test_a_blackhole_route_names_its_table_and_route():
    step = RouteStep(
        "forward", "rtb-0123456789abcdef0", "vpc-1", "subnet-1", "0.0.0.0/0",
        "igw-0123456789abcdef0", "blackhole",
    )  # fmt: skip
    blocker = Blocker("BAD_STATE_ROUTE", Reason.BLACKHOLE_ROUTE, step.table_id, "route-table", "x")
    found = insights_findings.findings(
        _denied(blocker, routes=(step,)), Snapshot(), ACCOUNT, REGION
    )
    [explanation] = found["Explanations"]
    assert explanation["ExplanationCode"] == "BAD_STATE_ROUTE"
    assert explanation["RouteTable"] == {
        "Id": step.table_id,
        "Arn": f"arn:aws:ec2:{REGION}:{ACCOUNT}:route-table/{step.table_id}",
    }
    assert explanation["RouteTableRoute"] == {
        "DestinationCidr": "0.0.0.0/0",
        "GatewayId": "igw-0123456789abcdef0",
        "Origin": "createroute",
        "State": "blackhole",
    }
    assert explanation["State"] == "blackhole"


def test_an_acl_reply_denial_without_a_star_entry_and_its_fix():
    """An ACL built by hand with no ``*`` deny: the crossing names no entry (``None``);
    the explanation has the ACL, no AclRule; the fix is the add-entry command."""
    step = AclStep(
        PacketLeg.REPLY, "acl-0123456789abcdef0", "subnet-1", False, "203.0.113.9", "6",
        (32768, 60999), False, None,
    )  # fmt: skip
    suggestion = SuggestedAclEntry(
        step.network_acl_id, False, 100, "6", "203.0.113.9/32", (32768, 60999)
    )
    blocker = Blocker(
        "SUBNET_ACL_RESTRICTION", Reason.ACL_REPLY_DENIED, step.network_acl_id, "network-acl",
        "m", acl=step, acl_suggestion=suggestion,
    )  # fmt: skip
    decision = _denied(blocker, acls=(step,))
    found = insights_findings.findings(decision, Snapshot(), ACCOUNT, REGION)
    [explanation] = found["Explanations"]
    assert explanation["Direction"] == "ingress" and "AclRule" not in explanation
    assert explanation["PortRanges"] == [{"From": 32768, "To": 60999}]
    assert insights_findings.fixes(decision) == [suggestion.command()]
    entry = AclEntryRef(step.network_acl_id, 32767, True, "deny", "-1", "0.0.0.0/0")
    assert insights_parts.acl_rule(entry) == {
        "Cidr": "0.0.0.0/0",
        "Egress": True,
        "Protocol": "all",
        "RuleAction": "deny",
        "RuleNumber": 32767,
    }
