"""Compiled statements (db/plans.py) on both databases: a statement built per call with its
``IN`` list written in is found by its shape and its list, so each call gets its own rows,
also when a shape comes back with another list or an earlier one. (Such plans were memoised
by the statement object, which a plan holds: every one was kept, ~80 KB a purchase on
SQLite; they are now in the bounded plan cache.)"""

from __future__ import annotations

from sqlalchemy import select

from didstore.db.tables import numbers
from tests.conftest import IN_NUMBERS, stock
from tests.support import TestServices


def test_a_per_call_in_list_reads_its_own_rows(state: TestServices) -> None:
    stock(state, IN_NUMBERS[:6])

    async def read(wanted: list[str]) -> list[str]:
        stmt = select(numbers.c.e164).where(numbers.c.e164.in_(wanted)).order_by(numbers.c.e164)
        async with state.adb.read() as conn:
            rows = [str(r[0]) for r in await conn.execute(stmt)]
        return rows

    for wanted in (
        IN_NUMBERS[:2],
        IN_NUMBERS[2:4],
        IN_NUMBERS[2:5],
        IN_NUMBERS[:2],
        [IN_NUMBERS[5]],
    ):
        assert state.run(read(list(wanted))) == sorted(wanted)
