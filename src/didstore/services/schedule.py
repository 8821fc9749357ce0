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

from sqlalchemy import Connection, bindparam, delete, insert

from didstore.db.tables import billing_schedule


def schedule(conn: Connection, number_id: str, due_at: datetime) -> None:
    """Put a number in the queue (replacing any row it had)."""
    conn.execute(delete(billing_schedule).where(billing_schedule.c.number_id == number_id))
    conn.execute(insert(billing_schedule).values(number_id=number_id, due_at=due_at))


def unschedule(conn: Connection, number_ids: Iterable[str]) -> None:
    """Take numbers out of the queue (those not in it are ignored)."""
    params = [{"nid": nid} for nid in number_ids]
    if params:
        conn.execute(
            delete(billing_schedule).where(billing_schedule.c.number_id == bindparam("nid")),
            params,
        )
