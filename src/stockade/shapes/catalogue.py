"""EC2 shapes of the catalogue stockade answers from (instance types, images, root volumes)
and of an instance's status and credit option, keyed by botocore member names."""

from __future__ import annotations

from typing import Any

from stockade.domain.images import CREATION_DATE, ROOT_SIZE_GIB, Image
from stockade.domain.instance import Instance, InstanceState
from stockade.domain.instance_types import InstanceType
from stockade.domain.tags import Tags
from stockade.domain.volumes import VOLUME_TYPE, RootVolume
from stockade.shapes import tag_list


def instance_type(kind: InstanceType) -> dict[str, Any]:
    nitro = kind.hypervisor == "nitro"
    return {
        "InstanceType": kind.name,
        "CurrentGeneration": kind.current_generation,
        "FreeTierEligible": kind.free_tier,
        "SupportedUsageClasses": ["on-demand", "spot"],
        "SupportedRootDeviceTypes": ["ebs"],
        "SupportedVirtualizationTypes": ["hvm"] if kind.current_generation else ["paravirtual"],
        "BareMetal": False,
        "Hypervisor": kind.hypervisor,
        "ProcessorInfo": {"SupportedArchitectures": [kind.architecture]},
        "VCpuInfo": {
            "DefaultVCpus": kind.vcpus,
            "DefaultCores": kind.cores,
            "DefaultThreadsPerCore": kind.threads_per_core,
        },
        "MemoryInfo": {"SizeInMiB": kind.memory_mib},
        "InstanceStorageSupported": False,
        "EbsInfo": {
            "EbsOptimizedSupport": "default" if kind.ebs_optimized_by_default else "supported",
            "EncryptionSupport": "supported",
            "NvmeSupport": "required" if nitro else "unsupported",
        },
        "NetworkInfo": {
            "NetworkPerformance": kind.network_performance,
            "MaximumNetworkInterfaces": kind.max_interfaces,
            "MaximumNetworkCards": 1,
            "DefaultNetworkCardIndex": 0,
            "Ipv4AddressesPerInterface": kind.ipv4_per_interface,
            "Ipv6AddressesPerInterface": kind.ipv4_per_interface,
            "Ipv6Supported": kind.current_generation,
            "EnaSupport": "required" if nitro else "unsupported",
            "EfaSupported": False,
            "EncryptionInTransitSupported": False,
        },
        "PlacementGroupInfo": {"SupportedStrategies": ["partition", "spread"]},
        "HibernationSupported": kind.current_generation,
        "BurstablePerformanceSupported": kind.burstable,
        "DedicatedHostsSupported": not kind.burstable,
        "AutoRecoverySupported": True,
        "SupportedBootModes": ["legacy-bios", "uefi"]
        if kind.architecture == "x86_64"
        else ["uefi"],
    }


def image(img: Image) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ImageId": img.image_id,
        "ImageLocation": img.location,
        "State": "available",
        "OwnerId": img.owner_id,
        "CreationDate": CREATION_DATE,
        "Public": img.public,
        "Architecture": img.architecture,
        "ImageType": "machine",
        "Name": img.name,
        "Description": img.description,
        "RootDeviceType": "ebs",
        "RootDeviceName": img.root_device_name,
        "BlockDeviceMappings": [
            {
                "DeviceName": img.root_device_name,
                "Ebs": {
                    "DeleteOnTermination": True,
                    "SnapshotId": img.snapshot_id,
                    "VolumeSize": ROOT_SIZE_GIB,
                    "VolumeType": VOLUME_TYPE,
                    "Encrypted": False,
                },
            }
        ],
        "VirtualizationType": "hvm",
        "Hypervisor": "xen",
        "EnaSupport": True,
        "SriovNetSupport": "simple",
        "PlatformDetails": "Linux/UNIX",
        "UsageOperation": "RunInstances",
        "BootMode": "uefi-preferred",
        "Tags": [],
    }
    if img.owner_alias:
        out["ImageOwnerAlias"] = img.owner_alias
    return out


def volume(vol: RootVolume, tags: Tags = ()) -> dict[str, Any]:
    return {
        "VolumeId": vol.volume_id,
        "Size": vol.size_gib,
        "AvailabilityZone": vol.availability_zone,
        "State": "in-use",
        "CreateTime": vol.attached_at,
        "Attachments": [
            {
                "AttachTime": vol.attached_at,
                "Device": vol.device,
                "InstanceId": vol.instance_id,
                "State": "attached",
                "VolumeId": vol.volume_id,
                "DeleteOnTermination": True,
            }
        ],
        "Encrypted": False,
        "VolumeType": vol.volume_type,
        **({"Iops": vol.iops} if vol.iops is not None else {}),
        **({"Throughput": vol.throughput} if vol.throughput is not None else {}),
        "MultiAttachEnabled": False,
        "Tags": tag_list(tags),
    }


def root_device_mapping(vol: RootVolume) -> dict[str, Any]:
    """An instance's ``BlockDeviceMappings`` entry for its root volume."""
    return {
        "DeviceName": vol.device,
        "Ebs": {
            "AttachTime": vol.attached_at,
            "DeleteOnTermination": True,
            "Status": "attached",
            "VolumeId": vol.volume_id,
        },
    }


def _check(status: str) -> dict[str, Any]:
    details = [] if status == "not-applicable" else [{"Name": "reachability", "Status": "passed"}]
    return {"Status": status, "Details": details}


def instance_status(inst: Instance, zone_id: str | None) -> dict[str, Any]:
    """A running instance passes both checks at once (its namespace is up when RunInstances
    returns); any other state has no checks to report, as in EC2."""
    status = "ok" if inst.state is InstanceState.RUNNING else "not-applicable"
    out: dict[str, Any] = {
        "InstanceId": inst.instance_id,
        "AvailabilityZone": inst.availability_zone,
        "InstanceState": {"Code": inst.state.code, "Name": inst.state.value},
        "InstanceStatus": _check(status),
        "SystemStatus": _check(status),
        "Events": [],
    }
    if zone_id:
        out["AvailabilityZoneId"] = zone_id
    return out
