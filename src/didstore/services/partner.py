"""The partner (reseller) view: customers, money transfers and read-only number views.

A partner sees only the main accounts it owns (and their sub-accounts' numbers); asking for
anyone else's is answered as if they did not exist (404). Transfers move money from the
partner's wallet to a customer's atomically, with a ledger row on both sides.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.queries import ACCOUNT_VIEW, NUMBER_VIEW, VISIBLE_OWNED
from didstore.db.tables import accounts, numbers, wallets
from didstore.domain import fields
from didstore.domain.e164 import from_body
from didstore.domain.errors import InsufficientBalance, InvalidInput, NotFound
from didstore.domain.ids import new_uuid
from didstore.domain.money import currency, to_minor, to_units
from didstore.services import audit, ledger
from didstore.services.accounts import AccountService, Credentials
from didstore.services.models import Account, Actor, Number, Page
from didstore.services.ttl_cache import TTLCache

#: How long the count and bookmarks of a partner view, made on one page, serve later pages.
TOTAL_CACHE_SECONDS = 10.0
#: Distance between two bookmarks: a page is read from the bookmark before it, so no page
#: skips more than this many index entries, however deep.
BOOKMARK_EVERY = 1000
#: Bookmarks survive a recount that finds the same total for at most this long.
BOOKMARK_MAX_AGE = 60.0

_PASSWORD_RULE = re.compile(r"^(?=.*\d)(?=.*[^A-Za-z0-9]).{8,}$")


class TransferRefused(InvalidInput):
    """A transfer the partner's wallet cannot cover (400 with the balances, spec §5.3)."""

    code = "insufficient_balance"
    public_extra = ("current_balance", "requested_amount")


@dataclass(frozen=True, slots=True)
class Customer:
    account: Account
    balance_minor: int


@dataclass(frozen=True, slots=True)
class Transfer:
    transaction_id: str
    partner: Account
    customer: Account
    amount_minor: int
    currency: str
    description: str
    partner_balance_minor: int
    customer_balance_minor: int
    at: datetime


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
    return f"scrypt${salt.hex()}${digest.hex()}"


class PartnerService:
    def __init__(self, db: Database, clock: Clock, accounts_: AccountService) -> None:
        self.db = db
        self.clock = clock
        self.accounts = accounts_
        self._marks: TTLCache[tuple[int, int, str], _Bookmarks] = TTLCache(
            BOOKMARK_MAX_AGE, max_entries=1024
        )

    async def _balance(self, account_id: int, code: str) -> int:
        async with self.db.read() as conn:
            value = (
                await conn.execute(
                    select(wallets.c.balance_minor).where(
                        wallets.c.account_id == account_id, wallets.c.currency == code
                    )
                )
            ).scalar_one_or_none()
        return int(value or 0)

    async def balance(self, partner: Account) -> int:
        return await self._balance(partner.id, partner.currency)

    async def customer_count(self, partner: Account) -> int:
        async with self.db.read() as conn:
            return int(
                (
                    await conn.execute(
                        select(func.count())
                        .select_from(accounts)
                        .where(accounts.c.partner_id == partner.id, accounts.c.kind == "main")
                    )
                ).scalar_one()
            )

    async def customer(self, partner: Account, auth_id: str) -> Account:
        try:
            account = await self.accounts.get(auth_id)
        except NotFound:
            account = None
        if account is None or account.kind != "main" or account.partner_id != partner.id:
            raise NotFound(f"customer {auth_id} not found")
        return account

    async def list_customers(
        self, partner: Account, *, search: str | None, page: int, per_page: int
    ) -> Page[Customer]:
        conds = [accounts.c.partner_id == partner.id, accounts.c.kind == "main"]
        if search:
            pattern = f"%{search.lower()}%"
            conds.append(
                or_(
                    func.lower(accounts.c.name).like(pattern),
                    func.lower(accounts.c.email).like(pattern),
                )
            )
        balance = (
            select(wallets.c.balance_minor)
            .where(wallets.c.account_id == accounts.c.id, wallets.c.currency == accounts.c.currency)
            .scalar_subquery()
        )
        async with self.db.read() as conn:
            total = (
                await conn.execute(select(func.count()).select_from(accounts).where(*conds))
            ).scalar_one()
            rows = (
                await conn.execute(
                    ACCOUNT_VIEW.add_columns(func.coalesce(balance, 0).label("wallet_balance"))
                    .where(*conds)
                    .order_by(accounts.c.id)
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).all()
        # one query for the page: the accounts and their balances (no read per customer)
        items = [
            Customer(
                Account.from_row(r._mapping, parent_auth_id=r._mapping["parent_auth_id"]),
                int(r._mapping["wallet_balance"]),
            )
            for r in rows
        ]
        return Page(items, page, per_page, int(total))

    async def create_customer(
        self, actor: Actor, partner: Account, body: dict[str, Any]
    ) -> Credentials:
        """Partner-created customers: name, email, phone (E.164), password (8+ characters
        with a digit and a special character) and country (ISO-2) are required."""
        missing = [k for k in ("name", "email", "phone", "password", "country") if not body.get(k)]
        if missing:
            raise InvalidInput(f"missing required field(s): {', '.join(missing)}")
        limits = {"name": 200, "email": 320, "phone": 32, "password": 200, "country": 8}
        for key, limit in limits.items():
            fields.text(body[key], key, max_len=limit)
        if "@" not in body["email"]:
            raise InvalidInput("email is not an email address", field="email")
        phone = from_body(body["phone"]).value
        if not _PASSWORD_RULE.match(body["password"]):
            raise InvalidInput(
                "password needs at least 8 characters, a digit and a special character",
                field="password",
            )
        country = body["country"].strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise InvalidInput("country must be an ISO 3166 alpha-2 code", field="country")
        company = fields.text(body.get("company"), "company", max_len=200) or ""
        return await self.accounts.create_main_account(
            actor,
            name=body["name"],
            currency_code=partner.currency,
            partner_id=partner.auth_id,
            email=body["email"],
            profile={
                "phone": phone,
                "country": country,
                "company": company[:200],
                "password_hash": hash_password(body["password"]),
            },
        )

    async def transfer(
        self,
        actor: Actor,
        partner: Account,
        customer_auth_id: str,
        *,
        amount: object,
        currency_code: object,
        description: object = None,
    ) -> Transfer:
        """Atomic, permanent, same currency only; the partner's balance never goes negative."""
        customer = await self.customer(partner, customer_auth_id)
        if amount is None:
            raise InvalidInput("amount is required", field="amount")
        if currency_code is None:
            raise InvalidInput("currency is required", field="currency")
        cur = currency(currency_code)
        if cur.code != partner.currency:
            raise InvalidInput(
                f"currency must be the partner currency {partner.currency}, got {cur.code}",
                field="currency",
            )
        amount_minor = to_minor(amount, cur)
        if amount_minor <= 0:
            raise InvalidInput("amount must be greater than zero", field="amount")
        note = fields.text(description, "description", max_len=500)
        text = note or f"Transfer from {partner.auth_id}"
        now = self.clock.now()
        reference = f"ptc:{new_uuid()}:{customer.auth_id}:{int(now.timestamp())}"
        async with self.db.write() as conn:
            try:
                out = await ledger.debit(
                    conn,
                    account_id=partner.id,
                    currency_code=cur.code,
                    amount_minor=amount_minor,
                    reference_type="transfer",
                    reference=reference,
                    description=text,
                    now=now,
                )
            except InsufficientBalance as exc:
                raise TransferRefused(
                    "insufficient partner balance",
                    current_balance=exc.extra.get("available"),
                    requested_amount=to_units(amount_minor, cur),
                ) from exc
            into = await ledger.credit(
                conn,
                account_id=customer.id,
                currency_code=cur.code,
                amount_minor=amount_minor,
                reference_type="transfer",
                reference=reference,
                description=text,
                now=now,
            )
            await audit.record(
                conn,
                actor,
                now,
                action="partner.transfer",
                entity_type="wallet",
                entity_id=into.wallet_id,
                account_id=customer.auth_id,
                after={"from": partner.auth_id, "amount_minor": amount_minor, "currency": cur.code},
            )
        return Transfer(
            out.entry_id,
            partner,
            customer,
            amount_minor,
            cur.code,
            text,
            out.balance_after_minor,
            into.balance_after_minor,
            now,
        )

    async def numbers(
        self,
        partner: Account,
        *,
        customer: Account | None,
        search: str | None,
        page: int,
        per_page: int,
    ) -> Page[Number]:
        """Numbers held by the partner's customers (and their sub-accounts), read-only, in
        E.164 order.

        ``total`` is counted exactly on the first page (and whenever the cached count is
        missing or the page lies past it). That pass also keeps a bookmark every
        ``BOOKMARK_EVERY`` numbers; later pages within ``TOTAL_CACHE_SECONDS`` reuse the count
        and start from the bookmark before them, so a walk that starts at page 1 sees one
        total and every page costs the same, however deep (docs/adr/0008-partner-views.md).
        """
        now_ = {"now": self.clock.now()}
        conds: list[Any] = [numbers.c.partner_id == partner.id, VISIBLE_OWNED]
        if customer is not None:
            conds.append(numbers.c.billing_account_id == customer.id)
        if search:
            conds.append(numbers.c.e164.like(f"%{search}%"))
        key = (partner.id, customer.id if customer is not None else 0, search or "")
        offset = (page - 1) * per_page
        async with self.db.read() as conn:
            stored = self._marks.get(key)  # bookmarks live up to BOOKMARK_MAX_AGE
            clock = time.monotonic()
            marks = stored
            if offset == 0 or (marks is not None and clock - marks.made >= TOTAL_CACHE_SECONDS):
                marks = None  # page 1 always counts; a later page reuses a count for 10 s
            if offset == 0:
                rows = (await conn.execute(_page_query(conds, per_page), now_)).all()
                total = len(rows)
                if len(rows) == per_page:  # more may follow: count them
                    marks = await _recount(conn, conds, now_, stored, clock)
                    total = marks.total
                    self._marks.put(key, marks)
            else:
                if marks is None or offset >= marks.total:
                    marks = await _recount(conn, conds, now_, stored, clock)
                total = marks.total
                wanted = offset // BOOKMARK_EVERY
                if wanted > 0 and len(marks.keys) <= wanted and offset < total:
                    marks = await _extend(conn, conds, now_, marks, wanted)
                self._marks.put(key, marks)
                start = min(wanted, len(marks.keys) - 1)
                after = marks.keys[start] if start > 0 else None
                skip = offset - start * BOOKMARK_EVERY if start > 0 else offset
                rows = (await conn.execute(_page_query(conds, per_page, skip, after), now_)).all()
        return Page([Number.from_view(r) for r in rows], page, per_page, int(total))


@dataclass(frozen=True, slots=True)
class _Bookmarks:
    """A view's exact size counted at ``made`` (monotonic seconds), and the numbers at
    positions 0, BOOKMARK_EVERY, 2*BOOKMARK_EVERY, ... found so far (``keys[i]`` is at
    position ``i * BOOKMARK_EVERY``)."""

    total: int
    keys: tuple[str, ...]
    made: float
    keys_made: float


async def _recount(
    conn: Connection,
    conds: list[Any],
    params: dict[str, Any],
    stored: _Bookmarks | None,
    clock: float,
) -> _Bookmarks:
    """A fresh exact count. The bookmarks found so far are kept when the count did not change
    and they are younger than ``BOOKMARK_MAX_AGE`` (finding them again costs one scan as deep
    as the walk has gone)."""
    total = await _count(conn, conds, params)
    if stored is not None and stored.total == total and clock - stored.keys_made < BOOKMARK_MAX_AGE:
        return _Bookmarks(total, stored.keys, clock, stored.keys_made)
    return _Bookmarks(total, (), clock, clock)


async def _count(conn: Connection, conds: list[Any], params: dict[str, Any]) -> int:
    stmt = select(func.count()).select_from(numbers).where(*conds)
    return int((await conn.execute(stmt, params)).scalar_one())


async def _extend(
    conn: Connection, conds: list[Any], params: dict[str, Any], marks: _Bookmarks, wanted: int
) -> _Bookmarks:
    """Bookmarks up to index ``wanted``, found by one ordered index scan from the last one
    known: a walk page by page extends them by one at a time (a scan of BOOKMARK_EVERY
    entries); a jump deep into the view scans as far as a plain OFFSET would, once."""
    known = max(len(marks.keys) - 1, 0)
    where = [*conds] if not marks.keys else [*conds, numbers.c.e164 >= marks.keys[-1]]
    ranked = (
        select(numbers.c.e164, func.row_number().over(order_by=numbers.c.e164).label("pos"))
        .where(*where)
        .order_by(numbers.c.e164)
        .limit((wanted - known) * BOOKMARK_EVERY + 1)
        .subquery()
    )
    found = (
        await conn.execute(
            select(ranked.c.e164)
            .where((ranked.c.pos - 1) % BOOKMARK_EVERY == 0)
            .order_by(ranked.c.pos),
            params,
        )
    ).scalars()
    keys = [str(k) for k in found]
    return _Bookmarks(marks.total, (*marks.keys[:known], *keys), marks.made, marks.keys_made)


def _page_query(conds: list[Any], limit: int, offset: int = 0, after: str | None = None) -> Any:
    """One page of the view from the bookmark ``after`` (inclusive) on. Past the first page
    this is a deferred join: the short OFFSET (under ``BOOKMARK_EVERY``) walks the
    (partner_id, e164) or (billing_account_id, e164) index from the bookmark, and the owner
    joins of the wire object are made for the page's rows alone."""
    where = [*conds] if after is None else [*conds, numbers.c.e164 >= after]
    if offset == 0 and after is None:
        return NUMBER_VIEW.where(*where).order_by(numbers.c.e164).limit(limit)
    keys = (
        select(numbers.c.e164.label("page_e164"))
        .where(*where)
        .order_by(numbers.c.e164)
        .limit(limit)
        .offset(offset)
        .subquery()
    )
    return NUMBER_VIEW.join(keys, keys.c.page_e164 == numbers.c.e164).order_by(numbers.c.e164)
