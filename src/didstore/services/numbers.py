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

from sqlalchemy import bindparam, case, or_, select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.queries import (
    NOW,
    NUMBER_BY_ID,
    NUMBER_ROW_BY_E164,
    OWNED_NUMBER_BY_E164,
)
from didstore.db.tables import accounts, applications, numbers, reservation_numbers
from didstore.db.types import UTCDateTime
from didstore.domain.billing import add_months
from didstore.domain.e164 import E164
from didstore.domain.errors import (
    AlreadyPendingRelease,
    Forbidden,
    InvalidInput,
    NotFound,
    NotPendingRelease,
    NumberReserved,
    RetryableConflict,
)
from didstore.domain.lifecycle import (
    NumberState,
    is_release_cancellable,
    quarantine_ends,
    release_cooldown_ends,
)
from didstore.domain.money import currency
from didstore.domain.renewal import early_release_fee
from didstore.services import audit, events, ledger
from didstore.services.accounts import require_live
from didstore.services.locks import check_unlocked
from didstore.services.models import Account, Actor, Number, Page
from didstore.services.owned_list import list_owned_numbers
from didstore.services.schedule import schedule, unschedule
from didstore.services.tx import write_in


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


_ACCOUNT_ROW = select(accounts).where(accounts.c.id == bindparam("account_id"))
_AUTH_ID = select(accounts.c.auth_id).where(accounts.c.id == bindparam("account_id"))

#: The default application of the buyer, else (for a sub-account) of its parent: a number
#: bought attaches to it (spec 4.7).
_DEFAULT_APP = (
    select(applications.c.id)
    .where(
        applications.c.account_id.in_([bindparam("owner"), bindparam("parent")]),
        applications.c.default_number_app.is_(True),
    )
    .order_by(
        case((applications.c.account_id == bindparam("owner"), 0), else_=1),
        applications.c.created_at,
    )
    .limit(1)
    .scalar_subquery()
)


def _claim(with_currency: bool) -> Any:
    conds = [
        numbers.c.e164 == bindparam("number_e164"),
        numbers.c.state == NumberState.AVAILABLE.value,
        # a live hold of another account blocks the purchase; the holder's own consumes it
        or_(
            numbers.c.reservation_id.is_(None),
            numbers.c.reserved_until <= NOW,
            numbers.c.reserved_by == bindparam("owner"),
        ),
    ]
    if with_currency:
        conds.append(numbers.c.currency == bindparam("cur"))
    return (
        update(numbers)
        .where(*conds)
        .values(
            state=NumberState.ACTIVE.value,
            owner_account_id=bindparam("owner"),
            billing_account_id=bindparam("payer"),
            partner_id=bindparam("partner"),
            source="purchased",
            purchased_at=NOW,
            last_billing_date=NOW,
            next_billing_date=bindparam("next_billing", type_=UTCDateTime),
            release_requested_at=None,
            cooldown_ends_at=None,
            release_fee_minor=None,
            release_fee_currency=None,
            released_at=None,
            available_at=None,
            last_call_at=None,
            trunk_id=None,
            application_id=_DEFAULT_APP,
            alias=None,  # the Plivo label of a previous owner never reaches the next one
            deletion_locked_at=None,
            deletion_locked_by=None,
            reservation_id=None,
            reserved_by=None,
            # reserved_until is left as it was, so RETURNING tells whether a hold existed
            # (cleared below only then: no extra statement for an unheld number)
            updated_at=NOW,
        )
        .returning(*numbers.c)
    )


#: The purchase's claim, without and with the requested currency as a condition.
_CLAIM = {False: _claim(False), True: _claim(True)}
_AVAILABLE_SNAPSHOT = {
    "state": NumberState.AVAILABLE.value,
    "owner_account_id": None,
    "trunk_id": None,
    "application_id": None,
}


def _snapshot(m: Any) -> dict[str, Any]:
    """The parts of a number row the audit log shows before a change."""
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

    async def _load(self, conn: Connection, number_id: str) -> Number:
        row = (await conn.execute(NUMBER_BY_ID, {"number_id": number_id})).one()
        return Number.from_view(row)

    # -- purchase ---------------------------------------------------------------------------
    async def purchase(
        self,
        actor: Actor,
        buyer: Account,
        e164: E164,
        currency_code: object = None,
        *,
        application_id: str | None = None,
        within: Connection | None = None,
    ) -> Purchase:
        """Claim an available number and debit ``setup_fee + monthly_fee`` from the paying
        main account (a sub-account's parent), in one transaction.

        The claim is the first write (a conditional UPDATE), so whoever loses a race for the
        number waits on its row lock and then sees the winner's committed state: the buyer
        who already owns it (a retried purchase) gets the number back, charged nothing; anyone
        else gets 404. The wallet is debited last, so its row lock, which serialises every
        purchase from one wallet, is held for as short a time as possible.

        ``application_id`` (the Plivo facade's ``app_id``) attaches the number to that
        application instead of the default one, in the same transaction: an application the
        buyer may not route to (its own, or its parent's) is a 404 and nothing is bought. A
        retried purchase leaves the routing as it is. ``within``: the caller's transaction
        (a bulk job's item, ADR 0023)."""
        if buyer.kind not in ("main", "sub"):
            raise Forbidden("only main accounts and sub-accounts can buy numbers")
        requested = None if currency_code in (None, "") else currency(currency_code).code
        now = self.clock.now()
        async with write_in(self.db, within) as conn:
            payer = await require_live(conn, buyer)
            return await purchase_in(
                conn, actor, buyer, payer, e164, requested, now, application_id=application_id
            )

    # -- listing ----------------------------------------------------------------------------
    async def list_owned(
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
        items, total = await list_owned_numbers(
            self.db,
            account,
            search=search,
            include_subaccounts=include_subaccounts,
            page=page,
            per_page=per_page,
            now=self.clock.now(),
        )
        return Page(items, page, per_page, total)

    async def get_owned(self, account: Account, e164: E164) -> Number:
        """One number the account (or, for a main account, one of its sub-accounts) holds."""
        async with self.db.read() as conn:
            row = (
                await conn.execute(
                    OWNED_NUMBER_BY_E164, {"e164": e164.value, "now": self.clock.now()}
                )
            ).first()
        if row is None or not account.may_manage(row._mapping):
            raise NotFound("number not found")
        return Number.from_view(row)

    # -- release ----------------------------------------------------------------------------
    async def release(
        self,
        actor: Actor,
        account: Account,
        e164: E164,
        *,
        immediate: bool,
        within: Connection | None = None,
    ) -> Release:
        """Charge the account's release fee and start the 24 h cancellable cooldown (or, with
        ``immediate``, quarantine at once). Trunk and application are detached either way.
        ``within``: the caller's transaction (a bulk job's item, ADR 0023)."""
        now = self.clock.now()
        async with write_in(self.db, within) as conn:
            plan = await _plan_release(conn, account, e164, immediate=immediate, now=now)
            m = plan.number
            owners = await events.owners_of(conn, [m["id"]])  # an immediate release clears it
            for amount, description in (
                (plan.release_fee, f"Release fee for {e164.value}"),
                (plan.early_fee, f"Early release of {e164.value}: rest of minimum commitment"),
            ):
                if amount > 0:
                    await ledger.debit(
                        conn,
                        account_id=plan.payer_id,
                        currency_code=plan.currency,
                        amount_minor=amount,
                        reference_type="did_release",
                        reference=f"did:{e164.value}",
                        description=description,
                        number_id=m["id"],
                        actor_account_id=account.id,
                        now=now,
                    )
            done = (
                await conn.execute(
                    update(numbers)
                    .where(
                        numbers.c.id == m["id"],
                        numbers.c.state == m["state"],
                        numbers.c.deletion_locked_at.is_(None),  # a lock that won the race
                    )
                    .values(**plan.values)
                    .returning(numbers.c.id)
                )
            ).first()
            if done is None:  # changed under us (a concurrent release or cancel): retry
                raise RetryableConflict("the number changed while it was being released; try again")
            if immediate:
                await unschedule(conn, [m["id"]])
            await audit.record(
                conn,
                actor,
                now,
                action="number.release_immediate" if immediate else "number.release",
                entity_type="number",
                entity_id=m["id"],
                account_id=plan.owner_auth_id,
                e164=e164.value,
                before=_snapshot(plan.number),
                after={
                    "state": plan.values["state"],
                    "fee_minor": plan.total_fee,
                    "currency": plan.currency,
                    "cooldown_ends_at": plan.cooldown.isoformat(),
                },
            )
            await events.record_numbers(
                conn,
                "number.released" if immediate else "number.release_pending",
                [m["id"]],
                now,
                owners=owners,
            )
            number = await self._load(conn, m["id"])
        return Release(number, plan.total_fee, plan.currency, immediate, plan.cooldown)

    async def release_quote(self, account: Account, e164: E164, *, immediate: bool) -> Release:
        """What ``release`` would do and charge now, changing nothing (a dry run): the same
        checks and the same fees (the release fee, plus the rest of a minimum commitment)."""
        now = self.clock.now()
        async with self.db.read() as conn:
            plan = await _plan_release(conn, account, e164, immediate=immediate, now=now)
            number = await self._load(conn, plan.number["id"])
        return Release(number, plan.total_fee, plan.currency, immediate, plan.cooldown)

    async def cancel_release(self, actor: Actor, account: Account, e164: E164) -> CancelRelease:
        """Within 24 h of a release: back to ``active``, fee refunded in full; the trunk and
        application are not re-attached (Vobiz §4.5)."""
        now = self.clock.now()
        async with self.db.write() as conn:
            row = (await conn.execute(NUMBER_ROW_BY_E164, {"e164": e164.value})).first()
            if row is None:
                raise NotFound("number not found")
            m = row._mapping
            if m["owner_account_id"] is None:
                raise NotPendingRelease("number is not pending release")
            if not account.may_manage(m):
                raise Forbidden("access denied")
            await require_live(conn, account)
            if not is_release_cancellable(m["state"], m["cooldown_ends_at"], now):
                raise NotPendingRelease("number is not pending release")
            done = (
                await conn.execute(
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
                )
            ).first()
            if done is None:
                raise NotPendingRelease("number is not pending release")
            fee = int(m["release_fee_minor"] or 0)
            fee_currency = str(m["release_fee_currency"] or "")
            if fee > 0:
                await ledger.credit(
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
            await audit.record(
                conn,
                actor,
                now,
                action="number.cancel_release",
                entity_type="number",
                entity_id=m["id"],
                account_id=account.auth_id,
                e164=e164.value,
                before=_snapshot(row._mapping),
                after={"state": "active", "refund_minor": fee},
            )
            await events.record_numbers(conn, "number.release_cancelled", [m["id"]], now)
            number = await self._load(conn, m["id"])
        if not fee_currency:
            fee_currency = number.currency
        return CancelRelease(number, fee, fee_currency)


async def purchase_in(
    conn: Connection,
    actor: Actor,
    buyer: Account,
    payer: Any,
    e164: E164,
    requested: str | None,
    now: datetime,
    *,
    application_id: str | None = None,
) -> Purchase:
    """``NumberService.purchase`` inside an open transaction (a reservation's purchase buys
    all its numbers in one): claim, attach, schedule, audit, event, debit. A hold of the buyer
    on the number is consumed (its reservation line becomes ``purchased``); an expired hold of
    another account is overridden (its line becomes ``expired``)."""
    claim = {
        "number_e164": e164.value,
        "owner": buyer.id,
        "parent": buyer.payer_id,
        "payer": buyer.payer_id,
        "partner": payer.partner_id,
        "now": now,
        "next_billing": add_months(now, 1),
    }
    if requested is not None:
        claim["cur"] = requested
    row = (await conn.execute(_CLAIM[requested is not None], claim)).first()
    if row is None:
        return await _not_claimed(conn, buyer, e164, requested, now)
    m = row._mapping
    if m["reserved_until"] is not None:  # it was held (by the buyer, or expired)
        closed = await conn.execute(_CLOSE_HOLD, {"bought_id": m["id"], "owner": buyer.id})
        from didstore.services.reservations import end_if_bought  # it imports this module

        for (reservation_id,) in closed:
            await end_if_bought(conn, str(reservation_id), now)
        m = (
            (
                await conn.execute(
                    update(numbers)
                    .where(numbers.c.id == m["id"])
                    .values(reserved_until=None)
                    .returning(*numbers.c)
                )
            )
            .one()
            ._mapping
        )
    if application_id is not None:
        m = await _attach_bought(conn, buyer, m, application_id, now)
    await schedule(conn, m["id"], m["next_billing_date"])
    amount = int(m["setup_fee_minor"]) + int(m["monthly_fee_minor"])
    await audit.record(
        conn,
        actor,
        now,
        action="number.purchase",
        entity_type="number",
        entity_id=m["id"],
        account_id=buyer.auth_id,
        e164=e164.value,
        before=_AVAILABLE_SNAPSHOT,
        after={
            "state": "active",
            "owner": buyer.auth_id,
            "charged_minor": amount,
            "currency": m["currency"],
        },
    )
    await events.record_numbers(conn, "number.purchased", [m["id"]], now)
    if amount > 0:
        await ledger.debit(
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
    verified = buyer.aadhaar_verified
    if buyer.kind == "sub" and buyer.kyc_mode == "personal_use":
        verified = payer.aadhaar_verified
    number = Number.from_row({**m, "owner_auth_id": buyer.auth_id, "aadhaar_verified": verified})
    return Purchase(number, amount, replayed=False)


#: The reservation line of a number just bought: the buyer's hold is consumed, another
#: account's (expired: a live one blocks the claim) is over.
_CLOSE_HOLD = (
    update(reservation_numbers)
    .where(
        reservation_numbers.c.number_id == bindparam("bought_id"),
        reservation_numbers.c.status == "held",
    )
    .values(
        status=case(
            (reservation_numbers.c.account_id == bindparam("owner"), "purchased"),
            else_="expired",
        )
    )
    .returning(reservation_numbers.c.reservation_id)
)


async def _not_claimed(
    conn: Connection, buyer: Account, e164: E164, requested: str | None, now: datetime
) -> Purchase:
    """Why a claim changed nothing: unknown number (404), another currency (400), a retry
    of the buyer's own successful purchase (200, nothing charged), held by another account
    (409 ``number_reserved``), or taken (404)."""
    row = (await conn.execute(NUMBER_ROW_BY_E164, {"e164": e164.value})).first()
    if row is None:
        raise NotFound("number not found in inventory")
    m = row._mapping
    if requested is not None and requested != m["currency"]:
        raise InvalidInput(
            f"{e164} is priced in {m['currency']}, not {requested}", field="currency"
        )
    if m["state"] == NumberState.ACTIVE.value and m["owner_account_id"] == buyer.id:
        # A retry of a purchase that already succeeded (the newer SDK retries 5xx and
        # timeouts by itself): answer as the first call did, charge nothing.
        return Purchase(
            Number.from_view((await conn.execute(NUMBER_BY_ID, {"number_id": m["id"]})).one()),
            0,
            replayed=True,
        )
    if (
        m["state"] == NumberState.AVAILABLE.value
        and m["reservation_id"] is not None
        and m["reserved_until"] is not None
        and m["reserved_until"] > now
    ):
        raise NumberReserved(
            f"{e164} is reserved by another account until its hold expires", e164=e164.value
        )
    raise NotFound("number not found in inventory")


async def _attach_bought(
    conn: Connection, buyer: Account, m: Any, application_id: str, now: datetime
) -> Any:
    """Point a number just claimed at ``application_id`` (the buyer's or its parent's)."""
    family = [buyer.id] if buyer.parent_id is None else [buyer.id, buyer.parent_id]
    app = (
        await conn.execute(
            select(applications.c.id)
            .where(applications.c.id == application_id, applications.c.account_id.in_(family))
            .with_for_update(read=True)
        )
    ).first()
    if app is None:
        raise NotFound("Application not found", app_id=application_id)
    row = (
        await conn.execute(
            update(numbers)
            .where(numbers.c.id == m["id"])
            .values(application_id=application_id, updated_at=now)
            .returning(*numbers.c)
        )
    ).one()
    return row._mapping


@dataclass(frozen=True, slots=True)
class _ReleasePlan:
    """A release decided but not yet written: what it charges and what the number becomes."""

    number: dict[str, Any]
    payer_id: int
    owner_auth_id: str
    release_fee: int  # charged now (0 when making a pending release final: paid already)
    early_fee: int  # the unpaid months of a minimum commitment
    total_fee: int  # what the release costs in all (the wire's ``release_fee``)
    currency: str
    values: dict[str, Any]
    cooldown: datetime


async def _plan_release(
    conn: Connection, account: Account, e164: E164, *, immediate: bool, now: datetime
) -> _ReleasePlan:
    """Every check of a release, and its fees and new column values (no writes)."""
    row = (await conn.execute(NUMBER_ROW_BY_E164, {"e164": e164.value})).first()
    if row is None:
        raise NotFound("number not found")
    m = row._mapping
    state = m["state"]
    pending_live = is_release_cancellable(state, m["cooldown_ends_at"], now)
    if state in (NumberState.AVAILABLE.value, NumberState.QUARANTINED.value) or (
        state == NumberState.PENDING_RELEASE.value and not pending_live
    ):
        raise Forbidden("account does not own this number")
    if not account.may_manage(m):
        raise Forbidden("account does not own this number")
    if state == NumberState.BLOCKED.value:
        raise InvalidInput("number is blocked by the operator; contact support")
    check_unlocked(m)
    await require_live(conn, account)
    payer = (await conn.execute(_ACCOUNT_ROW, {"account_id": m["billing_account_id"]})).one()
    owner_auth_id = (
        await conn.execute(_AUTH_ID, {"account_id": m["owner_account_id"]})
    ).scalar_one()
    release_fee = early = 0
    if state == NumberState.PENDING_RELEASE.value:
        if not immediate:
            raise AlreadyPendingRelease("number is already pending release")
        # Making a pending release final: its fee was charged when it started.
        total = int(m["release_fee_minor"] or 0)
        fee_currency = str(m["release_fee_currency"] or payer.currency)
    else:
        release_fee, fee_currency = int(payer.release_fee_minor), str(payer.currency)
        # Minimum commitment (docs/billing.md): the unpaid committed months are due.
        early = early_release_fee(
            int(m["monthly_fee_minor"]),
            int(m["minimum_commitment_months"] or 0),
            m["purchased_at"] or now,
            m["next_billing_date"] or now,
        )
        if m["currency"] != fee_currency:
            early = 0
        total = release_fee + early
    common: dict[str, Any] = {
        "trunk_id": None,
        "application_id": None,
        "release_requested_at": m["release_requested_at"] or now,
        "release_fee_minor": total,
        "release_fee_currency": fee_currency,
        "updated_at": now,
    }
    if immediate:
        cooldown = now
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
    else:
        cooldown = release_cooldown_ends(now)
        values = {
            **common,
            "state": NumberState.PENDING_RELEASE.value,
            "cooldown_ends_at": cooldown,
            "available_at": quarantine_ends(cooldown),  # if the release stands
        }
    return _ReleasePlan(
        dict(m),
        int(payer.id),
        str(owner_auth_id),
        release_fee,
        early,
        total,
        fee_currency,
        values,
        cooldown,
    )
