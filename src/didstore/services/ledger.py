"""The ledger's one writer: wallet postings inside a caller's transaction.

Each posting changes one balance and appends exactly one ledger row; a debit is a
conditional UPDATE, so a balance never goes negative however many transactions race for it
(performance notes: "Money and inventory"). Batch jobs that post many rows at once (the
renewals) append them with ``append_entries``, in bulk (COPY on PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, bindparam, insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from didstore.db.database import Connection
from didstore.db.tables import accounts, ledger_entries, wallets
from didstore.db.types import UTCDateTime
from didstore.domain.errors import InsufficientBalance
from didstore.domain.ids import new_uuid
from didstore.domain.money import currency, to_units
from didstore.services import events


def entries() -> Select[Any]:
    """The one reader of ledger rows: each entry with its account's ``auth_id`` (as
    ``account_auth_id``); callers add their filter and order (the wallet's transactions,
    a credit's own entry, a number's timeline)."""
    return select(ledger_entries, accounts.c.auth_id.label("account_auth_id")).join(
        accounts, accounts.c.id == ledger_entries.c.account_id
    )


@dataclass(frozen=True, slots=True)
class Posting:
    entry_id: str
    wallet_id: str
    balance_after_minor: int


_NOW = bindparam("now", type_=UTCDateTime)
_WALLET = (wallets.c.account_id == bindparam("acct"), wallets.c.currency == bindparam("cur"))
_WALLET_ID = select(wallets.c.id).where(*_WALLET)
_BALANCE = select(wallets.c.balance_minor).where(*_WALLET)
_NEW_WALLET = {
    "id": bindparam("wallet_id"),
    "account_id": bindparam("acct"),
    "currency": bindparam("cur"),
    "balance_minor": 0,
    "created_at": _NOW,
    "updated_at": _NOW,
}
_CREATE_WALLET = {
    dialect: fn(wallets)
    .values(**_NEW_WALLET)
    .on_conflict_do_nothing(index_elements=["account_id", "currency"])
    for dialect, fn in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}
_DEBIT = (
    update(wallets)
    .where(*_WALLET, wallets.c.balance_minor >= bindparam("amount"))
    .values(balance_minor=wallets.c.balance_minor - bindparam("amount"), updated_at=_NOW)
    .returning(wallets.c.id, wallets.c.balance_minor)
)
_CREDIT = (
    update(wallets)
    .where(*_WALLET)
    .values(balance_minor=wallets.c.balance_minor + bindparam("amount"), updated_at=_NOW)
    .returning(wallets.c.id, wallets.c.balance_minor)
)
_APPEND = insert(ledger_entries)  # compiled for the keys of ``entry``


async def ensure_wallet(
    conn: Connection, account_id: int, currency_code: str, now: datetime
) -> str:
    """The wallet for (account, currency), created empty if missing; returns its id.

    Two first postings in a new currency can race: the insert is ``ON CONFLICT DO NOTHING``
    on the (account, currency) key, so the loser waits for the winner and uses its wallet
    instead of failing on the unique key.
    """
    key = {"acct": account_id, "cur": currency_code}
    existing = (await conn.execute(_WALLET_ID, key)).scalar_one_or_none()
    if existing is not None:
        return str(existing)
    await conn.execute(_CREATE_WALLET[conn.dialect], {**key, "wallet_id": new_uuid(), "now": now})
    return str((await conn.execute(_WALLET_ID, key)).scalar_one())


def entry(
    *,
    kind: str,
    wallet_id: str,
    account_id: int,
    amount_minor: int,
    balance_after: int,
    currency_code: str,
    reference_type: str,
    reference: str,
    description: str,
    number_id: str | None,
    actor_account_id: int | None,
    now: datetime,
    entry_id: str | None = None,
) -> dict[str, Any]:
    """One ledger row's values."""
    return {
        "id": entry_id or new_uuid(),
        "wallet_id": wallet_id,
        "account_id": account_id,
        "actor_account_id": actor_account_id,
        "type": kind,
        "amount_minor": amount_minor,
        "balance_after_minor": balance_after,
        "currency": currency_code,
        "reference_type": reference_type,
        "reference": reference,
        "description": description,
        "number_id": number_id,
        "status": "completed",
        "created_at": now,
    }


async def append_entries(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Ledger rows built by ``entry`` whose balances the caller already moved: one row is an
    INSERT, many go in bulk (COPY on PostgreSQL)."""
    if len(rows) == 1:
        await conn.execute(_APPEND, rows[0])
    else:
        await conn.insert_rows(ledger_entries, rows)


@dataclass(frozen=True, slots=True)
class _Why:
    """What a posting is for (the ledger row's reference and description)."""

    reference_type: str
    reference: str
    description: str
    number_id: str | None
    actor_account_id: int | None


async def debit(
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
    key = {"acct": account_id, "cur": currency_code}
    row = (await conn.execute(_DEBIT, {**key, "amount": amount_minor, "now": now})).first()
    if row is None:
        balance = (await conn.execute(_BALANCE, key)).scalar_one_or_none()
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
    why = _Why(reference_type, reference, description, number_id, actor_account_id)
    posting = await _post(conn, "debit", row, account_id, currency_code, amount_minor, now, why)
    after = posting.balance_after_minor
    await events.low_balance(
        conn,
        account_id=account_id,
        currency_code=currency_code,
        before_minor=after + amount_minor,
        after_minor=after,
        now=now,
    )
    return posting


async def credit(
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
    await ensure_wallet(conn, account_id, currency_code, now)
    key = {"acct": account_id, "cur": currency_code, "amount": amount_minor, "now": now}
    row = (await conn.execute(_CREDIT, key)).one()
    why = _Why(reference_type, reference, description, number_id, actor_account_id)
    return await _post(conn, "credit", row, account_id, currency_code, amount_minor, now, why)


async def _post(
    conn: Connection,
    kind: str,
    row: Any,
    account_id: int,
    currency_code: str,
    amount_minor: int,
    now: datetime,
    why: _Why,
) -> Posting:
    wallet_id, balance_after = str(row[0]), int(row[1])
    values = entry(
        kind=kind,
        wallet_id=wallet_id,
        account_id=account_id,
        amount_minor=amount_minor,
        balance_after=balance_after,
        currency_code=currency_code,
        reference_type=why.reference_type,
        reference=why.reference,
        description=why.description,
        number_id=why.number_id,
        actor_account_id=why.actor_account_id,
        now=now,
    )
    await append_entries(conn, [values])
    return Posting(values["id"], wallet_id, balance_after)
