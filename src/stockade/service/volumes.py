"""Root volumes with their modifications: DescribeVolumes' volumes, ModifyVolume and
DescribeVolumesModifications.

A root volume is derived from its instance (``domain/volumes.py``); what ModifyVolume
changed is kept as the volume's settings and applied on every read, and the latest
modification is kept beside it for DescribeVolumesModifications, with the earlier ones
started within the rolling window (EC2's limit on how many may start counts them, and
``export aws`` carries them whole, so an imported store counts them alike). How far a
modification has got is read at the context's clock, so it moves on without a writer. A
terminated instance's volume is gone, and so are its settings' effects (they are never
read again).
"""

from __future__ import annotations

from collections.abc import Sequence

from stockade.domain import errors
from stockade.domain.volume_modification_timeline import (
    Progress,
    check_may_modify,
    progress_at,
    starts_in_window,
    timestamp,
)
from stockade.domain.volume_modifications import (
    EARLIER_MODIFICATIONS,
    MODIFICATION,
    MODIFICATION_STARTS,
    VOLUME_SETTINGS,
    Modification,
    VolumeSettings,
    as_modified,
    modified,
)
from stockade.domain.volumes import RootVolume, check_volume_ids, root_volume
from stockade.service import lookups
from stockade.service.context import ServiceContext
from stockade.store.repository import Transaction


def _unmodified(tx: Transaction) -> list[RootVolume]:
    """The scope's root volumes as their instances make them (a terminated one has none)."""
    volumes = (root_volume(instance) for instance in tx.list_instances())
    return [v for v in volumes if v is not None]


def _volumes(tx: Transaction) -> list[RootVolume]:
    settings = tx.list_settings(VOLUME_SETTINGS)
    return [as_modified(v, settings.get(v.volume_id)) for v in _unmodified(tx)]


class VolumeService:
    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx

    def volumes(self, volume_ids: Sequence[str] = ()) -> list[RootVolume]:
        """The scope's volumes, or those named (each well formed and existing)."""
        with self.ctx.read() as tx:
            found = _volumes(tx)
        if volume_ids:
            check_volume_ids(list(volume_ids), {v.volume_id for v in found})
            found = [v for v in found if v.volume_id in volume_ids]
        return found

    def modify(
        self,
        volume_id: str | None,
        size_gib: int | None = None,
        volume_type: str | None = None,
        iops: int | None = None,
        throughput: int | None = None,
    ) -> Modification:
        """Start a modification: the request checked first (a bad one is refused for what
        it is), then EC2's wait (the last one completed, a place in the rolling window)."""
        with self.ctx.write() as tx:
            volume = lookups.unmodified_volume(tx, volume_id)  # malformed or unknown
            settings = tx.settings_of(volume.volume_id)  # read once: the volume's and its last
            volume = as_modified(volume, settings.get(VOLUME_SETTINGS))
            original = VolumeSettings.of(volume)
            target = modified(original, size_gib, volume_type, iops, throughput)
            now = self.ctx.clock()
            last = settings.get(MODIFICATION)
            latest = Modification.from_value(last) if last else None
            counted = [
                *(Modification.from_value(v) for v in settings.get(EARLIER_MODIFICATIONS, ())),
                *([latest] if latest else []),
            ]
            legacy = settings.get(MODIFICATION_STARTS, ())  # a store written before
            recent = starts_in_window([*legacy, *(m.start_time for m in counted)], now)
            check_may_modify(volume.volume_id, latest.start_time if latest else None, recent, now)
            modification = Modification(volume.volume_id, original, target, timestamp(now))
            earlier = [m.as_value() for m in counted if m.start_time in recent]
            tx.set_setting(volume.volume_id, VOLUME_SETTINGS, target.as_value())
            tx.set_setting(volume.volume_id, MODIFICATION, modification.as_value())
            tx.set_setting(volume.volume_id, EARLIER_MODIFICATIONS, earlier or None)
            if legacy:  # its starts not kept whole still count, until they leave the window
                kept = set(recent) - {m["start_time"] for m in earlier}
                tx.set_setting(volume.volume_id, MODIFICATION_STARTS, sorted(kept) or None)
            return modification

    def modifications(self, volume_ids: Sequence[str] = ()) -> list[tuple[Modification, Progress]]:
        """The latest modification of each volume and how far it has got now (all, or those
        named: a named volume never modified is ``InvalidVolumeModification.NotFound``)."""
        now = self.ctx.clock()
        with self.ctx.read() as tx:
            live = {v.volume_id for v in _unmodified(tx)}  # their ids: settings not needed
            recorded = tx.list_settings(MODIFICATION)
        if volume_ids:
            check_volume_ids(list(volume_ids), live)
            for volume_id in volume_ids:
                if volume_id not in recorded:
                    # [UNVERIFIED] AWS's wording.
                    raise errors.error(
                        "InvalidVolumeModification.NotFound",
                        f"Modification for volume '{volume_id}' does not exist.",
                    )
        wanted = set(volume_ids) if volume_ids else live
        found = [Modification.from_value(v) for k, v in recorded.items() if k in wanted]
        return [(m, progress_at(m.start_time, now)) for m in found]
