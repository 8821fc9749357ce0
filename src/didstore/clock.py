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


#: How far the test clock may run ahead of the wall clock: later times would overflow
#: ``datetime`` (year 9999) in every date computation that follows.
MAX_TEST_OFFSET = timedelta(days=36525)


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
        try:
            step = timedelta(seconds=seconds)
        except OverflowError:
            raise ValueError(f"advance_seconds {seconds} is too far in the future") from None
        with self._lock:
            if self._offset + step > MAX_TEST_OFFSET:
                raise ValueError("the test clock may run at most 100 years ahead")
            self._offset += step
        return self.now()

    def set(self, target: datetime) -> datetime:
        with self._lock:
            delta = target - datetime.now(UTC)
            if delta < self._offset:
                raise ValueError("the test clock only moves forward")
            if delta > MAX_TEST_OFFSET:
                raise ValueError("the test clock may run at most 100 years ahead")
            self._offset = delta
        return self.now()
