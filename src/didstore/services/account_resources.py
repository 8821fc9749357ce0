"""What trunks and applications share: rows an account owns and numbers point at.

Rules (entities spec §1, §2): another account's id reads as "not found", never
"forbidden", so ids cannot be probed; lists run oldest first so offsets stay stable while
rows are added; a row that numbers still point at cannot be deleted (409), and the delete
locks the row first, so an assignment racing it either lands before (and blocks it) or
finds no row. The callers own the transaction and the wire messages.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Column, Table, delete, func, select

from didstore.db.database import Connection
from didstore.db.tables import accounts, numbers
from didstore.domain.errors import Conflict, DomainError
from didstore.services import audit
from didstore.services.models import Account, Actor, Page

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class AccountResource:
    table: Table
    #: the numbers column that points at this table's ids
    used_by: Column[Any]
    #: the audit log's entity type (``trunk``, ``application``)
    kind: str

    def _select(self) -> Any:
        return select(self.table, accounts.c.auth_id.label("account_auth_id")).join(
            accounts, accounts.c.id == self.table.c.account_id
        )

    async def find(self, conn: Connection, account: Account, resource_id: str) -> Record | None:
        """The account's row with this id, with ``account_auth_id``; None when it is not
        the account's (or does not exist)."""
        row = (
            await conn.execute(
                self._select().where(
                    self.table.c.id == resource_id, self.table.c.account_id == account.id
                )
            )
        ).first()
        return None if row is None else dict(row._mapping)

    async def page(
        self, conn: Connection, account: Account, *, limit: int, offset: int
    ) -> Page[Record]:
        """One page of the account's rows, oldest first, with the exact total."""
        mine = self.table.c.account_id == account.id
        rows = (
            await conn.execute(
                self._select()
                .where(mine)
                .order_by(self.table.c.created_at, self.table.c.id)
                .limit(limit)
                .offset(offset)
            )
        ).all()
        total = (
            await conn.execute(select(func.count()).select_from(self.table).where(mine))
        ).scalar_one()
        return Page([dict(r._mapping) for r in rows], offset // limit + 1, limit, int(total))

    async def delete_unused(
        self,
        conn: Connection,
        actor: Actor,
        now: datetime,
        account: Account,
        resource_id: str,
        *,
        not_found: DomainError,
        in_use: Callable[[int], str],
        snapshot: Callable[[Record], dict[str, Any]],
    ) -> None:
        """Delete the row unless numbers point at it (``Conflict`` with ``in_use(count)`` as
        its message and ``numbers=count``), locking it first; audited."""
        locked = (
            await conn.execute(
                select(self.table.c.id)
                .where(self.table.c.id == resource_id, self.table.c.account_id == account.id)
                .with_for_update()
            )
        ).first()
        before = None if locked is None else await self.find(conn, account, resource_id)
        if before is None:
            raise not_found
        count = (
            await conn.execute(
                select(func.count()).select_from(numbers).where(self.used_by == resource_id)
            )
        ).scalar_one()
        if count:
            raise Conflict(in_use(int(count)), numbers=int(count))
        await conn.execute(delete(self.table).where(self.table.c.id == resource_id))
        await audit.record(
            conn,
            actor,
            now,
            action=f"{self.kind}.delete",
            entity_type=self.kind,
            entity_id=resource_id,
            account_id=account.auth_id,
            before=snapshot(before),
        )
