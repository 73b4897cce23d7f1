"""What stockade does not model, answered as AWS would for the values users write.

Instance types, images and root volumes come from the deterministic catalogue in
``domain/`` (:mod:`~stockade.domain.instance_types`, :mod:`~stockade.domain.images`,
:mod:`~stockade.domain.volumes`; docs/catalogue.md); the account has no snapshots and no
VPC endpoints, EBS encryption by default is off and no instance-metadata defaults are set.
Terraform reads these on every plan and Prowler in every region, so an empty or default
answer in AWS's shape is what keeps them working (a refused call drops a whole region of
Prowler's results).
"""

from __future__ import annotations

import re
from typing import Any

from stockade.api.actions.describe import filters, page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain import errors
from stockade.domain import images as catalogue_images
from stockade.domain.instance_types import INSTANCE_TYPES, described_types
from stockade.shapes import catalogue as shapes

_TYPE_ALIASES = {
    "memory-info.size-in-mib": "MemoryInfo.SizeInMiB",
    "vcpu-info.default-vcpus": "VCpuInfo.DefaultVCpus",
    "vcpu-info.default-cores": "VCpuInfo.DefaultCores",
    "vcpu-info.default-threads-per-core": "VCpuInfo.DefaultThreadsPerCore",
    "processor-info.supported-architecture": "ProcessorInfo.SupportedArchitectures",
    "supported-usage-class": "SupportedUsageClasses",
}
_IMAGE_ALIASES = {
    "owner-alias": "ImageOwnerAlias",
    "is-public": "Public",
    **{
        f"block-device-mapping.{name}": f"BlockDeviceMappings.Ebs.{key}"
        for name, key in (
            ("volume-size", "VolumeSize"),
            ("volume-type", "VolumeType"),
            ("snapshot-id", "SnapshotId"),
            ("delete-on-termination", "DeleteOnTermination"),
            ("encrypted", "Encrypted"),
        )
    },
}
_VOLUME_ALIASES = {"status": "State", "attachment.status": "Attachments.State"}
_SNAPSHOT = re.compile(r"^snap-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z")
_ENDPOINT = re.compile(r"^vpce-(?:[0-9a-f]{8}|[0-9a-f]{17})\Z")


@action("DescribeInstanceTypes")
def describe_instance_types(call: Call) -> dict[str, Any]:
    named = call.get("InstanceTypes")
    kinds = described_types(list(named)) if named else list(INSTANCE_TYPES.values())
    selected = select(call, [shapes.instance_type(k) for k in kinds], _TYPE_ALIASES)
    items, token = page(call, selected, lambda s: s["InstanceType"], minimum=5, maximum=100)
    return with_token({"InstanceTypes": items}, token)


def _launched_images(call: Call) -> frozenset[str]:
    return frozenset(d.instance.image_id for d in call.services.instances.describe())


@action("DescribeImages")
def describe_images(call: Call) -> dict[str, Any]:
    fs = filters(call)  # invalid filter names fail before any work
    launched = _launched_images(call)
    named = call.get("ImageIds")
    if named:
        found = [catalogue_images.image(i, call.account, launched) for i in dict.fromkeys(named)]
    else:
        found = catalogue_images.listed_images(call.account, launched)
    if "all" in (call.get("ExecutableUsers") or ()):
        found = [i for i in found if i.public]  # launchable by everyone: the public ones
    owners = call.get("Owners")
    if owners:
        found = [i for i in found if catalogue_images.owned_by(i, list(owners), call.account)]
    selected = select(call, [shapes.image(i) for i in found], _IMAGE_ALIASES, fs)
    items, token = page(call, selected, lambda s: s["ImageId"], minimum=5, maximum=1000)
    return with_token({"Images": items}, token)


@action("DescribeVolumes")
def describe_volumes(call: Call) -> dict[str, Any]:
    fs = filters(call)
    volumes = call.services.volumes.volumes(call.get("VolumeIds") or ())
    tags = _tags_by_resource(call)
    shaped = [shapes.volume(v, tuple(sorted(tags.get(v.volume_id, {}).items()))) for v in volumes]
    selected = select(call, shaped, _VOLUME_ALIASES, fs)
    items, token = page(call, selected, lambda s: s["VolumeId"], minimum=5, maximum=500)
    return with_token({"Volumes": items}, token)


def _tags_by_resource(call: Call) -> dict[str, dict[str, str]]:
    """The scope's tags by resource id (volumes are derived, so their tags are looked up
    rather than carried)."""
    found: dict[str, dict[str, str]] = {}
    for resource_id, key, value in call.services.tags.list_tags():
        found.setdefault(resource_id, {})[key] = value
    return found


@action("DescribeSnapshots")
def describe_snapshots(call: Call) -> dict[str, Any]:
    """The caller has no snapshots (stockade keeps no block storage to snapshot)."""
    filters(call)
    for snapshot_id in call.get("SnapshotIds") or ():
        raise _no_such_snapshot(snapshot_id)
    return {"Snapshots": []}


def _no_such_snapshot(snapshot_id: str) -> errors.AwsError:
    """A named snapshot: malformed, or (well formed) not found, since there are none."""
    if not _SNAPSHOT.match(snapshot_id):
        return errors.error(
            "InvalidSnapshotID.Malformed", f'Invalid id: "{snapshot_id}" (expecting "snap-...")'
        )
    return errors.error("InvalidSnapshot.NotFound", f"The snapshot '{snapshot_id}' does not exist.")


_SNAPSHOT_ATTRIBUTES = ("productCodes", "createVolumePermission")


@action("DescribeSnapshotAttribute")
def describe_snapshot_attribute(call: Call) -> dict[str, Any]:
    """Prowler asks each snapshot's ``createVolumePermission``; there are no snapshots, so
    a valid request names one that does not exist."""
    attribute = call.get("Attribute")
    if attribute not in _SNAPSHOT_ATTRIBUTES:
        # [UNVERIFIED] AWS's wording for an unknown snapshot attribute.
        raise errors.invalid_value("Attribute", attribute, "Unknown attribute.")
    snapshot_id = call.get("SnapshotId")
    if not snapshot_id:
        raise errors.missing_parameter("SnapshotId")
    raise _no_such_snapshot(snapshot_id)


@action("DescribeVpcEndpoints")
def describe_vpc_endpoints(call: Call) -> dict[str, Any]:
    """No VPC endpoints exist (stockade serves no AWS service to put behind one)."""
    filters(call)
    for endpoint_id in call.get("VpcEndpointIds") or ():
        if not _ENDPOINT.match(endpoint_id):
            raise errors.error(
                "InvalidVpcEndpointId.Malformed",
                f'Invalid id: "{endpoint_id}" (expecting "vpce-...")',
            )
        # [UNVERIFIED] AWS's wording for an unknown endpoint id.
        raise errors.error(
            "InvalidVpcEndpointId.NotFound", f"The Vpc Endpoint Id '{endpoint_id}' does not exist"
        )
    return {"VpcEndpoints": []}


@action("GetEbsEncryptionByDefault")
def get_ebs_encryption_by_default(call: Call) -> dict[str, Any]:
    return {"EbsEncryptionByDefault": False, "SseType": "sse-ebs"}


@action("GetInstanceMetadataDefaults")
def get_instance_metadata_defaults(call: Call) -> dict[str, Any]:
    """No account-level defaults set: instances take each launch's own metadata options."""
    return {"AccountLevel": {}}


@action("GetSnapshotBlockPublicAccessState")
def get_snapshot_block_public_access_state(call: Call) -> dict[str, Any]:
    return {"State": "unblocked"}


@action("GetImageBlockPublicAccessState")
def get_image_block_public_access_state(call: Call) -> dict[str, Any]:
    return {"ImageBlockPublicAccessState": "unblocked"}
