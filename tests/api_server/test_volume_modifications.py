"""ModifyVolume and DescribeVolumesModifications on root volumes (issue 14): the size
grows, the type and its IOPS/throughput change within EC2's ranges, DescribeVolumes shows
the result, and a refused modification changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from stockade.domain.scope import Scope
from stockade.domain.volume_modifications import MODIFICATION, Modification


@pytest.fixture
def volume_id(ec2, vpc_id) -> str:
    subnet = ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.4.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet)
    [volume] = ec2.describe_volumes()["Volumes"]
    return volume["VolumeId"]


def _six_hours_pass(api_store, account: str, volume_id: str) -> None:
    """Move the volume's last modification six hours into the past (the store's record of
    when it started: no sleeping, and the server's clock stays real)."""
    with api_store.write(Scope(account=account)) as tx:
        last = Modification.from_value(tx.list_settings(MODIFICATION)[volume_id])
        started = datetime.now(UTC) - timedelta(hours=6, seconds=1)
        moved = Modification(
            last.volume_id,
            last.original,
            last.target,
            started.isoformat(timespec="seconds").replace("+00:00", "Z"),
        )
        tx.set_setting(volume_id, MODIFICATION, moved.as_value())


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
    [done] = ec2.describe_volumes_modifications(VolumeIds=[volume_id])["VolumesModifications"]
    assert done["ModificationState"] == "completed" and done["TargetSize"] == 20
    by_state = ec2.describe_volumes_modifications(
        Filters=[{"Name": "modification-state", "Values": ["completed"]}]
    )["VolumesModifications"]
    assert [m["VolumeId"] for m in by_state] == [volume_id]

    _six_hours_pass(api_store, account, volume_id)
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


def test_a_second_modification_within_six_hours_is_refused(ec2, volume_id, api_store, account):
    ec2.modify_volume(VolumeId=volume_id, Size=10)
    before = api_store.revision()
    with pytest.raises(ClientError) as info:
        ec2.modify_volume(VolumeId=volume_id, Size=12)
    error = info.value.response["Error"]
    assert error["Code"] == "VolumeModificationRateExceeded"
    assert "Wait at least 6 hours" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert api_store.revision() == before
    assert _volume(ec2, volume_id)["Size"] == 10

    _six_hours_pass(api_store, account, volume_id)
    modification = ec2.modify_volume(VolumeId=volume_id, Size=12)["VolumeModification"]
    assert (modification["OriginalSize"], modification["TargetSize"]) == (10, 12)
    assert _volume(ec2, volume_id)["Size"] == 12
    with pytest.raises(ClientError) as info:
        ec2.modify_volume(VolumeId=volume_id, Size=14)
    assert info.value.response["Error"]["Code"] == "VolumeModificationRateExceeded"
