"""The owned-number list (``GET /Account/{id}/numbers``): one statement, built once.

Rules (spec §4.2): a main account's list includes its sub-accounts' numbers (by the paying
account) unless told otherwise, anyone else's is what it owns; only numbers visible as owned
at ``now`` (``numbers.visible_owned_unindexed``: the rows of ``visible_owned``); an optional
digit substring; ordered by E.164 with an exact ``total`` riding along from a scalar
sub-query.

The statement exists in four shapes (by payer or owner, with or without a substring), built
once with bind parameters. SQLite executes it through SQLAlchemy. PostgreSQL executes the
same statement, compiled once, as a prepared statement on a raw psycopg cursor of the
autocommit read engine (no pre-ping, no SQLAlchemy row objects): the list is a hot read path
(ADR 0009) and SQLAlchemy's per-execution and per-row work was most of its CPU.
"""

from __future__ import annotations

from dataclasses import fields
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.engine import Dialect, Engine

from didstore.clock import Clock
from didstore.db.engine import Database
from didstore.db.tables import numbers
from didstore.db.types import UTCDateTime
from didstore.domain.e164 import search_digits
from didstore.services.async_pool import LoopPool
from didstore.services.models import Account, Number

# ``Number``'s fields, in order, as columns of ``number_query()`` (29 of its 38 columns): the
# PostgreSQL path builds each ``Number`` positionally from a row; the total rides last.
_FROM_QUERY = {"owner_auth_id": "owner_auth_id", "aadhaar_verified": "owner_aadhaar_verified"}


def _conditions(by_payer: bool, with_search: bool) -> list[Any]:
    from didstore.services.numbers import visible_owned_unindexed

    holder = numbers.c.billing_account_id if by_payer else numbers.c.owner_account_id
    now: Any = bindparam("now", type_=UTCDateTime)
    conds = [holder == bindparam("account_id"), visible_owned_unindexed(now)]
    if with_search:
        conds.append(numbers.c.e164.like(bindparam("pattern")))
    return conds


@cache
def owned_statement(by_payer: bool, with_search: bool) -> Select[Any]:
    """The page query (parameters ``account_id``, ``now``, ``pattern``, ``limit``, ``offset``).

    The page walks the account's ``(account, e164)`` index; the exact total is a scalar
    sub-query in the same statement (one snapshot, one round trip), which on PostgreSQL is an
    index-only count over the same index's included state columns (ADR 0009 §8)."""
    from didstore.services.numbers import number_query

    listed = number_query()
    wanted = [listed.selected_columns[_FROM_QUERY.get(f.name, f.name)] for f in fields(Number)]
    return (
        listed.with_only_columns(*wanted)
        .add_columns(
            _count_statement(by_payer, with_search)
            .correlate(None)  # the account's total, not the row's
            .scalar_subquery()
            .label("total_count")
        )
        .where(*_conditions(by_payer, with_search))
        .order_by(numbers.c.e164)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )


@cache
def _count_statement(by_payer: bool, with_search: bool) -> Select[Any]:
    return select(func.count()).select_from(numbers).where(*_conditions(by_payer, with_search))


class _Compiled:
    """The PostgreSQL text of one shape, and where its timestamp columns sit in a row."""

    def __init__(self, stmt: Select[Any], dialect: Dialect) -> None:
        # Expanded once (the IN list of owned states becomes plain parameters); the fixed
        # parameters are kept and the request's are filled in per call.
        placeholders = dict.fromkeys(("account_id", "now", "pattern", "limit", "offset"))
        expanded = stmt.compile(dialect=dialect).construct_expanded_state(placeholders)
        self.sql = expanded.statement
        self.fixed = dict(expanded.parameters)
        self.keys = list(stmt.selected_columns.keys())
        self.timestamps = [
            i for i, col in enumerate(stmt.selected_columns) if isinstance(col.type, UTCDateTime)
        ]


@cache
def _compiled(by_payer: bool, with_search: bool, dialect: Dialect) -> _Compiled:
    return _Compiled(owned_statement(by_payer, with_search), dialect)


def owned_pattern(search: str | None) -> str | None:
    """The LIKE pattern of the ``search`` parameter (digits of a partial number)."""
    return f"%{search_digits(search)}%" if search else None


def _request(
    account: Account,
    pattern: str | None,
    include_subaccounts: bool,
    page: int,
    per_page: int,
    now: datetime,
) -> tuple[tuple[bool, bool], dict[str, Any]]:
    """The statement shape and parameters of one page request."""
    by_payer = account.kind == "main" and include_subaccounts
    params: dict[str, Any] = {
        "account_id": account.id,
        "now": now,
        "limit": per_page,
        "offset": (page - 1) * per_page,
    }
    if pattern is not None:
        params["pattern"] = pattern
    return (by_payer, pattern is not None), params


def list_owned_numbers(
    db: Database,
    account: Account,
    *,
    pattern: str | None,
    include_subaccounts: bool,
    page: int,
    per_page: int,
    now: datetime,
) -> tuple[list[Number], int]:
    """One page of the account's owned numbers and the exact total."""
    shape, params = _request(account, pattern, include_subaccounts, page, per_page, now)
    if db.dialect == "postgresql":
        items, total = _raw_page(db, _compiled(*shape, db.engine.dialect), params)
    else:
        items, total = _page(db, owned_statement(*shape), params)
    if total is None:
        if page == 1:
            return items, 0
        # a page past the end carries no row to read the count from
        params.pop("limit"), params.pop("offset")
        with db.read() as conn:
            total = conn.execute(_count_statement(*shape), params).scalar_one()
    return items, int(total)


def _page(db: Database, stmt: Select[Any], params: dict[str, Any]) -> tuple[list[Number], Any]:
    """Through SQLAlchemy (SQLite; on PostgreSQL the reference the raw path is tested against)."""
    with db.read() as conn:
        rows = conn.execute(stmt, params).all()
    return [Number.from_row(r._mapping) for r in rows], rows[0][-1] if rows else None


def _raw_params(c: _Compiled, params: dict[str, Any]) -> dict[str, Any]:
    return {**c.fixed, **params, "now": params["now"].astimezone(UTC).replace(tzinfo=None)}


def _raw_page(db: Database, c: _Compiled, params: dict[str, Any]) -> tuple[list[Number], Any]:
    conn = db.autocommit_engine().raw_connection()
    try:
        cur: Any = conn.cursor()  # psycopg's, for ``prepare=True``
        try:
            cur.execute(c.sql, _raw_params(c, params), prepare=True)
            rows = cur.fetchall()
        finally:
            cur.close()
    finally:
        conn.close()
    return _numbers(c, rows)


def _numbers(c: _Compiled, rows: list[Any]) -> tuple[list[Number], Any]:
    """``Number``s and the total from raw psycopg rows."""
    items = []
    for row in rows:
        values = list(row)
        for i in c.timestamps:  # stored as naive UTC (db/types.py)
            if values[i] is not None:
                values[i] = values[i].replace(tzinfo=UTC)
        # psycopg already gives ``Number``'s types (bool, list, int): no ``from_row`` needed
        items.append(Number(*values[:-1]))
    return items, rows[0][-1] if rows else None


class AsyncOwnedList:
    """The same page on the event loop (PostgreSQL; ADR 0009): the same compiled statement
    and row conversion as the raw sync path, on an async pool with the same session options
    as ``Database.autocommit_engine``. ``page`` answers None when the sync path must answer
    instead (a page past the end, whose total needs a second query)."""

    def __init__(self, engine: Engine, clock: Clock) -> None:
        self.clock = clock
        self.pool = LoopPool(engine, "didstore-owned-list", "-c plan_cache_mode=force_custom_plan")
        self.supported = self.pool.supported
        self._dialect = engine.dialect
        self.served = 0  # pages answered by the fast path (tests read it)

    async def page(
        self,
        account: Account,
        *,
        search: str | None,
        include_subaccounts: bool,
        page: int,
        per_page: int,
    ) -> tuple[list[Number], int] | None:
        shape, params = _request(
            account, owned_pattern(search), include_subaccounts, page, per_page, self.clock.now()
        )
        c = _compiled(*shape, self._dialect)
        pool = await self.pool.get()
        async with pool.connection() as conn:
            cursor = await conn.execute(c.sql, _raw_params(c, params), prepare=True)
            rows = await cursor.fetchall()
        items, total = _numbers(c, rows)
        if total is None:
            return ([], 0) if page == 1 else None
        return items, int(total)

    async def close(self) -> None:
        await self.pool.close()
