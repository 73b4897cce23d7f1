"""ModifyVolume and DescribeVolumesModifications on root volumes (Terraform's
``root_block_device`` changes; it waits for the modification to reach ``optimizing`` or
``completed``). DescribeVolumes stays with the catalogue."""

from __future__ import annotations

from typing import Any

from stockade.api.actions.common import reject_unsupported
from stockade.api.actions.describe import filters, page, select, with_token
from stockade.api.actions.registry import Call, action
from stockade.domain.volume_modification_timeline import STARTED
from stockade.shapes.settings import volume_modification as _modification

_ALIASES = {"original-size": "OriginalSize", "target-size": "TargetSize"}


@action("ModifyVolume")
def modify_volume(call: Call) -> dict[str, Any]:
    reject_unsupported(call, "MultiAttachEnabled", "MultiAvailabilityZoneConfiguration")
    modification = call.services.volumes.modify(
        call.get("VolumeId"),
        call.get("Size"),
        call.get("VolumeType"),
        call.get("Iops"),
        call.get("Throughput"),
    )
    return {"VolumeModification": _modification(modification, STARTED)}


@action("DescribeVolumesModifications")
def describe_volumes_modifications(call: Call) -> dict[str, Any]:
    fs = filters(call)
    found = call.services.volumes.modifications(call.get("VolumeIds") or ())
    shaped = [_modification(m, progress) for m, progress in found]
    items, token = page(
        call, select(call, shaped, _ALIASES, fs), lambda s: s["VolumeId"], minimum=1, maximum=500
    )
    return with_token({"VolumesModifications": items}, token)
