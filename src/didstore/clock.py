"""The server's notion of now. Services receive a clock; they never call ``datetime.now``.

``TestClock`` (enabled by ``didstore serve --test-clock``) can be moved forward, like
Stripe's test clocks, so cooldowns, quarantine and renewals can be exercised end to end.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to (tests, ``jobs run --now``)."""

    def __init__(self, now: datetime) -> None:
        self._now = now

    def now(self) -> datetime:
        return self._now

    def set(self, now: datetime) -> None:
        self._now = now


class TestClock:
    """Wall-clock time plus an offset that the operator can move (never backwards)."""

    __test__ = False  # not a pytest test class

    def __init__(self) -> None:
        self._offset = timedelta(0)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the test clock only moves forward")
        with self._lock:
            self._offset += timedelta(seconds=seconds)
        return self.now()

    def set(self, target: datetime) -> datetime:
        with self._lock:
            delta = target - datetime.now(UTC)
            if delta < self._offset:
                raise ValueError("the test clock only moves forward")
            self._offset = delta
        return self.now()
