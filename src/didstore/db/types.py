"""Column types shared by the tables."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC on every backend, returned timezone-aware.

    SQLite has no time zones; storing naive UTC everywhere keeps comparisons and indexes
    identical on both databases.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected datetime, got {type(value).__name__}")
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):  # SQLite raw text (e.g. from aggregate functions)
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC)  # type: ignore[no-any-return]

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """One step per value instead of the generic chain (a page of numbers reads hundreds
        of timestamps; measured about 3x cheaper): SQLite's text is parsed with its offset,
        and a driver's naive value is rebuilt with UTC (cheaper than ``replace``)."""
        if dialect.name == "sqlite":
            parse = datetime.fromisoformat

            def from_text(value: Any) -> datetime | None:
                if value is None:
                    return None
                return parse(value + "+00:00")

            return from_text

        def with_utc(value: Any) -> datetime | None:
            if value is None:
                return None
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            if value.tzinfo is not None:
                return value.astimezone(UTC)  # type: ignore[no-any-return]
            return datetime(
                value.year,
                value.month,
                value.day,
                value.hour,
                value.minute,
                value.second,
                value.microsecond,
                UTC,
            )

        return with_utc
