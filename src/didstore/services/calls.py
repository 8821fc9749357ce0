"""Call activity reported by the routing plane, and number health computed from it.

Rules:
- Each reported call moves the number's ``last_call_at`` forward (never back: late or
  replayed CDRs cannot shorten a cool-off) and adds to its per-hour statistics.
- A call "from the future" (after the server's now) is rejected: it would extend the
  15-day cool-off beyond what really happened.
- A call that started before the current owner bought the number does not touch
  ``last_call_at`` (the previous owner's traffic is not this owner's cool-off).
- A batch is one transaction: valid calls are recorded, invalid ones are reported back by
  index, and a single audit row records the ingestion.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import number_call_stats, numbers
from didstore.domain import call_stats
from didstore.domain.e164 import E164
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.lifecycle import NumberState, wire_status
from didstore.services import audit
from didstore.services.models import Account, Actor


@dataclass(frozen=True, slots=True)
class CallEvent:
    e164: E164
    started_at: datetime | None  # None: now
    duration_seconds: int
    answered: bool


@dataclass(frozen=True, slots=True)
class IngestReport:
    recorded: int
    errors: list[dict[str, Any]] = field(default_factory=list)
    last_call_at: datetime | None = None  # of the last number touched (single-call form)


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: str
    bucket: call_stats.Bucket


@dataclass(frozen=True, slots=True)
class Health:
    e164: str
    status: str
    granularity: str
    days: int
    summary: call_stats.Bucket
    snapshots: list[Snapshot]


async def _upsert(
    conn: Connection, number_id: str, hour: datetime, answered: bool, secs: int
) -> None:
    values = {
        "number_id": number_id,
        "hour": hour,
        "total_calls": 1,
        "answered_calls": 1 if answered else 0,
        "total_duration_seconds": secs,
    }
    insert = pg_insert if conn.dialect == "postgresql" else sqlite_insert
    stmt = insert(number_call_stats).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=["number_id", "hour"],
        set_={
            "total_calls": number_call_stats.c.total_calls + 1,
            "answered_calls": number_call_stats.c.answered_calls + values["answered_calls"],
            "total_duration_seconds": number_call_stats.c.total_duration_seconds + secs,
        },
    )
    await conn.execute(stmt)


class CallActivity:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def record(self, actor: Actor, events: list[CallEvent], *, strict: bool) -> IngestReport:
        """Record calls; with ``strict`` (the single-call form) any problem is an error."""
        now = self.clock.now()
        errors: list[dict[str, Any]] = []
        recorded = 0
        last: datetime | None = None
        async with self.db.write() as conn:
            for index, event in enumerate(events):
                started = event.started_at or now
                if started > now:
                    problem: Exception = InvalidInput(
                        "started_at is in the future", field="started_at"
                    )
                else:
                    row = (
                        await conn.execute(
                            select(numbers.c.id, numbers.c.purchased_at).where(
                                numbers.c.e164 == event.e164.value
                            )
                        )
                    ).first()
                    if row is not None:
                        await self._apply(conn, row.id, started, event, now)
                        recorded += 1
                        last = (
                            await conn.execute(
                                select(numbers.c.last_call_at).where(numbers.c.id == row.id)
                            )
                        ).scalar()
                        continue
                    problem = NotFound("number not found")
                if strict:
                    raise problem
                errors.append({"index": index, "e164": event.e164.value, "error": str(problem)})
            if recorded:
                await audit.record(
                    conn,
                    actor,
                    now,
                    action="calls.ingest",
                    entity_type="call_activity",
                    e164=events[0].e164.value if len(events) == 1 else None,
                    after={"recorded": recorded, "rejected": len(errors)},
                )
        return IngestReport(recorded, errors, last)

    async def _apply(
        self, conn: Connection, number_id: str, started: datetime, e: CallEvent, now: datetime
    ) -> None:
        await conn.execute(
            update(numbers)
            .where(
                numbers.c.id == number_id,
                or_(numbers.c.last_call_at.is_(None), numbers.c.last_call_at < started),
                or_(numbers.c.purchased_at.is_(None), numbers.c.purchased_at <= started),
            )
            .values(last_call_at=started)
        )
        await _upsert(conn, number_id, call_stats.hour_of(started), e.answered, e.duration_seconds)

    async def health(self, account: Account, e164: E164, *, granularity: str, days: int) -> Health:
        if granularity not in call_stats.GRANULARITIES:
            raise InvalidInput("granularity must be daily or hourly", field="granularity")
        if not 1 <= days <= call_stats.MAX_DAYS:
            raise InvalidInput(f"days must be between 1 and {call_stats.MAX_DAYS}", field="days")
        now = self.clock.now()
        start, end = call_stats.period(now, granularity, days)
        async with self.db.read() as conn:
            row = (await conn.execute(select(numbers).where(numbers.c.e164 == e164.value))).first()
            if row is None or not account.may_manage(row._mapping):
                raise NotFound("number not found")
            m = row._mapping
            gone = m["state"] in (NumberState.AVAILABLE.value, NumberState.QUARANTINED.value) or (
                m["state"] == NumberState.PENDING_RELEASE.value
                and m["cooldown_ends_at"] is not None
                and m["cooldown_ends_at"] <= now
            )
            if gone:
                raise NotFound("number not found")
            since = max(start, call_stats.hour_of(m["purchased_at"] or start))
            rows = (
                await conn.execute(
                    select(
                        number_call_stats.c.hour,
                        number_call_stats.c.total_calls,
                        number_call_stats.c.answered_calls,
                        number_call_stats.c.total_duration_seconds,
                    ).where(
                        number_call_stats.c.number_id == m["id"],
                        number_call_stats.c.hour >= since,
                        number_call_stats.c.hour < end,
                    )
                )
            ).all()
        items = call_stats.buckets(
            [(r[0], int(r[1]), int(r[2]), int(r[3])) for r in rows], granularity, start, end
        )
        snapshots = [
            Snapshot(str(uuid.uuid5(uuid.NAMESPACE_URL, f"{m['id']}/{granularity}/{b.start}")), b)
            for b in items
        ]
        return Health(
            e164=m["e164"],
            status=wire_status(m["state"]),
            granularity=granularity,
            days=days,
            summary=call_stats.summary(items, start),
            snapshots=snapshots,
        )
