"""ModifyVolume's rate limit on the service, its time read from the context's clock (moved
by the test, never slept on): a volume's next modification is refused until six hours
after the previous one started (``VolumeModificationRateExceeded``, changing nothing),
and allowed from then on; other volumes are not held back."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from stockade.domain.volumes import root_volume_id
from stockade.service.bundle import Services
from stockade.service.context import ServiceContext
from stockade.service.contracts import LaunchRequest


class _Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _volumes(svc: Services, count: int) -> list[str]:
    vpc = svc.network.create_vpc("10.0.0.0/16")
    subnet = svc.network.create_subnet(vpc.vpc_id, "10.0.1.0/24")
    launched = svc.instances.run(
        LaunchRequest(min_count=count, max_count=count, subnet_id=subnet.subnet_id)
    )
    return [root_volume_id(d.instance.instance_id) for d in launched]


def test_a_second_modification_waits_six_hours_from_the_first_start(
    ctx: ServiceContext, rejected
) -> None:
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    first, other = _volumes(svc, 2)
    started = svc.volumes.modify(first, size_gib=10)
    assert started.start_time == "2026-03-01T09:00:00Z"

    clock.now += timedelta(hours=6) - timedelta(seconds=1)
    error = rejected("VolumeModificationRateExceeded", svc.volumes.modify, first, size_gib=12)
    assert "6 hours" in error.message
    [kept] = svc.volumes.modifications([first])
    assert kept == started
    [volume] = svc.volumes.volumes([first])
    assert volume.size_gib == 10
    svc.volumes.modify(other, size_gib=9)  # the limit is per volume

    clock.now = datetime(2026, 3, 1, 15, 0, 0, tzinfo=UTC)
    again = svc.volumes.modify(first, size_gib=12)
    assert (again.original.size_gib, again.target.size_gib) == (10, 12)
    assert again.start_time == "2026-03-01T15:00:00Z"
    clock.now += timedelta(hours=5)
    rejected("VolumeModificationRateExceeded", svc.volumes.modify, first, size_gib=14)


def test_a_bad_request_is_refused_for_what_it_is_even_while_waiting(
    ctx: ServiceContext, rejected
) -> None:
    clock = _Clock()
    svc = Services(replace(ctx, clock=clock))
    [volume] = _volumes(svc, 1)
    svc.volumes.modify(volume, size_gib=10)
    rejected("InvalidParameterValue", svc.volumes.modify, volume, size_gib=4)
    rejected("InvalidVolume.NotFound", svc.volumes.modify, "vol-0123456789abcdef0", size_gib=9)
