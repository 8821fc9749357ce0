"""Number health from per-hour call buckets (numbers spec §4.10). Pure arithmetic.

Decisions (the spec gives only types): ``answer_rate`` is a percentage 0-100 with two
decimals; ``avg_duration`` is seconds per answered call; ``total_minutes`` is the summed
duration in minutes, two decimals. Snapshots are dense: one per hour or day of the period,
zeros included, oldest first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

GRANULARITIES = {"hourly": timedelta(hours=1), "daily": timedelta(days=1)}
MAX_DAYS = 90


@dataclass(frozen=True, slots=True)
class Bucket:
    start: datetime
    total_calls: int = 0
    answered_calls: int = 0
    total_duration: int = 0  # seconds

    @property
    def failed_calls(self) -> int:
        return self.total_calls - self.answered_calls

    @property
    def answer_rate(self) -> float:
        return round(100 * self.answered_calls / self.total_calls, 2) if self.total_calls else 0.0

    @property
    def avg_duration(self) -> float:
        if not self.answered_calls:
            return 0.0
        return round(self.total_duration / self.answered_calls, 2)

    @property
    def total_minutes(self) -> float:
        return round(self.total_duration / 60, 2)


def hour_of(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def period(now: datetime, granularity: str, days: int) -> tuple[datetime, datetime]:
    """``[start, end)`` covering ``days`` days and ending with the bucket that holds ``now``."""
    step = GRANULARITIES[granularity]
    end = (
        hour_of(now)
        if granularity == "hourly"
        else now.replace(hour=0, minute=0, second=0, microsecond=0)
    )
    end += step
    return end - timedelta(days=days), end


def buckets(
    hours: Iterable[tuple[datetime, int, int, int]],
    granularity: str,
    start: datetime,
    end: datetime,
) -> list[Bucket]:
    """Fold hourly rows ``(hour, total, answered, duration)`` into dense buckets."""
    step = GRANULARITIES[granularity]
    count = int((end - start) / step)
    sums = [[0, 0, 0] for _ in range(count)]
    for hour, total, answered, duration in hours:
        index = (hour - start) // step  # floor: an hour before start is not bucket 0
        if 0 <= index < count:
            sums[index][0] += total
            sums[index][1] += answered
            sums[index][2] += duration
    return [Bucket(start + i * step, *sums[i]) for i in range(count)]


def summary(items: list[Bucket], start: datetime) -> Bucket:
    return Bucket(
        start,
        sum(b.total_calls for b in items),
        sum(b.answered_calls for b in items),
        sum(b.total_duration for b in items),
    )
