"""Unpaid renewals: suspended at once, re-tried when the wallet is credited (charged once),
released into quarantine when the grace period ends, back in inventory 45 days later."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from didstore.domain.billing import add_months
from didstore.services.models import CLI
from didstore.services.renewals import run_renewals
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    balance,
    buy,
    make_account,
    number_row,
    rental_rows,
    stock,
)
from tests.support import TestServices

E = IN_NUMBERS[0]


def _underfunded(state: TestServices, clock: FixedClock) -> AccountHandle:
    """An account that paid the purchase (400) and has 100 left: less than the 300 rental."""
    acct = make_account(state, balance=500)
    stock(state, [E], setup_fee=100, monthly_fee=300)
    buy(state, acct, E)
    clock.set(add_months(clock.now(), 1))
    return acct


def test_underfunded_renewal_suspends_then_credit_reactivates_charged_once(
    state: TestServices, clock: FixedClock, client: TestClient
) -> None:
    acct = _underfunded(state, clock)
    period = number_row(state, E).next_billing_date
    report = state.call(run_renewals, state.adb, clock)
    assert (report.charged, report.suspended) == (0, 1)
    n = number_row(state, E)
    assert n.state == "suspended"
    assert n.suspended_at == clock.now()
    assert n.grace_ends_at == period + timedelta(days=7)
    assert n.owner_account_id is not None  # still owned during grace
    assert balance(state, acct) == 10_000
    # A second run neither charges nor suspends again.
    again = state.call(run_renewals, state.adb, clock)
    assert (again.charged, again.suspended) == (0, 0)
    # The owner still sees it, as suspended.
    listed = client.get(
        f"/api/v1/Account/{acct.auth_id}/numbers",
        headers=acct.headers,
    )
    assert listed.status_code == 200
    assert '"status":"suspended"' in listed.text.replace(" ", "")

    clock.set(clock.now() + timedelta(days=2))
    r = client.post(
        f"/api/v1/admin/accounts/{acct.auth_id}/credit",
        json={"amount": 500, "currency": "INR"},
        headers=admin_headers(),
    )
    assert r.status_code == 201, r.text
    assert r.json()["balance"] == 300  # 100 + 500 - 300 rental
    n = number_row(state, E)
    assert n.state == "active" and n.suspended_at is None and n.grace_ends_at is None
    assert n.last_billing_date == period
    assert n.next_billing_date == add_months(number_row(state, E).purchased_at, 2)
    assert len(rental_rows(state, E)) == 1
    # Another credit and more runs: still charged once for that period.
    state.wallet.credit(CLI, state.accounts.get(acct.auth_id), amount=1, currency_code="INR")
    state.call(run_renewals, state.adb, clock)
    assert len(rental_rows(state, E)) == 1
    assert balance(state, acct) == 30_100
    assert state.wallet.verify() == []


def test_renewal_job_reactivates_when_money_arrived_another_way(
    state: TestServices, clock: FixedClock
) -> None:
    acct = _underfunded(state, clock)
    state.call(run_renewals, state.adb, clock)
    assert number_row(state, E).state == "suspended"
    # Money arrives without the credit use case (e.g. a partner transfer): the next renewal
    # run re-tries suspended numbers too.
    from didstore.services import ledger

    account_id = state.accounts.get(acct.auth_id).id

    async def transfer_in() -> None:  # money arriving by another path than a credit
        async with state.adb.write() as conn:
            await ledger.credit(
                conn,
                account_id=account_id,
                currency_code="INR",
                amount_minor=50_000,
                reference_type="transfer",
                now=clock.now(),
            )

    state.run(transfer_in())
    report = state.call(run_renewals, state.adb, clock)
    assert (report.charged, report.reactivated) == (1, 1)
    assert number_row(state, E).state == "active"


def test_grace_expiry_releases_into_quarantine_then_inventory(
    state: TestServices, clock: FixedClock
) -> None:
    acct = _underfunded(state, clock)
    state.jobs.run("all", clock.now())
    grace_end = number_row(state, E).grace_ends_at
    clock.set(grace_end - timedelta(seconds=1))
    assert state.jobs.run("lifecycle", clock.now()).grace_expired == 0
    clock.set(grace_end + timedelta(minutes=5))
    report = state.jobs.run("all", clock.now())
    assert report.grace_expired == 1 and report.released == 1
    n = number_row(state, E)
    assert n.state == "quarantined" and n.owner_account_id is None
    assert n.released_at == grace_end
    assert n.available_at == grace_end + timedelta(days=45)
    # Credit after the release: nothing is charged, the number is gone.
    state.wallet.credit(CLI, state.accounts.get(acct.auth_id), amount=1000, currency_code="INR")
    assert rental_rows(state, E) == []
    assert number_row(state, E).state == "quarantined"
    clock.set(grace_end + timedelta(days=45) - timedelta(seconds=1))
    assert state.jobs.run("lifecycle", clock.now()).returned_to_inventory == 0
    clock.set(grace_end + timedelta(days=45))
    assert state.jobs.run("lifecycle", clock.now()).returned_to_inventory == 1
    n = number_row(state, E)
    assert n.state == "available" and n.suspended_at is None
    assert state.wallet.verify() == []


def test_credit_after_grace_ended_but_before_the_job_does_not_revive(
    state: TestServices, clock: FixedClock
) -> None:
    acct = _underfunded(state, clock)
    state.call(run_renewals, state.adb, clock)
    clock.set(number_row(state, E).grace_ends_at + timedelta(seconds=1))
    state.wallet.credit(CLI, state.accounts.get(acct.auth_id), amount=1000, currency_code="INR")
    assert number_row(state, E).state == "suspended"
    assert rental_rows(state, E) == []
    assert state.jobs.run("lifecycle", clock.now()).grace_expired == 1


def test_grace_is_configurable(state: TestServices, clock: FixedClock) -> None:
    _underfunded(state, clock)
    period = number_row(state, E).next_billing_date
    state.call(run_renewals, state.adb, clock, grace=timedelta(days=2))
    assert number_row(state, E).grace_ends_at == period + timedelta(days=2)


def test_partial_funds_charge_oldest_first_and_never_overdraw(
    state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=1_600)  # 3 purchases of 400, then 400 left
    stock(state, IN_NUMBERS[:3], setup_fee=100, monthly_fee=300)
    for e in IN_NUMBERS[:3]:
        buy(state, acct, e)
    clock.set(add_months(clock.now(), 1))
    report = state.call(run_renewals, state.adb, clock)
    assert (report.charged, report.suspended) == (1, 2)
    assert balance(state, acct) == 10_000
    states = sorted(number_row(state, e).state for e in IN_NUMBERS[:3])
    assert states == ["active", "suspended", "suspended"]


def test_minimum_commitment_charges_unpaid_months_on_early_release(
    state: TestServices, clock: FixedClock, client: TestClient
) -> None:
    acct = make_account(state, balance=10_000, release_fee=5)
    stock(state, [E], setup_fee=100, monthly_fee=300, minimum_commitment_months=3)
    buy(state, acct, E)
    before = balance(state, acct)
    r = client.delete(
        f"/api/v1/Account/{acct.auth_id}/numbers/{E}",
        headers=acct.headers,
    )
    assert r.status_code == 200, r.text
    # release fee 5 + two unpaid committed months (2 x 300)
    assert balance(state, acct) == before - 500 - 60_000
    r = client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/{E}/cancel-release", headers=acct.headers
    )
    assert r.status_code == 200, r.text
    assert balance(state, acct) == before
    # After two renewals the commitment is met: only the release fee.
    for _ in range(2):
        clock.set(number_row(state, E).next_billing_date)
        state.call(run_renewals, state.adb, clock)
    paid = balance(state, acct)
    assert paid == before - 60_000
    client.delete(f"/api/v1/Account/{acct.auth_id}/numbers/{E}", headers=acct.headers)
    assert balance(state, acct) == paid - 500
    assert state.wallet.verify() == []
