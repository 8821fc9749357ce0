"""The renewal period key follows the billing anchor, whatever date is stored (issue 14,
"Renewals of imported numbers"): a ``next_billing_date`` that is not ``anchor + k months``
(an import, or a hand edit to "now + 30 days") can never make one run charge twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update

from didstore.clock import FixedClock
from didstore.db.tables import billing_schedule, numbers
from didstore.domain.billing import add_months
from didstore.services.renewals import RenewalReport, run_renewals
from tests.conftest import (
    IN_NUMBERS,
    assert_queue_matches,
    balance,
    buy,
    make_account,
    number_row,
    rental_rows,
    stock,
)
from tests.support import TestServices


# -- the job on a real database --------------------------------------------------------------
def _set_billing_date(state: TestServices, e164: str, when: datetime) -> None:
    """What an import or an operator's hand edit did: the date and its queue entry."""
    n = number_row(state, e164)
    with state.db.write() as conn:
        conn.execute(update(numbers).where(numbers.c.id == n.id).values(next_billing_date=when))
        conn.execute(
            update(billing_schedule).where(billing_schedule.c.number_id == n.id).values(due_at=when)
        )


def test_a_hand_set_date_is_charged_once_per_anchored_period(
    state: TestServices, clock: FixedClock
) -> None:
    """The reproduction: bought 1 Dec, next billing set by hand to now + 30 days (31 Dec);
    a run on 1 Jan charged a period starting 31 Dec and then one starting 1 Jan."""
    bought = datetime(2026, 12, 1, 10, tzinfo=UTC)
    clock.set(bought)
    acct = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    _set_billing_date(state, IN_NUMBERS[0], bought + timedelta(days=30))
    before = balance(state, acct)

    clock.set(datetime(2027, 1, 1, 11, tzinfo=UTC))
    outcomes: list[RenewalReport] = []
    report = state.call(run_renewals, state.adb, clock, chunk_size=1, after_chunk=outcomes.append)
    assert report.charged == 1  # was 2: the period of 31 Dec, then the one of 1 Jan
    rows = rental_rows(state, IN_NUMBERS[0])
    assert len(rows) == 1 and balance(state, acct) == before - 30_000
    n = number_row(state, IN_NUMBERS[0])
    assert n.last_billing_date == datetime(2027, 1, 1, 10, tzinfo=UTC)
    assert n.next_billing_date == datetime(2027, 2, 1, 10, tzinfo=UTC)
    assert_queue_matches(state)
    # the per-number outcome is there for the caller (events)
    [chunk] = [c for c in outcomes if c.outcomes]
    assert [(o.number_id, o.outcome, o.period_start) for o in chunk.outcomes] == [
        (n.id, "charged", datetime(2027, 1, 1, 10, tzinfo=UTC))
    ]
    assert report.outcomes == []  # a run's total keeps counts only
    # later runs follow the anchor: one charge per month, never a second one for January
    for month in range(2, 5):
        clock.set(add_months(bought, month) + timedelta(hours=2))
        state.call(run_renewals, state.adb, clock)
        state.call(run_renewals, state.adb, clock)
        assert len(rental_rows(state, IN_NUMBERS[0])) == month
    assert state.wallet.verify() == []


def test_a_run_between_the_stored_date_and_the_anchored_start_charges_nothing_yet(
    state: TestServices, clock: FixedClock
) -> None:
    bought = datetime(2026, 12, 1, 10, tzinfo=UTC)
    clock.set(bought)
    acct = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    _set_billing_date(state, IN_NUMBERS[0], bought + timedelta(days=30))

    clock.set(datetime(2026, 12, 31, 12, tzinfo=UTC))  # due by the stored date only
    assert state.call(run_renewals, state.adb, clock).charged == 0
    assert rental_rows(state, IN_NUMBERS[0]) == []
    # the stored date moved onto the anchor, with its queue entry
    assert number_row(state, IN_NUMBERS[0]).next_billing_date == datetime(
        2027, 1, 1, 10, tzinfo=UTC
    )
    assert_queue_matches(state)
    clock.set(datetime(2027, 1, 1, 10, tzinfo=UTC))
    assert state.call(run_renewals, state.adb, clock).charged == 1
    assert state.call(run_renewals, state.adb, clock).charged == 0


def test_an_imported_date_months_behind_catches_up_one_charge_per_period(
    state: TestServices, clock: FixedClock
) -> None:
    bought = datetime(2026, 1, 31, 8, tzinfo=UTC)  # month ends clamp: 28 Feb, 31 Mar, 30 Apr
    clock.set(bought)
    acct = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    _set_billing_date(state, IN_NUMBERS[0], datetime(2026, 2, 15, tzinfo=UTC))

    clock.set(datetime(2026, 5, 1, tzinfo=UTC))
    report = state.call(run_renewals, state.adb, clock, chunk_size=1)
    periods = [r.period_start for r in _charges(state)]
    assert periods == [
        datetime(2026, 2, 28, 8, tzinfo=UTC),
        datetime(2026, 3, 31, 8, tzinfo=UTC),
        datetime(2026, 4, 30, 8, tzinfo=UTC),
    ]
    assert report.charged == 3
    assert state.call(run_renewals, state.adb, clock).charged == 0


def _charges(state: TestServices) -> list[Any]:
    from sqlalchemy import select

    from didstore.db.tables import renewal_charges

    with state.db.read() as conn:
        return list(
            conn.execute(select(renewal_charges).order_by(renewal_charges.c.period_start)).all()
        )
