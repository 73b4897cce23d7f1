"""Readers of what the resource settings show (the shapes of ``shapes/settings.py`` and an
instance's options in ``shapes/instances.py``): DHCP options sets, IAM instance-profile
associations, an instance's monitoring and metadata options, Elastic IPs' PTR records and
root-volume modifications. Strict for ``import aws`` (every value checked by the domain's
own rules, a bad one a located problem)."""

from __future__ import annotations

import hashlib

from stockade.domain.dhcp_options import DhcpOptions, configurations
from stockade.domain.elastic_ip import ptr_domain_name
from stockade.domain.instance_options import (
    MetadataOptions,
    ProfileAssociation,
    changed_metadata_options,
    profile_arn,
)
from stockade.domain.volume_modification_timeline import moment
from stockade.domain.volume_modifications import Modification, VolumeSettings
from stockade.shapes.fields import Node, Origin, owner, resource_id, timestamp
from stockade.shapes.settings import default_ptr_record

#: Associations that hold a profile (``disassociating``/``disassociated`` ones do not).
_HOLDING = ("associating", "associated")
#: Modifications that changed the volume (a ``failed`` one left it as it was).
_APPLIED = ("modifying", "optimizing", "completed")
#: Every state a modification may be in.
_STATES = (*_APPLIED, "failed")


def dhcp_options(node: Node, origin: Origin) -> DhcpOptions:
    given = [
        (c.text("Key"), [v.text("Value") for v in c.items("Values")])
        for c in node.items("DhcpConfigurations")
    ]
    return DhcpOptions(
        resource_id(node, "DhcpOptionsId", "dopt"),
        owner(node, origin),
        node.checked("DhcpConfigurations", configurations, given),
        node.tags(),
    )


def monitoring(instance: Node) -> bool:
    """Detailed monitoring on (``enabled``, or ``pending`` on its way there)."""
    shown = instance.opt_obj("Monitoring")
    return shown is not None and shown.opt_text("State") in ("enabled", "pending")


def metadata_options(instance: Node) -> MetadataOptions:
    """An instance's ``MetadataOptions`` (AWS's defaults where absent)."""
    shown = instance.opt_obj("MetadataOptions")
    if shown is None:
        return MetadataOptions()
    return instance.checked(
        "MetadataOptions",
        changed_metadata_options,
        MetadataOptions(),
        shown.opt_text("HttpTokens"),
        shown.opt_integer("HttpPutResponseHopLimit"),
        shown.opt_text("HttpEndpoint"),
        shown.opt_text("HttpProtocolIpv6"),
        shown.opt_text("InstanceMetadataTags"),
    )


def _arn(node: Node, origin: Origin) -> str:
    arn = node.obj("IamInstanceProfile").text("Arn")
    return node.canonical("IamInstanceProfile.Arn", profile_arn, origin.account, arn, None)


def profile_association(node: Node, origin: Origin) -> ProfileAssociation | None:
    """An ``IamInstanceProfileAssociation``; ``None`` if it no longer holds a profile."""
    if node.text("State") not in _HOLDING:
        return None
    return ProfileAssociation(
        resource_id(node, "AssociationId", "iip-assoc"),
        resource_id(node, "InstanceId", "i"),
        _arn(node, origin),
        timestamp(node, "Timestamp") or "",
    )


def instance_profile(
    instance: Node, instance_id: str, launch_time: str, origin: Origin
) -> ProfileAssociation | None:
    """An instance's ``IamInstanceProfile`` as an association, for an input without
    describe-iam-instance-profile-associations: its id derived from the pair, so every
    import of the same files names it alike."""
    if not instance.has("IamInstanceProfile"):
        return None
    arn = _arn(instance, origin)
    digest = hashlib.sha256(f"{instance_id}/{arn}".encode()).hexdigest()[:17]
    return ProfileAssociation(f"iip-assoc-{digest}", instance_id, arn, launch_time)


def ptr_record(node: Node, region: str) -> tuple[str, str | None]:
    """An ``AddressAttribute``: the allocation, and its PTR record unless it is AWS's
    default reverse name (which is no record of its own)."""
    allocation_id = resource_id(node, "AllocationId", "eipalloc")
    shown = node.opt_text("PtrRecord")
    if not shown:
        return allocation_id, None
    name = node.canonical("PtrRecord", ptr_domain_name, shown)
    default = default_ptr_record(node.text("PublicIp"), region)
    return allocation_id, None if name == default else name


def _side(node: Node, prefix: str) -> VolumeSettings:
    return VolumeSettings(
        node.integer(f"{prefix}Size"),
        node.text(f"{prefix}VolumeType"),
        node.opt_integer(f"{prefix}Iops"),
        node.opt_integer(f"{prefix}Throughput"),
    )


def volume_modification(node: Node) -> Modification | None:
    """A ``VolumeModification``; ``None`` for a failed one (the volume did not change).
    Its start is required: ModifyVolume's rules count from it."""
    volume_id = resource_id(node, "VolumeId", "vol")
    state = node.text("ModificationState")
    if state not in _STATES:
        raise node.problem(f"expected one of {', '.join(_STATES)}", "ModificationState")
    if state not in _APPLIED:
        return None
    start = timestamp(node, "StartTime")
    if start is None:
        raise node.problem("missing (required)", "StartTime")
    return Modification(
        volume_id,
        _side(node, "Original"),
        _side(node, "Target"),
        node.canonical("StartTime", _start_time, start),
    )


def _start_time(text: str) -> str:
    """An ISO 8601 time with its zone, as stored (``ValueError`` names what is wrong)."""
    try:
        when = moment(text)
    except ValueError:
        raise ValueError(f"expected an ISO 8601 time, got {text!r}") from None
    if when.tzinfo is None:
        raise ValueError(f"expected a time with its zone (UTC, Z), got {text!r}")
    return text
