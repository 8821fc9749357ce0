"""The renewal queue (``billing_schedule``, ADR 0012) always equals
``numbers.next_billing_date``, through every step of a number's life; and since renewals
re-check the number itself, a stale queue entry can never charge."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import insert

from didstore.clock import FixedClock
from didstore.db.tables import billing_schedule
from didstore.domain.billing import add_months
from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from didstore.services.renewals import run_renewals
from tests.conftest import (
    IN_NUMBERS,
    assert_queue_matches,
    buy,
    charge_count,
    make_account,
    number_row,
    rental_rows,
    stock,
)
from tests.support import TestServices


def test_queue_follows_the_billing_date_through_a_numbers_life(
    state: TestServices, clock: FixedClock
) -> None:
    a, b, c = IN_NUMBERS[:3]
    acct = make_account(state, balance=1_500)  # three purchases of 400, then 300 left
    stock(state, [a, b, c], setup_fee=100, monthly_fee=300)
    assert assert_queue_matches(state) == {}  # inventory is never queued
    for e in (a, b, c):
        buy(state, acct, e)
    assert len(assert_queue_matches(state)) == 3

    clock.set(add_months(clock.now(), 1))
    report = state.call(
        run_renewals, state.adb, clock
    )  # 300 covers one rental: one renewed, two suspended
    assert (report.charged, report.suspended) == (1, 2)
    queued = assert_queue_matches(state)
    renewed = next(e for e in (a, b, c) if number_row(state, e).state == "active")
    suspended = [e for e in (a, b, c) if e != renewed]
    assert queued[number_row(state, renewed).id] == add_months(
        number_row(state, renewed).purchased_at, 2
    )

    account = state.accounts.get(acct.auth_id)
    state.wallet.credit(CLI, account, amount=300, currency_code="INR")
    # re-tried in the credit: one more rental is covered, the other stays suspended
    suspended.sort(key=lambda e: number_row(state, e).state)  # active first
    assert [number_row(state, e).state for e in suspended] == ["active", "suspended"]
    assert_queue_matches(state)

    state.numbers.release(CLI, account, from_body(renewed), immediate=False)
    assert_queue_matches(state)  # pending release: still dated, still queued
    state.numbers.cancel_release(CLI, account, from_body(renewed))
    assert_queue_matches(state)
    state.numbers.release(CLI, account, from_body(renewed), immediate=True)
    assert number_row(state, renewed).id not in assert_queue_matches(state)

    state.numbers.release(CLI, account, from_body(suspended[0]), immediate=False)
    clock.set(clock.now() + timedelta(days=8))  # past the 24 h cooldown and the grace
    report = state.jobs.run("all", clock.now())
    assert (report.released, report.grace_expired) == (2, 1)
    assert assert_queue_matches(state) == {}
    clock.set(clock.now() + timedelta(days=46))
    assert state.jobs.run("lifecycle", clock.now()).returned_to_inventory == 3
    assert assert_queue_matches(state) == {}

    state.wallet.credit(CLI, account, amount=400, currency_code="INR")
    buy(state, acct, renewed)  # bought again: queued again, from the new purchase
    queued = assert_queue_matches(state)
    assert list(queued.values()) == [add_months(clock.now(), 1)]


def test_a_stale_queue_entry_charges_nothing(state: TestServices, clock: FixedClock) -> None:
    a, b = IN_NUMBERS[:2]
    acct = make_account(state, balance=10_000)
    stock(state, [a, b], setup_fee=0, monthly_fee=300)
    buy(state, acct, a)
    with state.db.write() as conn:  # a queue row for a number nobody owns
        conn.execute(
            insert(billing_schedule).values(
                number_id=number_row(state, b).id, due_at=clock.now() - timedelta(days=1)
            )
        )
    clock.set(add_months(clock.now(), 1))
    report = state.call(run_renewals, state.adb, clock)
    assert report.charged == 1
    assert rental_rows(state, b) == [] and len(rental_rows(state, a)) == 1
    assert charge_count(state) == 1
    assert number_row(state, b).state == "available"


def test_chunks_cover_the_queue_in_due_order_across_many_chunks(
    state: TestServices, clock: FixedClock
) -> None:
    """Chunk boundaries fall between numbers due at the same instant and at different ones;
    every due number is charged once, however small the chunk."""
    acct = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:7], setup_fee=0, monthly_fee=100)
    for i, e in enumerate(IN_NUMBERS[:7]):
        if i in (3, 5):
            clock.set(clock.now() + timedelta(hours=1))
        buy(state, acct, e)
    clock.set(add_months(clock.now(), 1))
    report = state.call(run_renewals, state.adb, clock, chunk_size=2)
    assert report.charged == 7 and report.chunks >= 4
    assert all(len(rental_rows(state, e)) == 1 for e in IN_NUMBERS[:7])
    assert state.call(run_renewals, state.adb, clock, chunk_size=2).charged == 0
    assert_queue_matches(state)
