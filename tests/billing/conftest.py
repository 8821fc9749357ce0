"""Helpers for the billing tests: owned numbers, balances and renewal counts, read from the
real database (no mocks)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from didstore.clock import FixedClock
from didstore.db.tables import ledger_entries, numbers, renewal_charges, wallets
from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from tests.conftest import AccountHandle
from tests.support import TestServices


def buy(state: TestServices, acct: AccountHandle, e164: str) -> None:
    state.numbers.purchase(CLI, state.accounts.get(acct.auth_id), from_body(e164))


def balance(state: TestServices, acct: AccountHandle, currency: str = "INR") -> int:
    account = state.accounts.get(acct.auth_id)
    with state.db.read() as conn:
        value = conn.execute(
            select(wallets.c.balance_minor).where(
                wallets.c.account_id == account.id, wallets.c.currency == currency
            )
        ).scalar_one_or_none()
    return int(value or 0)


def number_row(state: TestServices, e164: str) -> Any:
    with state.db.read() as conn:
        return conn.execute(select(numbers).where(numbers.c.e164 == e164)).one()


def rental_rows(state: TestServices, e164: str | None = None) -> list[Any]:
    query = select(ledger_entries).where(ledger_entries.c.reference_type == "did_rental")
    if e164 is not None:
        query = query.where(ledger_entries.c.reference == f"did:{e164}")
    with state.db.read() as conn:
        return list(conn.execute(query.order_by(ledger_entries.c.seq)).all())


def charge_count(state: TestServices) -> int:
    with state.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(renewal_charges)).scalar_one())


def at(clock: FixedClock, when: datetime) -> FixedClock:
    clock.set(when)
    return clock
