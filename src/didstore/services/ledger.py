"""Wallet postings inside a caller's transaction. Each call changes one balance and appends
exactly one ledger row; the debit is a conditional UPDATE, so a balance never goes negative
however many transactions race for it (performance notes: "Money and inventory")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from didstore.db.tables import ledger_entries, wallets
from didstore.domain.errors import InsufficientBalance
from didstore.domain.ids import new_uuid
from didstore.domain.money import currency, to_units


@dataclass(frozen=True, slots=True)
class Posting:
    entry_id: str
    wallet_id: str
    balance_after_minor: int


def ensure_wallet(conn: Connection, account_id: int, currency_code: str, now: datetime) -> str:
    """The wallet for (account, currency), created empty if missing; returns its id.

    Two first postings in a new currency can race: the insert is ``ON CONFLICT DO NOTHING``
    on the (account, currency) key, so the loser waits for the winner and uses its wallet
    instead of failing on the unique key.
    """
    where = (wallets.c.account_id == account_id, wallets.c.currency == currency_code)
    existing = conn.execute(select(wallets.c.id).where(*where)).scalar_one_or_none()
    if existing is not None:
        return str(existing)
    insert_fn = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(
        insert_fn(wallets)
        .values(
            id=new_uuid(),
            account_id=account_id,
            currency=currency_code,
            balance_minor=0,
            created_at=now,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["account_id", "currency"])
    )
    return str(conn.execute(select(wallets.c.id).where(*where)).scalar_one())


def _append(
    conn: Connection,
    *,
    wallet_id: str,
    account_id: int,
    kind: str,
    amount_minor: int,
    balance_after: int,
    currency_code: str,
    reference_type: str,
    reference: str,
    description: str,
    number_id: str | None,
    actor_account_id: int | None,
    now: datetime,
) -> str:
    entry_id = new_uuid()
    conn.execute(
        insert(ledger_entries).values(
            id=entry_id,
            wallet_id=wallet_id,
            account_id=account_id,
            actor_account_id=actor_account_id,
            type=kind,
            amount_minor=amount_minor,
            balance_after_minor=balance_after,
            currency=currency_code,
            reference_type=reference_type,
            reference=reference,
            description=description,
            number_id=number_id,
            status="completed",
            created_at=now,
        )
    )
    return entry_id


def debit(
    conn: Connection,
    *,
    account_id: int,
    currency_code: str,
    amount_minor: int,
    reference_type: str,
    reference: str = "",
    description: str = "",
    number_id: str | None = None,
    actor_account_id: int | None = None,
    now: datetime,
) -> Posting:
    """Take ``amount_minor`` from the wallet, or raise ``InsufficientBalance`` (no change)."""
    if amount_minor <= 0:
        raise ValueError("a debit must be positive")
    row = conn.execute(
        update(wallets)
        .where(
            wallets.c.account_id == account_id,
            wallets.c.currency == currency_code,
            wallets.c.balance_minor >= amount_minor,
        )
        .values(balance_minor=wallets.c.balance_minor - amount_minor, updated_at=now)
        .returning(wallets.c.id, wallets.c.balance_minor)
    ).first()
    if row is None:
        balance = conn.execute(
            select(wallets.c.balance_minor).where(
                wallets.c.account_id == account_id, wallets.c.currency == currency_code
            )
        ).scalar_one_or_none()
        cur = currency(currency_code)
        have = to_units(int(balance or 0), cur)
        need = to_units(amount_minor, cur)
        raise InsufficientBalance(
            f"insufficient balance: {need} {currency_code} required, {have} {currency_code}"
            " available",
            required=need,
            available=have,
            currency=currency_code,
        )
    wallet_id, balance_after = str(row[0]), int(row[1])
    entry_id = _append(
        conn,
        wallet_id=wallet_id,
        account_id=account_id,
        kind="debit",
        amount_minor=amount_minor,
        balance_after=balance_after,
        currency_code=currency_code,
        reference_type=reference_type,
        reference=reference,
        description=description,
        number_id=number_id,
        actor_account_id=actor_account_id,
        now=now,
    )
    return Posting(entry_id, wallet_id, balance_after)


def credit(
    conn: Connection,
    *,
    account_id: int,
    currency_code: str,
    amount_minor: int,
    reference_type: str,
    reference: str = "",
    description: str = "",
    number_id: str | None = None,
    actor_account_id: int | None = None,
    now: datetime,
) -> Posting:
    """Add ``amount_minor`` to the wallet (created if missing)."""
    if amount_minor <= 0:
        raise ValueError("a credit must be positive")
    ensure_wallet(conn, account_id, currency_code, now)
    row = conn.execute(
        update(wallets)
        .where(wallets.c.account_id == account_id, wallets.c.currency == currency_code)
        .values(balance_minor=wallets.c.balance_minor + amount_minor, updated_at=now)
        .returning(wallets.c.id, wallets.c.balance_minor)
    ).one()
    wallet_id, balance_after = str(row[0]), int(row[1])
    entry_id = _append(
        conn,
        wallet_id=wallet_id,
        account_id=account_id,
        kind="credit",
        amount_minor=amount_minor,
        balance_after=balance_after,
        currency_code=currency_code,
        reference_type=reference_type,
        reference=reference,
        description=description,
        number_id=number_id,
        actor_account_id=actor_account_id,
        now=now,
    )
    return Posting(entry_id, wallet_id, balance_after)
