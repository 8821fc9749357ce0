"""The event feed: events in order, complete, without gaps under concurrent writers, and a
retention window (ADR 0020).

An event's ``id`` is its position in commit order. On SQLite, writers are serialised, so the
id given at insert (a trigger copies the AUTOINCREMENT ``seq``) is already in commit order.
On PostgreSQL, ids from a sequence are taken at insert and commit in any order: a reader
that saw id 7 could later find id 6 committed. There events are inserted without an id and
``sequence`` numbers committed ones afterwards, one sequencer at a time (a transaction-level
advisory lock), each run's ids above every earlier run's: a reader sees a run's ids all at
once, after every earlier run's. A reader never waits for a writer, and a writer never waits
for the feed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, literal, select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.errors import DatabaseUnavailable
from didstore.db.tables import event_position, events
from didstore.domain.errors import Forbidden, InvalidInput
from didstore.services.events import EVENT_TYPES
from didstore.services.models import Account

#: ``pg_try_advisory_xact_lock`` key of the sequencer (any constant unique to didstore).
SEQUENCER_LOCK = 0x0D1D_0020
SEQUENCE_BATCH = 10_000
MAX_LIMIT = 1000
DEFAULT_LIMIT = 100


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    type: str
    created_at: datetime
    account_id: str | None
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class EventPage:
    events: list[Event]
    next_after: int


_TRY_LOCK = select(func.pg_try_advisory_xact_lock(literal(SEQUENCER_LOCK)))
#: how long a reader waits for a running sequencer's batch before reading without it
READER_WAIT_MS = 2000
_WAIT_LIMIT = select(func.set_config("lock_timeout", bindparam("ms"), True))
_WAIT_FOR_SEQUENCER = select(func.pg_advisory_xact_lock_shared(literal(SEQUENCER_LOCK)))
_LAST = select(event_position.c.last).where(event_position.c.id == 1)
_MAX_ID = select(func.coalesce(func.max(events.c.id), 0))
_SEED = insert(event_position).values(id=1, last=bindparam("last"))
_PENDING = select(events.c.seq).where(events.c.id.is_(None)).limit(1)
_batch = (
    select(events.c.seq, func.row_number().over(order_by=events.c.seq).label("rn"))
    .where(events.c.id.is_(None))
    .order_by(events.c.seq)
    .limit(bindparam("n"))
    .subquery()
)
_NUMBER = (
    update(events).where(events.c.seq == _batch.c.seq).values(id=bindparam("last") + _batch.c.rn)
)
_ADVANCE = (
    update(event_position)
    .where(event_position.c.id == 1)
    .values(last=event_position.c.last + bindparam("count"))
)
_COLUMNS = (events.c.id, events.c.type, events.c.created_at, events.c.account_id, events.c.data)
_PURGE = delete(events).where(events.c.created_at < bindparam("before"), events.c.id.is_not(None))


def _types(raw: Sequence[str] | None) -> list[str]:
    wanted: list[str] = []
    for chunk in raw or ():
        wanted.extend(t.strip() for t in chunk.split(",") if t.strip())
    unknown = sorted(set(wanted) - set(EVENT_TYPES))
    if unknown:
        raise InvalidInput(
            f"unknown event type {unknown[0]!r}: use one of {', '.join(EVENT_TYPES)}",
            field="type",
        )
    return sorted(set(wanted))


class EventFeed:
    def __init__(self, db: Database, clock: Clock, *, retention: timedelta) -> None:
        self.db = db
        self.clock = clock
        self.retention = retention

    async def sequence(self, *, wait: bool = False) -> int:
        """PostgreSQL: give committed events without an id the next ids, in insertion order
        (SQLite's ids are given at insert). Returns how many were numbered; 0 when another
        sequencer is running (its ids come out with its commit).

        ``wait`` (a feed read): when another sequencer is running, wait for its batch to
        commit (never for a writer) and try again, so that an event committed before the
        read is in the feed: the running sequencer's statement may have started before that
        commit, but the one after it cannot have (read-your-writes, at most two waits)."""
        if self.db.dialect != "postgresql":
            return 0
        async with self.db.read() as conn:
            if (await conn.execute(_PENDING)).first() is None:
                return 0
        total = 0
        waits = 2 if wait else 0
        while True:
            async with self.db.write() as conn:
                done = await self._sequence_batch(conn)
            if done is None:  # another sequencer holds the lock
                if waits == 0 or not await self._wait_for_sequencer():
                    return total
                waits -= 1
                continue
            total += done
            if done < SEQUENCE_BATCH:
                return total

    async def _wait_for_sequencer(self) -> bool:
        """Wait (at most ``READER_WAIT_MS``) until the running sequencer has committed."""
        try:
            async with self.db.write() as conn:
                await conn.execute(_WAIT_LIMIT, {"ms": str(READER_WAIT_MS)})
                await conn.execute(_WAIT_FOR_SEQUENCER)
        except DatabaseUnavailable:  # lock_timeout: read what is numbered; the rest next poll
            return False
        return True

    async def _sequence_batch(self, conn: Connection) -> int | None:
        if not (await conn.execute(_TRY_LOCK)).scalar():
            return None
        last = (await conn.execute(_LAST)).scalar_one_or_none()
        if last is None:  # the counter row went missing (a TRUNCATE): start above the ids
            last = int((await conn.execute(_MAX_ID)).scalar_one())
            await conn.execute(_SEED, {"last": last})
        count = (await conn.execute(_NUMBER, {"last": last, "n": SEQUENCE_BATCH})).rowcount
        if count:
            await conn.execute(_ADVANCE, {"count": count})
        return int(count)

    async def list(
        self,
        account: Account | None,
        *,
        after: int = 0,
        types: Sequence[str] | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> EventPage:
        """Events after ``after`` in id order: an account's (a main account's include its
        sub-accounts'), or every event for the operator (``account`` None)."""
        if not 0 <= after < 2**63:
            raise InvalidInput("after must be 0 or a previous next_after", field="after")
        if not 1 <= limit <= MAX_LIMIT:
            raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}", field="limit")
        wanted = _types(types)
        query = select(*_COLUMNS).where(events.c.id > after)
        if account is not None:
            if account.kind == "partner":
                raise Forbidden("events belong to customer accounts")
            column = events.c.main_account_id if account.kind == "main" else events.c.account_id
            query = query.where(column == account.auth_id)
        if wanted:
            query = query.where(events.c.type.in_(wanted))
        await self.sequence(wait=True)
        async with self.db.read() as conn:
            rows = (await conn.execute(query.order_by(events.c.id).limit(limit))).all()
        found = [Event(int(r[0]), r[1], r[2], r[3], r[4]) for r in rows]
        return EventPage(found, found[-1].id if found else after)

    async def purge(self, now: datetime | None = None) -> int:
        """Delete the events older than the retention window; returns how many."""
        before = (now or self.clock.now()) - self.retention
        async with self.db.write() as conn:
            return int((await conn.execute(_PURGE, {"before": before})).rowcount)
