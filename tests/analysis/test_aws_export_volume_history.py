"""``export aws`` carries every modification of a root volume that ModifyVolume's rules still
count (those started within the rolling 24 hours, oldest first, each as
DescribeVolumesModifications shows one), and ``import aws`` restores them: a store imported
from its own export answers ModifyVolume exactly as the original does. Built and modified
through real servers; time passes by moving the recorded starts back, never by sleeping."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from api_server.api_helpers import client
from botocore.exceptions import ClientError
from helpers import volume_time_passes

from stockade.analysis.aws_export import export_store
from stockade.analysis.aws_import import import_directory
from stockade.api.app import create_app, serving
from stockade.domain.scope import Scope
from stockade.domain.volume_modification_timeline import COMPLETED_AFTER, moment, timestamp
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

ACCOUNT = "310987654321"
SCOPE = Scope(account=ACCOUNT)
HOUR = timedelta(hours=1)
#: how long a modification is held in progress: its start moved this far ahead, so that no
#: load on the machine lets it complete while the test looks
HOLD = timedelta(minutes=10)
FILE = "volumes-modifications.json"


def _volume(ec2) -> str:
    """A launched instance's root volume (8 GiB gp3)."""
    vpc = ec2.create_vpc(CidrBlock="10.30.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.30.1.0/24")["Subnet"]["SubnetId"]
    ec2.run_instances(ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet)
    [volume] = ec2.describe_volumes()["Volumes"]
    return volume["VolumeId"]


def _modify_hourly(ec2, store: SqlStore, volume: str, sizes: list[int]) -> None:
    """One modification per size, each an hour before the next (so each completed)."""
    for size in sizes:
        ec2.modify_volume(VolumeId=volume, Size=size)
        volume_time_passes(store, SCOPE, volume, HOUR)


def _refusal(ec2, volume: str, size: int) -> tuple[str, str]:
    with pytest.raises(ClientError) as info:
        ec2.modify_volume(VolumeId=volume, Size=size)
    error = info.value.response["Error"]
    return error["Code"], error["Message"]


def _exported(tmp_path: Path) -> Path:
    return tmp_path / "out" / ACCOUNT / "us-east-1" / FILE


def test_four_modifications_in_a_day_survive_export_and_import(stores, tmp_path: Path) -> None:
    first, second = stores
    with serving(create_app(first)) as url:
        ec2 = client(url, ACCOUNT)
        volume = _volume(ec2)
        _modify_hourly(ec2, first, volume, [9, 10, 11, 12])
        original = _refusal(ec2, volume, 20)
        described = ec2.describe_volumes_modifications()["VolumesModifications"]
    assert original[0] == "VolumeModificationRateExceeded"

    export_store(first, tmp_path / "out")
    import_directory(second, tmp_path / "out")
    with serving(create_app(second)) as url:
        ec2 = client(url, ACCOUNT)
        assert _refusal(ec2, volume, 20) == original  # the same code, the same time named
        assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Size"] == 12
        # DescribeVolumesModifications still shows the latest only, as AWS does
        assert ec2.describe_volumes_modifications()["VolumesModifications"] == described
    items = json.loads(_exported(tmp_path).read_text())["VolumesModifications"]
    # every one the window counts, oldest first, each as DescribeVolumesModifications shows it
    assert [(m["OriginalSize"], m["TargetSize"]) for m in items] == [
        (8, 9),
        (9, 10),
        (10, 11),
        (11, 12),
    ]
    assert {m["VolumeId"] for m in items} == {volume}
    assert [m["ModificationState"] for m in items] == ["completed"] * 4
    assert all(m["Progress"] == 100 and m["EndTime"] > m["StartTime"] for m in items)
    assert [m["StartTime"] for m in items] == sorted(m["StartTime"] for m in items)


def test_a_modification_in_progress_and_the_window_after_import(stores, tmp_path: Path) -> None:
    """Two completed, a third still in progress: both stores refuse the next until it
    completes, then take one more, then refuse the fifth of the day alike."""
    first, second = stores
    with serving(create_app(first)) as url:
        ec2 = client(url, ACCOUNT)
        volume = _volume(ec2)
        _modify_hourly(ec2, first, volume, [9, 10])
        ec2.modify_volume(VolumeId=volume, Size=11)
        volume_time_passes(first, SCOPE, volume, -HOLD)
    export_store(first, tmp_path / "out")
    import_directory(second, tmp_path / "out")

    answers: dict[str, list[tuple[str, str]]] = {}
    for name, store in (("original", first), ("imported", second)):
        with serving(create_app(store)) as url:
            ec2 = client(url, ACCOUNT)
            waiting = _refusal(ec2, volume, 12)
            volume_time_passes(store, SCOPE, volume, HOLD + COMPLETED_AFTER)
            ec2.modify_volume(VolumeId=volume, Size=12)
            volume_time_passes(store, SCOPE, volume, COMPLETED_AFTER)
            answers[name] = [waiting, _refusal(ec2, volume, 13)]
    assert answers["original"][0][0] == "IncorrectModificationState"
    assert answers["original"][1][0] == "VolumeModificationRateExceeded"
    assert answers["imported"] == answers["original"]  # codes and messages alike
    items = json.loads(_exported(tmp_path).read_text())["VolumesModifications"]
    assert [m["ModificationState"] for m in items][:2] == ["completed", "completed"]
    assert items[2]["ModificationState"] == "modifying"


def test_without_modifications_the_file_is_as_before(stores, tmp_path: Path) -> None:
    first, second = stores
    with serving(create_app(first)) as url:
        _volume(client(url, ACCOUNT))
    export_store(first, tmp_path / "out")
    assert json.loads(_exported(tmp_path).read_text()) == {"VolumesModifications": []}
    import_directory(second, tmp_path / "out")
    with serving(create_app(second)) as url:
        ec2 = client(url, ACCOUNT)
        assert ec2.describe_volumes_modifications()["VolumesModifications"] == []
        volume = ec2.describe_volumes()["Volumes"][0]["VolumeId"]
        ec2.modify_volume(VolumeId=volume, Size=9)


def test_an_older_export_with_the_latest_only_still_imports(stores, tmp_path: Path) -> None:
    """A file written before the earlier ones were carried holds each volume's latest: it
    imports, and that one is waited for and counted (the others are not in the file)."""
    first, second = stores
    with serving(create_app(first)) as url:
        ec2 = client(url, ACCOUNT)
        volume = _volume(ec2)
        _modify_hourly(ec2, first, volume, [9, 10, 11])
        ec2.modify_volume(VolumeId=volume, Size=12)
        volume_time_passes(first, SCOPE, volume, -HOLD)
    export_store(first, tmp_path / "out")
    path = _exported(tmp_path)
    document = json.loads(path.read_text())
    document["VolumesModifications"] = document["VolumesModifications"][-1:]
    path.write_text(json.dumps(document))
    import_directory(second, tmp_path / "out")
    with serving(create_app(second)) as url:
        ec2 = client(url, ACCOUNT)
        assert _refusal(ec2, volume, 13)[0] == "IncorrectModificationState"
        volume_time_passes(second, SCOPE, volume, HOLD + COMPLETED_AFTER)
        ec2.modify_volume(VolumeId=volume, Size=13)  # one counted: a second is allowed
        assert ec2.describe_volumes(VolumeIds=[volume])["Volumes"][0]["Size"] == 13


def _drop(key: str) -> Callable[[list[dict]], None]:
    return lambda items: items[0].pop(key)


def _set(key: str, value: object) -> Callable[[list[dict]], None]:
    return lambda items: items[0].update({key: value})


def _same_start(items: list[dict]) -> None:
    items[1]["StartTime"] = items[0]["StartTime"]


def _overlapping(items: list[dict]) -> None:
    """The second starts 10 s after the first: before the first could have completed."""
    items[1]["StartTime"] = timestamp(moment(items[0]["StartTime"]) + timedelta(seconds=10))


@pytest.mark.parametrize(
    ("edit", "field"),
    [
        (_drop("StartTime"), "VolumesModifications[0].StartTime"),
        (_set("StartTime", "yesterday"), "VolumesModifications[0].StartTime"),
        (_set("ModificationState", "paused"), "VolumesModifications[0].ModificationState"),
        (_same_start, "VolumesModifications[1].StartTime"),
        (_overlapping, "VolumesModifications[1].StartTime"),
    ],
    ids=["no-start", "bad-start", "bad-state", "same-start", "overlapping"],
)
def test_bad_modification_data_is_a_located_problem_and_writes_nothing(
    stores, tmp_path: Path, edit, field
) -> None:
    first, second = stores
    with serving(create_app(first)) as url:
        ec2 = client(url, ACCOUNT)
        _modify_hourly(ec2, first, _volume(ec2), [9, 10])
    export_store(first, tmp_path / "out")
    path = _exported(tmp_path)
    document = json.loads(path.read_text())
    edit(document["VolumesModifications"])
    path.write_text(json.dumps(document))
    with pytest.raises(ImportProblem) as info:
        import_directory(second, tmp_path / "out")
    assert FILE in info.value.file and info.value.field == field
    assert "\n" not in str(info.value)
    assert second.scopes() == []
