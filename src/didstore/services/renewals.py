"""Monthly renewals: charge ``monthly_fee`` (``did_rental``) exactly once per billing period.

How "exactly once" holds:
- each charged (number, period) gets a ``renewal_charges`` row whose UNIQUE key
  ``(number_id, period_start)`` is inserted in the same transaction as the wallet debit and
  the ledger row, so a second charge of a period can never commit;
- the due numbers of a chunk are locked (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, one
  writer at a time on SQLite) and re-checked inside the transaction, so two workers split
  the work instead of colliding, and a run killed midway loses only its open chunk, which
  the next run charges (its periods were never committed).

Money: per wallet, numbers are charged oldest period first while the balance covers them;
a wallet never goes negative. A number its wallet cannot cover is ``suspended`` (stops
routing at once, stays owned) until the wallet is credited (:func:`retry_suspended`,
called inside the credit's transaction, and again by every renewal run) or its grace
period ends (the lifecycle job releases it into quarantine).

Work is set-based in keyset chunks of ~10k numbers taken from the renewal queue
(``billing_schedule``, ordered by due date; ADR 0012): per chunk one bulk insert of charges
and one of ledger rows (COPY on PostgreSQL), one UPDATE of numbers (a HOT update: no index
on ``numbers`` covers the billing dates), one of the queue and one per wallet.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    ARRAY,
    String,
    and_,
    any_,
    bindparam,
    func,
    literal,
    or_,
    select,
    tuple_,
    update,
)

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.errors import DatabaseError
from didstore.db.tables import (
    accounts,
    billing_schedule,
    numbers,
    renewal_charges,
    wallets,
)
from didstore.domain.ids import new_uuid
from didstore.domain.lifecycle import NumberState
from didstore.domain.renewal import DEFAULT_GRACE, grace_ends, renewal_period
from didstore.services import audit, events, ledger
from didstore.services.models import Actor

log = logging.getLogger("didstore.renewals")

CHUNK_SIZE = 10_000
ACTIVE = NumberState.ACTIVE.value
SUSPENDED = NumberState.SUSPENDED.value


@dataclass(frozen=True, slots=True)
class NumberOutcome:
    """What a run did to one number: ``charged`` (for the period starting ``period_start``),
    ``suspended`` (that period unpaid) or ``failed`` (its chunk rolled back; the next run
    retries it, ``period_start`` unknown)."""

    number_id: str
    e164: str
    outcome: str
    period_start: datetime | None


@dataclass
class RenewalReport:
    """Counts of a run or of one chunk. ``outcomes`` lists each number's outcome; it is
    filled for a chunk (the report ``after_chunk`` receives), not kept in a whole run's total
    (a million entries)."""

    charged: int = 0
    suspended: int = 0
    reactivated: int = 0
    failed: int = 0
    chunks: int = 0
    charged_minor: dict[str, int] = field(default_factory=dict)
    outcomes: list[NumberOutcome] = field(default_factory=list)

    def add(self, other: RenewalReport) -> None:
        self.charged += other.charged
        self.suspended += other.suspended
        self.reactivated += other.reactivated
        self.failed += other.failed
        self.chunks += other.chunks
        for cur, amount in other.charged_minor.items():
            self.charged_minor[cur] = self.charged_minor.get(cur, 0) + amount


_COLUMNS = (
    numbers.c.id,
    numbers.c.e164,
    numbers.c.state,
    numbers.c.purchased_at,
    numbers.c.next_billing_date,
    numbers.c.monthly_fee_minor,
    numbers.c.currency,
    numbers.c.billing_account_id,
)


def _due(now: datetime) -> Any:
    """Active numbers whose period has started, and suspended ones still in their grace."""
    return or_(
        and_(numbers.c.state == ACTIVE, numbers.c.next_billing_date <= now),
        and_(
            numbers.c.state == SUSPENDED,
            numbers.c.next_billing_date <= now,
            numbers.c.grace_ends_at > now,
        ),
    )


async def _settle(
    conn: Connection, rows: Sequence[Any], now: datetime, grace: timedelta, actor_id: str
) -> RenewalReport:
    """Charge, suspend or leave suspended each (locked, due) number of ``rows``, in order."""
    report = RenewalReport(chunks=1)
    if not rows:
        return report
    account_ids = sorted({int(r.billing_account_id) for r in rows})
    balances: dict[tuple[int, str], list[Any]] = {}
    for w in await conn.execute(
        select(wallets.c.id, wallets.c.account_id, wallets.c.currency, wallets.c.balance_minor)
        .where(wallets.c.account_id.in_(account_ids))
        .order_by(wallets.c.id)
        .with_for_update()
    ):
        balances[(int(w.account_id), str(w.currency))] = [str(w.id), int(w.balance_minor), 0]
    batch = new_uuid()
    charges: list[dict[str, Any]] = []
    charged_e164: list[str] = []  # of each charge, for its ledger row
    suspend: list[tuple[Any, datetime]] = []
    reactivated: list[Any] = []
    realign: list[dict[str, Any]] = []
    for r in rows:
        # the exactly-once key comes from the anchor, not from the stored date (ADR 0016)
        period, following = renewal_period(r.purchased_at, r.next_billing_date)
        if period > now:
            # stored before its anchored period, which has not started: move the date onto
            # the anchor, charge nothing yet
            realign.append({"nid": r.id, "due": period})
            continue
        fee = int(r.monthly_fee_minor)
        wallet = balances.get((int(r.billing_account_id), str(r.currency)))
        if fee > 0 and (wallet is None or wallet[1] < fee):
            if r.state == ACTIVE:
                suspend.append((r, period))
            continue
        if wallet is not None and fee > 0:
            wallet[1] -= fee
            wallet[2] += fee
        charges.append(
            {
                "number_id": r.id,
                "period_start": period,
                "next_period_start": following,
                "account_id": r.billing_account_id,
                "wallet_id": wallet[0] if wallet is not None else None,
                "currency": r.currency,
                "amount_minor": fee,
                "balance_after_minor": wallet[1] if wallet is not None else 0,
                "ledger_entry_id": new_uuid() if fee > 0 else None,
                "batch_id": batch,
                "charged_at": now,
            }
        )
        charged_e164.append(r.e164)
        report.charged_minor[r.currency] = report.charged_minor.get(r.currency, 0) + fee
        report.outcomes.append(NumberOutcome(r.id, r.e164, "charged", period))
        if r.state == SUSPENDED:
            reactivated.append(r)
    if charges:
        await _write_charges(conn, charges, charged_e164, batch, now, balances)
        await events.record_numbers(conn, "number.renewed", [c["number_id"] for c in charges], now)
    if suspend:
        await _suspend(conn, suspend, now, grace, actor_id)
        report.outcomes.extend(NumberOutcome(r.id, r.e164, "suspended", p) for r, p in suspend)
        for event in ("number.renewal_failed", "number.suspended"):
            await events.record_numbers(conn, event, [r.id for r, _ in suspend], now)
    if realign:
        await _realign(conn, realign)
    if reactivated:
        await conn.execute_many(
            update(numbers)
            .where(numbers.c.id == bindparam("nid"))
            .values(state=ACTIVE, suspended_at=None, grace_ends_at=None, updated_at=now),
            [{"nid": r.id} for r in reactivated],
        )
        await _audit_numbers(
            conn, reactivated, now, actor_id, "number.reactivated", {"state": ACTIVE}
        )
        await events.record_numbers(conn, "number.reactivated", [r.id for r in reactivated], now)
    report.charged = len(charges)
    report.suspended = len(suspend)
    report.reactivated = len(reactivated)
    return report


async def _write_charges(
    conn: Connection,
    charges: list[dict[str, Any]],
    charged_e164: list[str],
    batch: str,
    now: datetime,
    balances: dict[tuple[int, str], list[Any]],
) -> None:
    rc = renewal_charges
    # the unique key: no period charged twice
    await conn.insert_rows(renewal_charges, charges)
    await ledger.append_entries(
        conn,
        [
            ledger.entry(
                kind="debit",
                entry_id=c["ledger_entry_id"],
                wallet_id=c["wallet_id"],
                account_id=c["account_id"],
                amount_minor=c["amount_minor"],
                balance_after=c["balance_after_minor"],
                currency_code=c["currency"],
                reference_type="did_rental",
                reference=f"did:{e164}",
                description=f"Monthly rental of {e164}",
                number_id=c["number_id"],
                actor_account_id=None,
                now=c["charged_at"],
            )
            for c, e164 in zip(charges, charged_e164, strict=True)
            if c["amount_minor"] > 0
        ],
    )
    # UPDATE ... FROM: one join, not a sub-select per number. Only columns no index covers:
    # PostgreSQL can make it a HOT update, SQLite rewrites no index entry (a suspended number
    # charged again gets its state back in ``_settle``, by a statement of its own).
    await conn.execute(
        update(numbers)
        .where(numbers.c.id == rc.c.number_id, rc.c.batch_id == batch)
        .values(
            last_billing_date=rc.c.period_start,
            next_billing_date=rc.c.next_period_start,
            updated_at=now,
        )
    )
    await conn.execute(  # the queue follows the number's new date
        update(billing_schedule)
        .where(billing_schedule.c.number_id == rc.c.number_id, rc.c.batch_id == batch)
        .values(due_at=rc.c.next_period_start)
    )
    debits = [
        {"wid": w[0], "amt": w[2], "account_id": key[0], "currency": key[1], "after": w[1]}
        for key, w in balances.items()
        if w[2] > 0
    ]
    if debits:
        await conn.execute_many(
            update(wallets)
            .where(wallets.c.id == bindparam("wid"))
            .values(balance_minor=wallets.c.balance_minor - bindparam("amt"), updated_at=now),
            [{"wid": d["wid"], "amt": d["amt"]} for d in debits],
        )
        auth_ids: dict[int, str] = dict(
            (
                await conn.execute(
                    select(accounts.c.id, accounts.c.auth_id).where(
                        accounts.c.id.in_({d["account_id"] for d in debits})
                    )
                )
            ).all()
        )
        for d in debits:
            await events.low_balance(
                conn,
                account_id=d["account_id"],
                currency_code=d["currency"],
                before_minor=d["after"] + d["amt"],
                after_minor=d["after"],
                now=now,
            )
        renewals_actor = Actor(kind="system", auth_id="renewals", credential="system")
        await audit.record_many(
            conn,
            [
                audit.entry(
                    renewals_actor,
                    now,
                    account_id=auth_ids.get(d["account_id"]),
                    action="wallet.renewals_charged",
                    entity_type="wallet",
                    entity_id=d["wid"],
                    before={"balance_minor": d["after"] + d["amt"]},
                    after={
                        "balance_minor": d["after"],
                        "charged_minor": d["amt"],
                        "currency": d["currency"],
                        "batch_id": batch,
                    },
                )
                for d in debits
            ],
        )


async def _suspend(
    conn: Connection,
    rows: list[tuple[Any, datetime]],
    now: datetime,
    grace: timedelta,
    actor_id: str,
) -> None:
    """Suspend numbers whose period (``rows``: (number, anchored period start)) is unpaid."""
    await conn.execute_many(
        update(numbers)
        .where(numbers.c.id == bindparam("nid"), numbers.c.state == ACTIVE)
        .values(state=SUSPENDED, suspended_at=now, grace_ends_at=bindparam("ge"), updated_at=now),
        [{"nid": r.id, "ge": grace_ends(period, grace)} for r, period in rows],
    )
    await _audit_numbers(
        conn, [r for r, _ in rows], now, actor_id, "number.suspended", {"state": SUSPENDED}
    )


async def _realign(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Move stored billing dates (and their queue entries) onto the anchored period start."""
    await conn.execute_many(
        update(numbers)
        .where(numbers.c.id == bindparam("nid"))
        .values(next_billing_date=bindparam("due")),
        rows,
    )
    await conn.execute_many(
        update(billing_schedule)
        .where(billing_schedule.c.number_id == bindparam("nid"))
        .values(due_at=bindparam("due")),
        rows,
    )


async def _audit_numbers(
    conn: Connection,
    rows: list[Any],
    now: datetime,
    actor_id: str,
    action: str,
    after: dict[str, Any],
) -> None:
    actor = Actor(kind="system", auth_id=actor_id, credential="system")
    await audit.record_many(
        conn,
        [
            audit.entry(
                actor,
                now,
                action=action,
                entity_type="number",
                entity_id=r.id,
                e164=r.e164,
                before={"state": r.state, "period_start": r.next_billing_date.isoformat()},
                after={**after, "fee_minor": int(r.monthly_fee_minor), "currency": r.currency},
            )
            for r in rows
        ],
    )


async def run_renewals(
    db: Database,
    clock: Clock,
    *,
    grace: timedelta = DEFAULT_GRACE,
    chunk_size: int = CHUNK_SIZE,
    after_chunk: Callable[[RenewalReport], None] | None = None,
) -> RenewalReport:
    """Charge every period that has started by ``clock.now()``; safe to run concurrently and
    again after a crash. ``after_chunk`` is called after each committed chunk (progress)."""
    now = clock.now()
    total = RenewalReport()
    cursor: tuple[datetime, str] | None = None
    while True:
        rows: Sequence[Any] = ()
        try:
            async with db.write() as conn:
                candidates = (await conn.execute(_candidates(now, cursor, chunk_size))).all()
                if not candidates:
                    break
                last = (candidates[-1].due_at, candidates[-1].number_id)
                rows = await _lock_due(conn, now, [c.number_id for c in candidates])
                done = await _settle(conn, rows, now, grace, "renewals")
        except DatabaseError:
            if not rows:  # could not even read the chunk: nothing to skip past
                raise
            # Rolled back as a whole: nothing of this chunk was charged. Skip past it; the
            # next run charges these numbers (their periods are still open).
            log.exception("renewal chunk failed; its numbers are retried by the next run")
            failed = RenewalReport(chunks=1, failed=len(rows))
            failed.outcomes.extend(NumberOutcome(r.id, r.e164, "failed", None) for r in rows)
            total.add(failed)
            if after_chunk is not None:
                after_chunk(failed)
            cursor = last
            continue
        cursor = last
        total.add(done)
        if after_chunk is not None:
            after_chunk(done)
        if len(candidates) < chunk_size:
            break
    return total


def _after(cursor: tuple[datetime, str] | None) -> Any:
    bs = billing_schedule.c
    return literal(True) if cursor is None else tuple_(bs.due_at, bs.number_id) > tuple_(*cursor)


def _candidates(now: datetime, cursor: tuple[datetime, str] | None, limit: int) -> Any:
    """The next ``limit`` queue entries due by ``now``, in (due_at, number_id) order."""
    bs = billing_schedule.c
    return (
        select(bs.due_at, bs.number_id)
        .where(bs.due_at <= now, _after(cursor))
        .order_by(bs.due_at, bs.number_id)
        .limit(limit)
    )


async def _lock_due(conn: Connection, now: datetime, ids: list[str]) -> Sequence[Any]:
    """Lock those of ``ids`` that are really due (their own state and date, re-checked under
    the lock), oldest period first; numbers another worker holds are skipped."""
    query = select(*_COLUMNS)
    if conn.dialect == "postgresql":  # one array parameter: planned as 10k PK probes
        query = query.where(numbers.c.id == any_(bindparam("ids", ids, type_=ARRAY(String))))
    else:
        # One JSON parameter (sqlite3 binds 10k *named* parameters in quadratic time), joined
        # from the list to the numbers: as ``id IN (SELECT … json_each)`` SQLite's planner
        # preferred the state index and read every owned number for each chunk.
        listed = func.json_each(bindparam("ids", json.dumps(ids))).table_valued("value")
        query = query.select_from(listed.join(numbers, numbers.c.id == listed.c.value))
    return (
        await conn.execute(
            query.where(_due(now))
            .order_by(numbers.c.next_billing_date, numbers.c.id)
            .with_for_update(skip_locked=True, of=numbers)
        )
    ).all()


async def retry_suspended(
    conn: Connection, *, account_id: int, currency_code: str, now: datetime
) -> RenewalReport:
    """Inside a credit's transaction: charge the account's suspended numbers (oldest unpaid
    period first) that the new balance covers, and put them back to ``active``."""
    rows = (
        await conn.execute(
            select(*_COLUMNS)
            .where(
                numbers.c.billing_account_id == account_id,
                numbers.c.currency == currency_code,
                numbers.c.state == SUSPENDED,
                numbers.c.grace_ends_at > now,
            )
            .order_by(numbers.c.next_billing_date, numbers.c.id)
            .with_for_update(skip_locked=True, of=numbers)
        )
    ).all()
    return await _settle(conn, rows, now, DEFAULT_GRACE, "wallet-credit")
