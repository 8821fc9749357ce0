"""The feed shows an event as soon as its change committed (ADR 0020): a poll right after a
change finds it without a job run, on both databases, even while another reader's
sequencer is running on PostgreSQL (the reader waits for that batch, never for a writer)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, literal, select

from didstore.clock import FixedClock
from didstore.services import event_feed, events
from didstore.services.event_feed import SEQUENCER_LOCK, EventFeed
from tests.conftest import IN_NUMBERS, admin_headers, make_account, stock
from tests.support import TestServices


def test_a_change_is_in_the_feed_at_once(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=5000)
    stock(state, IN_NUMBERS[:1])
    r = client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=acct.headers,
    )
    assert r.status_code < 300, r.text
    feed = client.get(f"/api/v1/Account/{acct.auth_id}/events", headers=acct.headers).json()
    assert [(e["type"], e["data"]["e164"]) for e in feed["events"]] == [
        ("number.purchased", IN_NUMBERS[0])
    ]
    ops = client.get("/api/v1/admin/events", headers=admin_headers()).json()
    assert [e["type"] for e in ops["events"]] == ["number.purchased"]


async def _record(db: Any, clock: FixedClock, marker: str) -> None:
    async with db.write() as conn:
        await events.record(
            conn,
            "number.renewed",
            clock.now(),
            account_id="MA_TEST",
            main_account_id=None,
            data={"marker": marker},
        )


async def _hold_sequencer(db: Any, taken: asyncio.Event, release: asyncio.Event) -> None:
    """Another sequencer mid-run: it holds the lock and numbers nothing."""
    async with db.write() as conn:
        await conn.execute(select(func.pg_advisory_xact_lock(literal(SEQUENCER_LOCK))))
        taken.set()
        await release.wait()


def _postgresql_only(state: TestServices) -> None:
    if state.adb.dialect != "postgresql":
        pytest.skip("SQLite gives an event its id at insert: there is no sequencer")


def test_a_reader_waits_for_a_running_sequencer(state: TestServices, clock: FixedClock) -> None:
    """The running sequencer's statement began before the change committed: a reader that
    gave up on the lock would not see its own change. It waits for that batch instead."""
    _postgresql_only(state)
    db, feed = state.adb, state.services.events

    async def scenario() -> list[str]:
        taken, release = asyncio.Event(), asyncio.Event()
        holder = asyncio.create_task(_hold_sequencer(db, taken, release))
        await taken.wait()
        await _record(db, clock, "mine")
        reading = asyncio.create_task(feed.list(None))
        await asyncio.sleep(0.1)  # the reader is now waiting for the lock holder
        release.set()
        await holder
        page = await reading
        return [e.data["marker"] for e in page.events]

    assert state.run(scenario()) == ["mine"]


def test_a_stuck_sequencer_does_not_hang_the_reader(
    state: TestServices, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait is bounded: past it the reader answers with what is numbered, and the event
    comes at the next poll, with no id skipped."""
    _postgresql_only(state)
    monkeypatch.setattr(event_feed, "READER_WAIT_MS", 50)
    db, feed = state.adb, state.services.events
    assert isinstance(feed, EventFeed)

    async def scenario() -> tuple[list[str], list[str]]:
        taken, release = asyncio.Event(), asyncio.Event()
        holder = asyncio.create_task(_hold_sequencer(db, taken, release))
        await taken.wait()
        await _record(db, clock, "late")
        first = await feed.list(None)
        release.set()
        await holder
        second = await feed.list(None, after=first.next_after)
        return [e.data["marker"] for e in first.events], [e.data["marker"] for e in second.events]

    assert state.run(scenario()) == ([], ["late"])
