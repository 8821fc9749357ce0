"""The operator's block (product.md, "The life of a number"): an active number taken out of
service. A blocked number stays its owner's, routes no calls (``route_reason`` says
``blocked``), cannot be released or moved by its owner, and is not charged: renewals charge
only active numbers. Unblocking makes it active again; the periods it spent blocked are not
charged (``domain.renewal.resume_billing``). Both are conditional updates on the number's
state, so a block racing a release or a renewal changes the number once; both are audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import numbers
from didstore.domain.e164 import E164
from didstore.domain.errors import Conflict, NotFound
from didstore.domain.lifecycle import NumberState, wire_status
from didstore.domain.renewal import resume_billing
from didstore.services import audit
from didstore.services.models import Actor
from didstore.services.schedule import schedule

ACTIVE, BLOCKED = NumberState.ACTIVE.value, NumberState.BLOCKED.value


@dataclass(frozen=True, slots=True)
class BlockState:
    e164: str
    status: str
    next_billing_date: datetime | None


class NumberBlocks:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def block(self, actor: Actor, e164: E164, reason: str | None = None) -> BlockState:
        """active -> blocked; any other state is refused (409) and nothing changes."""
        now = self.clock.now()
        async with self.db.write() as conn:
            done = (
                await conn.execute(
                    update(numbers)
                    .where(numbers.c.e164 == e164.value, numbers.c.state == ACTIVE)
                    .values(state=BLOCKED, updated_at=now)
                    .returning(numbers.c.next_billing_date)
                )
            ).first()
            if done is None:
                state = await _state(conn, e164)
                if state == BLOCKED:
                    raise Conflict("number is already blocked")
                raise Conflict(f"only an active number can be blocked; it is {state}")
            await audit.record(
                conn,
                actor,
                now,
                action="number.block",
                entity_type="number",
                entity_id=e164.value,
                e164=e164.value,
                before={"state": ACTIVE},
                after={"state": BLOCKED, "reason": reason or ""},
            )
        return BlockState(e164.value, wire_status(BLOCKED), done[0])

    async def unblock(self, actor: Actor, e164: E164) -> BlockState:
        """blocked -> active, with the billing date moved past the blocked periods."""
        now = self.clock.now()
        async with self.db.write() as conn:
            row = (
                await conn.execute(
                    select(
                        numbers.c.id,
                        numbers.c.state,
                        numbers.c.purchased_at,
                        numbers.c.next_billing_date,
                    )
                    .where(numbers.c.e164 == e164.value)
                    .with_for_update()
                )
            ).first()
            if row is None:
                raise NotFound("number not found")
            if row.state != BLOCKED:
                raise Conflict(f"number is not blocked; it is {_shown(row.state)}")
            due = row.next_billing_date
            if due is not None:
                due = resume_billing(row.purchased_at, due, now)
            await conn.execute(
                update(numbers)
                .where(numbers.c.id == row.id, numbers.c.state == BLOCKED)
                .values(state=ACTIVE, next_billing_date=due, updated_at=now)
            )
            if due is not None and due != row.next_billing_date:
                await schedule(conn, row.id, due)
            await audit.record(
                conn,
                actor,
                now,
                action="number.unblock",
                entity_type="number",
                entity_id=e164.value,
                e164=e164.value,
                before={"state": BLOCKED},
                after={"state": ACTIVE, "next_billing_date": due.isoformat() if due else None},
            )
        return BlockState(e164.value, wire_status(ACTIVE), due)


def _shown(state: str) -> str:
    return state.replace("_", " ")


async def _state(conn: Connection, e164: E164) -> str:
    state = (
        await conn.execute(select(numbers.c.state).where(numbers.c.e164 == e164.value))
    ).scalar()
    if state is None:
        raise NotFound("number not found")
    return _shown(str(state))
