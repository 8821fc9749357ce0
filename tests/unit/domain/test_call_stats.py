"""domain/call_stats.py: dense buckets, period bounds and the health arithmetic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from didstore.domain.call_stats import Bucket, buckets, hour_of, period, summary

NOW = datetime(2026, 6, 1, 12, 34, 56, tzinfo=UTC)


def test_rates_are_percentages_and_averages_per_answered_call() -> None:
    b = Bucket(NOW, total_calls=3, answered_calls=2, total_duration=150)
    assert b.failed_calls == 1
    assert b.answer_rate == 66.67
    assert b.avg_duration == 75.0
    assert b.total_minutes == 2.5


def test_an_empty_bucket_is_all_zeros_not_a_division_error() -> None:
    b = Bucket(NOW)
    assert (b.answer_rate, b.avg_duration, b.total_minutes, b.failed_calls) == (0.0, 0.0, 0.0, 0)


def test_an_hourly_period_ends_with_the_bucket_holding_now() -> None:
    start, end = period(NOW, "hourly", 1)
    assert end == datetime(2026, 6, 1, 13, tzinfo=UTC)
    assert end - start == timedelta(days=1)


def test_a_daily_period_ends_at_the_next_midnight() -> None:
    start, end = period(NOW, "daily", 7)
    assert end == datetime(2026, 6, 2, tzinfo=UTC)
    assert start == datetime(2026, 5, 26, tzinfo=UTC)


def test_buckets_are_dense_oldest_first_and_drop_hours_outside_the_period() -> None:
    start, end = period(NOW, "daily", 3)
    hour = hour_of(NOW)
    rows = [
        (hour, 2, 1, 60),
        (hour - timedelta(hours=1), 1, 1, 30),
        (start - timedelta(hours=1), 9, 9, 999),  # before the period
        (end, 9, 9, 999),  # after it
    ]
    days = buckets(rows, "daily", start, end)
    assert [d.start for d in days] == [start + timedelta(days=i) for i in range(3)]
    assert [d.total_calls for d in days] == [0, 0, 3]
    assert summary(days, start) == Bucket(start, 3, 2, 90)
