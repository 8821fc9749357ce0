"""What the Plivo-compatible facade reads and writes that the Vobiz routes do not: Plivo's
number search and owned-number filters, the ``alias`` label, sub-accounts by their Plivo
alias (ADR 0018). Purchases, releases, routing and sub-account moves are the Vobiz use cases
themselves (``services/numbers.py``, ``routing.py``, ``subaccount_moves.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import phonenumbers
from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import aliased

from didstore.clock import Clock
from didstore.db.database import Database
from didstore.db.queries import NUMBER_ROW_BY_E164
from didstore.db.tables import accounts, numbers
from didstore.domain.e164 import E164
from didstore.domain.errors import InvalidInput, NotFound, RetryableConflict
from didstore.domain.lifecycle import HELD_STATE_VALUES, NumberState
from didstore.services import audit
from didstore.services.accounts import require_live
from didstore.services.models import Account, Actor, Page

SERVICES = ("voice", "sms", "mms")
ALIAS_MAX = 100


@dataclass(frozen=True, slots=True)
class SearchFilters:
    """``PhoneNumber/`` search: ``country`` is required; ``pattern`` follows the country's
    calling code (``*`` stands for any one digit)."""

    country: str
    number_type: str | None = None
    pattern: str | None = None
    region: str | None = None
    services: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OwnedFilters:
    """``Number/`` list filters; dates bound ``next_billing_date`` (Plivo's renewal date)."""

    number_startswith: str | None = None
    subaccount: str | None = None  # a sub-account's Plivo alias
    alias: str | None = None
    number_type: str | None = None
    services: tuple[str, ...] = ()
    renewal_from: datetime | None = None  # inclusive
    renewal_before: datetime | None = None  # exclusive


@dataclass(frozen=True, slots=True)
class PlivoNumber:
    """A number as the facade shows it (available or owned)."""

    e164: str
    country: str
    region: str
    voice: bool
    sms: bool
    mms: bool
    setup_fee_minor: int
    monthly_fee_minor: int
    currency: str
    number_type: str
    alias: str | None
    application_id: str | None
    aadhaar_verification_required: bool
    purchased_at: datetime | None
    next_billing_date: datetime | None
    owner_plivo_id: str | None
    owner_kind: str | None


_owner = aliased(accounts)
_COLUMNS = (
    numbers.c.e164,
    numbers.c.country,
    numbers.c.region,
    numbers.c.voice,
    numbers.c.sms,
    numbers.c.mms,
    numbers.c.setup_fee_minor,
    numbers.c.monthly_fee_minor,
    numbers.c.currency,
    numbers.c.number_type,
    numbers.c.alias,
    numbers.c.application_id,
    numbers.c.aadhaar_verification_required,
    numbers.c.purchased_at,
    numbers.c.next_billing_date,
    _owner.c.plivo_auth_id,
    _owner.c.kind,
)
_FROM = numbers.outerjoin(_owner, _owner.c.id == numbers.c.owner_account_id)


def _plivo_number(row: Any) -> PlivoNumber:
    return PlivoNumber(*row)


def day_start(value: date) -> datetime:
    return datetime.combine(value, time.min, tzinfo=UTC)


def _services(conds: list[Any], wanted: tuple[str, ...]) -> None:
    for name in wanted:
        conds.append(numbers.c[name].is_(True))


def _held(account: Account, now: datetime) -> Any:
    """Numbers the account holds as Plivo sees them: owned and not released. A pending
    release (``DELETE Number/{n}/``) is gone from the facade's view at once, though it stays
    cancellable for 24 h through the Vobiz route (ADR 0018)."""
    holder = (
        or_(numbers.c.owner_account_id == account.id, numbers.c.billing_account_id == account.id)
        if account.kind == "main"
        else numbers.c.owner_account_id == account.id
    )
    # No ``IN`` list: a statement with one is compiled per call (``db/plans.py``); plain
    # comparisons keep these per-call statements on the cache-key path.
    return and_(
        holder,
        or_(
            numbers.c.state == NumberState.ACTIVE.value,
            numbers.c.state == NumberState.BLOCKED.value,
            and_(
                numbers.c.state == NumberState.SUSPENDED.value,
                or_(numbers.c.grace_ends_at.is_(None), numbers.c.grace_ends_at > now),
            ),
        ),
    )


class PlivoService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    async def search(self, f: SearchFilters, limit: int, offset: int) -> Page[PlivoNumber]:
        try:
            code = phonenumbers.country_code_for_region(f.country)
        except Exception:  # pragma: no cover - the library returns 0 for unknown regions
            code = 0
        if not code:
            raise InvalidInput(f"unknown country_iso {f.country!r}", field="country_iso")
        conds: list[Any] = [
            numbers.c.state == NumberState.AVAILABLE.value,
            numbers.c.reservation_id.is_(None),  # held numbers are not offered (ADR 0022)
            numbers.c.country == f.country,
        ]
        if f.number_type:
            conds.append(numbers.c.number_type == f.number_type)
        if f.pattern:
            conds.append(numbers.c.e164.like(f"+{code}{f.pattern.replace('*', '_')}%"))
        if f.region:
            conds.append(func.lower(numbers.c.region).contains(f.region.lower(), autoescape=True))
        _services(conds, f.services)
        return await self._page(conds, limit, offset)

    async def list_owned(
        self, account: Account, f: OwnedFilters, limit: int, offset: int
    ) -> Page[PlivoNumber]:
        conds: list[Any] = [_held(account, self.clock.now())]
        if f.number_startswith:
            conds.append(numbers.c.e164.startswith(f"+{f.number_startswith}"))
        if f.subaccount:
            conds.append(_owner.c.plivo_auth_id == f.subaccount)
        if f.alias is not None:
            conds.append(numbers.c.alias == f.alias)
        if f.number_type:
            conds.append(numbers.c.number_type == f.number_type)
        if f.renewal_from is not None:
            conds.append(numbers.c.next_billing_date >= f.renewal_from)
        if f.renewal_before is not None:
            conds.append(numbers.c.next_billing_date < f.renewal_before)
        _services(conds, f.services)
        return await self._page(conds, limit, offset)

    async def _page(self, conds: list[Any], limit: int, offset: int) -> Page[PlivoNumber]:
        async with self.db.read() as conn:
            rows = (
                await conn.execute(
                    select(*_COLUMNS)
                    .select_from(_FROM)
                    .where(*conds)
                    .order_by(numbers.c.e164)
                    .limit(limit)
                    .offset(offset)
                )
            ).all()
            if rows and len(rows) < limit:
                total = offset + len(rows)  # the page holds the end of the list
            else:
                total = (
                    await conn.execute(select(func.count()).select_from(_FROM).where(*conds))
                ).scalar_one()
        return Page([_plivo_number(r) for r in rows], offset // limit + 1, limit, int(total))

    async def get_owned(self, account: Account, e164: E164) -> PlivoNumber:
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    select(*_COLUMNS)
                    .select_from(_FROM)
                    .where(numbers.c.e164 == e164.value, _held(account, self.clock.now()))
                )
            ).first()
        if row is None:
            raise NotFound("number not found")
        return _plivo_number(row)

    async def set_alias(self, actor: Actor, account: Account, e164: E164, alias: str) -> None:
        """Keep Plivo's free-text label on a number the account holds (``""`` clears it)."""
        now = self.clock.now()
        value = alias or None
        async with self.db.write() as conn:
            row = (await conn.execute(NUMBER_ROW_BY_E164, {"e164": e164.value})).first()
            if row is None or not account.may_manage(row._mapping):
                raise NotFound("number not found")
            m = row._mapping
            if m["state"] not in HELD_STATE_VALUES:
                raise NotFound("number not found")
            await require_live(conn, account)
            if m["alias"] == value:
                return
            done = (
                await conn.execute(
                    update(numbers)
                    .where(
                        numbers.c.id == m["id"],
                        numbers.c.state == m["state"],
                        numbers.c.owner_account_id == m["owner_account_id"],
                    )
                    .values(alias=value, updated_at=now)
                    .returning(numbers.c.id)
                )
            ).first()
            if done is None:  # released or moved meanwhile
                raise RetryableConflict("the number changed while its alias was set; retry")
            await audit.record(
                conn,
                actor,
                now,
                action="number.set_alias",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before={"alias": m["alias"]},
                after={"alias": value},
            )

    async def sub_auth_id(self, parent: Account, alias: str) -> str:
        """The didstore id of a live sub-account of ``parent``, by its Plivo alias (404
        otherwise)."""
        async with self.db.read() as conn:
            found = (
                await conn.execute(
                    select(accounts.c.auth_id).where(
                        accounts.c.plivo_auth_id == alias,
                        accounts.c.parent_id == parent.id,
                        accounts.c.kind == "sub",
                        accounts.c.deleted_at.is_(None),
                    )
                )
            ).scalar()
        if found is None:
            raise NotFound(f"subaccount {alias} not found")
        return str(found)


def renewal_bounds(
    exact: date | None, lt: date | None, lte: date | None, gt: date | None, gte: date | None
) -> tuple[datetime | None, datetime | None]:
    """Plivo's ``renewal_date`` filters as one half-open range of instants (UTC days)."""
    lower: list[datetime] = []
    upper: list[datetime] = []
    one = timedelta(days=1)
    if exact is not None:
        lower.append(day_start(exact))
        upper.append(day_start(exact) + one)
    if lt is not None:
        upper.append(day_start(lt))
    if lte is not None:
        upper.append(day_start(lte) + one)
    if gt is not None:
        lower.append(day_start(gt) + one)
    if gte is not None:
        lower.append(day_start(gte))
    return (max(lower) if lower else None, min(upper) if upper else None)
