"""End of an unpaid grace period: a suspended number whose grace has passed is released
into quarantine like any released number (owner cleared, 45 days before inventory).

Chunked and conditional (``WHERE state = 'suspended'``, rows locked with SKIP LOCKED on
PostgreSQL), so two workers, or a run repeated after a crash, release each number once.
The release costs nothing: the wallet could not pay the rental, and a balance never goes
negative (see docs/billing.md).
"""

from __future__ import annotations

from sqlalchemy import bindparam, select, update

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.tables import accounts, numbers
from didstore.domain.lifecycle import NumberState, quarantine_ends
from didstore.services import audit, events
from didstore.services.lifecycle_job import LIFECYCLE
from didstore.services.schedule import unschedule

CHUNK_SIZE = 10_000


async def expire_grace(db: Database, clock: Clock, *, chunk_size: int = CHUNK_SIZE) -> int:
    """Release every suspended number whose grace ended by ``clock.now()``; returns the count."""
    now = clock.now()
    released = 0
    while True:
        async with db.write() as conn:
            rows = (
                await conn.execute(
                    select(
                        numbers.c.id,
                        numbers.c.e164,
                        numbers.c.grace_ends_at,
                        numbers.c.trunk_id,
                        numbers.c.application_id,
                        accounts.c.auth_id,
                    )
                    .join(accounts, accounts.c.id == numbers.c.owner_account_id)
                    .where(
                        numbers.c.state == NumberState.SUSPENDED.value,
                        numbers.c.grace_ends_at <= now,
                    )
                    .order_by(numbers.c.grace_ends_at, numbers.c.id)
                    .limit(chunk_size)
                    .with_for_update(skip_locked=True, of=numbers)
                )
            ).all()
            if not rows:
                break
            owners = await events.owners_of(conn, [r.id for r in rows])
            await conn.execute_many(
                update(numbers)
                .where(
                    numbers.c.id == bindparam("nid"),
                    numbers.c.state == NumberState.SUSPENDED.value,
                )
                .values(
                    state=NumberState.QUARANTINED.value,
                    owner_account_id=None,
                    billing_account_id=None,
                    trunk_id=None,
                    application_id=None,
                    next_billing_date=None,
                    cooldown_ends_at=bindparam("ended"),
                    released_at=bindparam("ended"),
                    available_at=bindparam("avail"),
                    suspended_at=None,
                    grace_ends_at=None,
                    deletion_locked_at=None,  # unpaid: released whatever the lock
                    deletion_locked_by=None,
                    updated_at=now,
                ),
                [
                    {
                        "nid": r.id,
                        "ended": r.grace_ends_at,
                        "avail": quarantine_ends(r.grace_ends_at),
                    }
                    for r in rows
                ],
            )
            await unschedule(conn, [r.id for r in rows])
            await audit.record_many(
                conn,
                [
                    audit.entry(
                        LIFECYCLE,
                        now,
                        account_id=r.auth_id,
                        action="number.released_unpaid",
                        entity_type="number",
                        entity_id=r.id,
                        e164=r.e164,
                        before={
                            "state": NumberState.SUSPENDED.value,
                            "owner": r.auth_id,
                            "trunk_id": r.trunk_id,
                            "application_id": r.application_id,
                        },
                        after={
                            "state": NumberState.QUARANTINED.value,
                            "grace_ended_at": r.grace_ends_at.isoformat(),
                        },
                    )
                    for r in rows
                ],
            )
            await events.record_numbers(
                conn, "number.released", [r.id for r in rows], now, owners=owners
            )
            released += len(rows)
        if len(rows) < chunk_size:
            break
    return released
