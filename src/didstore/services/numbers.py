"""Owned numbers: purchase from inventory, list, release and cancel a release.

Each use case is one transaction. Concurrency safety comes from the database: the number is
claimed by a conditional UPDATE (``WHERE state = 'available'``) and the wallet is debited by
another (``WHERE balance >= amount``); if either finds nothing, the transaction rolls back
and nothing is changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Select, and_, case, func, not_, or_, select, update
from sqlalchemy.orm import aliased

from didstore.clock import Clock
from didstore.db.engine import Database
from didstore.db.tables import accounts, numbers
from didstore.domain.billing import add_months
from didstore.domain.e164 import E164
from didstore.domain.errors import (
    AlreadyPendingRelease,
    Conflict,
    Forbidden,
    InvalidInput,
    NotFound,
    NotPendingRelease,
)
from didstore.domain.lifecycle import (
    NumberState,
    is_release_cancellable,
    quarantine_ends,
    release_cooldown_ends,
)
from didstore.domain.money import currency
from didstore.domain.renewal import early_release_fee
from didstore.services import audit, ledger
from didstore.services.applications import default_number_app_id
from didstore.services.models import Account, Actor, Number, Page
from didstore.services.owned_list import list_owned_numbers, owned_pattern
from didstore.services.schedule import schedule, unschedule


@dataclass(frozen=True, slots=True)
class Purchase:
    number: Number
    charged_minor: int
    replayed: bool  # the caller already owned it (a retried purchase): nothing was charged


@dataclass(frozen=True, slots=True)
class Release:
    number: Number
    fee_minor: int
    fee_currency: str
    immediate: bool
    cooldown_ends_at: datetime


@dataclass(frozen=True, slots=True)
class CancelRelease:
    number: Number
    refund_minor: int
    currency: str


_owner_parent = aliased(accounts)


def aadhaar_verified_expr() -> Any:
    """A number's Aadhaar state is its holder's KYC: a main account's own, a ``customer_use``
    sub-account's own, and a ``personal_use`` sub-account's parent's (spec §10.14)."""
    return case(
        (
            and_(accounts.c.kind == "sub", accounts.c.kyc_mode == "personal_use"),
            func.coalesce(_owner_parent.c.aadhaar_verified, False),
        ),
        else_=func.coalesce(accounts.c.aadhaar_verified, False),
    )


def number_query() -> Select[Any]:
    """Numbers with their owner's public id and effective KYC state (for the wire object)."""
    return (
        select(
            numbers,
            accounts.c.auth_id.label("owner_auth_id"),
            aadhaar_verified_expr().label("owner_aadhaar_verified"),
        )
        .outerjoin(accounts, accounts.c.id == numbers.c.owner_account_id)
        .outerjoin(_owner_parent, _owner_parent.c.id == accounts.c.parent_id)
    )


def visible_owned(now: datetime) -> Any:
    """Owned states as the customer sees them at ``now``: a pending release whose 24 h have
    passed, or a suspension whose grace period has ended, is released, whether or not the
    job that records it has run yet."""
    return or_(
        numbers.c.state.in_([NumberState.ACTIVE.value, NumberState.BLOCKED.value]),
        and_(
            numbers.c.state == NumberState.PENDING_RELEASE.value,
            numbers.c.cooldown_ends_at > now,
        ),
        and_(
            numbers.c.state == NumberState.SUSPENDED.value,
            or_(numbers.c.grace_ends_at.is_(None), numbers.c.grace_ends_at > now),
        ),
    )


def visible_owned_unindexed(now: datetime) -> Any:
    """The same rows as :func:`visible_owned` (every row has one of the six states; a test
    checks every state and boundary on both databases), written as exclusions that no index
    can serve. For lists that already pin one account through its own index: with the
    indexable form, PostgreSQL under-estimates the correlated ``account AND state``
    conditions and prefers a bitmap scan of every owned row plus a sort over walking the
    account's ``(account, e164)`` index for one page (ADR 0009 §8)."""
    return and_(
        numbers.c.state.not_in([NumberState.AVAILABLE.value, NumberState.QUARANTINED.value]),
        not_(
            and_(
                numbers.c.state == NumberState.PENDING_RELEASE.value,
                or_(numbers.c.cooldown_ends_at.is_(None), numbers.c.cooldown_ends_at <= now),
            )
        ),
        not_(
            and_(
                numbers.c.state == NumberState.SUSPENDED.value,
                numbers.c.grace_ends_at.is_not(None),
                numbers.c.grace_ends_at <= now,
            )
        ),
    )


def _snapshot(row: Any) -> dict[str, Any]:
    m = row._mapping
    return {
        "state": m["state"],
        "owner_account_id": m["owner_account_id"],
        "trunk_id": m["trunk_id"],
        "application_id": m["application_id"],
    }


class NumberService:
    def __init__(self, db: Database, clock: Clock) -> None:
        self.db = db
        self.clock = clock

    def _load(self, conn: Connection, number_id: str) -> Number:
        row = conn.execute(number_query().where(numbers.c.id == number_id)).one()
        return Number.from_row(row._mapping)

    # -- purchase ---------------------------------------------------------------------------
    def purchase(
        self, actor: Actor, buyer: Account, e164: E164, currency_code: object = None
    ) -> Purchase:
        """Claim an available number and debit ``setup_fee + monthly_fee`` from the paying
        main account (a sub-account's parent), in one transaction."""
        if buyer.kind not in ("main", "sub"):
            raise Forbidden("only main accounts and sub-accounts can buy numbers")
        now = self.clock.now()
        with self.db.write() as conn:
            row = conn.execute(select(numbers).where(numbers.c.e164 == e164.value)).first()
            if row is None:
                raise NotFound("number not found in inventory")
            m = row._mapping
            if currency_code not in (None, ""):
                requested = currency(currency_code)
                if requested.code != m["currency"]:
                    raise InvalidInput(
                        f"{e164} is priced in {m['currency']}, not {requested.code}",
                        field="currency",
                    )
            if m["state"] == NumberState.ACTIVE.value and m["owner_account_id"] == buyer.id:
                # A retry of a purchase that already succeeded (the newer SDK retries 5xx and
                # timeouts by itself): answer as the first call did, charge nothing.
                return Purchase(self._load(conn, m["id"]), 0, replayed=True)
            partner_id = conn.execute(
                select(accounts.c.partner_id).where(accounts.c.id == buyer.payer_id)
            ).scalar_one()
            claimed = conn.execute(
                update(numbers)
                .where(numbers.c.id == m["id"], numbers.c.state == NumberState.AVAILABLE.value)
                .values(
                    state=NumberState.ACTIVE.value,
                    owner_account_id=buyer.id,
                    billing_account_id=buyer.payer_id,
                    partner_id=partner_id,
                    source="purchased",
                    purchased_at=now,
                    last_billing_date=now,
                    next_billing_date=add_months(now, 1),
                    release_requested_at=None,
                    cooldown_ends_at=None,
                    release_fee_minor=None,
                    release_fee_currency=None,
                    released_at=None,
                    available_at=None,
                    last_call_at=None,
                    trunk_id=None,
                    application_id=None,
                    updated_at=now,
                )
                .returning(numbers.c.id)
            ).first()
            if claimed is None:
                raise NotFound("number not found in inventory")
            schedule(conn, m["id"], add_months(now, 1))
            default_app = default_number_app_id(conn, buyer)  # routing: auto-attach (spec 4.7)
            if default_app is not None:
                conn.execute(
                    update(numbers)
                    .where(numbers.c.id == m["id"])
                    .values(application_id=default_app)
                )
            amount = int(m["setup_fee_minor"]) + int(m["monthly_fee_minor"])
            if amount > 0:
                ledger.debit(
                    conn,
                    account_id=buyer.payer_id,
                    currency_code=m["currency"],
                    amount_minor=amount,
                    reference_type="did_purchase",
                    reference=f"did:{e164.value}",
                    description=f"Purchase of {e164.value} (setup fee + first month)",
                    number_id=m["id"],
                    actor_account_id=buyer.id,
                    now=now,
                )
            audit.record(
                conn,
                actor,
                now,
                action="number.purchase",
                entity_type="number",
                entity_id=m["id"],
                account_id=buyer.auth_id,
                e164=e164.value,
                before=_snapshot(row),
                after={
                    "state": "active",
                    "owner": buyer.auth_id,
                    "charged_minor": amount,
                    "currency": m["currency"],
                },
            )
            return Purchase(self._load(conn, m["id"]), amount, replayed=False)

    # -- listing ----------------------------------------------------------------------------
    def list_owned(
        self,
        account: Account,
        *,
        search: str | None,
        include_subaccounts: bool,
        page: int,
        per_page: int,
    ) -> Page[Number]:
        """A main account's list includes its sub-accounts' numbers unless told otherwise
        (the statement and its rules: ``services/owned_list.py``)."""
        items, total = list_owned_numbers(
            self.db,
            account,
            pattern=owned_pattern(search),
            include_subaccounts=include_subaccounts,
            page=page,
            per_page=per_page,
            now=self.clock.now(),
        )
        return Page(items, page, per_page, total)

    def get_owned(self, account: Account, e164: E164) -> Number:
        """One number the account (or, for a main account, one of its sub-accounts) holds."""
        with self.db.read() as conn:
            row = conn.execute(
                number_query().where(numbers.c.e164 == e164.value, visible_owned(self.clock.now()))
            ).first()
        if row is None or not _may_manage(account, row._mapping):
            raise NotFound("number not found")
        return Number.from_row(row._mapping)

    # -- release ----------------------------------------------------------------------------
    def release(self, actor: Actor, account: Account, e164: E164, *, immediate: bool) -> Release:
        """Charge the account's release fee and start the 24 h cancellable cooldown (or, with
        ``immediate``, quarantine at once). Trunk and application are detached either way."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = conn.execute(select(numbers).where(numbers.c.e164 == e164.value)).first()
            if row is None:
                raise NotFound("number not found")
            m = row._mapping
            state = m["state"]
            pending_live = is_release_cancellable(state, m["cooldown_ends_at"], now)
            if state in (NumberState.AVAILABLE.value, NumberState.QUARANTINED.value) or (
                state == NumberState.PENDING_RELEASE.value and not pending_live
            ):
                raise Forbidden("account does not own this number")
            if not _may_manage(account, m):
                raise Forbidden("account does not own this number")
            if state == NumberState.BLOCKED.value:
                raise InvalidInput("number is blocked by the operator; contact support")
            payer = (
                conn.execute(select(accounts).where(accounts.c.id == m["billing_account_id"]))
                .one()
                ._mapping
            )
            owner_auth_id = conn.execute(
                select(accounts.c.auth_id).where(accounts.c.id == m["owner_account_id"])
            ).scalar_one()

            if state == NumberState.PENDING_RELEASE.value:
                if not immediate:
                    raise AlreadyPendingRelease("number is already pending release")
                # Make a pending release final now; its fee was charged when it started.
                fee, fee_currency = (
                    int(m["release_fee_minor"] or 0),
                    str(m["release_fee_currency"] or payer["currency"]),
                )
            else:
                fee, fee_currency = int(payer["release_fee_minor"]), str(payer["currency"])
                if fee > 0:
                    ledger.debit(
                        conn,
                        account_id=payer["id"],
                        currency_code=fee_currency,
                        amount_minor=fee,
                        reference_type="did_release",
                        reference=f"did:{e164.value}",
                        description=f"Release fee for {e164.value}",
                        number_id=m["id"],
                        actor_account_id=account.id,
                        now=now,
                    )
                # Minimum commitment (docs/billing.md): the unpaid committed months are due.
                early = early_release_fee(
                    int(m["monthly_fee_minor"]),
                    int(m["minimum_commitment_months"] or 0),
                    m["purchased_at"] or now,
                    m["next_billing_date"] or now,
                )
                if early > 0 and m["currency"] == fee_currency:
                    ledger.debit(
                        conn,
                        account_id=payer["id"],
                        currency_code=fee_currency,
                        amount_minor=early,
                        reference_type="did_release",
                        reference=f"did:{e164.value}",
                        description=f"Early release of {e164.value}: rest of minimum commitment",
                        number_id=m["id"],
                        actor_account_id=account.id,
                        now=now,
                    )
                    fee += early
            common: dict[str, Any] = {
                "trunk_id": None,
                "application_id": None,
                "release_requested_at": m["release_requested_at"] or now,
                "release_fee_minor": fee,
                "release_fee_currency": fee_currency,
                "updated_at": now,
            }
            if immediate:
                values = {
                    **common,
                    "state": NumberState.QUARANTINED.value,
                    "owner_account_id": None,
                    "billing_account_id": None,
                    "cooldown_ends_at": now,
                    "released_at": now,
                    "available_at": quarantine_ends(now),
                    "next_billing_date": None,
                }
                cooldown = now
            else:
                cooldown = release_cooldown_ends(now)
                values = {
                    **common,
                    "state": NumberState.PENDING_RELEASE.value,
                    "cooldown_ends_at": cooldown,
                    "available_at": quarantine_ends(cooldown),  # if the release stands
                }
            done = conn.execute(
                update(numbers)
                .where(numbers.c.id == m["id"], numbers.c.state == state)
                .values(**values)
                .returning(numbers.c.id)
            ).first()
            if done is None:  # changed under us (a concurrent release or cancel): retry
                raise Conflict("the number changed while it was being released; try again")
            if immediate:
                unschedule(conn, [m["id"]])
            audit.record(
                conn,
                actor,
                now,
                action="number.release_immediate" if immediate else "number.release",
                entity_type="number",
                entity_id=m["id"],
                account_id=owner_auth_id,
                e164=e164.value,
                before=_snapshot(row),
                after={
                    "state": values["state"],
                    "fee_minor": fee,
                    "currency": fee_currency,
                    "cooldown_ends_at": cooldown.isoformat(),
                },
            )
            number = self._load(conn, m["id"])
        return Release(number, fee, fee_currency, immediate, cooldown)

    def cancel_release(self, actor: Actor, account: Account, e164: E164) -> CancelRelease:
        """Within 24 h of a release: back to ``active``, fee refunded in full; the trunk and
        application are not re-attached (Vobiz §4.5)."""
        now = self.clock.now()
        with self.db.write() as conn:
            row = conn.execute(select(numbers).where(numbers.c.e164 == e164.value)).first()
            if row is None:
                raise NotFound("number not found")
            m = row._mapping
            if m["owner_account_id"] is None:
                raise NotPendingRelease("number is not pending release")
            if not _may_manage(account, m):
                raise Forbidden("access denied")
            if not is_release_cancellable(m["state"], m["cooldown_ends_at"], now):
                raise NotPendingRelease("number is not pending release")
            done = conn.execute(
                update(numbers)
                .where(
                    numbers.c.id == m["id"],
                    numbers.c.state == NumberState.PENDING_RELEASE.value,
                    numbers.c.cooldown_ends_at > now,
                )
                .values(
                    state=NumberState.ACTIVE.value,
                    cooldown_ends_at=None,
                    release_requested_at=None,
                    release_fee_minor=None,
                    release_fee_currency=None,
                    available_at=None,
                    updated_at=now,
                )
                .returning(numbers.c.id)
            ).first()
            if done is None:
                raise NotPendingRelease("number is not pending release")
            fee = int(m["release_fee_minor"] or 0)
            fee_currency = str(m["release_fee_currency"] or "")
            if fee > 0:
                ledger.credit(
                    conn,
                    account_id=m["billing_account_id"],
                    currency_code=fee_currency,
                    amount_minor=fee,
                    reference_type="refund",
                    reference=f"did:{e164.value}",
                    description=f"Refund of the release fee for {e164.value}",
                    number_id=m["id"],
                    actor_account_id=account.id,
                    now=now,
                )
            audit.record(
                conn,
                actor,
                now,
                action="number.cancel_release",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before=_snapshot(row),
                after={"state": "active", "refund_minor": fee},
            )
            number = self._load(conn, m["id"])
        if not fee_currency:
            fee_currency = number.currency
        return CancelRelease(number, fee, fee_currency)


def _may_manage(account: Account, m: Any) -> bool:
    """The owner, or the main account that pays for it (a parent acting for its sub-account)."""
    return bool(
        m["owner_account_id"] == account.id
        or (account.kind == "main" and m["billing_account_id"] == account.id)
    )
