"""The catalogue of what stockade does not model (issue 14): instance types, images, root
volumes, snapshots, VPC endpoints and account defaults, as Terraform and Prowler read them."""

from __future__ import annotations

import pytest


@pytest.fixture
def subnet_id(ec2, vpc_id) -> str:
    return ec2.create_subnet(VpcId=vpc_id, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]


def _run(ec2, subnet_id, image_id="ami-0123456789abcdef0") -> str:
    reservation = ec2.run_instances(
        ImageId=image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1, SubnetId=subnet_id
    )
    return reservation["Instances"][0]["InstanceId"]


def test_describe_instance_types(ec2, rejected):
    found = ec2.describe_instance_types(InstanceTypes=["t3.micro", "m5.large", "t4g.small"])
    by_name = {t["InstanceType"]: t for t in found["InstanceTypes"]}
    assert by_name["t3.micro"]["VCpuInfo"] == {
        "DefaultVCpus": 2,
        "DefaultCores": 1,
        "DefaultThreadsPerCore": 2,
    }
    assert by_name["t3.micro"]["MemoryInfo"] == {"SizeInMiB": 1024}
    assert by_name["t3.micro"]["BurstablePerformanceSupported"] is True
    assert by_name["m5.large"]["BurstablePerformanceSupported"] is False
    assert by_name["m5.large"]["MemoryInfo"] == {"SizeInMiB": 8192}
    assert by_name["t4g.small"]["ProcessorInfo"]["SupportedArchitectures"] == ["arm64"]
    error = rejected(
        "InvalidInstanceType", ec2.describe_instance_types, InstanceTypes=["t3.micro", "z9.mega"]
    )
    assert error["Message"] == "The following supplied instance types do not exist: [z9.mega]"
    burstable = ec2.describe_instance_types(
        Filters=[
            {"Name": "burstable-performance-supported", "Values": ["true"]},
            {"Name": "processor-info.supported-architecture", "Values": ["arm64"]},
        ]
    )["InstanceTypes"]
    assert {t["InstanceType"] for t in burstable} == {
        f"t4g.{s}" for s in ("nano", "micro", "small", "medium", "large", "xlarge", "2xlarge")
    }
    big = ec2.describe_instance_types(
        Filters=[{"Name": "memory-info.size-in-mib", "Values": ["786432"]}]
    )["InstanceTypes"]
    assert {t["InstanceType"] for t in big} == {"r5.24xlarge", "r6i.24xlarge", "r6g.24xlarge"}
    paginator = ec2.get_paginator("describe_instance_types")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 50}))
    names = [t["InstanceType"] for p in pages for t in p["InstanceTypes"]]
    assert len(pages) > 1 and len(names) == len(set(names)) > 100


def test_images_terraform_data_source_and_any_launched_id(ec2, subnet_id, rejected):
    """``data "aws_ami" { owners = ["amazon"], filter name = al2023-ami-*-x86_64 }``."""
    found = ec2.describe_images(
        Owners=["amazon"],
        Filters=[
            {"Name": "name", "Values": ["al2023-ami-2023.*-x86_64"]},
            {"Name": "architecture", "Values": ["x86_64"]},
            {"Name": "virtualization-type", "Values": ["hvm"]},
        ],
    )["Images"]
    assert len(found) == 1 and found[0]["ImageOwnerAlias"] == "amazon"
    assert found[0]["OwnerId"] == "137112412989" and found[0]["Public"] is True
    again = ec2.describe_images(ImageIds=[found[0]["ImageId"]])["Images"]
    assert again == found
    canonical = ec2.describe_images(Owners=["099720109477"])["Images"]
    assert {i["Architecture"] for i in canonical} == {"x86_64", "arm64"} and len(canonical) == 4
    # any well-formed id a user is about to launch resolves, as the caller's own image
    [own] = ec2.describe_images(ImageIds=["ami-0123456789abcdef0"])["Images"]
    assert own["Public"] is False and own["BlockDeviceMappings"][0]["DeviceName"] == "/dev/xvda"
    assert ec2.describe_images(Owners=["self"])["Images"] == []
    _run(ec2, subnet_id)
    mine = ec2.describe_images(Owners=["self"])["Images"]
    assert [i["ImageId"] for i in mine] == ["ami-0123456789abcdef0"]
    public = ec2.describe_images(ExecutableUsers=["all"])["Images"]
    assert len(public) == 10 and all(i["Public"] for i in public)
    error = rejected("InvalidAMIID.Malformed", ec2.describe_images, ImageIds=["ubuntu"])
    assert error["Message"] == 'Invalid id: "ubuntu" (expecting "ami-...")'
    rejected(
        "InvalidParameterValue", ec2.describe_images, Filters=[{"Name": "colour", "Values": ["x"]}]
    )


def test_root_volume_per_instance(ec2, subnet_id, rejected):
    iid = _run(ec2, subnet_id)
    [inst] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
    volume_id = inst["BlockDeviceMappings"][0]["Ebs"]["VolumeId"]
    [volume] = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    assert volume["State"] == "in-use" and volume["Size"] == 8
    assert volume["AvailabilityZone"] == inst["Placement"]["AvailabilityZone"]
    assert volume["Attachments"] == [
        {
            "AttachTime": volume["Attachments"][0]["AttachTime"],
            "Device": "/dev/xvda",
            "InstanceId": iid,
            "State": "attached",
            "VolumeId": volume_id,
            "DeleteOnTermination": True,
        }
    ]
    by_instance = ec2.describe_volumes(
        Filters=[{"Name": "attachment.instance-id", "Values": [iid]}]
    )["Volumes"]
    assert [v["VolumeId"] for v in by_instance] == [volume_id]
    # the same id from every call (derived, not stored)
    assert ec2.describe_volumes()["Volumes"] == [volume]
    rejected("InvalidVolume.NotFound", ec2.describe_volumes, VolumeIds=["vol-0123456789abcdef0"])
    rejected("InvalidVolumeID.Malformed", ec2.describe_volumes, VolumeIds=["root"])
    ec2.terminate_instances(InstanceIds=[iid])
    assert ec2.describe_volumes()["Volumes"] == []  # deleted with the instance
    [gone] = ec2.describe_instances(InstanceIds=[iid])["Reservations"][0]["Instances"]
    assert gone["BlockDeviceMappings"] == []


def test_empty_collections_and_account_defaults(ec2, rejected):
    assert ec2.describe_snapshots(OwnerIds=["self"])["Snapshots"] == []
    rejected(
        "InvalidSnapshot.NotFound", ec2.describe_snapshots, SnapshotIds=["snap-0123456789abcdef0"]
    )
    rejected("InvalidSnapshotID.Malformed", ec2.describe_snapshots, SnapshotIds=["nope"])
    vpc_filter = [{"Name": "vpc-id", "Values": ["vpc-0123456789abcdef0"]}]
    assert ec2.describe_vpc_endpoints(Filters=vpc_filter)["VpcEndpoints"] == []
    rejected(
        "InvalidVpcEndpointId.NotFound",
        ec2.describe_vpc_endpoints,
        VpcEndpointIds=["vpce-0123456789abcdef0"],
    )
    assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    assert ec2.get_instance_metadata_defaults()["AccountLevel"] == {}  # no defaults set
    assert ec2.get_snapshot_block_public_access_state()["State"] == "unblocked"
    assert ec2.get_image_block_public_access_state()["ImageBlockPublicAccessState"] == "unblocked"


def test_kinds_stockade_has_none_of_answer_empty(ec2, rejected):
    """What Prowler lists in every region and Ansible reads on re-runs: empty, not refused."""
    assert ec2.describe_launch_templates()["LaunchTemplates"] == []
    assert ec2.describe_launch_template_versions()["LaunchTemplateVersions"] == []
    assert ec2.describe_client_vpn_endpoints()["ClientVpnEndpoints"] == []
    assert ec2.describe_transit_gateways()["TransitGateways"] == []
    assert ec2.describe_vpn_connections()["VpnConnections"] == []
    profiles = ec2.describe_iam_instance_profile_associations(
        Filters=[{"Name": "instance-id", "Values": ["i-0123456789abcdef0"]}]
    )
    assert profiles["IamInstanceProfileAssociations"] == []
    services = ec2.describe_vpc_endpoint_services()
    assert services["ServiceNames"] == [] and services["ServiceDetails"] == []
    rejected(
        "InvalidLaunchTemplateId.NotFound",
        ec2.describe_launch_templates,
        LaunchTemplateIds=["lt-0123456789abcdef0"],
    )
    rejected(
        "InvalidLaunchTemplateId.NotFound",
        ec2.describe_launch_template_versions,
        LaunchTemplateId="lt-0123456789abcdef0",
    )
    rejected(
        "InvalidTransitGatewayID.NotFound",
        ec2.describe_transit_gateways,
        TransitGatewayIds=["tgw-0123456789abcdef0"],
    )
    rejected(
        "InvalidVpnConnectionID.NotFound",
        ec2.describe_vpn_connections,
        VpnConnectionIds=["vpn-01234567"],
    )
    rejected(
        "InvalidParameterValue",
        ec2.describe_transit_gateways,
        Filters=[{"Name": "colour", "Values": ["x"]}],
    )


def test_root_volume_tags_stick(ec2, subnet_id, rejected):
    """Terraform tags root volumes (``volume_tags``): CreateTags on the ``vol-`` id must
    show in DescribeVolumes (and its ``tag:`` filter) and DescribeTags."""
    iid = _run(ec2, subnet_id)
    [volume] = ec2.describe_volumes()["Volumes"]
    volume_id = volume["VolumeId"]
    ec2.create_tags(Resources=[volume_id], Tags=[{"Key": "Name", "Value": "root"}])
    [tagged] = ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"]
    assert tagged["Tags"] == [{"Key": "Name", "Value": "root"}]
    named = ec2.describe_volumes(Filters=[{"Name": "tag:Name", "Values": ["root"]}])["Volumes"]
    assert [v["VolumeId"] for v in named] == [volume_id]
    described = ec2.describe_tags(Filters=[{"Name": "resource-id", "Values": [volume_id]}])
    assert described["Tags"] == [
        {"ResourceId": volume_id, "ResourceType": "volume", "Key": "Name", "Value": "root"}
    ]
    ec2.delete_tags(Resources=[volume_id], Tags=[{"Key": "Name"}])
    assert ec2.describe_volumes(VolumeIds=[volume_id])["Volumes"][0].get("Tags", []) == []
    rejected(
        "InvalidVolume.NotFound",
        ec2.create_tags,
        Resources=["vol-0123456789abcdef0"],
        Tags=[{"Key": "Name", "Value": "x"}],
    )
    ec2.terminate_instances(InstanceIds=[iid])
    rejected(
        "InvalidVolume.NotFound",
        ec2.create_tags,
        Resources=[volume_id],
        Tags=[{"Key": "Name", "Value": "x"}],
    )
