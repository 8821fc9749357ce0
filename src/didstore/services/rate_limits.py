"""Request counters for the rate limiter (``api/limits.py``; docs/adr/0015-limits.md).

Two kinds of key, each counted per window of wall-clock time (epoch seconds, so every
process agrees on the windows):

- a *rate* key (a credential or a client address) is a **sliding-window counter**: the hits
  of the current minute plus the previous minute's hits weighted by how much of it still
  overlaps the last 60 s. One row holds both counts, so a request costs one update;
- a *failure* key (an ``auth_id`` or an address that sent wrong credentials) is a **fixed
  window**: the count restarts when the window ends, which is when a lock-out ends.

``MemoryCounters`` keeps them in a dictionary (SQLite: one server process);
``PgCounters`` in the UNLOGGED ``rate_limits`` table, shared by every server process: one
statement per request (an UPSERT of the rate key that also reads the failure keys).
"""

from __future__ import annotations

import math
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ScalarSelect, bindparam, case, func, select
from sqlalchemy.dialects.postgresql import Insert
from sqlalchemy.dialects.postgresql import insert as pg_insert

from didstore.db.database import Database
from didstore.db.tables import rate_limits as t

#: Stale rows (no hit for this many of the longest window) are deleted now and then.
STALE_WINDOWS = 2
#: Seconds between two clean-ups of stale counters, per process.
CLEANUP_EVERY = 300.0
#: The in-memory counters purge stale keys when they hold more than this many.
MEMORY_KEYS = 100_000


@dataclass(frozen=True, slots=True)
class Hit:
    """What one request's check found."""

    #: requests in the current rate window (this one included), and in the previous one
    hits: int
    prev_hits: int
    #: seconds until the current rate window ends
    reset: float
    #: the failure counts of the checked failure keys in their current window
    failures: tuple[int, int]
    window: int

    @property
    def count(self) -> float:
        """Requests in the last ``window`` seconds: the sliding-window estimate (this
        window's hits plus the previous window's, weighted by the share of it that is still
        within the last ``window`` seconds)."""
        elapsed = self.window - self.reset
        return self.hits + self.prev_hits * (1.0 - elapsed / self.window)


def window_start(now: float, window: int) -> int:
    return int(now // window) * window


def _reset(start: int, now: float, window: int) -> float:
    return min(max(start + window - now, 0.0), float(window))


class Counters(ABC):
    """Counts hits of rate keys and failures of failure keys."""

    def __init__(self, *, window: int = 60, fail_window: int = 300) -> None:
        self.window = window
        self.fail_window = fail_window

    @abstractmethod
    async def hit(self, key: str, fail_keys: tuple[str, str], now: float) -> Hit:
        """Count one request for ``key``; also read the failure counts of ``fail_keys`` (an
        empty key reads as 0)."""

    @abstractmethod
    async def fail(self, keys: tuple[str, ...], now: float) -> None:
        """Count one failed authentication for each of ``keys``."""

    def fail_reset(self, now: float) -> float:
        """Seconds until the current failure window ends (when a lock-out lifts)."""
        return window_start(now, self.fail_window) + self.fail_window - now


class MemoryCounters(Counters):
    """One process's counters (SQLite: the server is one process)."""

    def __init__(self, *, window: int = 60, fail_window: int = 300) -> None:
        super().__init__(window=window, fail_window=fail_window)
        # key -> [window_start, hits, prev_hits]
        self._rows: dict[str, list[int]] = {}
        self._next_cleanup = 0.0

    def _bump(self, key: str, start: int, window: int) -> list[int]:
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = [start, 1, 0]
        elif row[0] >= start:
            row[1] += 1
        else:
            prev = row[1] if row[0] == start - window else 0
            row[0], row[1], row[2] = start, 1, prev
        return row

    def _failures(self, key: str, start: int) -> int:
        row = self._rows.get(key) if key else None
        return row[1] if row is not None and row[0] >= start else 0

    async def hit(self, key: str, fail_keys: tuple[str, str], now: float) -> Hit:
        self._cleanup(now)
        start = window_start(now, self.window)
        row = self._bump(key, start, self.window)
        fail_start = window_start(now, self.fail_window)
        return Hit(
            row[1],
            row[2],
            _reset(row[0], now, self.window),
            (self._failures(fail_keys[0], fail_start), self._failures(fail_keys[1], fail_start)),
            self.window,
        )

    async def fail(self, keys: tuple[str, ...], now: float) -> None:
        start = window_start(now, self.fail_window)
        for key in keys:
            if key:
                self._bump(key, start, self.fail_window)

    def _cleanup(self, now: float) -> None:
        if now < self._next_cleanup and len(self._rows) < MEMORY_KEYS:
            return
        self._next_cleanup = now + CLEANUP_EVERY
        cutoff = now - STALE_WINDOWS * max(self.window, self.fail_window)
        for key in [k for k, row in self._rows.items() if row[0] < cutoff]:
            del self._rows[key]


# -- PostgreSQL: statements built once (db/plans.py finds them by identity) ---------------------
def _upsert(window: str) -> Insert:
    """Insert the key's row, or count one more hit: in the same window, one more; in the next
    window, the old count becomes ``prev_hits``; later, both restart. A process whose clock
    lags (an older window than the row's) counts in the row's window."""
    stmt = pg_insert(t).values(
        key=bindparam("key"), window_start=bindparam("start"), hits=1, prev_hits=0
    )
    new = stmt.excluded
    same = t.c.window_start >= new.window_start
    return stmt.on_conflict_do_update(
        index_elements=[t.c.key],
        set_={
            "prev_hits": case(
                (same, t.c.prev_hits),
                (t.c.window_start == new.window_start - bindparam(window), t.c.hits),
                else_=0,
            ),
            "hits": case((same, t.c.hits + 1), else_=1),
            "window_start": func.greatest(t.c.window_start, new.window_start),
        },
    )


def _failures(name: str) -> ScalarSelect[Any]:
    return (
        select(func.coalesce(func.max(t.c.hits), 0))
        .where(t.c.key == bindparam(name), t.c.window_start >= bindparam("fail_start"))
        .scalar_subquery()
    )


_HIT = _upsert("window").returning(t.c.window_start, t.c.hits, t.c.prev_hits).cte("hit")
HIT = select(
    _HIT.c.window_start,
    _HIT.c.hits,
    _HIT.c.prev_hits,
    _failures("fail_a").label("fail_a"),
    _failures("fail_b").label("fail_b"),
)
FAIL = _upsert("window")
CLEANUP = t.delete().where(t.c.window_start < bindparam("cutoff"))


class PgCounters(Counters):
    """Counters in the ``rate_limits`` table, shared by every server process: one statement
    per request, run outside a transaction (autocommit: the UPSERT is atomic by itself)."""

    def __init__(self, db: Database, *, window: int = 60, fail_window: int = 300) -> None:
        super().__init__(window=window, fail_window=fail_window)
        self.db = db
        self._next_cleanup = time.time() + CLEANUP_EVERY

    async def hit(self, key: str, fail_keys: tuple[str, str], now: float) -> Hit:
        await self._cleanup(now)
        params = {
            "key": key,
            "start": window_start(now, self.window),
            "window": self.window,
            "fail_a": fail_keys[0],
            "fail_b": fail_keys[1],
            "fail_start": window_start(now, self.fail_window),
        }
        async with self.db.read() as conn:
            row = (await conn.execute(HIT, params)).one()
        start, hits, prev, fail_a, fail_b = row
        return Hit(
            hits, prev, _reset(start, now, self.window), (int(fail_a), int(fail_b)), self.window
        )

    async def fail(self, keys: tuple[str, ...], now: float) -> None:
        start = window_start(now, self.fail_window)
        rows = [{"key": k, "start": start, "window": self.fail_window} for k in keys if k]
        async with self.db.read() as conn:
            for row in rows:
                await conn.execute(FAIL, row)

    async def _cleanup(self, now: float) -> None:
        if now < self._next_cleanup:
            return
        self._next_cleanup = now + CLEANUP_EVERY
        cutoff = now - STALE_WINDOWS * max(self.window, self.fail_window)
        async with self.db.read() as conn:
            await conn.execute(CLEANUP, {"cutoff": math.floor(cutoff)})


def counters_for(db: Database, *, window: int = 60, fail_window: int = 300) -> Counters:
    """Shared counters on PostgreSQL, this process's own on SQLite."""
    if db.dialect == "postgresql":
        return PgCounters(db, window=window, fail_window=fail_window)
    return MemoryCounters(window=window, fail_window=fail_window)
