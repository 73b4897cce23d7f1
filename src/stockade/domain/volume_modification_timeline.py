"""How far a root volume's modification has got, and when the volume may be modified again.

EC2 takes a modification through ``modifying`` (the new configuration is being applied),
``optimizing`` (it is in effect, performance settling between the old and the new) and
``completed``; DescribeVolumesModifications shows the state, a ``Progress`` percentage and,
once completed, an ``EndTime``. Stockade's volumes hold no data, so every modification
follows one short fixed timeline from its start (:data:`MODIFYING_FOR`,
:data:`COMPLETED_AFTER`): clients that wait for ``optimizing`` or ``completed`` (Terraform,
the EBS CSI driver) see the states they poll for, and no call has to sleep for hours.

AWS's ModifyVolume reference (2026) sets two rules on the next modification of the same
volume, both checked here: the previous one must have reached ``completed``
(``IncorrectModificationState``), and at most :data:`MODIFICATIONS_PER_WINDOW` may start
within any rolling :data:`RATE_WINDOW` (``VolumeModificationRateExceeded``). Its third
condition, a volume ``in-use`` or ``available``, always holds here: a root volume exists only
while its instance is not terminated, attached (``in-use``); afterwards it is
``InvalidVolume.NotFound``. (The old rule, six hours after the last modification, is gone
from the reference and is not applied.)

Times are stored and shown as ISO 8601 UTC strings to the second (:func:`timestamp`); "now"
comes from the caller (the service's clock), so this module reads no clock.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from stockade.domain import errors

#: How long a modification stays ``modifying`` (size changes "usually take a few seconds").
MODIFYING_FOR = timedelta(seconds=5)
#: When, after its start, a modification is ``completed`` (``optimizing`` until then).
COMPLETED_AFTER = timedelta(seconds=60)
#: How many modifications of one volume may start within :data:`RATE_WINDOW`.
MODIFICATIONS_PER_WINDOW = 4
RATE_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class Progress:
    """A modification as DescribeVolumesModifications shows it at one moment."""

    state: str  # modifying | optimizing | completed
    percent: int  # 0-100
    end_time: str | None = None  # once completed


#: ModifyVolume's answer: the modification as it starts.
STARTED = Progress("modifying", 0)


def timestamp(moment: datetime) -> str:
    """A time as stored and shown (UTC, to the second, ``Z``)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def moment(text: str) -> datetime:
    """The time a :func:`timestamp` (or AWS's ``...Z`` form) names."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def progress_at(start_time: str, now: datetime) -> Progress:
    """Where a modification started at ``start_time`` stands at ``now``: the percentage
    grows evenly over :data:`COMPLETED_AFTER` (a start ahead of ``now``, from a clock set
    back, has not begun)."""
    started = moment(start_time)
    elapsed = max(now - started, timedelta(0))
    if elapsed >= COMPLETED_AFTER:
        return Progress("completed", 100, timestamp(started + COMPLETED_AFTER))
    percent = int(100 * (elapsed / COMPLETED_AFTER))
    return Progress("modifying" if elapsed < MODIFYING_FOR else "optimizing", percent)


def starts_in_window(starts: Iterable[str], now: datetime) -> list[str]:
    """The start times, oldest first and once each, that still count at ``now``: those
    less than :data:`RATE_WINDOW` ago (a start ahead of ``now`` counts too)."""
    return sorted({s for s in starts if now - moment(s) < RATE_WINDOW}, key=moment)


def check_may_modify(
    volume_id: str, last_start: str | None, recent: Sequence[str], now: datetime
) -> None:
    """Refuse the volume's next modification at ``now`` while its last one (started at
    ``last_start``) is not completed, or while :data:`MODIFICATIONS_PER_WINDOW` of the
    ``recent`` starts (:func:`starts_in_window`) fall within the rolling window.

    [UNVERIFIED] Neither code is named by the API reference. ``IncorrectModificationState``
    and its wording are as EC2 returned them for a volume ``MODIFYING`` in a public report
    (2020); a refusal while ``optimizing`` is reported too, its wording assumed the same.
    ``VolumeModificationRateExceeded`` is EC2's code for its per-volume modification rate
    (public reports, under the old six-hour rule); the wording for four within 24 hours,
    naming when the volume may be modified again, is ours.
    """
    if last_start is not None:
        state = progress_at(last_start, now).state
        if state != "completed":
            raise errors.error(
                "IncorrectModificationState",
                f"Volume {volume_id} cannot be modified in modification state {state.upper()}",
            )
    if len(recent) >= MODIFICATIONS_PER_WINDOW:
        # the start whose leaving the window brings the count below the limit
        freed = moment(recent[len(recent) - MODIFICATIONS_PER_WINDOW]) + RATE_WINDOW
        raise errors.error(
            "VolumeModificationRateExceeded",
            "You've reached the maximum modification rate per volume limit: a volume can be "
            f"modified up to {MODIFICATIONS_PER_WINDOW} times within a rolling 24-hour "
            f"period. Wait until {timestamp(freed)} before modifying volume {volume_id} again.",
        )
