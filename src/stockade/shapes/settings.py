"""Writers of what the resource settings show (``store/transaction_settings.py``): DHCP
options sets, root-volume modifications and Elastic IPs' PTR records, as the API serves
them and ``export aws`` writes them (one writer for both)."""

from __future__ import annotations

from typing import Any

from stockade.domain.dhcp_options import DhcpOptions
from stockade.domain.elastic_ip import ElasticIp
from stockade.domain.volume_modification_timeline import Progress
from stockade.domain.volume_modifications import Modification, VolumeSettings
from stockade.shapes import tag_list
from stockade.shapes.instances import public_dns_name


def dhcp_options(d: DhcpOptions) -> dict[str, Any]:
    """A ``DhcpOptions`` (DescribeDhcpOptions)."""
    return {
        "DhcpOptionsId": d.dhcp_options_id,
        "OwnerId": d.owner_id,
        "DhcpConfigurations": [
            {"Key": key, "Values": [{"Value": v} for v in values]}
            for key, values in d.configurations
        ],
        "Tags": tag_list(d.tags),
    }


def _sides(prefix: str, settings: VolumeSettings) -> dict[str, Any]:
    out: dict[str, Any] = {
        f"{prefix}Size": settings.size_gib,
        f"{prefix}VolumeType": settings.volume_type,
        f"{prefix}MultiAttachEnabled": False,
    }
    if settings.iops is not None:
        out[f"{prefix}Iops"] = settings.iops
    if settings.throughput is not None:
        out[f"{prefix}Throughput"] = settings.throughput
    return out


def volume_modification(m: Modification, progress: Progress) -> dict[str, Any]:
    """A ``VolumeModification`` as it stands (ModifyVolume's answer, which shows it as it
    starts, and DescribeVolumesModifications, which shows it at the time of the call)."""
    out = {
        "VolumeId": m.volume_id,
        "ModificationState": progress.state,
        "StartTime": m.start_time,
        "Progress": progress.percent,
        **_sides("Original", m.original),
        **_sides("Target", m.target),
    }
    if progress.end_time is not None:
        out["EndTime"] = progress.end_time
    return out


def address_attribute(eip: ElasticIp, ptr_record: str | None) -> dict[str, Any]:
    """An ``AddressAttribute``: without a record of its own, AWS's default reverse name."""
    return {
        "PublicIp": eip.public_ip,
        "AllocationId": eip.allocation_id,
        "PtrRecord": ptr_record or default_ptr_record(eip.public_ip, eip.region),
    }


def default_ptr_record(public_ip: str, region: str) -> str:
    """The reverse name AWS gives an address that has no PTR record of its own."""
    return public_dns_name(public_ip, region)
