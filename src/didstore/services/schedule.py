"""The renewal queue (``billing_schedule``): kept equal to ``numbers.next_billing_date``.

Every change of a number's billing date happens in the same transaction as the matching
call here: purchase schedules, a renewal moves ``due_at`` (in :mod:`renewals`, set-based),
and whatever clears the date (release into quarantine, end of an unpaid grace period)
unschedules. Renewals re-check each number's own state and date under a row lock, so the
queue is an index, never the authority: a stale row costs a skipped candidate, not money.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from didstore.db.database import Connection
from didstore.db.tables import billing_schedule

_DELETE = delete(billing_schedule).where(billing_schedule.c.number_id == bindparam("nid"))
_UPSERT: dict[str, Any] = {}
for _dialect, _insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert)):
    _stmt = _insert(billing_schedule)
    _UPSERT[_dialect] = _stmt.on_conflict_do_update(
        index_elements=["number_id"], set_={"due_at": _stmt.excluded.due_at}
    )


async def schedule(conn: Connection, number_id: str, due_at: datetime) -> None:
    """Put a number in the queue (replacing any row it had)."""
    await conn.execute(_UPSERT[conn.dialect], {"number_id": number_id, "due_at": due_at})


async def unschedule(conn: Connection, number_ids: Iterable[str]) -> None:
    """Take numbers out of the queue (those not in it are ignored)."""
    await conn.execute_many(_DELETE, [{"nid": nid} for nid in number_ids])
