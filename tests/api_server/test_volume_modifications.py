"""ModifyVolume and DescribeVolumesModifications on root volumes (issue 14): the size
grows, the type and its IOPS/throughput change within EC2's ranges, DescribeVolumes shows
the result, and a refused modification changes nothing. A modification moves through
``modifying``, ``optimizing`` and ``completed``; the next one of the volume waits for
``completed``, and at most four start within a rolling 24 hours. The server's clock stays
real: the tests move the volume's recorded starts into the past instead of sleeping."""

from __future__ import annotations

from datetime import timedelta

import pytest
from botocore.exceptions import ClientError
from helpers import volume_time_passes

from stockade.domain.scope import Scope
from stockade.domain.volume_modification_timeline import COMPLETED_AFTER


@pytest.fixture
def volume_id(ec2, vpc_id) -> str:
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.4.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet)
    [volume] = ec2.describe_volumes()["Volumes"]
    return volume["VolumeId"]


def _time_passes(api_store, account: str, volume_id: str, delta: timedelta) -> None:
    volume_time_passes(api_store, Scope(account=account), volume_id, delta)


def _volume(ec2, volume_id: str) -> dict:
    return ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0]


def test_modify_size_type_and_performance(ec2, volume_id, api_store, account):
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
    _time_passes(api_store, account, volume_id, COMPLETED_AFTER)
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


def test_the_next_modification_waits_for_the_previous_to_complete(
    ec2, volume_id, api_store, account, rejected
):
    answer = ec2.modify_volume(VolumeId=volume_id, Size=10)["VolumeModification"]
    assert (answer["ModificationState"], answer["Progress"]) == ("modifying", 0)
    assert "EndTime" not in answer
    [running] = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert running["ModificationState"] in ("modifying", "optimizing")
    assert running["Progress"] < 100 and "EndTime" not in running
    assert running["StartTime"] == answer["StartTime"]

    error = rejected("IncorrectModificationState", ec2.modify_volume, VolumeId=volume_id, Size=12)
    assert error["Message"].startswith(f"Volume {volume_id} cannot be modified")
    assert _volume(ec2, volume_id)["Size"] == 10

    _time_passes(api_store, account, volume_id, COMPLETED_AFTER)
    [done] = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert (done["ModificationState"], done["Progress"]) == ("completed", 100)
    assert done["EndTime"] - done["StartTime"] == COMPLETED_AFTER
    modification = ec2.modify_volume(VolumeId=volume_id, Size=12)["VolumeModification"]
    assert (modification["OriginalSize"], modification["TargetSize"]) == (10, 12)
    assert _volume(ec2, volume_id)["Size"] == 12


def test_the_states_are_filtered_as_shown(ec2, volume_id, api_store, account):
    ec2.modify_volume(VolumeId=volume_id, Size=10)
    _time_passes(api_store, account, volume_id, timedelta(seconds=30))  # half way

    def named(state: str) -> list[str]:
        found = ec2.describe_volumes_modifications(
            Filters=[{"Name": "modification-state", "Values": [state]}]
        )["VolumesModifications"]
        return [m["VolumeId"] for m in found]

    assert (named("modifying"), named("optimizing"), named("completed")) == ([], [volume_id], [])
    [half] = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert 50 <= half["Progress"] < 100  # at least 30 s of 60 (more on a slow run)


def test_a_fifth_modification_within_24_hours_is_refused(
    ec2, volume_id, api_store, account, rejected
):
    for size in (10, 11, 12, 13):  # one an hour, each completed before the next
        ec2.modify_volume(VolumeId=volume_id, Size=size)
        _time_passes(api_store, account, volume_id, timedelta(hours=1))
    before = api_store.revision()
    with pytest.raises(ClientError) as info:
        ec2.modify_volume(VolumeId=volume_id, Size=14)
    error = info.value.response["Error"]
    assert error["Code"] == "VolumeModificationRateExceeded"
    assert "up to 4 times within a rolling 24-hour period" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert api_store.revision() == before
    assert _volume(ec2, volume_id)["Size"] == 13

    _time_passes(api_store, account, volume_id, timedelta(hours=20))  # the first: 24 h ago
    modification = ec2.modify_volume(VolumeId=volume_id, Size=14)["VolumeModification"]
    assert (modification["OriginalSize"], modification["TargetSize"]) == (13, 14)
    _time_passes(api_store, account, volume_id, COMPLETED_AFTER)
    rejected("VolumeModificationRateExceeded", ec2.modify_volume, VolumeId=volume_id, Size=15)
