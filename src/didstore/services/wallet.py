"""Wallet use cases: operator credit, balance, the ledger listing and the ledger check."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, select

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.tables import accounts, ledger_entries, wallets
from didstore.domain.errors import InvalidInput, NotFound
from didstore.domain.fields import text
from didstore.domain.money import currency, to_minor
from didstore.services import audit, ledger, renewals
from didstore.services.models import Account, Actor, LedgerEntry, Page, Wallet

REFERENCE_TYPES = ("did_purchase", "did_rental", "did_release", "refund", "payment", "transfer")


@dataclass(frozen=True, slots=True)
class CreditResult:
    entry: LedgerEntry
    balance_minor: int


@dataclass(frozen=True, slots=True)
class TransactionFilters:
    from_date: datetime | None = None
    to_date: datetime | None = None
    type: str | None = None
    currency: str | None = None
    reference_type: str | None = None
    reference: str | None = None
    transaction_id: str | None = None
    description: str | None = None
    status: str | None = None


@dataclass(frozen=True, slots=True)
class ReferenceSummary:
    reference_type: str
    total_debit_minor: int
    total_credit_minor: int
    count: int


@dataclass(frozen=True, slots=True)
class TransactionSummary:
    total_transactions: int
    total_debit_minor: int
    total_credit_minor: int
    by_reference_type: list[ReferenceSummary]


@dataclass(frozen=True, slots=True)
class LedgerProblem:
    account_auth_id: str
    currency: str
    balance_minor: int
    ledger_sum_minor: int


def transaction_where(account: Account, filters: TransactionFilters) -> Any:
    """The ledger listing's conditions: the paying wallet's rows in one currency (the
    account's own unless asked: totals must never add rupees to dollars), then the filters."""
    f = filters
    conds = [
        ledger_entries.c.account_id == account.payer_id,
        ledger_entries.c.currency == (f.currency or account.currency).upper(),
    ]
    if f.from_date is not None:
        conds.append(ledger_entries.c.created_at >= f.from_date)
    if f.to_date is not None:
        conds.append(ledger_entries.c.created_at < f.to_date)
    if f.type:
        conds.append(ledger_entries.c.type == f.type)
    if f.reference_type:
        conds.append(ledger_entries.c.reference_type == f.reference_type)
    if f.reference:
        conds.append(ledger_entries.c.reference == f.reference)
    if f.transaction_id:
        conds.append(ledger_entries.c.id == f.transaction_id)
    if f.description:
        conds.append(ledger_entries.c.description.contains(f.description, autoescape=True))
    if f.status:
        conds.append(ledger_entries.c.status == f.status)
    return and_(*conds)


class WalletService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def credit(
        self,
        actor: Actor,
        account: Account,
        *,
        amount: object,
        currency_code: object,
        description: object = None,
        reference_type: str = "payment",
    ) -> CreditResult:
        """Operator top-up of a main account's (or partner's) wallet."""
        if account.kind == "sub":
            raise InvalidInput("sub-accounts have no wallet: credit the parent account")
        cur = currency(currency_code)
        amount_minor = to_minor(amount, cur)
        if amount_minor <= 0:
            raise InvalidInput("amount must be greater than zero", field="amount")
        if description is not None:
            description = text(description, "description", max_len=500)
        now = self.clock.now()
        async with self.db.write() as conn:
            posting = await ledger.credit(
                conn,
                account_id=account.id,
                currency_code=cur.code,
                amount_minor=amount_minor,
                reference_type=reference_type,
                reference=f"credit:{account.auth_id}:{int(now.timestamp())}",
                description=str(description or "Wallet credit"),
                now=now,
            )
            # A credit is what an unpaid number waits for: charge its rental now, once.
            retried = await renewals.retry_suspended(
                conn, account_id=account.id, currency_code=cur.code, now=now
            )
            balance_now = posting.balance_after_minor - retried.charged_minor.get(cur.code, 0)
            await audit.record(
                conn,
                actor,
                now,
                action="wallet.credit",
                entity_type="wallet",
                entity_id=posting.wallet_id,
                account_id=account.auth_id,
                after={
                    "amount_minor": amount_minor,
                    "currency": cur.code,
                    "balance_minor": posting.balance_after_minor,
                },
            )
            row = (
                await conn.execute(ledger.entries().where(ledger_entries.c.id == posting.entry_id))
            ).one()
        return CreditResult(LedgerEntry.from_row(row._mapping), balance_now)

    async def balance(self, account: Account, currency_code: str) -> Wallet:
        """A sub-account sees its parent's wallet: the parent pays for everything."""
        cur = currency(currency_code)
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(wallets, accounts.c.auth_id)
                    .join(accounts, accounts.c.id == wallets.c.account_id)
                    .where(wallets.c.account_id == account.payer_id, wallets.c.currency == cur.code)
                )
            ).first()
        if row is None:
            raise NotFound(f"no {cur.code} balance for account {account.auth_id}")
        m = row._mapping
        return Wallet(
            m["id"],
            m["auth_id"],
            m["currency"],
            m["balance_minor"],
            m["created_at"],
            m["updated_at"],
        )

    async def balances(self, account: Account) -> list[Wallet]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(wallets, accounts.c.auth_id)
                    .join(accounts, accounts.c.id == wallets.c.account_id)
                    .where(wallets.c.account_id == account.payer_id)
                    .order_by(wallets.c.currency)
                )
            ).all()
        return [
            Wallet(
                r._mapping["id"],
                r._mapping["auth_id"],
                r._mapping["currency"],
                r._mapping["balance_minor"],
                r._mapping["created_at"],
                r._mapping["updated_at"],
            )
            for r in rows
        ]

    async def transactions(
        self, account: Account, filters: TransactionFilters, page: int, per_page: int
    ) -> tuple[Page[LedgerEntry], TransactionSummary]:
        where = transaction_where(account, filters)
        debit = case((ledger_entries.c.type == "debit", ledger_entries.c.amount_minor), else_=0)
        credit = case((ledger_entries.c.type == "credit", ledger_entries.c.amount_minor), else_=0)
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    ledger.entries()
                    .where(where)
                    .order_by(ledger_entries.c.seq.desc())
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).all()
            groups = (
                await conn.execute(
                    select(
                        ledger_entries.c.reference_type,
                        func.coalesce(func.sum(debit), 0),
                        func.coalesce(func.sum(credit), 0),
                        func.count(),
                    )
                    .where(where)
                    .group_by(ledger_entries.c.reference_type)
                    .order_by(ledger_entries.c.reference_type)
                )
            ).all()
        by_type = [ReferenceSummary(str(g[0]), int(g[1]), int(g[2]), int(g[3])) for g in groups]
        summary = TransactionSummary(
            total_transactions=sum(g.count for g in by_type),
            total_debit_minor=sum(g.total_debit_minor for g in by_type),
            total_credit_minor=sum(g.total_credit_minor for g in by_type),
            by_reference_type=by_type,
        )
        items = [LedgerEntry.from_row(r._mapping) for r in rows]
        return Page(items, page, per_page, summary.total_transactions), summary

    async def verify(self) -> list[LedgerProblem]:
        """Every wallet's cached balance must equal its ledger sum, and none be negative."""
        signed = case(
            (ledger_entries.c.type == "credit", ledger_entries.c.amount_minor),
            else_=-ledger_entries.c.amount_minor,
        )
        sums = (
            select(ledger_entries.c.wallet_id, func.sum(signed).label("total"))
            .group_by(ledger_entries.c.wallet_id)
            .subquery()
        )
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        accounts.c.auth_id,
                        wallets.c.currency,
                        wallets.c.balance_minor,
                        func.coalesce(sums.c.total, 0),
                    )
                    .join(accounts, accounts.c.id == wallets.c.account_id)
                    .outerjoin(sums, sums.c.wallet_id == wallets.c.id)
                )
            ).all()
        return [
            LedgerProblem(str(r[0]), str(r[1]), int(r[2]), int(r[3]))
            for r in rows
            if int(r[2]) != int(r[3]) or int(r[2]) < 0
        ]
