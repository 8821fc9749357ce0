"""Timestamps and amounts as the wire writes them."""

from __future__ import annotations

from datetime import UTC, datetime

from didstore.domain.money import currency, to_units


def ts(value: datetime | None) -> str | None:
    """RFC 3339 with microseconds and ``Z``: ``2026-03-25T06:58:38.796024Z``."""
    if value is None:
        return None
    return timestamp(value)


_TS = "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ"


def timestamp(value: datetime) -> str:
    # Same text as strftime("%Y-%m-%dT%H:%M:%S.%fZ") of the UTC value, measured ~2x cheaper
    # than isoformat(): a page of 100 numbers formats 600 timestamps.
    if value.tzinfo is not UTC and value.tzinfo is not None:
        value = value.astimezone(UTC)
    return _TS % (
        value.year,
        value.month,
        value.day,
        value.hour,
        value.minute,
        value.second,
        value.microsecond,
    )


def fee(minor: int, code: str) -> int | float:
    """An amount in minor units as the wire shows it: whole units when integral."""
    return to_units(minor, currency(code))
