"""ModifyVolume and DescribeVolumesModifications on root volumes (issue 14): the size
grows, the type and its IOPS/throughput change within EC2's ranges, DescribeVolumes shows
the result, and a refused modification changes nothing."""

from __future__ import annotations

import pytest


@pytest.fixture
def volume_id(ec2, vpc_id) -> str:
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.4.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet)
    [volume] = ec2.describe_volumes()["Volumes"]
    return volume["VolumeId"]


def _volume(ec2, volume_id: str) -> dict:
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def test_modify_size_type_and_performance(ec2, volume_id, rejected):
    answer = ec2.modify_volume(VolumeId=volume_id, Size=20, Iops=4000, Throughput=250)
    modification = answer["VolumeModification"]
    assert modification["VolumeId"] == volume_id
    assert modification["ModificationState"] == "modifying"
    assert (modification["OriginalSize"], modification["TargetSize"]) == (8, 20)
    assert (modification["OriginalIops"], modification["TargetIops"]) == (3000, 4000)
    assert (modification["OriginalThroughput"], modification["TargetThroughput"]) == (125, 250)
    volume = _volume(ec2, volume_id)
    assert (volume["Size"], volume["VolumeType"], volume["Iops"], volume["Throughput"]) == (
        20,
        "gp3",
        4000,
        250,
    )
    [done] = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert done["ModificationState"] == "completed" and done["TargetSize"] == 20
    by_state = ec2.describe_volumes_modifications(
        Filters=[{"Name": "modification-state", "Values": ["completed"]}]
    )["VolumesModifications"]
    assert [m["VolumeId"] for m in by_state] == [volume_id]

    ec2.modify_volume(VolumeId=volume_id, VolumeType="gp2")
    volume = _volume(ec2, volume_id)
    assert (volume["VolumeType"], volume["Iops"], "Throughput" in volume) == ("gp2", 100, False)


def test_refused_modifications_change_nothing(ec2, volume_id, rejected):
    before = _volume(ec2, volume_id)
    for code, params in (
        ("InvalidParameterValue", {"Size": 4}),  # shrinking
        ("InvalidParameterValue", {"VolumeType": "floppy"}),
        ("InvalidParameterValue", {"VolumeType": "st1"}),  # never a boot volume
        ("InvalidParameterValue", {"Iops": 20000}),  # above gp3's 16,000
        ("InvalidParameterValue", {"VolumeType": "gp2", "Iops": 500}),
        ("InvalidParameterValue", {"VolumeType": "io1", "Throughput": 300}),
        ("MissingParameter", {"VolumeType": "io1"}),  # io1 needs its IOPS
        ("MissingParameter", {}),
    ):
        rejected(code, ec2.modify_volume, VolumeId=volume_id, **params)
    rejected("InvalidVolume.NotFound", ec2.modify_volume, VolumeId="vol-0123456789abcdef0", Size=9)
    rejected("InvalidVolumeID.Malformed", ec2.modify_volume, VolumeId="root", Size=9)
    assert _volume(ec2, volume_id) == before
    assert ec2.describe_volumes_modifications()["VolumesModifications"] == []
    rejected(
        "InvalidVolumeModification.NotFound",
        ec2.describe_volumes_modifications,
        VolumeIds=[volume_id],
    )
