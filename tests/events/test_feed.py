"""The feed under concurrency: ordered, complete, no gaps, no duplicates, on both databases;
and its HTTP interface."""

from __future__ import annotations

import asyncio
import random
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from didstore.clock import FixedClock
from didstore.db.tables import events as events_table
from didstore.services import events
from didstore.services.event_feed import EventFeed
from tests.conftest import IN_NUMBERS, admin_headers, buy, make_account, stock
from tests.support import TestServices


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


def test_the_http_feed(client: TestClient, state: TestServices, clock: FixedClock) -> None:
    acct = make_account(state, balance=5000)
    other = make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:3])
    buy(state, acct, IN_NUMBERS[0])
    buy(state, other, IN_NUMBERS[1])
    buy(state, acct, IN_NUMBERS[2])
    url = f"/api/v1/Account/{acct.auth_id}/events"

    r = client.get(url, headers=acct.headers)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [e["data"]["e164"] for e in body["events"]] == [IN_NUMBERS[0], IN_NUMBERS[2]]
    first = body["events"][0]
    assert set(first) == {"id", "type", "created_at", "account_id", "data"}
    assert first["type"] == "number.purchased" and first["account_id"] == acct.auth_id
    assert first["created_at"].endswith("Z")
    assert body["next_after"] == body["events"][-1]["id"]

    # paging with after/limit, and the end of the feed keeps the cursor
    one = client.get(url, params={"limit": 1}, headers=acct.headers).json()
    assert [e["id"] for e in one["events"]] == [first["id"]]
    rest = client.get(url, params={"after": one["next_after"]}, headers=acct.headers).json()
    assert [e["data"]["e164"] for e in rest["events"]] == [IN_NUMBERS[2]]
    end = client.get(url, params={"after": rest["next_after"]}, headers=acct.headers).json()
    assert end == {"events": [], "next_after": rest["next_after"]}

    # type filters: repeated or comma-separated
    none = client.get(url, params={"type": "number.released"}, headers=acct.headers).json()
    assert none["events"] == []
    both = client.get(
        url, params={"type": "number.released,number.purchased"}, headers=acct.headers
    ).json()
    assert len(both["events"]) == 2

    # another account's feed is not yours; the operator sees everything
    assert client.get(url, headers=other.headers).status_code == 403
    ops = client.get("/api/v1/admin/events", headers=admin_headers()).json()
    assert [e["data"]["e164"] for e in ops["events"]] == IN_NUMBERS[:3]
    assert client.get("/api/v1/admin/events", headers=acct.headers).status_code == 403
    assert client.get(url, headers=admin_headers()).json()["events"] == body["events"]

    # bad inputs are 400s
    for params in (
        {"after": "-1"},
        {"after": "x"},
        {"after": str(2**63)},
        {"limit": "0"},
        {"limit": "1001"},
        {"type": "number.nope"},
    ):
        r = client.get(url, params=params, headers=acct.headers)
        assert r.status_code == 400, (params, r.status_code, r.text)
