"""The partner Number Management checks, built in (partner seed, "Number Management Guide").

- renewals: numbers renewing within N days whose account cannot cover every rental due in
  that window, with the shortfall per account and currency;
- routing: active numbers with neither application nor trunk (callers would hear a hangup);
- costs: per customer, what the ledger charged for numbers in a period (for invoices);
- kyc: numbers restricted until Aadhaar KYC completes.
Every figure comes from stored rows (the ledger for money), never from a second bookkeeping.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, insert, select

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.errors import IntegrityViolation
from didstore.db.queries import NUMBER_VIEW, VISIBLE_OWNED
from didstore.db.tables import accounts, ledger_entries, numbers, partner_reports, wallets
from didstore.domain.billing import add_months
from didstore.domain.errors import InvalidInput
from didstore.domain.lifecycle import NumberState
from didstore.services import events
from didstore.services.accounts import AccountService
from didstore.services.models import Account, Number


@dataclass(frozen=True, slots=True)
class DueNumber:
    e164: str
    renewals_in_window: int
    next_billing_date: datetime
    monthly_fee_minor: int


@dataclass(slots=True)
class RenewalRisk:
    account_auth_id: str
    account_name: str
    currency: str
    balance_minor: int
    due_minor: int = 0
    numbers: list[DueNumber] = field(default_factory=list)

    @property
    def shortfall_minor(self) -> int:
        return max(0, self.due_minor - self.balance_minor)


@dataclass(frozen=True, slots=True)
class CostLine:
    account_auth_id: str
    account_name: str
    currency: str
    purchases_minor: int  # setup fee + first month, at purchase (did_purchase)
    rentals_minor: int  # monthly renewals (did_rental)
    release_fees_minor: int  # did_release
    refunds_minor: int  # refunds of release fees
    net_minor: int


def renewals_due(anchor: datetime, next_billing: datetime, until: datetime) -> int:
    """How many renewal dates of a number fall in ``[next_billing, until]``."""
    first = (next_billing.year * 12 + next_billing.month) - (anchor.year * 12 + anchor.month)
    count, k = 0, first
    while True:
        due = add_months(anchor, k) if k else next_billing
        if due > until:
            return count
        count += 1
        k += 1


class ReportService:
    def __init__(self, db: Database, clock: Clock, accounts_: AccountService) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts_

    async def renewals(
        self, partner: Account, within_days: int, *, now: datetime | None = None
    ) -> list[RenewalRisk]:
        if not 1 <= within_days <= 366:
            raise InvalidInput("within_days must be between 1 and 366", field="within_days")
        now = now or self.clock.now()
        until = now + timedelta(days=within_days)
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        numbers.c.e164,
                        numbers.c.purchased_at,
                        numbers.c.next_billing_date,
                        numbers.c.monthly_fee_minor,
                        numbers.c.currency,
                        accounts.c.auth_id,
                        accounts.c.name,
                        accounts.c.id,
                        func.coalesce(wallets.c.balance_minor, 0),
                    )
                    .join(accounts, accounts.c.id == numbers.c.billing_account_id)
                    .outerjoin(
                        wallets,
                        and_(
                            wallets.c.account_id == accounts.c.id,
                            wallets.c.currency == numbers.c.currency,
                        ),
                    )
                    .where(
                        numbers.c.partner_id == partner.id,
                        numbers.c.state.in_(
                            [NumberState.ACTIVE.value, NumberState.SUSPENDED.value]
                        ),
                        numbers.c.next_billing_date <= until,
                    )
                    .order_by(accounts.c.auth_id, numbers.c.next_billing_date, numbers.c.e164)
                )
            ).all()
        risks: dict[tuple[str, str], RenewalRisk] = {}
        for e164, anchor, nxt, fee, cur, auth_id, name, _pk, balance in rows:
            if anchor is None or nxt is None:
                continue
            times = renewals_due(anchor, nxt, until)
            risk = risks.setdefault((auth_id, cur), RenewalRisk(auth_id, name, cur, int(balance)))
            risk.due_minor += times * int(fee)
            risk.numbers.append(DueNumber(e164, times, nxt, int(fee)))
        return [r for r in risks.values() if r.shortfall_minor > 0 and r.due_minor > 0]

    async def routing(self, partner: Account) -> list[Number]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    NUMBER_VIEW.where(
                        numbers.c.partner_id == partner.id,
                        numbers.c.state == NumberState.ACTIVE.value,
                        numbers.c.trunk_id.is_(None),
                        numbers.c.application_id.is_(None),
                    ).order_by(numbers.c.e164)
                )
            ).all()
        return [Number.from_view(r) for r in rows]

    async def kyc(self, partner: Account) -> list[Number]:
        now = self.clock.now()
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    NUMBER_VIEW.where(
                        numbers.c.partner_id == partner.id,
                        VISIBLE_OWNED,
                        numbers.c.aadhaar_verification_required.is_(True),
                    ).order_by(numbers.c.e164),
                    {"now": now},
                )
            ).all()
        found = [Number.from_view(r) for r in rows]
        return [n for n in found if not n.aadhaar_verified]

    async def costs(self, partner: Account, start: datetime, end: datetime) -> list[CostLine]:
        if end <= start:
            raise InvalidInput("to must be after from")

        def total(ref: str, kind: str) -> Any:
            return func.coalesce(
                func.sum(
                    case(
                        (
                            and_(
                                ledger_entries.c.reference_type == ref,
                                ledger_entries.c.type == kind,
                            ),
                            ledger_entries.c.amount_minor,
                        ),
                        else_=0,
                    )
                ),
                0,
            )

        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        accounts.c.auth_id,
                        accounts.c.name,
                        ledger_entries.c.currency,
                        total("did_purchase", "debit"),
                        total("did_rental", "debit"),
                        total("did_release", "debit"),
                        total("refund", "credit"),
                    )
                    .join(accounts, accounts.c.id == ledger_entries.c.account_id)
                    .where(
                        accounts.c.partner_id == partner.id,
                        accounts.c.kind == "main",
                        ledger_entries.c.created_at >= start,
                        ledger_entries.c.created_at < end,
                        ledger_entries.c.reference_type.in_(
                            ["did_purchase", "did_rental", "did_release", "refund"]
                        ),
                    )
                    .group_by(accounts.c.auth_id, accounts.c.name, ledger_entries.c.currency)
                    .order_by(accounts.c.auth_id, ledger_entries.c.currency)
                )
            ).all()
        return [
            CostLine(
                str(a),
                str(n),
                str(c),
                int(p),
                int(r),
                int(rel),
                int(ref),
                int(p) + int(r) + int(rel) - int(ref),
            )
            for a, n, c, p, r, rel, ref in rows
        ]

    async def kept(self, partner: Account, kind: str, limit: int = 10) -> list[dict[str, Any]]:
        """Reports the weekly job kept for a partner, newest first."""
        pr = partner_reports
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(
                        partner_reports.c.period,
                        partner_reports.c.generated_at,
                        partner_reports.c.body,
                    )
                    .where(
                        partner_reports.c.partner_id == partner.id, partner_reports.c.kind == kind
                    )
                    .order_by(pr.c.id.desc())
                    .limit(limit)
                )
            ).all()
        return [{"period": r[0], "generated_at": r[1], "report": r[2]} for r in rows]

    async def store_weekly_renewals(self, now: datetime, within_days: int = 14) -> int:
        """The weekly job: compute every partner's renewal report and keep it, once per ISO week
        (a unique key makes a second run in the same week a no-op). Returns reports stored."""
        year, week, _ = now.isocalendar()
        period = f"{year}-W{week:02d}"
        kept = (
            select(partner_reports.c.id)
            .where(
                partner_reports.c.partner_id == accounts.c.id,
                partner_reports.c.kind == "renewals",
                partner_reports.c.period == period,
            )
            .exists()
        )
        async with (
            self.db.read() as conn
        ):  # only partners without this week's report: cheap when run often
            partner_ids = [
                r[0]
                for r in (
                    await conn.execute(
                        select(accounts.c.auth_id).where(accounts.c.kind == "partner", ~kept)
                    )
                ).all()
            ]
        stored = 0
        for auth_id in partner_ids:
            partner = await self.accounts.get(str(auth_id))
            risks = await self.renewals(partner, within_days, now=now)
            body = [
                {
                    "account_id": r.account_auth_id,
                    "currency": r.currency,
                    "balance_minor": r.balance_minor,
                    "due_minor": r.due_minor,
                    "shortfall_minor": r.shortfall_minor,
                    "numbers": [n.e164 for n in r.numbers],
                }
                for r in risks
            ]
            try:
                async with self.db.write() as conn:
                    await conn.execute(
                        insert(partner_reports).values(
                            partner_id=partner.id,
                            kind="renewals",
                            period=period,
                            generated_at=now,
                            body={"within_days": within_days, "accounts": body},
                        )
                    )
                    await self._risk_events(conn, partner, period, within_days, risks, now)
                stored += 1
            except IntegrityViolation:
                continue  # already kept for this week (and its events with it)
        return stored

    async def _risk_events(
        self,
        conn: Connection,
        partner: Account,
        period: str,
        within_days: int,
        risks: list[RenewalRisk],
        now: datetime,
    ) -> None:
        """``report.renewal_risk``: one event per account at risk in the report just kept,
        in its transaction (so once per account and ISO week, like the report), for the
        account and its main account (and the operator's feed). Its ``risks`` are the
        partner report's own objects (``wire.partner.renewal_risk``), one per currency."""
        from didstore.wire.partner import renewal_risk  # wire shapes import this module

        by_account: dict[str, list[RenewalRisk]] = {}
        for risk in risks:
            by_account.setdefault(risk.account_auth_id, []).append(risk)
        if not by_account:
            return
        parent = accounts.alias("parent")
        mains: dict[str, str | None] = dict(
            (
                await conn.execute(
                    select(accounts.c.auth_id, parent.c.auth_id)
                    .select_from(accounts.outerjoin(parent, parent.c.id == accounts.c.parent_id))
                    .where(accounts.c.auth_id.in_(sorted(by_account)))
                )
            ).all()
        )
        rows = []
        for auth_id, found in by_account.items():
            data = {
                "account_id": auth_id,
                "partner_id": partner.auth_id,
                "period": period,
                "within_days": within_days,
                "risks": [renewal_risk(r) for r in found],
            }
            main = mains.get(auth_id)
            rows.append(
                events.entry(
                    "report.renewal_risk", now, account_id=auth_id, main_account_id=main, data=data
                )
            )
        await events.record_many(conn, rows)
