"""Time-driven number transitions, set-based and safe to run concurrently or twice.

- ``pending_release`` whose 24 h cooldown has passed -> ``quarantined`` (owner cleared);
- ``quarantined`` whose 45 days have passed -> ``available`` (back in inventory).

Each transition is one conditional UPDATE, so two workers running at once (or a run
repeated after a crash) cannot move a number twice. The UPDATE returns the numbers it moved
and each gets one audit row in the same transaction, so a concurrent second worker, which
moves nothing, writes nothing either.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import numbers
from didstore.domain.lifecycle import NumberState
from didstore.services import audit, events
from didstore.services.models import Actor
from didstore.services.schedule import unschedule

LIFECYCLE = Actor(kind="system", auth_id="lifecycle", credential="system")


@dataclass(frozen=True, slots=True)
class LifecycleReport:
    released: int
    returned_to_inventory: int


async def _move(
    conn: Connection, conds: list[Any], values: dict[str, Any], action: str, now: datetime
) -> int:
    # whom each number's event goes to: its owner before the change clears it
    clears_owner = "owner_account_id" in values
    owners = await events.owners_where(conn, *conds) if clears_owner else None
    moved = (
        await conn.execute(
            update(numbers).where(*conds).values(**values).returning(numbers.c.id, numbers.c.e164)
        )
    ).all()
    if moved and "next_billing_date" in values and values["next_billing_date"] is None:
        await unschedule(conn, [number_id for number_id, _ in moved])
    if moved:
        await audit.record_many(
            conn,
            [
                audit.entry(
                    LIFECYCLE, now, action=action, entity_type="number", entity_id=nid, e164=e164
                )
                for nid, e164 in moved
            ],
        )
        await events.record_numbers(conn, action, [nid for nid, _ in moved], now, owners=owners)
    return len(moved)


async def run_lifecycle(db: Database, clock: Clock) -> LifecycleReport:
    now = clock.now()
    async with db.write() as conn:
        released = await _move(
            conn,
            [
                numbers.c.state == NumberState.PENDING_RELEASE.value,
                numbers.c.cooldown_ends_at <= now,
            ],
            {
                "state": NumberState.QUARANTINED.value,
                "owner_account_id": None,
                "billing_account_id": None,
                "released_at": numbers.c.cooldown_ends_at,
                "next_billing_date": None,
                "trunk_id": None,
                "application_id": None,
                "updated_at": now,
            },
            "number.released",
            now,
        )
    async with db.write() as conn:
        returned = await _move(
            conn,
            [numbers.c.state == NumberState.QUARANTINED.value, numbers.c.available_at <= now],
            {
                "state": NumberState.AVAILABLE.value,
                "source": "inventory",
                "purchased_at": None,
                "last_billing_date": None,
                "next_billing_date": None,
                "release_requested_at": None,
                "cooldown_ends_at": None,
                "release_fee_minor": None,
                "release_fee_currency": None,
                "released_at": None,
                "available_at": None,
                "last_call_at": None,
                "updated_at": now,
            },
            "number.returned_to_inventory",
            now,
        )
    return LifecycleReport(released, returned)
