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
        # key -> [window_start, hits, prev_hits]: rate keys, and failure keys apart
        self._rows: dict[str, list[int]] = {}
        self._fail_rows: dict[str, list[int]] = {}
        self._next_cleanup = 0.0

    @staticmethod
    def _bump(rows: dict[str, list[int]], key: str, start: int, window: int) -> list[int]:
        row = rows.get(key)
        if row is None:
            row = rows[key] = [start, 1, 0]
        elif row[0] >= start:
            row[1] += 1
        else:
            prev = row[1] if row[0] == start - window else 0
            row[0], row[1], row[2] = start, 1, prev
        return row

    def _failures(self, key: str, start: int) -> int:
        row = self._fail_rows.get(key) if key else None
        return row[1] if row is not None and row[0] >= start else 0

    async def hit(self, key: str, fail_keys: tuple[str, str], now: float) -> Hit:
        self._cleanup(now)
        start = window_start(now, self.window)
        row = self._bump(self._rows, key, start, self.window)
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
                self._bump(self._fail_rows, key, start, self.fail_window)

    def _cleanup(self, now: float) -> None:
        flood = len(self._rows) >= MEMORY_KEYS or len(self._fail_rows) >= MEMORY_KEYS
        if now < self._next_cleanup and not flood:
            return
        self._next_cleanup = now + CLEANUP_EVERY
        # rate rows matter for two windows; under a flood of distinct keys, for this one only
        # (forgetting the previous window's share errs on the lenient side)
        keep_from = window_start(now, self.window) - (0 if flood else self.window)
        self._rows = {k: row for k, row in self._rows.items() if row[0] >= keep_from}
        fail_from = window_start(now, self.fail_window)
        self._fail_rows = {k: row for k, row in self._fail_rows.items() if row[0] >= fail_from}
        # still flooded (that many distinct keys this window): start over rather than sweep
        # again at every request
        if len(self._rows) >= MEMORY_KEYS:
            self._rows = {}
        if len(self._fail_rows) >= MEMORY_KEYS:
            self._fail_rows = {}


# -- PostgreSQL: statements built once (db/plans.py finds them by identity) ---------------------
def _upsert(window: str) -> Insert:
    """Insert the key's row, or count ``n`` more hits: in the same window, added; in the next
    window, the old count becomes ``prev_hits``; later, both restart. A process whose clock
    lags (an older window than the row's) counts in the row's window."""
    stmt = pg_insert(t).values(
        key=bindparam("key"), window_start=bindparam("start"), hits=bindparam("n"), prev_hits=0
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
            "hits": case((same, t.c.hits + new.hits), else_=new.hits),
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
FAIL = _upsert("window").returning(t.c.window_start, t.c.hits)
CLEANUP = t.delete().where(t.c.window_start < bindparam("cutoff"))


class PgCounters(Counters):
    """Counters in the ``rate_limits`` table, shared by every server process, updated outside
    a transaction (autocommit: each UPSERT is atomic by itself).

    ``sync`` (seconds) bounds the database work: a process goes to the database for a key at
    most once per ``sync`` seconds, and counts the hits in between locally (sent with the
    next update; what the process's own requests see is exact). The price: another
    process's hits reach this one up to ``sync`` seconds late, so with ``P`` processes a key
    can overshoot by what ``P - 1`` of them receive in ``sync`` seconds. ``sync=0``: one
    statement per request, exact across processes.
    """

    def __init__(
        self, db: Database, *, window: int = 60, fail_window: int = 300, sync: float = 0.0
    ) -> None:
        super().__init__(window=window, fail_window=fail_window)
        self.db = db
        self.sync = sync
        self._next_cleanup = time.time() + CLEANUP_EVERY
        # rate key -> [window_start, hits, prev_hits, unsent hits, synced at (monotonic)]
        self._local: dict[str, list[float]] = {}
        # failure key -> (window_start, count, synced at (monotonic))
        self._fails: dict[str, tuple[int, int, float]] = {}

    def _known_failures(self, key: str, fail_start: int, fresh_after: float) -> int | None:
        """A failure count read less than ``sync`` seconds ago (None: read it again)."""
        if not key:
            return 0
        known = self._fails.get(key)
        if known is None or known[2] < fresh_after:
            return None
        return known[1] if known[0] >= fail_start else 0

    async def hit(self, key: str, fail_keys: tuple[str, str], now: float) -> Hit:
        mono = time.monotonic()
        start = window_start(now, self.window)
        fail_start = window_start(now, self.fail_window)
        entry = self._local.get(key)
        if entry is not None and entry[4] > mono - self.sync:
            fails = [self._known_failures(k, fail_start, mono - self.sync) for k in fail_keys]
            if fails[0] is not None and fails[1] is not None:
                if entry[0] < start:  # a new window since the last read: roll it locally
                    entry[2] = entry[1] if entry[0] == start - self.window else 0
                    entry[0], entry[1] = start, 0
                entry[1] += 1
                entry[3] += 1
                return Hit(
                    int(entry[1]),
                    int(entry[2]),
                    _reset(int(entry[0]), now, self.window),
                    (fails[0], fails[1]),
                    self.window,
                )
        await self._cleanup(now)
        unsent = 0
        if entry is not None:
            # claim the unsent hits (concurrent requests must not send them again), and let
            # concurrent requests count locally on what is known until this read returns
            unsent, entry[3], entry[4] = int(entry[3]), 0, mono
            for fail_key in fail_keys:
                known = self._fails.get(fail_key)
                if known is not None:
                    self._fails[fail_key] = (known[0], known[1], mono)
        params = {
            "key": key,
            "start": start,
            "n": 1 + unsent,
            "window": self.window,
            "fail_a": fail_keys[0],
            "fail_b": fail_keys[1],
            "fail_start": fail_start,
        }
        async with self.db.read() as conn:
            row = (await conn.execute(HIT, params)).one()
        got_start, hits, prev, fail_a, fail_b = row
        if self.sync:
            if len(self._local) >= MEMORY_KEYS:
                self._forget(mono)
            current = self._local.get(key)
            if current is not None and got_start < current[0]:
                current[4] = mono  # read before this process rolled to a new window
                return Hit(
                    int(current[1]),
                    int(current[2]),
                    _reset(int(current[0]), now, self.window),
                    (int(fail_a), int(fail_b)),
                    self.window,
                )
            if current is None or got_start > current[0]:
                unsent = int(current[3]) if current is not None else 0
                self._local[key] = [got_start, hits + unsent, prev, unsent, mono]
            else:
                # merge, never replace: requests counted locally while this statement ran
                # (``current[3]``) are not in the database yet, and a concurrent read may
                # already have seen more
                current[1] = max(current[1], hits + current[3])
                current[2] = prev
                current[4] = mono
                hits = int(current[1])
            for fail_key, count in zip(fail_keys, (fail_a, fail_b), strict=True):
                if fail_key:
                    self._fails[fail_key] = (fail_start, int(count), mono)
        return Hit(
            hits, prev, _reset(got_start, now, self.window), (int(fail_a), int(fail_b)), self.window
        )

    def _forget(self, mono: float) -> None:
        """Drop what was read more than ``sync`` seconds ago (read again when needed)."""
        self._local = {k: v for k, v in self._local.items() if v[4] > mono - self.sync}
        self._fails = {k: v for k, v in self._fails.items() if v[2] > mono - self.sync}

    async def fail(self, keys: tuple[str, ...], now: float) -> None:
        start = window_start(now, self.fail_window)
        async with self.db.read() as conn:
            for key in filter(None, keys):
                row = {"key": key, "start": start, "n": 1, "window": self.fail_window}
                got_start, count = (await conn.execute(FAIL, row)).one()
                if self.sync:
                    self._fails[key] = (got_start, count, time.monotonic())

    async def _cleanup(self, now: float) -> None:
        if now < self._next_cleanup:
            return
        self._next_cleanup = now + CLEANUP_EVERY
        cutoff = now - STALE_WINDOWS * max(self.window, self.fail_window)
        async with self.db.read() as conn:
            await conn.execute(CLEANUP, {"cutoff": math.floor(cutoff)})


def counters_for(
    db: Database, *, window: int = 60, fail_window: int = 300, sync: float = 0.0
) -> Counters:
    """Shared counters on PostgreSQL (``sync``: see ``PgCounters``), this process's own on
    SQLite."""
    if db.dialect == "postgresql":
        return PgCounters(db, window=window, fail_window=fail_window, sync=sync)
    return MemoryCounters(window=window, fail_window=fail_window)
