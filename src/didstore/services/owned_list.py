"""The owned-number list (``GET /Account/{id}/numbers``): one statement per shape, built once.

Rules (spec §4.2): a main account's list includes its sub-accounts' numbers (by the paying
account) unless told otherwise, anyone else's is what it owns; only numbers visible as owned
at ``now`` (``queries.VISIBLE_OWNED_FILTER``); an optional digit substring; ordered by
E.164 with an exact ``total`` riding along from a scalar sub-query (one snapshot, one round
trip).
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import Select, bindparam, func, select

from didstore.db.database import Database
from didstore.db.queries import NUMBER_VIEW, VISIBLE_OWNED_FILTER
from didstore.db.tables import numbers
from didstore.domain.e164 import search_digits
from didstore.services.models import Account, Number


def _conditions(by_payer: bool, with_search: bool) -> list[Any]:
    holder = numbers.c.billing_account_id if by_payer else numbers.c.owner_account_id
    conds = [holder == bindparam("account_id"), VISIBLE_OWNED_FILTER]
    if with_search:
        conds.append(numbers.c.e164.like(bindparam("pattern")))
    return conds


@cache
def _count(by_payer: bool, with_search: bool) -> Select[Any]:
    return select(func.count()).select_from(numbers).where(*_conditions(by_payer, with_search))


@cache
def _page(by_payer: bool, with_search: bool) -> Select[Any]:
    """The page (parameters ``account_id``, ``now``, ``pattern``, ``limit``, ``offset``).

    The page walks the account's ``(account, e164)`` index; the exact total is a scalar
    sub-query in the same statement, which on PostgreSQL is an index-only count over the
    same index's included state columns (ADR 0009 §8)."""
    stmt = (
        NUMBER_VIEW.add_columns(
            _count(by_payer, with_search)
            .correlate(None)  # the account's total, not the row's
            .scalar_subquery()
            .label("total_count")
        )
        .where(*_conditions(by_payer, with_search))
        .order_by(numbers.c.e164)
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
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
    by_payer = account.kind == "main" and include_subaccounts
    params: dict[str, Any] = {"account_id": account.id, "now": now}
    if search:
        params["pattern"] = f"%{search_digits(search)}%"
    shape = (by_payer, bool(search))
    async with db.read() as conn:
        rows = (
            await conn.execute(
                _page(*shape), {**params, "limit": per_page, "offset": (page - 1) * per_page}
            )
        ).all()
        if rows:
            total = int(rows[0].total_count)
        elif page == 1:
            total = 0
        else:  # a page past the end carries no row to read the count from
            total = int((await conn.execute(_count(*shape), params)).scalar_one())
    return [Number.from_row(r._mapping) for r in rows], total
