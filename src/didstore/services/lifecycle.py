"""Time-driven number transitions, set-based and safe to run concurrently or twice.

- ``pending_release`` whose 24 h cooldown has passed -> ``quarantined`` (owner cleared);
- ``quarantined`` whose 45 days have passed -> ``available`` (back in inventory).

Each transition is one conditional UPDATE, so two workers running at once (or a run
repeated after a crash) cannot move a number twice. Each moved number gets an audit row,
written by the same transaction (INSERT ... SELECT with the same conditions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, insert, literal, select, update

from didstore.clock import Clock
from didstore.db.engine import Database
from didstore.db.tables import audit_log, numbers
from didstore.domain.lifecycle import NumberState


@dataclass(frozen=True, slots=True)
class LifecycleReport:
    released: int
    returned_to_inventory: int


def _audit_moves(conn: Connection, conds: list[Any], action: str, now: Any) -> None:
    src = select(
        literal(now, type_=audit_log.c.at.type).label("at"),
        literal("system").label("actor_type"),
        literal("lifecycle").label("actor_id"),
        literal("system").label("credential"),
        literal(action).label("action"),
        literal("number").label("entity_type"),
        numbers.c.id,
        numbers.c.e164,
    ).where(*conds)
    conn.execute(
        insert(audit_log).from_select(
            [
                "at",
                "actor_type",
                "actor_id",
                "credential",
                "action",
                "entity_type",
                "entity_id",
                "e164",
            ],
            src,
        )
    )


def run_lifecycle(db: Database, clock: Clock) -> LifecycleReport:
    now = clock.now()
    with db.write() as conn:
        due = [
            numbers.c.state == NumberState.PENDING_RELEASE.value,
            numbers.c.cooldown_ends_at <= now,
        ]
        _audit_moves(conn, due, "number.released", now)
        released = conn.execute(
            update(numbers)
            .where(*due)
            .values(
                state=NumberState.QUARANTINED.value,
                owner_account_id=None,
                billing_account_id=None,
                released_at=numbers.c.cooldown_ends_at,
                next_billing_date=None,
                trunk_id=None,
                application_id=None,
                updated_at=now,
            )
        ).rowcount
    with db.write() as conn:
        aged = [
            numbers.c.state == NumberState.QUARANTINED.value,
            numbers.c.available_at <= now,
        ]
        _audit_moves(conn, aged, "number.returned_to_inventory", now)
        returned = conn.execute(
            update(numbers)
            .where(*aged)
            .values(
                state=NumberState.AVAILABLE.value,
                source="inventory",
                purchased_at=None,
                last_billing_date=None,
                next_billing_date=None,
                release_requested_at=None,
                cooldown_ends_at=None,
                release_fee_minor=None,
                release_fee_currency=None,
                released_at=None,
                available_at=None,
                last_call_at=None,
                updated_at=now,
            )
        ).rowcount
    return LifecycleReport(int(released or 0), int(returned or 0))
