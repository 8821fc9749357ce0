"""The feed under concurrency: ordered, complete, no gaps, no duplicates, on both databases
(its HTTP interface: tests/api/test_events.py)."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import pytest
from sqlalchemy import func, select

from didstore.clock import FixedClock
from didstore.db.tables import events as events_table
from didstore.services import events
from didstore.services.event_feed import EventFeed
from tests.support import TestServices

pytestmark = pytest.mark.private_webhooks


async def _write(db: Any, now: Any, marker: str, hold: asyncio.Event | None = None) -> None:
    async with db.write() as conn:
        await events.record(
            conn,
            "number.purchased",
            now,
            account_id="MA_TEST",
            main_account_id=None,
            data={"marker": marker},
        )
        if hold is not None:
            await hold.wait()


def test_an_event_that_commits_late_is_not_skipped(state: TestServices, clock: FixedClock) -> None:
    """A inserts first and commits last. On PostgreSQL B's event is inserted after A's (a
    larger sequence value) but commits first: a reader that took insertion order as its
    cursor would read B, move past it, and never see A. The feed numbers in commit order."""
    db, feed = state.adb, state.services.events
    pg = db.dialect == "postgresql"

    async def scenario() -> tuple[list[str], list[str], int]:
        release_a = asyncio.Event()
        a = asyncio.create_task(_write(db, clock.now(), "A", release_a if pg else None))
        await asyncio.sleep(0.05)  # A's event is inserted, its transaction still open
        await _write(db, clock.now(), "B")
        first = await feed.list(None, after=0)
        release_a.set()
        await a
        second = await feed.list(None, after=first.next_after)
        return (
            [e.data["marker"] for e in first.events],
            [e.data["marker"] for e in second.events],
            second.next_after,
        )

    first, second, last = state.run(scenario())
    assert last == _max_id(state)
    if pg:
        assert (first, second) == (["B"], ["A"])
        with state.db.read() as conn:
            seqs = dict(
                conn.execute(
                    select(events_table.c.data["marker"].as_string(), events_table.c.seq)
                ).all()
            )
        assert seqs["A"] < seqs["B"]  # the hard case: insertion order is not commit order
    else:  # one writer at a time: A commits before B starts
        assert first + second == ["A", "B"]


def _max_id(state: TestServices) -> int:
    with state.db.read() as conn:
        return int(conn.execute(select(func.max(events_table.c.id))).scalar_one())


def _race(state: TestServices, clock: FixedClock, writers: int, per_writer: int) -> None:
    db: Any = state.adb
    feed: EventFeed = state.services.events
    total = writers * per_writer
    rng = random.Random(7)

    async def writer(w: int) -> None:
        for i in range(per_writer):
            async with db.write() as conn:
                for part in range(rng.randint(1, 3)):
                    await events.record(
                        conn,
                        "number.renewed",
                        clock.now(),
                        account_id="MA_TEST",
                        main_account_id=None,
                        data={"marker": f"{w}-{i}-{part}"},
                    )
                    await asyncio.sleep(rng.random() * 0.004)  # commit later, in any order

    async def reader(done: asyncio.Event, seen: list[tuple[int, str]]) -> None:
        after = 0
        while True:
            finished = done.is_set()
            page = await feed.list(None, after=after, limit=rng.randint(1, 9))
            seen.extend((e.id, e.data["marker"]) for e in page.events)
            after = page.next_after
            if finished and not page.events:
                return
            await asyncio.sleep(0)

    async def main() -> list[tuple[int, str]]:
        seen: list[tuple[int, str]] = []
        done = asyncio.Event()
        read = asyncio.create_task(reader(done, seen))
        await asyncio.gather(*(writer(w) for w in range(writers)))
        done.set()
        await read
        return seen

    seen = state.run(main())
    ids = [i for i, _ in seen]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)  # ordered, no duplicates
    with state.db.read() as conn:
        stored = dict(conn.execute(select(events_table.c.id, events_table.c.data)).all())
    assert ids == sorted(stored)  # nothing skipped: every committed event was read
    assert ids == list(range(ids[0], ids[0] + len(ids)))  # and the ids have no holes
    markers = [m for _, m in seen]
    assert len(set(markers)) == len(markers) >= total
    assert {stored[i]["marker"] for i in ids} == set(markers)


def test_concurrent_writers_and_a_polling_reader(state: TestServices, clock: FixedClock) -> None:
    _race(state, clock, writers=8, per_writer=40)
