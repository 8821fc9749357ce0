"""The outbox's one writer: an event for each lifecycle transition and money outcome, in the
transaction that made the change (ADR 0020).

Callers pass their open connection: the event commits with the change or not at all. Number
events carry the number's wire object as the API shows it after the change
(``wire.numbers.owned_number``) and reach the number's owner and that owner's main account
(for a number that has just lost its owner, the owner it had: ``owners_of`` before the
change). Batch jobs record a whole chunk with one read of the numbers and one bulk insert
(COPY on PostgreSQL), never a statement per number.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ARRAY, String, any_, bindparam, insert, select

from didstore.db.database import Connection
from didstore.db.queries import NUMBER_FROM, NUMBER_VIEW, OWNER_AUTH_ID, OWNER_MAIN_AUTH_ID
from didstore.db.tables import accounts, events, numbers
from didstore.domain.money import currency, to_units
from didstore.services.models import Number

#: Every event type (the feed's and the webhooks' filters accept only these).
NUMBER_EVENT_TYPES = (
    "number.purchased",
    "number.renewed",
    "number.renewal_failed",
    "number.suspended",
    "number.reactivated",
    "number.release_pending",
    "number.release_cancelled",
    "number.released",
    "number.returned_to_inventory",
    "number.routing_changed",
    "number.moved",
    "number.kyc_changed",
)
#: A reservation's changes (ADR 0022); data: the reservation as the API shows it.
RESERVATION_EVENT_TYPES = (
    "reservation.created",
    "reservation.extended",
    "reservation.cancelled",
    "reservation.expired",
    "reservation.purchased",
)
#: A bulk job's changes (services/bulk_jobs.py, ADR 0023); data: the job without its results.
JOB_EVENT_TYPES = ("job.created", "job.completed", "job.cancelled")
EVENT_TYPES: tuple[str, ...] = (
    *NUMBER_EVENT_TYPES,
    "wallet.low_balance",
    "report.renewal_risk",
    *RESERVATION_EVENT_TYPES,
    *JOB_EVENT_TYPES,
)

Owner = tuple[str | None, str | None]  # (account auth id, its main account's auth id)


@dataclass
class EventSettings:
    #: a debit that takes a wallet from at least this many minor units to below it records
    #: ``wallet.low_balance`` (0: never). Set once per process by ``bootstrap.build``.
    low_balance_minor: int = 10_000


SETTINGS = EventSettings()

_INSERT = insert(events)
_NUMBER_EVENT_VIEW = NUMBER_VIEW.add_columns(OWNER_MAIN_AUTH_ID)
_OWNERS = select(numbers.c.id, OWNER_AUTH_ID, OWNER_MAIN_AUTH_ID).select_from(NUMBER_FROM)
_ACCOUNT = select(accounts.c.auth_id, accounts.c.parent_id).where(
    accounts.c.id == bindparam("account_id")
)
_AUTH_ID = select(accounts.c.auth_id).where(accounts.c.id == bindparam("account_id"))


def entry(
    type_: str,
    now: datetime,
    *,
    account_id: str | None,
    main_account_id: str | None,
    data: dict[str, Any],
) -> dict[str, Any]:
    """One event row's values (its ``id`` is given at commit: ADR 0020)."""
    return {
        "type": type_,
        "created_at": now,
        "account_id": account_id,
        "main_account_id": main_account_id or account_id,
        "data": data,
    }


async def record(
    conn: Connection,
    type_: str,
    now: datetime,
    *,
    account_id: str | None,
    main_account_id: str | None,
    data: dict[str, Any],
) -> None:
    await conn.execute(
        _INSERT,
        entry(type_, now, account_id=account_id, main_account_id=main_account_id, data=data),
    )


async def record_many(conn: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Rows built by ``entry``: one INSERT, or one bulk insert (COPY on PostgreSQL)."""
    if len(rows) == 1:
        await conn.execute(_INSERT, rows[0])
    elif rows:
        await conn.insert_rows(events, rows)


#: The numbers of one id list, as one statement per database built once: PostgreSQL takes
#: the list as one array parameter, SQLite as an ``IN`` list expanded per call. A statement
#: built per call with its list written in would be compiled on every execution (a few
#: milliseconds, and its plan kept: db/plans.py), once per purchase.
_BY_IDS = {
    "postgresql": numbers.c.id == any_(bindparam("ids", type_=ARRAY(String))),
    "sqlite": numbers.c.id.in_(bindparam("ids", expanding=True)),
}
_OWNERS_OF = {dialect: _OWNERS.where(cond) for dialect, cond in _BY_IDS.items()}
_EVENT_ROWS = {dialect: _NUMBER_EVENT_VIEW.where(cond) for dialect, cond in _BY_IDS.items()}


async def owners_of(conn: Connection, ids: Iterable[str]) -> dict[str, Owner]:
    """Who holds each number now (call before a change that clears the owner)."""
    wanted = list(ids)
    if not wanted:
        return {}
    rows = await conn.execute(_OWNERS_OF[conn.dialect], {"ids": wanted})
    return {str(r[0]): (r[1], r[2]) for r in rows}


async def owners_where(conn: Connection, *conds: Any) -> dict[str, Owner]:
    """``owners_of`` for the numbers matching ``conds``, locked (a batch job's chunk)."""
    rows = await conn.execute(_OWNERS.where(*conds).with_for_update(of=numbers))
    return {str(r[0]): (r[1], r[2]) for r in rows}


async def record_numbers(
    conn: Connection,
    type_: str,
    ids: Iterable[str],
    now: datetime,
    *,
    owners: Mapping[str, Owner] | None = None,
    extra: Mapping[str, dict[str, Any]] | None = None,
) -> int:
    """One ``type_`` event per number of ``ids``, each with the number's wire object as it is
    now (plus ``extra[id]``'s keys), for its owner (``owners[id]`` if given: the owner before
    the change). Returns how many were recorded."""
    from didstore.wire.numbers import owned_number  # wire shapes import services' models

    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return 0
    rows = (await conn.execute(_EVENT_ROWS[conn.dialect], {"ids": wanted})).all()
    out = []
    order = {number_id: i for i, number_id in enumerate(wanted)}
    for row in sorted(rows, key=lambda r: order[r[0]]):
        number = Number.from_view(row)
        owner, main = (owners or {}).get(number.id, (number.owner_auth_id, row[-1]))
        data = owned_number(number)
        if extra and number.id in extra:
            data.update(extra[number.id])
        out.append(entry(type_, now, account_id=owner, main_account_id=main, data=data))
    await record_many(conn, out)
    return len(out)


async def low_balance(
    conn: Connection,
    *,
    account_id: int,
    currency_code: str,
    before_minor: int,
    after_minor: int,
    now: datetime,
) -> None:
    """``wallet.low_balance`` when a debit took the wallet across the threshold (once per
    crossing: a wallet already below it records nothing more until it is topped up)."""
    threshold = SETTINGS.low_balance_minor
    if threshold <= 0 or not (after_minor < threshold <= before_minor):
        return
    row = (await conn.execute(_ACCOUNT, {"account_id": account_id})).one()
    main = None
    if row.parent_id is not None:
        main = (await conn.execute(_AUTH_ID, {"account_id": row.parent_id})).scalar_one()
    cur = currency(currency_code)
    await record(
        conn,
        "wallet.low_balance",
        now,
        account_id=row.auth_id,
        main_account_id=main,
        data={
            "account_id": row.auth_id,
            "currency": currency_code,
            "balance": to_units(after_minor, cur),
            "threshold": to_units(threshold, cur),
        },
    )
