"""Whole lists read in batches, for CSV exports (ADR 0024), and the operator's inventory list.

Each export is an async iterator of batches. A batch is one short read (``db.read()``) of
at most ``batch`` rows found by key after the previous batch's last row (keyset paging on a
unique, never-changing key: E.164, the ledger's ``seq``, the audit row's ``id``), so:

- memory holds one batch, whatever the length of the list;
- nothing is held between batches: no pooled connection, no lock, no snapshot; a slow
  client reading a long export never pins the database, and each statement is short, far
  inside the statement timeout;
- the export is not one snapshot: a row is in the export once at most, every row present
  from the first batch to the last and matching throughout is in it, and each row shows
  its state when its batch was read. Rows added behind the cursor during the export are
  not in it (for the newest-first lists: the ledger and the audit log start from the
  newest row at the first batch).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, RowMapping, Select, bindparam

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.queries import NUMBER_VIEW
from didstore.db.tables import audit_log, ledger_entries, numbers
from didstore.domain.errors import InvalidInput
from didstore.domain.lifecycle import NumberState
from didstore.services import ledger
from didstore.services.audit_query import AuditFilters, audit_conditions, audit_entry
from didstore.services.models import Account, LedgerEntry, Number
from didstore.services.owned_list import owned_batches
from didstore.services.wallet import TransactionFilters, transaction_where

#: Rows per batch: large enough that the per-statement cost vanishes, small enough that a
#: batch is a few megabytes at most.
BATCH = 2000
#: The most rows one page of the operator's inventory list (JSON) holds.
INVENTORY_PAGE_MAX = 1000
STATES = tuple(s.value for s in NumberState)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class StockFilters:
    """The operator's inventory list: every number, or those in one ``state`` and/or
    ``country`` (ISO 3166 alpha-2)."""

    state: str | None = None
    country: str | None = None

    def __post_init__(self) -> None:
        if self.state is not None and self.state not in STATES:
            raise InvalidInput(f"state must be one of {', '.join(STATES)}", field="state")


def _stock(f: StockFilters) -> Select[Any]:
    conds = [numbers.c.e164 > bindparam("after")]
    if f.state:
        conds.append(numbers.c.state == f.state)
    if f.country:
        conds.append(numbers.c.country == f.country.upper())
    return NUMBER_VIEW.where(*conds).order_by(numbers.c.e164).limit(bindparam("limit"))


class ExportService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def owned_numbers(
        self,
        account: Account,
        *,
        search: str | None = None,
        include_subaccounts: bool = True,
        batch: int = BATCH,
    ) -> AsyncIterator[list[Number]]:
        """The owned-number list (``services/owned_list.py``'s rules, E.164 order), whole;
        numbers visible as owned at the start of the export."""
        return owned_batches(
            self.db,
            account,
            search=search,
            include_subaccounts=include_subaccounts,
            now=self.clock.now(),
            batch=batch,
        )

    def transactions(
        self, account: Account, filters: TransactionFilters, *, batch: int = BATCH
    ) -> AsyncIterator[list[LedgerEntry]]:
        """The ledger listing (``WalletService.transactions``' filters), newest first, whole."""
        return self._newest_first(
            ledger.entries().where(transaction_where(account, filters)),
            ledger_entries.c.seq,
            LedgerEntry.from_row,
            lambda entry: entry.seq,
            batch,
        )

    def audit(
        self, filters: AuditFilters, *, batch: int = BATCH
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """The audit log (``AuditQueries.list``' filters), newest first, whole."""
        return self._newest_first(
            audit_log.select().where(*audit_conditions(filters)),
            audit_log.c.id,
            audit_entry,
            lambda entry: int(entry["id"]),
            batch,
        )

    async def _newest_first(
        self,
        query: Select[Any],
        key: ColumnElement[int],
        convert: Callable[[RowMapping], T],
        key_of: Callable[[T], int],
        batch: int,
    ) -> AsyncIterator[list[T]]:
        """``query``'s rows in batches, newest first by ``key`` (unique and growing): each
        batch is the ``batch`` rows below the previous batch's last key."""
        before: int | None = None
        while True:
            stmt = query if before is None else query.where(key < before)
            async with self.db.read() as conn:
                rows = (await conn.execute(stmt.order_by(key.desc()).limit(batch))).all()
            if not rows:
                return
            items = [convert(r._mapping) for r in rows]
            yield items
            if len(items) < batch:
                return
            before = key_of(items[-1])

    async def inventory_page(self, filters: StockFilters, after: str, limit: int) -> list[Number]:
        """Up to ``limit`` numbers after the E.164 ``after`` (``""``: from the start), in
        E.164 order, any state (the operator's view of the whole stock)."""
        async with self.db.read() as conn:
            rows = (await conn.execute(_stock(filters), {"after": after, "limit": limit})).all()
        return [Number.from_view(r) for r in rows]

    async def inventory(
        self, filters: StockFilters, *, batch: int = BATCH
    ) -> AsyncIterator[list[Number]]:
        """The operator's inventory list, whole, in E.164 order."""
        after = ""
        while True:
            items = await self.inventory_page(filters, after, batch)
            if not items:
                return
            yield items
            if len(items) < batch:
                return
            after = items[-1].e164
