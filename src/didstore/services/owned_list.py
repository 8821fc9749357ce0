"""The owned-number list (``GET /Account/{id}/numbers``): a page and its exact total.

Rules (spec §4.2): a main account's list includes its sub-accounts' numbers (by the paying
account) unless told otherwise, anyone else's is what it owns; only numbers visible as owned
at ``now`` (``queries.VISIBLE_OWNED_FILTER``); an optional digit substring; ordered by
E.164 with an exact ``total``.

How it stays fast at any size and depth (ADR 0013):

- the total is ``number_counts`` (kept by triggers, migration 0008) minus the numbers counted
  there whose release or grace period has already passed but which the job has not moved
  yet: a primary-key read and a count over a partial index of the few numbers in transit.
  A substring search has no counter: its total is a count of the account's matching rows;
- a page is a deferred join: the E.164 values of the page are found in the account's
  ``(account, e164)`` index, skipping rows from the index alone (the state columns are in
  it), then only those rows are read; a page in the second half of the list is read
  backwards from the end, so no page skips more than half the list;
- page 1 (the common case) is one statement, the total riding along as a scalar sub-query.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, Select, bindparam, func, select, text

from didstore.db.database import Connection, Database
from didstore.db.queries import NUMBER_VIEW, VISIBLE_OWNED_FILTER
from didstore.db.tables import number_counts, numbers
from didstore.db.types import UTCDateTime
from didstore.domain.e164 import search_digits
from didstore.services.models import Account, Number

#: Counted in ``number_counts`` but no longer shown (mirrors ``VISIBLE_OWNED_FILTER``). Its
#: constants are SQL literals so that PostgreSQL can match the partial index
#: ``ix_numbers_*_transient`` even in a prepared statement's generic plan.
_PASSED = text(
    "numbers.state IN ('pending_release', 'suspended') AND ("
    "(numbers.state = 'pending_release'"
    " AND (numbers.cooldown_ends_at IS NULL OR numbers.cooldown_ends_at <= :now))"
    " OR (numbers.state = 'suspended'"
    " AND numbers.grace_ends_at IS NOT NULL AND numbers.grace_ends_at <= :now))"
).bindparams(bindparam("now", type_=UTCDateTime))


def _holder(by_payer: bool) -> Any:
    return numbers.c.billing_account_id if by_payer else numbers.c.owner_account_id


def _conditions(by_payer: bool, with_search: bool) -> list[Any]:
    conds = [_holder(by_payer) == bindparam("account_id"), VISIBLE_OWNED_FILTER]
    if with_search:
        conds.append(numbers.c.e164.like(bindparam("pattern")))
    return conds


@cache
def _total(by_payer: bool, with_search: bool) -> ColumnElement[Any]:
    """The exact total, as a scalar expression (parameters ``account_id``, ``now``)."""
    if with_search:
        return (
            select(func.count())
            .select_from(numbers)
            .where(*_conditions(by_payer, True))
            .scalar_subquery()
        )
    counted = (
        select(number_counts.c.paid if by_payer else number_counts.c.owned)
        .where(number_counts.c.account_id == bindparam("account_id"))
        .scalar_subquery()
    )
    passed = (
        select(func.count())
        .select_from(numbers)
        .where(_holder(by_payer) == bindparam("account_id"), _PASSED)
        .scalar_subquery()
    )
    return func.coalesce(counted, 0) - passed


@cache
def _count(by_payer: bool, with_search: bool) -> Select[Any]:
    stmt = select(_total(by_payer, with_search).label("total"))
    return stmt.execution_options(prepare=False) if with_search else stmt


@cache
def _page(by_payer: bool, with_search: bool, backwards: bool, with_total: bool) -> Select[Any]:
    """One page (``limit``, ``offset`` from the start, or from the end when ``backwards``),
    in E.164 order, optionally with the total as a last column ``total_count``."""
    if not backwards and with_total:  # page 1: walk the index straight into the rows
        stmt = (
            NUMBER_VIEW.add_columns(_total(by_payer, with_search).label("total_count"))
            .where(*_conditions(by_payer, with_search))
            .order_by(numbers.c.e164)
            .limit(bindparam("limit"))
            .offset(bindparam("offset"))
        )
        return stmt.execution_options(prepare=False) if with_search else stmt
    order = numbers.c.e164.desc() if backwards else numbers.c.e164
    keys = (
        select(numbers.c.e164.label("page_e164"))
        .where(*_conditions(by_payer, with_search))
        .order_by(order)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
        .subquery()
    )
    stmt = NUMBER_VIEW.join(keys, keys.c.page_e164 == numbers.c.e164).order_by(numbers.c.e164)
    if with_total:
        stmt = stmt.add_columns(_total(by_payer, with_search).label("total_count"))
    # a substring's selectivity varies by value: plan each search for its own pattern
    return stmt.execution_options(prepare=False) if with_search else stmt


async def list_owned_numbers(
    db: Database,
    account: Account,
    *,
    search: str | None,
    include_subaccounts: bool,
    page: int,
    per_page: int,
    now: datetime,
) -> tuple[list[Number], int]:
    """One page of the account's owned numbers and the exact total."""
    shape = (account.kind == "main" and include_subaccounts, bool(search))
    params: dict[str, Any] = {"account_id": account.id, "now": now}
    if search:
        params["pattern"] = f"%{search_digits(search)}%"
    offset = (page - 1) * per_page
    async with db.read() as conn:
        if offset == 0:
            rows = await _rows(conn, _page(*shape, False, True), params, per_page, 0)
            total = int(rows[0].total_count) if rows else await _count_of(conn, shape, params)
        else:
            total = await _count_of(conn, shape, params)
            if offset >= total:
                rows = []
            elif offset + per_page / 2 > total / 2:  # nearer the end: read it backwards
                from_end = total - offset - per_page
                limit = per_page + min(0, from_end)
                rows = await _rows(
                    conn, _page(*shape, True, False), params, limit, max(0, from_end)
                )
            else:
                rows = await _rows(conn, _page(*shape, False, False), params, per_page, offset)
    return [Number.from_view(r) for r in rows], total


async def _rows(
    conn: Connection, stmt: Select[Any], params: dict[str, Any], limit: int, offset: int
) -> list[Any]:
    return (await conn.execute(stmt, {**params, "limit": limit, "offset": offset})).all()


async def _count_of(conn: Connection, shape: tuple[bool, bool], params: dict[str, Any]) -> int:
    return int((await conn.execute(_count(*shape), params)).scalar_one())


@cache
def _after(by_payer: bool, with_search: bool) -> Select[Any]:
    """Up to ``limit`` numbers after ``after`` in E.164 order: one batch of an export, read
    by key from the same ``(account, e164)`` index as a page (never an offset)."""
    stmt = (
        NUMBER_VIEW.where(*_conditions(by_payer, with_search), numbers.c.e164 > bindparam("after"))
        .order_by(numbers.c.e164)
        .limit(bindparam("limit"))
    )
    return stmt.execution_options(prepare=False) if with_search else stmt


async def owned_batches(
    db: Database,
    account: Account,
    *,
    search: str | None,
    include_subaccounts: bool,
    now: datetime,
    batch: int,
) -> AsyncIterator[list[Number]]:
    """Every number of the list (the same rules and order as ``list_owned_numbers``), in
    batches of ``batch``, each read in its own short read (ADR 0024): nothing is held
    between batches, so an export of any length keeps no connection, lock or snapshot."""
    stmt = _after(account.kind == "main" and include_subaccounts, bool(search))
    params: dict[str, Any] = {"account_id": account.id, "now": now, "after": "", "limit": batch}
    if search:
        params["pattern"] = f"%{search_digits(search)}%"
    while True:
        async with db.read() as conn:
            rows = (await conn.execute(stmt, params)).all()
        if not rows:
            return
        items = [Number.from_view(r) for r in rows]
        yield items
        if len(items) < batch:
            return
        params["after"] = items[-1].e164
