"""Root volumes: one per instance, derived from it, since stockade models no block storage.

Terraform reads an instance's root volume (``DescribeVolumes`` on the id in its
``BlockDeviceMappings``) on every plan, and Prowler lists volumes for its encryption
checks. Each instance that is not terminated has exactly one: an 8 GiB gp3 volume at
``/dev/xvda``, attached since launch, deleted with the instance. Its id is derived from the
instance id, so every call (and every process sharing the store) names the same volume.
Documented in docs/catalogue.md.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from stockade.domain import errors, ids
from stockade.domain.images import ROOT_DEVICE, ROOT_SIZE_GIB
from stockade.domain.instance import Instance, InstanceState

VOLUME_TYPE = "gp3"
#: gp3's baseline, which AWS reports for every gp3 volume not provisioned higher.
GP3_IOPS, GP3_THROUGHPUT = 3000, 125


@dataclass(frozen=True)
class RootVolume:
    volume_id: str
    instance_id: str
    availability_zone: str
    attached_at: str  # ISO 8601: the instance's launch time
    size_gib: int = ROOT_SIZE_GIB
    device: str = ROOT_DEVICE
    #: as launched, or as ModifyVolume left them (``domain/volume_modifications.py``)
    volume_type: str = VOLUME_TYPE
    iops: int | None = GP3_IOPS
    throughput: int | None = GP3_THROUGHPUT


def root_volume_id(instance_id: str) -> str:
    return "vol-" + hashlib.sha256(f"root\x00{instance_id}".encode()).hexdigest()[:17]


def root_volume(instance: Instance) -> RootVolume | None:
    """The instance's root volume; none once the instance is terminated (deleted with it)."""
    if instance.state is InstanceState.TERMINATED:
        return None
    return RootVolume(
        root_volume_id(instance.instance_id),
        instance.instance_id,
        instance.availability_zone,
        instance.launch_time,
    )


def check_volume_ids(volume_ids: list[str], known: set[str]) -> None:
    """``VolumeIds``: each well-formed and existing, as EC2 checks them."""
    for volume_id in volume_ids:
        ids.check("vol", volume_id)
    missing = [v for v in volume_ids if v not in known]
    if missing:
        raise errors.not_found("vol", missing[0])
