"""The deletion lock (issue 13 item 6): a number its owner (or the operator) has locked
cannot be released or moved to or from a sub-account: those answer 409 ``number_locked``
until the lock is lifted. A lock set by the operator can be lifted only by the operator.

The lock is a column of the number, and release and moves change the number with a
conditional UPDATE that requires it to be unset, so a lock and a release racing each other
serialise on the number's row: whichever commits first wins, never both.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.tables import numbers
from didstore.domain.e164 import E164
from didstore.domain.errors import Forbidden, NumberLocked, RetryableConflict
from didstore.services import audit
from didstore.services.models import Account, Actor
from didstore.services.routing import held_number

OPERATOR = "operator"


@dataclass(frozen=True, slots=True)
class Lock:
    e164: str
    locked: bool
    locked_at: datetime | None
    locked_by: str | None


def check_unlocked(m: Mapping[str, Any]) -> None:
    """Raise ``NumberLocked`` for a number row (mapping) under a deletion lock."""
    if m["deletion_locked_at"] is not None:
        raise NumberLocked(
            "the number has a deletion lock: lift it (DELETE …/numbers/{e164}/lock) first"
        )


class NumberLocks:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def get(self, account: Account, e164: E164) -> Lock:
        async with self.db.read() as conn:
            m = (await held_number(conn, account, e164, self.clock.now(), live=False))._mapping
        return Lock(e164.value, m["deletion_locked_at"] is not None, *_who(m))

    async def set(self, actor: Actor, account: Account, e164: E164, *, locked: bool) -> Lock:
        """Lock (``locked``) or unlock; doing what is already done changes nothing."""
        now = self.clock.now()
        by = OPERATOR if actor.is_operator else account.auth_id
        async with self.db.write() as conn:
            m = (await held_number(conn, account, e164, now))._mapping
            was = m["deletion_locked_at"] is not None
            if was == locked:
                return Lock(e164.value, locked, *_who(m))
            if not locked and m["deletion_locked_by"] == OPERATOR and not actor.is_operator:
                raise Forbidden("the operator set this lock; only the operator can lift it")
            values = (
                {"deletion_locked_at": now, "deletion_locked_by": by}
                if locked
                else {"deletion_locked_at": None, "deletion_locked_by": None}
            )
            done = (
                await conn.execute(
                    update(numbers)
                    .where(  # unchanged since read: a release that committed first wins
                        numbers.c.id == m["id"],
                        numbers.c.state == m["state"],
                        numbers.c.owner_account_id == m["owner_account_id"],
                        numbers.c.deletion_locked_at.is_(None)
                        if locked
                        else numbers.c.deletion_locked_at.is_not(None),
                    )
                    .values(**values)
                    .returning(numbers.c.id)
                )
            ).first()
            if done is None:
                raise RetryableConflict("the number changed while it was being locked; retry")
            await audit.record(
                conn,
                actor,
                now,
                action="number.lock" if locked else "number.unlock",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before={"locked_by": m["deletion_locked_by"]},
                after={"locked_by": by if locked else None},
            )
        return Lock(e164.value, locked, now if locked else None, by if locked else None)


def _who(m: Mapping[str, Any]) -> tuple[datetime | None, str | None]:
    return m["deletion_locked_at"], m["deletion_locked_by"]
