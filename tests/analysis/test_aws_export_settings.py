"""``stockade export aws`` carries the per-resource settings (migration 0010's
``resource_settings``): instance monitoring, metadata options and IAM instance-profile
associations, Elastic IP PTR records, DHCP options sets and their VPCs, and root-volume
modifications. Built through a real server, exported, imported into a fresh store and
served again, every ``Describe*`` answer about them is the same."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from api_server.api_helpers import client
from botocore.exceptions import ClientError
from helpers import volume_time_passes

from stockade.analysis.aws_export import export_store
from stockade.analysis.aws_import import import_directory
from stockade.api.app import create_app, serving
from stockade.domain.scope import Scope
from stockade.domain.volume_modification_timeline import COMPLETED_AFTER
from stockade.shapes.fields import ImportProblem
from stockade.store.sql import SqlStore

ACCOUNT = "210987654321"
PROFILE = f"arn:aws:iam::{ACCOUNT}:instance-profile/web"


def _run(ec2, subnet_id: str, **extra) -> str:
    return ec2.run_instances(
        ImageId="ami-0123456789abcdef0", MinCount=1, MaxCount=1, SubnetId=subnet_id, **extra
    )["Instances"][0]["InstanceId"]


def _build(ec2) -> dict[str, str]:
    """A scope using every setting, as clients set them."""
    vpc = ec2.create_vpc(CidrBlock="10.20.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.20.1.0/24")["Subnet"]["SubnetId"]
    dopt = ec2.create_dhcp_options(
        DhcpConfigurations=[
            {"Key": "domain-name", "Values": ["corp.example.com"]},
            {"Key": "domain-name-servers", "Values": ["10.20.0.2", "192.0.2.53"]},
            {"Key": "ntp-servers", "Values": ["192.0.2.123"]},
        ],
        TagSpecifications=[
            {"ResourceType": "dhcp-options", "Tags": [{"Key": "Name", "Value": "corp"}]}
        ],
    )["DhcpOptions"]["DhcpOptionsId"]
    ec2.create_dhcp_options(DhcpConfigurations=[{"Key": "netbios-node-type", "Values": ["2"]}])
    ec2.associate_dhcp_options(DhcpOptionsId=dopt, VpcId=vpc)
    plain = _run(ec2, subnet)
    tuned = _run(
        ec2,
        subnet,
        Monitoring={"Enabled": True},
        MetadataOptions={"HttpTokens": "required", "HttpPutResponseHopLimit": 2},
        IamInstanceProfile={"Arn": PROFILE},
    )
    ec2.monitor_instances(InstanceIds=[plain])
    ec2.modify_instance_metadata_options(InstanceId=plain, InstanceMetadataTags="enabled")
    ec2.associate_iam_instance_profile(InstanceId=plain, IamInstanceProfile={"Name": "worker"})
    volume = ec2.describe_volumes(Filters=[{"Name": "attachment.instance-id", "Values": [tuned]}])[
        "Volumes"
    ][0]["VolumeId"]
    ec2.modify_volume(VolumeId=volume, Size=20, Iops=4000, Throughput=250)
    named = ec2.allocate_address(Domain="vpc")["AllocationId"]
    ec2.allocate_address(Domain="vpc")  # keeps AWS's default reverse name
    ec2.modify_address_attribute(AllocationId=named, DomainName="Mail.Example.com.")
    return {"vpc": vpc, "plain": plain, "tuned": tuned, "volume": volume, "dopt": dopt}


def _answers(ec2) -> dict[str, object]:
    """Every Describe answer the settings show in (metadata dropped)."""
    calls = {
        "instances": lambda: ec2.describe_instances(),
        "profiles": lambda: ec2.describe_iam_instance_profile_associations(),
        "ptr": lambda: ec2.describe_addresses_attribute(Attribute="domain-name"),
        "dhcp": lambda: ec2.describe_dhcp_options(),
        "vpcs": lambda: ec2.describe_vpcs(),
        "volumes": lambda: ec2.describe_volumes(),
        "modifications": lambda: ec2.describe_volumes_modifications(),
    }
    out = {}
    for name, call in calls.items():
        answer = call()
        answer.pop("ResponseMetadata", None)
        out[name] = json.loads(json.dumps(answer, default=str, sort_keys=True))
    return out


def test_settings_round_trip(stores, tmp_path: Path) -> None:
    first, second = stores
    with serving(create_app(first)) as url:
        ec2 = client(url, ACCOUNT)
        made = _build(ec2)
        # the modification completed, so its progress does not move between the answers
        volume_time_passes(first, Scope(account=ACCOUNT), made["volume"], COMPLETED_AFTER)
        before = _answers(ec2)
    export_store(first, tmp_path / "out")
    import_directory(second, tmp_path / "out")
    with serving(create_app(second)) as url:
        after = _answers(client(url, ACCOUNT))

    # the state is what was built (so the comparison below compares something) ...
    [tuned] = [
        i
        for r in before["instances"]["Reservations"]
        for i in r["Instances"]
        if i["InstanceId"] == made["tuned"]
    ]
    assert tuned["Monitoring"] == {"State": "enabled"}
    assert tuned["MetadataOptions"]["HttpTokens"] == "required"
    assert tuned["IamInstanceProfile"]["Arn"] == PROFILE
    assert len(before["profiles"]["IamInstanceProfileAssociations"]) == 2
    assert "mail.example.com" in {a["PtrRecord"] for a in before["ptr"]["Addresses"]}
    assert len(before["dhcp"]["DhcpOptions"]) == 2
    assert made["dopt"] in {v["DhcpOptionsId"] for v in before["vpcs"]["Vpcs"]}
    [modification] = before["modifications"]["VolumesModifications"]
    assert modification["TargetSize"] == 20
    # ... and the imported copy answers every Describe the same
    for name in before:
        assert after[name] == before[name], name


def test_export_writes_the_settings_files(stores, tmp_path: Path) -> None:
    first, _ = stores
    with serving(create_app(first)) as url:
        made = _build(client(url, ACCOUNT))
    export_store(first, tmp_path / "out")
    scope_dir = tmp_path / "out" / ACCOUNT / "us-east-1"

    def read(name: str) -> dict:
        return json.loads((scope_dir / name).read_text())

    dhcp = read("dhcp-options.json")["DhcpOptions"]
    assert made["dopt"] in {d["DhcpOptionsId"] for d in dhcp}
    profiles = read("iam-instance-profile-associations.json")["IamInstanceProfileAssociations"]
    assert {p["InstanceId"] for p in profiles} == {made["plain"], made["tuned"]}
    ptr = read("addresses-attribute.json")["Addresses"]
    assert "mail.example.com" in {a["PtrRecord"] for a in ptr}
    [modification] = read("volumes-modifications.json")["VolumesModifications"]
    assert modification["VolumeId"] == made["volume"]


def test_a_modification_in_progress_is_exported_as_it_stands_and_still_waited_for(
    stores, tmp_path: Path
) -> None:
    """Exported half way through its timeline, a modification is ``optimizing`` in the file;
    imported, it keeps its start, so the next modification of the volume still waits."""
    first, second = stores
    with serving(create_app(first)) as url:
        made = _build(client(url, ACCOUNT))
    volume_time_passes(first, Scope(account=ACCOUNT), made["volume"], COMPLETED_AFTER / 2)
    export_store(first, tmp_path / "out")
    path = tmp_path / "out" / ACCOUNT / "us-east-1" / "volumes-modifications.json"
    [exported] = json.loads(path.read_text())["VolumesModifications"]
    assert exported["ModificationState"] == "optimizing"
    assert 50 <= exported["Progress"] < 100 and "EndTime" not in exported

    import_directory(second, tmp_path / "out")
    with serving(create_app(second)) as url:
        ec2 = client(url, ACCOUNT)
        [imported] = ec2.describe_volumes_modifications()["VolumesModifications"]
        assert imported["StartTime"].isoformat().replace("+00:00", "Z") == exported["StartTime"]
        with pytest.raises(ClientError) as info:
            ec2.modify_volume(VolumeId=made["volume"], Size=30)
        assert info.value.response["Error"]["Code"] == "IncorrectModificationState"
        volume_time_passes(second, Scope(account=ACCOUNT), made["volume"], COMPLETED_AFTER)
        ec2.modify_volume(VolumeId=made["volume"], Size=30)


def _exported(stores, tmp_path: Path) -> Path:
    first, _ = stores
    with serving(create_app(first)) as url:
        _build(client(url, ACCOUNT))
    export_store(first, tmp_path / "out")
    return tmp_path / "out" / ACCOUNT / "us-east-1"


@pytest.mark.parametrize(
    ("name", "edit", "field"),
    [
        (
            "dhcp-options.json",
            lambda d: d["DhcpOptions"][0]["DhcpConfigurations"].append(
                {"Key": "bogus", "Values": [{"Value": "x"}]}
            ),
            "DhcpConfigurations",
        ),
        (
            "instances.json",
            lambda d: d["Reservations"][0]["Instances"][0]["MetadataOptions"].update(
                HttpTokens="sometimes"
            ),
            "MetadataOptions",
        ),
        (
            "volumes-modifications.json",
            lambda d: d["VolumesModifications"][0].update(VolumeId="volume-1"),
            "VolumeId",
        ),
        (
            "addresses-attribute.json",
            lambda d: d["Addresses"][0].update(PtrRecord="not a name!"),
            "PtrRecord",
        ),
        (
            "addresses-attribute.json",
            lambda d: d["Addresses"][0].update(AllocationId="eipalloc-0123456789abcdef0"),
            "AllocationId",
        ),
        (
            "iam-instance-profile-associations.json",
            lambda d: d["IamInstanceProfileAssociations"][0].update(
                InstanceId="i-0123456789abcdef0"
            ),
            "InstanceId",
        ),
    ],
)
def test_bad_settings_are_located_problems_and_write_nothing(
    stores, tmp_path: Path, name, edit, field
) -> None:
    scope_dir = _exported(stores, tmp_path)
    document = json.loads((scope_dir / name).read_text())
    edit(document)
    (scope_dir / name).write_text(json.dumps(document))
    _, second = stores
    with pytest.raises(ImportProblem) as info:
        import_directory(second, tmp_path / "out")
    assert name in info.value.file and field in info.value.field
    assert second.scopes() == []


def test_what_stockade_does_not_model_is_skipped_with_a_warning(stores, tmp_path: Path) -> None:
    """AWS's own volume ids name no instance's root volume here; a failed modification
    changed nothing; both are left out, and the import says so for the first."""
    scope_dir = _exported(stores, tmp_path)
    path = scope_dir / "volumes-modifications.json"
    document = json.loads(path.read_text())
    [ours] = document["VolumesModifications"]
    document["VolumesModifications"] = [
        {**ours, "VolumeId": "vol-0123456789abcdef0"},
        {**ours, "ModificationState": "failed", "TargetSize": 500},
    ]
    path.write_text(json.dumps(document))
    _, second = stores
    report = import_directory(second, tmp_path / "out")
    assert any("vol-0123456789abcdef0" in w for w in report.warnings)
    with serving(create_app(second)) as url:
        ec2 = client(url, ACCOUNT)
        assert ec2.describe_volumes_modifications()["VolumesModifications"] == []
        volume = ec2.describe_volumes(VolumeIds=[ours["VolumeId"]])["Volumes"][0]
        assert volume["Size"] == 8  # as launched


def test_an_instance_profile_without_its_association_file(stores, tmp_path: Path) -> None:
    """AWS's describe-instances alone (no associations file): the profile is kept, under an
    association id derived from the instance and profile, the same on every import."""
    scope_dir = _exported(stores, tmp_path)
    (scope_dir / "iam-instance-profile-associations.json").unlink()
    _, second = stores
    import_directory(second, tmp_path / "out")
    with serving(create_app(second)) as url:
        ec2 = client(url, ACCOUNT)
        found = ec2.describe_iam_instance_profile_associations()["IamInstanceProfileAssociations"]
        instances = {
            i["InstanceId"]: i
            for r in ec2.describe_instances()["Reservations"]
            for i in r["Instances"]
        }
    assert len(found) == 2
    for association in found:
        assert association["AssociationId"].startswith("iip-assoc-")
        shown = instances[association["InstanceId"]]["IamInstanceProfile"]
        assert shown == association["IamInstanceProfile"]
    third = SqlStore.open(str(tmp_path / "third.db"))
    try:
        import_directory(third, tmp_path / "out")
        with serving(create_app(third)) as url:
            again = client(url, ACCOUNT).describe_iam_instance_profile_associations()
        assert {a["AssociationId"] for a in again["IamInstanceProfileAssociations"]} == {
            a["AssociationId"] for a in found
        }
    finally:
        third.close()
