"""Read-only summaries for the web console (ADR 0019): what an account holds, what renews
soon against its balance, what routes nowhere; per-customer number counts for a partner; the
operator's account list. Every figure comes from stored rows (numbers, wallets)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.queries import (
    ACCOUNT_BY_AUTH_ID,
    ACCOUNT_VIEW,
    VISIBLE_OWNED_FILTER,
)
from didstore.db.tables import accounts, numbers, wallets
from didstore.domain.lifecycle import NumberState
from didstore.services.models import Account, Page
from didstore.services.reports import renewals_due

#: how far ahead the home page looks for renewals
RENEWAL_WINDOW_DAYS = 30
#: how many numbers that route nowhere the home page lists
UNROUTED_SHOWN = 10


@dataclass(slots=True)
class RenewalOutlook:
    """Rentals due in the window in one currency, against the paying wallet's balance."""

    currency: str
    balance_minor: int
    due_minor: int = 0
    renewals: int = 0

    @property
    def shortfall_minor(self) -> int:
        return max(0, self.due_minor - self.balance_minor)


@dataclass(slots=True)
class Overview:
    counts: dict[str, int] = field(default_factory=dict)  # state -> numbers
    renewals: list[RenewalOutlook] = field(default_factory=list)
    unrouted: list[str] = field(default_factory=list)  # the first UNROUTED_SHOWN, by number
    unrouted_total: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class StockLevels:
    by_country: list[tuple[str, int]]
    by_prefix: list[tuple[str, int]]

    @property
    def total(self) -> int:
        return sum(n for _, n in self.by_country)


def _held_by(account: Account) -> Any:
    """The numbers an account may act on (``Account.may_manage``), as a condition that one
    index serves: a main account pays for every number it or its sub-accounts hold
    (``ix_numbers_billing_e164``); a sub-account holds its own (``ix_numbers_owner_e164``)."""
    if account.kind == "main":
        return numbers.c.billing_account_id == account.id
    return numbers.c.owner_account_id == account.id


class OverviewService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def account_and_token(self, auth_id: str) -> tuple[Account, str] | None:
        """An account with its current token hash, read now (never from a cache): a console
        page checks that the token its session was opened with has not been rotated."""
        async with self.db.read() as conn:
            row = (await conn.execute(ACCOUNT_BY_AUTH_ID, {"auth_id": auth_id})).first()
        if row is None:
            return None
        m = row._mapping
        return Account.from_row(m, m["parent_auth_id"]), str(m["token_hash"])

    async def overview(
        self, account: Account, *, within_days: int = RENEWAL_WINDOW_DAYS
    ) -> Overview:
        now = self.clock.now()
        until = now + timedelta(days=within_days)
        # the exclusion form: the account's own index then serves every read (ADR 0009 §8)
        held = and_(_held_by(account), VISIBLE_OWNED_FILTER)
        unrouted = and_(
            held,
            numbers.c.state == NumberState.ACTIVE.value,
            # written so no index on the routing columns is used: "routes nowhere" matches
            # every number in stock too, and the account's index is the selective one
            func.coalesce(numbers.c.trunk_id, "") == "",
            func.coalesce(numbers.c.application_id, "") == "",
        )
        params = {"now": now}
        async with self.db.read() as conn:
            counts = (
                await conn.execute(
                    select(numbers.c.state, func.count())
                    .where(held)
                    .group_by(numbers.c.state)
                    .order_by(numbers.c.state),
                    params,
                )
            ).all()
            due = (
                await conn.execute(
                    select(
                        numbers.c.purchased_at,
                        numbers.c.next_billing_date,
                        numbers.c.monthly_fee_minor,
                        numbers.c.currency,
                    ).where(
                        held,
                        numbers.c.state.in_(
                            [NumberState.ACTIVE.value, NumberState.SUSPENDED.value]
                        ),
                        numbers.c.next_billing_date <= until,
                    ),
                    params,
                )
            ).all()
            balances = (
                await conn.execute(
                    select(wallets.c.currency, wallets.c.balance_minor).where(
                        wallets.c.account_id == account.payer_id
                    )
                )
            ).all()
            unrouted_total = (
                await conn.execute(
                    select(func.count()).select_from(numbers).where(unrouted), params
                )
            ).scalar_one()
            first_unrouted = (
                await conn.execute(
                    select(numbers.c.e164)
                    .where(unrouted)
                    .order_by(numbers.c.e164)
                    .limit(UNROUTED_SHOWN),
                    params,
                )
            ).scalars()
            unrouted_shown = [str(e) for e in first_unrouted]
        outlook = {str(cur): RenewalOutlook(str(cur), int(bal)) for cur, bal in balances}
        for anchor, nxt, fee, cur in due:
            if anchor is None or nxt is None:
                continue
            times = renewals_due(anchor, nxt, until)
            line = outlook.setdefault(str(cur), RenewalOutlook(str(cur), 0))
            line.due_minor += times * int(fee)
            line.renewals += times
        return Overview(
            counts={str(state): int(n) for state, n in counts},
            renewals=sorted((o for o in outlook.values() if o.renewals), key=lambda o: o.currency),
            unrouted=unrouted_shown,
            unrouted_total=int(unrouted_total),
        )

    async def paid_counts(
        self, payer_ids: list[int], now: datetime | None = None
    ) -> dict[int, int]:
        """How many numbers each main account pays for now (the owned list's rule)."""
        if not payer_ids:
            return {}
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(numbers.c.billing_account_id, func.count())
                    .where(numbers.c.billing_account_id.in_(payer_ids), VISIBLE_OWNED_FILTER)
                    .group_by(numbers.c.billing_account_id),
                    {"now": now or self.clock.now()},
                )
            ).all()
        return {int(payer): int(n) for payer, n in rows}

    async def stock_levels(self, *, prefix_digits: int = 4, top: int = 20) -> StockLevels:
        """Numbers in stock (available) by country, and the ``top`` fullest prefixes of
        ``prefix_digits`` digits, for the operator's stock chart."""
        prefix = func.substr(numbers.c.e164, 1, prefix_digits + 1)  # "+" and the digits
        available = numbers.c.state == NumberState.AVAILABLE.value
        async with self.db.read() as conn:
            countries = (
                await conn.execute(
                    select(numbers.c.country, func.count())
                    .where(available)
                    .group_by(numbers.c.country)
                    .order_by(func.count().desc(), numbers.c.country)
                )
            ).all()
            prefixes = (
                await conn.execute(
                    select(prefix, func.count())
                    .where(available)
                    .group_by(prefix)
                    .order_by(func.count().desc(), prefix)
                    .limit(top)
                )
            ).all()
        return StockLevels(
            by_country=[(str(c), int(n)) for c, n in countries],
            by_prefix=[(str(p), int(n)) for p, n in prefixes],
        )

    async def accounts(self, *, search: str | None, page: int, per_page: int) -> Page[Account]:
        """Every account (partners, main and sub-accounts), newest first, for the operator;
        ``search`` matches the auth ID, name or e-mail (case-insensitive)."""
        conds: list[Any] = []
        if search:
            pattern = f"%{search.lower()}%"
            conds.append(
                or_(
                    func.lower(accounts.c.auth_id).like(pattern),
                    func.lower(accounts.c.name).like(pattern),
                    func.lower(accounts.c.email).like(pattern),
                )
            )
        async with self.db.read() as conn:
            total = (
                await conn.execute(select(func.count()).select_from(accounts).where(*conds))
            ).scalar_one()
            rows = (
                await conn.execute(
                    ACCOUNT_VIEW.where(*conds)
                    .order_by(accounts.c.id.desc())
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).all()
        items = [
            Account.from_row(r._mapping, parent_auth_id=r._mapping["parent_auth_id"]) for r in rows
        ]
        return Page(items, page, per_page, int(total))
