"""A root volume's modification over time (pure): ``modifying`` for a few seconds, then
``optimizing``, then ``completed`` with its ``EndTime``, the percentage growing on the way;
and the two rules on the next modification of the volume (the last one completed, at most
four starts within a rolling 24 hours), each refused with its own code."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from stockade.domain.errors import AwsError
from stockade.domain.volume_modification_timeline import (
    COMPLETED_AFTER,
    MODIFYING_FOR,
    RATE_WINDOW,
    STARTED,
    Progress,
    check_may_modify,
    progress_at,
    starts_in_window,
    timestamp,
)

T0 = datetime(2026, 3, 1, 9, 0, 0, tzinfo=UTC)
START = "2026-03-01T09:00:00Z"
VOLUME = "vol-0123456789abcdef0"


def test_a_modification_moves_through_the_states_in_order() -> None:
    assert progress_at(START, T0) == STARTED == Progress("modifying", 0)
    seen = [progress_at(START, T0 + timedelta(seconds=s)) for s in range(0, 91, 1)]
    states = [p.state for p in seen]
    assert states == sorted(states, key=["modifying", "optimizing", "completed"].index)
    assert {"modifying", "optimizing", "completed"} == set(states)
    percents = [p.percent for p in seen]
    assert percents == sorted(percents) and percents[0] == 0 and percents[-1] == 100
    assert all(p.percent < 100 and p.end_time is None for p in seen if p.state != "completed")


def test_the_boundaries_and_the_end_time() -> None:
    assert progress_at(START, T0 + MODIFYING_FOR - timedelta(seconds=1)).state == "modifying"
    assert progress_at(START, T0 + MODIFYING_FOR).state == "optimizing"
    assert progress_at(START, T0 + COMPLETED_AFTER - timedelta(seconds=1)).state == "optimizing"
    done = progress_at(START, T0 + COMPLETED_AFTER + timedelta(days=3))
    assert done == Progress("completed", 100, timestamp(T0 + COMPLETED_AFTER))
    assert done.end_time == "2026-03-01T09:01:00Z"


def test_a_start_ahead_of_the_clock_has_not_begun() -> None:
    assert progress_at(START, T0 - timedelta(hours=1)) == STARTED


def _code(last: str | None, recent: list[str], now: datetime) -> str:
    with pytest.raises(AwsError) as info:
        check_may_modify(VOLUME, last, recent, now)
    return info.value.code


def test_the_previous_modification_must_be_completed() -> None:
    check_may_modify(VOLUME, None, [], T0)  # never modified
    with pytest.raises(AwsError) as info:
        check_may_modify(VOLUME, START, [START], T0 + timedelta(seconds=1))
    assert info.value.code == "IncorrectModificationState"
    expected = f"Volume {VOLUME} cannot be modified in modification state MODIFYING"
    assert info.value.message == expected
    optimizing = T0 + MODIFYING_FOR
    assert _code(START, [START], optimizing) == "IncorrectModificationState"
    with pytest.raises(AwsError) as info:
        check_may_modify(VOLUME, START, [START], optimizing)
    assert info.value.message.endswith("OPTIMIZING")
    check_may_modify(VOLUME, START, [START], T0 + COMPLETED_AFTER)


def test_four_starts_within_a_rolling_day() -> None:
    starts = [timestamp(T0 + timedelta(hours=h)) for h in range(4)]  # 09:00 .. 12:00
    now = T0 + timedelta(hours=4)
    check_may_modify(VOLUME, starts[-1], starts[:3], now)  # three: a fourth may start
    with pytest.raises(AwsError) as info:
        check_may_modify(VOLUME, starts[-1], starts_in_window(starts, now), now)
    assert info.value.code == "VolumeModificationRateExceeded"
    # the message says when: once the oldest start is a day old
    assert "Wait until 2026-03-02T09:00:00Z" in info.value.message
    assert VOLUME in info.value.message
    just_before = T0 + RATE_WINDOW - timedelta(seconds=1)
    assert _code(starts[-1], starts_in_window(starts, just_before), just_before) == (
        "VolumeModificationRateExceeded"
    )
    then = T0 + RATE_WINDOW
    assert starts_in_window(starts, then) == starts[1:]
    check_may_modify(VOLUME, starts[-1], starts_in_window(starts, then), then)


def test_the_window_keeps_each_start_once_oldest_first() -> None:
    starts = ["2026-03-01T12:00:00Z", "2026-03-01T09:00:00Z", "2026-03-01T12:00:00Z"]
    assert starts_in_window(starts, T0 + timedelta(hours=5)) == [
        "2026-03-01T09:00:00Z",
        "2026-03-01T12:00:00Z",
    ]
    assert starts_in_window(starts, T0 + timedelta(days=2)) == []
    # more than four recorded (say, imported): the wait runs to the one that frees a place
    five = [timestamp(T0 + timedelta(hours=h)) for h in range(5)]
    with pytest.raises(AwsError) as info:
        check_may_modify(VOLUME, five[-1], five, T0 + timedelta(hours=6))
    assert "Wait until 2026-03-02T10:00:00Z" in info.value.message
