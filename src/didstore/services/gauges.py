"""Figures read from the database for monitoring (``/metrics``): stock by country and
prefix, numbers by state, wallets running low.

They are read, not counted, so they are right whichever process (server worker, ``didstore
worker``, CLI) changed the data. A scrape reads them at most once per ``max_age`` seconds
(the stock count walks the available numbers' index: about a second at 2,000,000 numbers),
and readers in between get the last reading.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from sqlalchemy import func, select

from didstore.db.database import Database
from didstore.db.tables import numbers, wallets

#: The prefix of the stock gauge: the first characters of the E.164 form (``+9180``).
PREFIX_CHARS = 5


@dataclass(frozen=True, slots=True)
class GaugeReadings:
    #: (country, prefix) -> numbers available to buy
    available: dict[tuple[str, str], int] = field(default_factory=dict)
    #: lifecycle state -> numbers in it
    by_state: dict[str, int] = field(default_factory=dict)
    #: currency -> wallets whose balance is below the threshold
    low_balances: dict[str, int] = field(default_factory=dict)


_PREFIX = func.substr(numbers.c.e164, 1, PREFIX_CHARS)
_AVAILABLE = (
    select(numbers.c.country, _PREFIX, func.count())
    .where(numbers.c.state == "available")
    .group_by(numbers.c.country, _PREFIX)
)
_BY_STATE = select(numbers.c.state, func.count()).group_by(numbers.c.state)


class Gauges:
    """The readings' age is measured on the monotonic clock, not the service clock: it is
    about the cost of the query, not a business date."""

    def __init__(self, db: Database, *, low_balance_minor: int, max_age: float = 15.0) -> None:
        self.db = db
        self.low_balance_minor = low_balance_minor
        self.max_age = max_age
        self._last: GaugeReadings | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def read(self) -> GaugeReadings:
        """The readings, at most ``max_age`` seconds old (one reader refreshes them)."""
        async with self._lock:
            if self._last is None or time.monotonic() - self._read_at >= self.max_age:
                self._last = await self._read()
                self._read_at = time.monotonic()
            return self._last

    async def _read(self) -> GaugeReadings:
        low = (
            select(wallets.c.currency, func.count())
            .where(wallets.c.balance_minor < self.low_balance_minor)
            .group_by(wallets.c.currency)
        )
        async with self.db.read() as conn:
            available = {(r[0], r[1]): int(r[2]) for r in await conn.execute(_AVAILABLE)}
            by_state = {r[0]: int(r[1]) for r in await conn.execute(_BY_STATE)}
            low_balances = {r[0]: int(r[1]) for r in await conn.execute(low)}
        return GaugeReadings(available, by_state, low_balances)
