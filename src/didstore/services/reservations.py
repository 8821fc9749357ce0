"""Reservations (issue 13 item 3, ADR 0022): an account holds available numbers for a while
(default 15 minutes, at most ``max_ttl``) so that nobody else can buy or hold them, then buys
them, extends the hold, cancels it, or lets it expire. No money moves on a hold.

The hold is on the number's row (``reservation_id``, ``reserved_by``, ``reserved_until``),
set by a conditional UPDATE (``state = 'available'`` and no live hold), the same row the
purchase's claim updates: two accounts holding one number, or a hold racing a purchase,
serialise on that row and exactly one wins. A reservation is all-or-nothing: if any number
cannot be held, nothing is held and the answer (409 ``numbers_unavailable``) lists the
numbers refused. Buying a reservation buys every number it still holds in one transaction,
each exactly as the ordinary purchase does; if one cannot be paid, nothing is bought.

Expiry is read at request time (``expires_at > now``): an expired hold blocks nobody from the
moment it expires. The lifecycle job's ``expire_reservations`` step then clears the holds,
marks the reservations ``expired`` and records ``reservation.expired`` (held numbers return
to the inventory search at that moment: the search counters count unheld numbers only).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, or_, select, update

from didstore.clock import Clock
from didstore.db.database import Connection, Database
from didstore.db.tables import accounts, numbers, reservation_numbers, reservations
from didstore.domain.e164 import from_body
from didstore.domain.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    NumbersUnavailable,
    ReservationNotActive,
)
from didstore.domain.ids import new_uuid
from didstore.domain.lifecycle import NumberState
from didstore.services import audit, events
from didstore.services.accounts import require_live
from didstore.services.models import Account, Actor, Number, Page
from didstore.services.numbers import Purchase, purchase_in

#: A hold lasts this long unless the request says otherwise (issue 13).
DEFAULT_TTL = timedelta(minutes=15)
#: The longest hold by default (``Settings.reservation_max_ttl``).
DEFAULT_MAX_TTL = timedelta(hours=24)
#: Numbers in one reservation at most.
MAX_NUMBERS = 100

RESERVATIONS = Actor(kind="system", auth_id="reservations", credential="system")


@dataclass(frozen=True, slots=True)
class ReservedNumber:
    e164: str
    status: str  # held | purchased | cancelled | expired


@dataclass(frozen=True, slots=True)
class Reservation:
    id: str
    account_id: str  # the holder's auth id
    status: str  # active | cancelled | purchased | expired (expired as soon as it is due)
    created_at: datetime
    expires_at: datetime
    numbers: list[ReservedNumber]


@dataclass(frozen=True, slots=True)
class ReservationPurchase:
    reservation: Reservation
    purchases: list[Purchase]

    @property
    def charged_minor(self) -> int:
        return sum(p.charged_minor for p in self.purchases)


_holder = accounts.alias("holder")
_main = accounts.alias("main")
_RESERVATION = (
    select(
        reservations,
        _holder.c.auth_id.label("holder_auth_id"),
        _main.c.auth_id.label("main_auth_id"),
    )
    .select_from(
        reservations.join(_holder, _holder.c.id == reservations.c.account_id).join(
            _main, _main.c.id == reservations.c.main_account_id
        )
    )
    .where(reservations.c.id == bindparam("rid"))
)
_LINES = (
    select(reservation_numbers.c.e164, reservation_numbers.c.status)
    .where(reservation_numbers.c.reservation_id == bindparam("rid"))
    .order_by(reservation_numbers.c.e164)
)
_HOLD = (
    update(numbers)
    .where(
        numbers.c.e164 == bindparam("want_e164"),
        numbers.c.state == NumberState.AVAILABLE.value,
        or_(numbers.c.reservation_id.is_(None), numbers.c.reserved_until <= bindparam("now")),
    )
    .values(
        reservation_id=bindparam("rid"),
        reserved_by=bindparam("holder"),
        reserved_until=bindparam("until"),
    )
    .returning(numbers.c.id, numbers.c.e164)
)
_RELEASE_HOLDS = (
    update(numbers)
    .where(numbers.c.reservation_id == bindparam("rid"))
    .values(reservation_id=None, reserved_by=None, reserved_until=None)
)


async def _lock_holds(conn: Connection, rids: list[str]) -> None:
    """Lock the numbers these reservations hold in E.164 order, the order a reservation's
    creation locks them in, before a bulk UPDATE of them (which would lock them in whatever
    order it scans): a hold being created and one being cleared never deadlock."""
    await conn.execute(
        select(numbers.c.id)
        .where(numbers.c.reservation_id.in_(rids))
        .order_by(numbers.c.e164)
        .with_for_update()
    )


def _status(stored: str, expires_at: datetime, now: datetime) -> str:
    """What a reservation is now: an active one past its expiry is expired already."""
    return "expired" if stored == "active" and expires_at <= now else stored


async def _load(conn: Connection, rid: str, now: datetime) -> tuple[Reservation, Any]:
    row = (await conn.execute(_RESERVATION, {"rid": rid})).first()
    if row is None:
        raise NotFound("reservation not found")
    m = row._mapping
    status = _status(m["status"], m["expires_at"], now)
    lines = [
        ReservedNumber(
            str(e164), "expired" if status == "expired" and line == "held" else str(line)
        )
        for e164, line in await conn.execute(_LINES, {"rid": rid})
    ]
    return (
        Reservation(
            str(m["id"]), str(m["holder_auth_id"]), status, m["created_at"], m["expires_at"], lines
        ),
        m,
    )


def _visible(account: Account, m: Any) -> bool:
    """The holder's reservations; a main account's also its sub-accounts'."""
    return bool(
        m["account_id"] == account.id
        or (account.kind == "main" and m["main_account_id"] == account.id)
    )


def _event_data(r: Reservation) -> dict[str, Any]:
    from didstore.wire.reservations import reservation  # wire shapes import services' models

    return reservation(r)


async def _record(conn: Connection, type_: str, r: Reservation, m: Any, now: datetime) -> None:
    await events.record(
        conn,
        type_,
        now,
        account_id=r.account_id,
        main_account_id=str(m["main_auth_id"]),
        data=_event_data(r),
    )


async def end_if_bought(conn: Connection, rid: str, now: datetime) -> None:
    """A reservation whose holder bought its last held number with the ordinary purchase is
    over: ``purchased`` (once, with its event), so it can no longer be bought, extended or
    cancelled as if it still held something."""
    done = (
        await conn.execute(
            update(reservations)
            .where(
                reservations.c.id == rid,
                reservations.c.status == "active",
                ~select(reservation_numbers.c.number_id)
                .where(
                    reservation_numbers.c.reservation_id == rid,
                    reservation_numbers.c.status == "held",
                )
                .exists(),
                select(reservation_numbers.c.number_id)
                .where(
                    reservation_numbers.c.reservation_id == rid,
                    reservation_numbers.c.status == "purchased",
                )
                .exists(),
            )
            .values(status="purchased", updated_at=now)
            .returning(reservations.c.id)
        )
    ).first()
    if done is not None:
        r, m = await _load(conn, rid, now)
        await _record(conn, "reservation.purchased", r, m, now)


class ReservationService:
    def __init__(self, db: Database, clock: Clock, *, max_ttl: timedelta = DEFAULT_MAX_TTL) -> None:
        self.db = db
        self.clock = clock
        self.max_ttl = max_ttl

    def _ttl(self, ttl_seconds: object, *, required: bool = False) -> timedelta:
        if ttl_seconds is None:
            if required:
                raise InvalidInput("ttl_seconds is required", field="ttl_seconds")
            return min(DEFAULT_TTL, self.max_ttl)
        if isinstance(ttl_seconds, bool) or not isinstance(ttl_seconds, int):
            raise InvalidInput("ttl_seconds must be a whole number of seconds", field="ttl_seconds")
        limit = int(self.max_ttl.total_seconds())
        if not 1 <= ttl_seconds <= limit:
            raise InvalidInput(f"ttl_seconds must be between 1 and {limit}", field="ttl_seconds")
        return timedelta(seconds=ttl_seconds)

    async def create(
        self, actor: Actor, account: Account, wanted: Sequence[str], ttl_seconds: object = None
    ) -> Reservation:
        """Hold every number of ``wanted`` for ``account`` until now + TTL, or none of them
        (409 ``numbers_unavailable`` listing the numbers that cannot be held)."""
        if account.kind not in ("main", "sub"):
            raise Forbidden("only main accounts and sub-accounts can reserve numbers")
        if not wanted:
            raise InvalidInput("numbers must list at least one number", field="numbers")
        if len(wanted) > MAX_NUMBERS:
            raise InvalidInput(f"at most {MAX_NUMBERS} numbers per reservation", field="numbers")
        parsed = sorted({from_body(n).value for n in wanted})  # one lock order for everyone
        ttl = self._ttl(ttl_seconds)
        now = self.clock.now()
        until = now + ttl
        rid = new_uuid()
        async with self.db.write() as conn:
            await require_live(conn, account)
            await conn.execute(
                insert(reservations).values(
                    id=rid,
                    account_id=account.id,
                    main_account_id=account.payer_id,
                    status="active",
                    created_at=now,
                    expires_at=until,
                    updated_at=now,
                )
            )
            held: list[tuple[str, str]] = []
            refused: list[str] = []
            for e164 in parsed:
                row = (
                    await conn.execute(
                        _HOLD,
                        {
                            "want_e164": e164,
                            "now": now,
                            "rid": rid,
                            "holder": account.id,
                            "until": until,
                        },
                    )
                ).first()
                if row is None:
                    refused.append(e164)
                else:
                    held.append((str(row[0]), str(row[1])))
            if refused:
                raise NumbersUnavailable(
                    "not every number can be held (taken, held by another reservation, or not"
                    f" in inventory): {', '.join(refused)}; nothing was held",
                    numbers=refused,
                )
            ids = [number_id for number_id, _ in held]
            # expired holds this one replaced: their lines are over
            await conn.execute(
                update(reservation_numbers)
                .where(
                    reservation_numbers.c.number_id.in_(ids),
                    reservation_numbers.c.status == "held",
                )
                .values(status="expired")
            )
            await conn.execute_many(
                insert(reservation_numbers),
                [
                    {
                        "reservation_id": rid,
                        "number_id": number_id,
                        "e164": e164,
                        "account_id": account.id,
                        "status": "held",
                    }
                    for number_id, e164 in held
                ],
            )
            r, m = await _load(conn, rid, now)
            await audit.record(
                conn,
                actor,
                now,
                action="reservation.create",
                entity_type="reservation",
                entity_id=rid,
                account_id=account.auth_id,
                after={"numbers": parsed, "expires_at": until.isoformat()},
            )
            await _record(conn, "reservation.created", r, m, now)
        return r

    async def get(self, account: Account, rid: str) -> Reservation:
        async with self.db.read() as conn:
            r, m = await _load(conn, rid, self.clock.now())
        if not _visible(account, m):
            raise NotFound("reservation not found")
        return r

    async def quote(self, account: Account, rid: str) -> tuple[Reservation, list[Number]]:
        """The reservation and the numbers it still holds (their fees: what buying it costs),
        changing nothing."""
        now = self.clock.now()
        async with self.db.read() as conn:
            r, m = await _load(conn, rid, now)
            if not _visible(account, m):
                raise NotFound("reservation not found")
            held = [n.e164 for n in r.numbers if n.status == "held"]
            rows = (
                (await conn.execute(select(numbers).where(numbers.c.e164.in_(held)))).all()
                if held
                else []
            )
        return r, sorted((Number.from_row(row._mapping) for row in rows), key=lambda n: n.e164)

    async def list(
        self, account: Account, *, page: int = 1, per_page: int = 20, status: str | None = None
    ) -> Page[Reservation]:
        """Newest first: the account's reservations (a main account's include its
        sub-accounts'). ``status`` filters on the status as it is now."""
        now = self.clock.now()
        who = reservations.c.account_id == account.id
        if account.kind == "main":
            who = or_(who, reservations.c.main_account_id == account.id)
        conds: list[Any] = [who]
        if status is not None:
            if status == "active":
                conds += [reservations.c.status == "active", reservations.c.expires_at > now]
            elif status == "expired":
                conds.append(
                    or_(
                        reservations.c.status == "expired",
                        and_(reservations.c.status == "active", reservations.c.expires_at <= now),
                    )
                )
            elif status in ("cancelled", "purchased"):
                conds.append(reservations.c.status == status)
            else:
                raise InvalidInput(
                    "status must be one of active, expired, cancelled, purchased", field="status"
                )
        async with self.db.read() as conn:
            total = int(
                (
                    await conn.execute(select(func.count()).select_from(reservations).where(*conds))
                ).scalar_one()
            )
            ids = (
                await conn.execute(
                    select(reservations.c.id)
                    .where(*conds)
                    .order_by(reservations.c.created_at.desc(), reservations.c.id)
                    .limit(per_page)
                    .offset((page - 1) * per_page)
                )
            ).scalars()
            items = [(await _load(conn, str(rid), now))[0] for rid in ids]
        return Page(items, page, per_page, total)

    async def _active(
        self, conn: Connection, account: Account, rid: str, now: datetime, status: str
    ) -> Any:
        """Move an active, unexpired reservation to ``status`` (a conditional UPDATE: a
        concurrent cancel, purchase or expiry that committed first wins)."""
        _, m = await _load(conn, rid, now)
        if not _visible(account, m):
            raise NotFound("reservation not found")
        done = (
            await conn.execute(
                update(reservations)
                .where(
                    reservations.c.id == rid,
                    reservations.c.status == "active",
                    reservations.c.expires_at > now,
                )
                .values(status=status, updated_at=now)
                .returning(reservations.c.id)
            )
        ).first()
        if done is None:
            current = (await _load(conn, rid, now))[0].status
            raise ReservationNotActive(f"the reservation is {current}", status=current)
        return m

    async def extend(
        self, actor: Actor, account: Account, rid: str, ttl_seconds: object
    ) -> Reservation:
        """Hold the numbers until now + ``ttl_seconds`` (at most the maximum TTL from now)."""
        ttl = self._ttl(ttl_seconds, required=True)
        now = self.clock.now()
        until = now + ttl
        async with self.db.write() as conn:
            m = await self._active(conn, account, rid, now, "active")
            await conn.execute(
                update(reservations).where(reservations.c.id == rid).values(expires_at=until)
            )
            await _lock_holds(conn, [rid])
            await conn.execute(
                update(numbers).where(numbers.c.reservation_id == rid).values(reserved_until=until)
            )
            r, m = await _load(conn, rid, now)
            await audit.record(
                conn,
                actor,
                now,
                action="reservation.extend",
                entity_type="reservation",
                entity_id=rid,
                account_id=r.account_id,
                after={"expires_at": until.isoformat()},
            )
            await _record(conn, "reservation.extended", r, m, now)
        return r

    async def cancel(self, actor: Actor, account: Account, rid: str) -> Reservation:
        """Give the held numbers back at once (nothing is charged or refunded)."""
        now = self.clock.now()
        async with self.db.write() as conn:
            await self._active(conn, account, rid, now, "cancelled")
            await _lock_holds(conn, [rid])
            await conn.execute(_RELEASE_HOLDS, {"rid": rid})
            await conn.execute(
                update(reservation_numbers)
                .where(
                    reservation_numbers.c.reservation_id == rid,
                    reservation_numbers.c.status == "held",
                )
                .values(status="cancelled")
            )
            r, m = await _load(conn, rid, now)
            await audit.record(
                conn,
                actor,
                now,
                action="reservation.cancel",
                entity_type="reservation",
                entity_id=rid,
                account_id=r.account_id,
            )
            await _record(conn, "reservation.cancelled", r, m, now)
        return r

    async def purchase(self, actor: Actor, account: Account, rid: str) -> ReservationPurchase:
        """Buy every number the reservation still holds for its holder, each as the ordinary
        purchase does (debit, ledger, audit, ``number.purchased``), all in one transaction:
        if the wallet cannot pay for all of them, nothing is bought and the hold stays."""
        now = self.clock.now()
        async with self.db.write() as conn:
            m = await self._active(conn, account, rid, now, "purchased")
            holder = account
            if m["account_id"] != account.id:  # a main account buying its sub-account's
                from didstore.db.queries import ACCOUNT_BY_ID

                row = (await conn.execute(ACCOUNT_BY_ID, {"account_id": m["account_id"]})).one()
                holder = Account.from_row(row._mapping, row._mapping["parent_auth_id"])
            payer = await require_live(conn, holder)
            held = (
                await conn.execute(
                    select(reservation_numbers.c.e164)
                    .where(
                        reservation_numbers.c.reservation_id == rid,
                        reservation_numbers.c.status == "held",
                    )
                    .order_by(reservation_numbers.c.e164)
                )
            ).scalars()
            bought = [
                await purchase_in(conn, actor, holder, payer, from_body(e164), None, now)
                for e164 in list(held)
            ]
            r, m = await _load(conn, rid, now)
            await audit.record(
                conn,
                actor,
                now,
                action="reservation.purchase",
                entity_type="reservation",
                entity_id=rid,
                account_id=r.account_id,
                after={
                    "numbers": [p.number.e164 for p in bought],
                    "charged_minor": sum(p.charged_minor for p in bought),
                },
            )
            await _record(conn, "reservation.purchased", r, m, now)
        return ReservationPurchase(r, bought)


async def expire_reservations(db: Database, now: datetime) -> int:
    """The lifecycle job's step: every active reservation past its expiry becomes
    ``expired``, its holds are cleared (the numbers return to the search) and
    ``reservation.expired`` is recorded, in one transaction. Conditional on
    ``status = 'active'``: a second runner or a re-run expires nothing twice."""
    async with db.write() as conn:
        expired = [
            str(rid)
            for rid in (
                await conn.execute(
                    update(reservations)
                    .where(reservations.c.status == "active", reservations.c.expires_at <= now)
                    .values(status="expired", updated_at=now)
                    .returning(reservations.c.id)
                )
            ).scalars()
        ]
        if not expired:
            return 0
        await _lock_holds(conn, expired)
        await conn.execute(
            update(numbers)
            .where(numbers.c.reservation_id.in_(expired))
            .values(reservation_id=None, reserved_by=None, reserved_until=None)
        )
        await conn.execute(
            update(reservation_numbers)
            .where(
                reservation_numbers.c.reservation_id.in_(expired),
                reservation_numbers.c.status == "held",
            )
            .values(status="expired")
        )
        rows = []
        entries = []
        for rid in sorted(expired):
            r, m = await _load(conn, rid, now)
            rows.append(
                events.entry(
                    "reservation.expired",
                    now,
                    account_id=r.account_id,
                    main_account_id=str(m["main_auth_id"]),
                    data=_event_data(r),
                )
            )
            entries.append(
                audit.entry(
                    RESERVATIONS,
                    now,
                    action="reservation.expire",
                    entity_type="reservation",
                    entity_id=rid,
                    account_id=r.account_id,
                )
            )
        await events.record_many(conn, rows)
        await audit.record_many(conn, entries)
    return len(expired)


__all__ = [
    "DEFAULT_TTL",
    "Reservation",
    "ReservationPurchase",
    "ReservationService",
    "ReservedNumber",
    "expire_reservations",
]
