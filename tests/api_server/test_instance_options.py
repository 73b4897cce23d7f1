"""Detailed monitoring, metadata options and IAM instance-profile associations (issue 14):
kept as AWS keeps them, shown by DescribeInstances, refused with AWS's codes, and a
refused call changes nothing."""

from __future__ import annotations

import pytest

PROFILE = "arn:aws:iam::123456789012:instance-profile/web"


@pytest.fixture
def subnet_id(ec2, vpc_id) -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.3.0/24")["Subnet"]["SubnetId"]


def _run(ec2, subnet_id: str, **extra) -> dict:
    return ec2.run_instances(
        ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet_id, **extra
    )["Instances"][0]


def _described(ec2, iid: str) -> dict:
    return ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"][0]


def test_monitoring_on_and_off(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)["InstanceId"]
    assert _described(ec2, iid)["Monitoring"] == {"State": "disabled"}
    answer = ec2.monitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert answer == [{"InstanceId": iid, "Monitoring": {"State": "pending"}}]
    assert _described(ec2, iid)["Monitoring"] == {"State": "enabled"}
    by_filter = ec2.describe_instances(
        Filters=[{"Name": "monitoring-state", "Values": ["enabled"]}]
    )["Reservations"]
    assert [r["Instances"][0]["InstanceId"] for r in by_filter] == [iid]
    # all or nothing: one unknown id refuses the whole call
    rejected(
        "InvalidInstanceID.NotFound",
        ec2.unmonitor_instances,
        InstanceIds=[iid, "i-0123456789abcdef0"],
    )
    assert _described(ec2, iid)["Monitoring"] == {"State": "enabled"}
    answer = ec2.unmonitor_instances(InstanceIds=[iid])["InstanceMonitorings"]
    assert answer == [{"InstanceId": iid, "Monitoring": {"State": "disabling"}}]
    assert _described(ec2, iid)["Monitoring"] == {"State": "disabled"}
    launched = _run(ec2, subnet_id, Monitoring={"Enabled": True})
    assert launched["Monitoring"] == {"State": "enabled"}
    ec2.terminate_instances(InstanceIds=[iid])
    rejected("IncorrectInstanceState", ec2.monitor_instances, InstanceIds=[iid])


def test_metadata_options(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)["InstanceId"]
    assert _described(ec2, iid)["MetadataOptions"] == {
        "State": "applied",
        "HttpTokens": "optional",
        "HttpPutResponseHopLimit": 1,
        "HttpEndpoint": "enabled",
        "HttpProtocolIpv6": "disabled",
        "InstanceMetadataTags": "disabled",
    }
    answer = ec2.modify_instance_metadata_options(
        InstanceId=iid, HttpTokens="required", HttpPutResponseHopLimit=2
    )
    assert answer["InstanceId"] == iid
    assert answer["InstanceMetadataOptions"]["State"] == "pending"
    assert answer["InstanceMetadataOptions"]["HttpTokens"] == "required"
    options = _described(ec2, iid)["MetadataOptions"]
    assert (options["HttpTokens"], options["HttpPutResponseHopLimit"]) == ("required", 2)
    assert options["HttpEndpoint"] == "enabled"  # untouched members keep their value
    for bad in (
        {"HttpTokens": "sometimes"},
        {"HttpPutResponseHopLimit": 65},
        {"HttpEndpoint": "on"},
        {"InstanceMetadataTags": "yes"},
    ):
        rejected(
            "InvalidParameterValue", ec2.modify_instance_metadata_options, InstanceId=iid, **bad
        )
    rejected(
        "InvalidInstanceID.NotFound",
        ec2.modify_instance_metadata_options,
        InstanceId="i-0123456789abcdef0",
        HttpTokens="required",
    )
    assert _described(ec2, iid)["MetadataOptions"] == options
    launched = _run(ec2, subnet_id, MetadataOptions={"HttpTokens": "required"})
    assert launched["MetadataOptions"]["HttpTokens"] == "required"
    before = ec2.describe_instances()["Reservations"]
    rejected(
        "InvalidParameterValue",
        ec2.run_instances,
        ImageId="ami-0123456789abcdef0",
        MinCount=1,
        MaxCount=1,
        SubnetId=subnet_id,
        MetadataOptions={"HttpTokens": "never"},
    )
    assert ec2.describe_instances()["Reservations"] == before  # nothing launched


def test_instance_profile_associations(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)["InstanceId"]
    answer = ec2.associate_iam_instance_profile(
        InstanceId=iid, IamInstanceProfile={"Arn": PROFILE}
    )["IamInstanceProfileAssociation"]
    assert answer["InstanceId"] == iid and answer["State"] == "associating"
    assert answer["IamInstanceProfile"]["Arn"] == PROFILE
    assert answer["IamInstanceProfile"]["Id"].startswith("AIPA")
    assoc = answer["AssociationId"]
    assert assoc.startswith("iip-assoc-")
    assert _described(ec2, iid)["IamInstanceProfile"] == answer["IamInstanceProfile"]
    [listed] = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": [iid]}]
    )["IamInstanceProfileAssociations"]
    assert listed["AssociationId"] == assoc and listed["State"] == "associated"
    [by_id] = ec2.describe_iam_instance_profile_associations(AssociationIds=[assoc])[
        "IamInstanceProfileAssociations"
    ]
    assert by_id == listed
    rejected(  # one unknown id among known ones fails the whole call
        "InvalidAssociationID.NotFound",
        ec2.describe_iam_instance_profile_associations,
        AssociationIds=[assoc, "iip-assoc-0123456789abcdef0"],
    )
    error = rejected(
        "IncorrectState",
        ec2.associate_iam_instance_profile,
        InstanceId=iid,
        IamInstanceProfile={"Name": "other"},
    )
    assert error["Message"] == f"There is an existing association for instance {iid}"
    rejected(
        "InvalidParameterValue",
        ec2.associate_iam_instance_profile,
        InstanceId=iid,
        IamInstanceProfile={"Arn": "arn:aws:iam::123:role/web"},
    )

    replaced = ec2.replace_iam_instance_profile_association(
        AssociationId=assoc, IamInstanceProfile={"Name": "worker"}
    )["IamInstanceProfileAssociation"]
    account = ec2.describe_vpcs()["Vpcs"][0]["OwnerId"]
    assert replaced["IamInstanceProfile"]["Arn"] == (
        f"arn:aws:iam::{account}:instance-profile/worker"
    )
    assert replaced["AssociationId"] != assoc  # a replacement is a new association
    rejected(
        "InvalidAssociationID.NotFound",
        ec2.disassociate_iam_instance_profile,
        AssociationId=assoc,
    )
    gone = ec2.disassociate_iam_instance_profile(AssociationId=replaced["AssociationId"])
    assert gone["IamInstanceProfileAssociation"]["State"] == "disassociating"
    assert "IamInstanceProfile" not in _described(ec2, iid)
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
    rejected(
        "InvalidAssociationID.NotFound",
        ec2.describe_iam_instance_profile_associations,
        AssociationIds=["iip-assoc-0123456789abcdef0"],
    )
    rejected(
        "InvalidAssociationID.Malformed",
        ec2.describe_iam_instance_profile_associations,
        AssociationIds=["assoc-1"],
    )

    launched = _run(ec2, subnet_id, IamInstanceProfile={"Name": "web"})
    assert launched["IamInstanceProfile"]["Arn"].endswith(":instance-profile/web")
    ec2.terminate_instances(InstanceIds=[launched["InstanceId"]])
    assert ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"] == []
