"""ModifyVolume's wait on the service, its time read from the context's clock (moved by the
test, never slept on), as AWS's ModifyVolume reference states it: the next modification of a
volume waits for the previous one to be ``completed`` (``IncorrectModificationState``), and at
most four may start within any rolling 24 hours (``VolumeModificationRateExceeded``); a
refused call changes nothing, and other volumes are not held back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from stockade.domain.volume_modification_timeline import COMPLETED_AFTER, MODIFYING_FOR
from stockade.domain.volume_modifications import (
    EARLIER_MODIFICATIONS,
    MODIFICATION,
    MODIFICATION_STARTS,
)
from stockade.domain.volumes import root_volume_id
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def _launch(svc: Services, count: int) -> list[str]:
    vpc = svc.network.create_vpc("10.0.0.0/16")
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    launched = svc.instances.run(
        LaunchRequest(min_count=count, max_count=count, subnet_id=subnet.subnet_id)
    )
    return [d.instance.instance_id for d in launched]


def _volumes(svc: Services, count: int) -> list[str]:
    return [root_volume_id(i) for i in _launch(svc, count)]


def _size(svc: Services, volume_id: str) -> int:
    [volume] = svc.volumes.volumes([volume_id])
    return volume.size_gib


def _state(svc: Services, volume_id: str) -> str:
    [(_, progress)] = svc.volumes.modifications([volume_id])
    return progress.state


def test_the_next_modification_waits_for_the_previous_to_complete(
    ctx: ServiceContext, rejected
) -> None:
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    first, other = _volumes(svc, 2)
    started = svc.volumes.modify(first, size_gib=10)
    assert started.start_time == "2026-03-01T09:00:00Z"

    clock.now = T0 + timedelta(seconds=1)
    assert _state(svc, first) == "modifying"
    error = rejected("IncorrectModificationState", svc.volumes.modify, first, size_gib=12)
    assert error.message == f"Volume {first} cannot be modified in modification state MODIFYING"
    clock.now = T0 + MODIFYING_FOR
    assert _state(svc, first) == "optimizing"
    error = rejected("IncorrectModificationState", svc.volumes.modify, first, iops=4000)
    assert error.message.endswith("OPTIMIZING")
    clock.now = T0 + COMPLETED_AFTER - timedelta(seconds=1)
    rejected("IncorrectModificationState", svc.volumes.modify, first, size_gib=12)
    [(kept, _)] = svc.volumes.modifications([first])
    assert kept == started  # the refusals changed nothing
    assert _size(svc, first) == 10
    svc.volumes.modify(other, size_gib=9)  # the wait is per volume

    clock.now = T0 + COMPLETED_AFTER
    [(_, done)] = svc.volumes.modifications([first])
    assert (done.state, done.percent, done.end_time) == ("completed", 100, "2026-03-01T09:01:00Z")
    again = svc.volumes.modify(first, size_gib=12)
    assert (again.original.size_gib, again.target.size_gib) == (10, 12)
    assert again.start_time == "2026-03-01T09:01:00Z"
    assert _state(svc, first) == "modifying"
    assert _size(svc, first) == 12


def test_four_modifications_within_a_rolling_day(ctx: ServiceContext, rejected) -> None:
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    volume, other = _volumes(svc, 2)
    for hour in range(4):  # 09:00, 10:00, 11:00, 12:00, each completed before the next
        clock.now = T0 + timedelta(hours=hour)
        svc.volumes.modify(volume, size_gib=10 + hour)

    clock.now = T0 + timedelta(hours=4)
    error = rejected("VolumeModificationRateExceeded", svc.volumes.modify, volume, size_gib=20)
    assert "Wait until 2026-03-02T09:00:00Z" in error.message
    assert _size(svc, volume) == 13
    [(last, _)] = svc.volumes.modifications([volume])
    assert last.start_time == "2026-03-01T12:00:00Z"
    svc.volumes.modify(other, size_gib=20)  # the limit is per volume
    clock.now = T0 + timedelta(hours=24) - timedelta(seconds=1)
    rejected("VolumeModificationRateExceeded", svc.volumes.modify, volume, size_gib=20)

    clock.now = T0 + timedelta(hours=24)  # 09:00 has left the window: a place is free
    fifth = svc.volumes.modify(volume, size_gib=20)
    assert (fifth.original.size_gib, fifth.target.size_gib) == (13, 20)
    clock.now += timedelta(minutes=30)  # 10:00 to 09:00 the next day: four again
    error = rejected("VolumeModificationRateExceeded", svc.volumes.modify, volume, size_gib=21)
    assert "Wait until 2026-03-02T10:00:00Z" in error.message
    clock.now = T0 + timedelta(hours=25)
    svc.volumes.modify(volume, size_gib=21)


def test_the_wait_counts_a_last_modification_recorded_alone(ctx: ServiceContext, rejected) -> None:
    """A volume imported from AWS's describe-volumes-modifications has its latest
    modification and no earlier ones: the latest still counts, both for completion and in
    the window."""
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    [volume] = _volumes(svc, 1)
    for hour in range(4):
        clock.now = T0 + timedelta(hours=hour)
        svc.volumes.modify(volume, size_gib=10 + hour)
    with ctx.read() as tx:  # the three earlier kept whole; the latest only in its record
        earlier = tx.settings_of(volume)[EARLIER_MODIFICATIONS]
    assert [m["target"]["size_gib"] for m in earlier] == [10, 11, 12]
    clock.now = T0 + timedelta(hours=4)
    rejected("VolumeModificationRateExceeded", svc.volumes.modify, volume, size_gib=20)
    with ctx.write() as tx:
        tx.set_setting(volume, EARLIER_MODIFICATIONS, None)
    clock.now = T0 + timedelta(hours=3, seconds=1)
    rejected("IncorrectModificationState", svc.volumes.modify, volume, size_gib=20)
    with ctx.read() as tx:
        assert MODIFICATION in tx.settings_of(volume)


def test_starts_recorded_alone_by_an_older_store_still_count(ctx: ServiceContext, rejected) -> None:
    """A store written before the earlier modifications were kept whole holds their start
    times alone: they count until they leave the window, across the next modification."""
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    [volume] = _volumes(svc, 1)
    for hour in range(4):  # 09:00 .. 12:00
        clock.now = T0 + timedelta(hours=hour)
        svc.volumes.modify(volume, size_gib=10 + hour)
    with ctx.write() as tx:  # as the older store kept them
        starts = [f"2026-03-01T{9 + hour:02d}:00:00Z" for hour in range(4)]
        tx.set_setting(volume, EARLIER_MODIFICATIONS, None)
        tx.set_setting(volume, MODIFICATION_STARTS, starts)
    clock.now = T0 + timedelta(hours=4)
    rejected("VolumeModificationRateExceeded", svc.volumes.modify, volume, size_gib=20)
    clock.now = T0 + timedelta(hours=24)  # 09:00 has left the window
    svc.volumes.modify(volume, size_gib=20)
    clock.now += timedelta(minutes=30)  # 10:00 and 11:00 alone, 12:00 kept whole, and now
    error = rejected("VolumeModificationRateExceeded", svc.volumes.modify, volume, size_gib=21)
    assert "Wait until 2026-03-02T10:00:00Z" in error.message
    with ctx.read() as tx:
        settings = tx.settings_of(volume)
    assert settings[MODIFICATION_STARTS] == ["2026-03-01T10:00:00Z", "2026-03-01T11:00:00Z"]
    assert [m["start_time"] for m in settings[EARLIER_MODIFICATIONS]] == ["2026-03-01T12:00:00Z"]


def test_a_stopped_instance_s_volume_is_in_use_and_a_terminated_one_s_is_gone(
    ctx: ServiceContext, rejected
) -> None:
    """AWS modifies a volume ``in-use`` or ``available``: a root volume is ``in-use`` while
    its instance lives, stopped or not; a terminated instance's volume no longer exists."""
    svc = Services(replace(ctx, clock=_Clock()))
    stopped, ended = _launch(svc, 2)
    svc.instances.stop([stopped])
    svc.instances.terminate([ended])
    modification = svc.volumes.modify(root_volume_id(stopped), size_gib=30)
    assert modification.target.size_gib == 30
    rejected("InvalidVolume.NotFound", svc.volumes.modify, root_volume_id(ended), size_gib=30)


def test_a_bad_request_is_refused_for_what_it_is_even_while_waiting(
    ctx: ServiceContext, rejected
) -> None:
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    [volume] = _volumes(svc, 1)
    svc.volumes.modify(volume, size_gib=10)
    rejected("InvalidParameterValue", svc.volumes.modify, volume, size_gib=4)
    rejected("InvalidVolume.NotFound", svc.volumes.modify, "vol-0123456789abcdef0", size_gib=9)
