"""ModifyVolume on a root volume: what may change and how EC2 checks it.

A root volume is derived from its instance (``domain/volumes.py``); a modification is
kept as the volume's settings and applied to it on every read. EC2's rules as
documented for elastic volumes: the size only grows (up to 16 TiB for SSD types), a boot
volume is never ``st1``/``sc1``, provisioned IOPS only on ``gp3``/``io1``/``io2`` within
each type's range, throughput only on ``gp3``. The new settings apply from the start; how
far the modification has got, and when the volume may be modified again, follow from its
start time (``domain/volume_modification_timeline.py``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

from stockade.domain import errors
from stockade.domain.volumes import GP3_IOPS, GP3_THROUGHPUT, RootVolume

VOLUME_SETTINGS = "volume"
MODIFICATION = "volume-modification"
#: the volume's modifications before its latest that started within the rolling window,
#: oldest first, each a :class:`Modification` value: what the limit on how many may start
#: counts (``volume_modification_timeline.check_may_modify``) beside the latest, and what
#: ``export aws`` carries so that an import counts them too
EARLIER_MODIFICATIONS = "volume-earlier-modifications"
#: start times alone (the latest's included), as stores written before the earlier
#: modifications were kept whole hold them: still counted until they leave the window
MODIFICATION_STARTS = "volume-modification-starts"

_TYPES = ("standard", "gp2", "gp3", "io1", "io2", "st1", "sc1")
_NOT_BOOT = ("st1", "sc1")
_MAX_SIZE_GIB = {"standard": 1024, "io2": 65536}  # others: 16 TiB
_IOPS = {"gp3": (3000, 16000), "io1": (100, 64000), "io2": (100, 256000)}
_THROUGHPUT = (125, 1000)


def _gp2_iops(size_gib: int) -> int:
    """gp2's baseline: 3 IOPS per GiB, at least 100, at most 16,000."""
    return min(16000, max(100, 3 * size_gib))


@dataclass(frozen=True)
class VolumeSettings:
    size_gib: int
    volume_type: str
    iops: int | None
    throughput: int | None

    @classmethod
    def of(cls, volume: RootVolume) -> VolumeSettings:
        return cls(volume.size_gib, volume.volume_type, volume.iops, volume.throughput)

    def applied_to(self, volume: RootVolume) -> RootVolume:
        return replace(
            volume,
            size_gib=self.size_gib,
            volume_type=self.volume_type,
            iops=self.iops,
            throughput=self.throughput,
        )

    def as_value(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> VolumeSettings:
        return cls(**value)


def as_modified(volume: RootVolume, settings: dict[str, Any] | None) -> RootVolume:
    """A root volume as ModifyVolume left it (its stored ``VOLUME_SETTINGS``, if any)."""
    return VolumeSettings.from_value(settings).applied_to(volume) if settings else volume


def modified(
    current: VolumeSettings,
    size_gib: int | None,
    volume_type: str | None,
    iops: int | None,
    throughput: int | None,
) -> VolumeSettings:
    """The volume's settings after ModifyVolume, checked as EC2 checks them."""
    if size_gib is None and volume_type is None and iops is None and throughput is None:
        # [UNVERIFIED] AWS's code when nothing is asked.
        raise errors.missing_parameter("Size, VolumeType, Iops or Throughput")
    kind = volume_type if volume_type is not None else current.volume_type
    if kind not in _TYPES:
        raise errors.invalid_value("VolumeType", kind)
    if kind in _NOT_BOOT:
        # [UNVERIFIED] AWS's wording: st1 and sc1 cannot be boot volumes.
        raise errors.invalid_parameter_value(f"Volume type {kind} cannot be used as a root volume.")
    size = size_gib if size_gib is not None else current.size_gib
    if size < current.size_gib:
        raise errors.invalid_parameter_value("New size cannot be smaller than existing size.")
    if size > _MAX_SIZE_GIB.get(kind, 16384):
        raise errors.invalid_value("Size", size, f"The maximum for {kind} is exceeded.")
    if iops is not None and kind not in _IOPS:
        raise errors.invalid_parameter_value(f"IOPS may not be specified for {kind} volumes.")
    if throughput is not None and kind != "gp3":
        raise errors.invalid_parameter_value(f"Throughput may not be specified for {kind} volumes.")
    if kind == "gp3":
        new_iops = iops if iops is not None else _kept(current, "gp3", current.iops, GP3_IOPS)
        new_throughput = (
            throughput
            if throughput is not None
            else _kept(current, "gp3", current.throughput, GP3_THROUGHPUT)
        )
        if not _THROUGHPUT[0] <= new_throughput <= _THROUGHPUT[1]:
            raise errors.invalid_value("Throughput", new_throughput)
    elif kind in _IOPS:
        new_iops = iops if iops is not None else _kept(current, kind, current.iops, None)
        new_throughput = None
        if new_iops is None:
            raise errors.missing_parameter("Iops")
    else:
        new_iops = _gp2_iops(size) if kind == "gp2" else None
        new_throughput = None
    if kind in _IOPS:
        low, high = _IOPS[kind]
        if new_iops is None or not low <= new_iops <= high:
            raise errors.invalid_value("Iops", new_iops, f"It must be between {low} and {high}.")
    return VolumeSettings(size, kind, new_iops, new_throughput)


def _kept(current: VolumeSettings, kind: str, value: int | None, default: int | None) -> Any:
    """A provisioned figure carried over while the type stays; a new type's default."""
    return value if current.volume_type == kind and value is not None else default


@dataclass(frozen=True)
class Modification:
    """The last modification of a volume (AWS keeps the latest one per volume)."""

    volume_id: str
    original: VolumeSettings
    target: VolumeSettings
    start_time: str  # ISO 8601, UTC; its state follows from it (volume_modification_timeline)

    def as_value(self) -> dict[str, Any]:
        return {
            "volume_id": self.volume_id,
            "original": self.original.as_value(),
            "target": self.target.as_value(),
            "start_time": self.start_time,
        }

    @classmethod
    def from_value(cls, value: dict[str, Any]) -> Modification:
        return cls(
            value["volume_id"],
            VolumeSettings.from_value(value["original"]),
            VolumeSettings.from_value(value["target"]),
            value["start_time"],
        )
