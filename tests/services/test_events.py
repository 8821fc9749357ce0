"""Every lifecycle transition and money outcome writes its event in the same transaction
(the outbox), with the number's wire object, for the right account (real database)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from didstore.clock import FixedClock
from didstore.db.tables import events
from didstore.domain.billing import add_months
from didstore.domain.e164 import from_body
from didstore.domain.errors import InsufficientBalance
from didstore.services import events as events_module
from didstore.services.models import CLI
from didstore.services.renewals import run_renewals
from didstore.wire.numbers import owned_number
from tests.conftest import IN_NUMBERS, buy, make_account, make_sub_account, stock
from tests.support import TestServices

pytestmark = pytest.mark.private_webhooks

E = IN_NUMBERS[0]


@pytest.fixture
def threshold() -> Iterator[None]:
    """``wallet.low_balance`` below 150.00 (15,000 minor units) for these tests."""
    before = events_module.SETTINGS.low_balance_minor
    events_module.SETTINGS.low_balance_minor = 15_000
    yield
    events_module.SETTINGS.low_balance_minor = before


def _all(state: TestServices) -> list[Any]:
    return state.events.list(None, after=0, limit=1000).events


def _types(state: TestServices, after: int = 0) -> list[tuple[str, str | None]]:
    page = state.events.list(None, after=after, limit=1000)
    return [(e.type, e.account_id) for e in page.events]


def _last_id(state: TestServices) -> int:
    found = _all(state)
    return found[-1].id if found else 0


def test_a_number_life_writes_one_event_per_transition(
    state: TestServices, clock: FixedClock, threshold: None
) -> None:
    acct = make_account(state, balance=500)
    account = state.accounts.get(acct.auth_id)
    stock(state, [E], setup_fee=100, monthly_fee=300)
    assert _all(state) == []

    buy(state, acct, E)  # 500 -> 100: below the 150 threshold
    got = _all(state)
    assert [(e.type, e.account_id) for e in got] == [
        ("number.purchased", acct.auth_id),
        ("wallet.low_balance", acct.auth_id),
    ]
    bought, low = got[0].data, got[1].data
    assert low == {"account_id": acct.auth_id, "currency": "INR", "balance": 100, "threshold": 150}
    # the data is the number's wire object, as GET …/numbers/{e164} shows it
    assert bought["e164"] == E and bought["status"] == "active"
    assert bought["account_id"] == acct.auth_id
    assert bought == owned_number(state.numbers.get_owned(account, from_body(E)))
    mark = _last_id(state)

    # a renewal the wallet cannot pay: failed, then suspended; a credit reactivates it
    clock.set(add_months(clock.now(), 1))
    state.call(run_renewals, state.adb, clock)
    assert _types(state, mark) == [
        ("number.renewal_failed", acct.auth_id),
        ("number.suspended", acct.auth_id),
    ]
    suspended = _all(state)[-1].data
    assert suspended["status"] == "suspended"
    mark = _last_id(state)
    state.wallet.credit(CLI, account, amount=1000, currency_code="INR")
    assert _types(state, mark) == [
        ("number.renewed", acct.auth_id),
        ("number.reactivated", acct.auth_id),
    ]
    mark = _last_id(state)

    # the monthly job: renewed (no low balance: 1,100 - 300 stays above 150)
    due = state.numbers.get_owned(account, from_body(E)).next_billing_date
    clock.set(due + timedelta(hours=1))
    state.call(run_renewals, state.adb, clock)
    assert _types(state, mark) == [("number.renewed", acct.auth_id)]
    mark = _last_id(state)

    # release, cancel, release again, then the jobs make it final and return it
    state.numbers.release(CLI, account, from_body(E), immediate=False)
    state.numbers.cancel_release(CLI, account, from_body(E))
    state.numbers.release(CLI, account, from_body(E), immediate=False)
    assert _types(state, mark) == [
        ("number.release_pending", acct.auth_id),
        ("number.release_cancelled", acct.auth_id),
        ("number.release_pending", acct.auth_id),
    ]
    mark = _last_id(state)
    clock.set(clock.now() + timedelta(days=2))
    state.jobs.run("lifecycle", clock.now())
    released = _all(state)[-1]
    assert (released.type, released.account_id) == ("number.released", acct.auth_id)
    assert released.data["account_id"] == ""  # the number no longer has an owner
    # the account's own feed has its events, and no other account's
    own = state.events.list(account, after=0, limit=1000).events
    assert [e.id for e in own] == [e.id for e in _all(state)]
    assert all(e.account_id == acct.auth_id for e in own)
    assert state.events.list(state.accounts.get(make_account(state).auth_id)).events == []

    # 46 days later the number is back in inventory; the lifecycle job also deleted the
    # events older than the 30-day retention window
    clock.set(clock.now() + timedelta(days=46))
    report = state.jobs.run("lifecycle", clock.now())
    assert report.events_expired == len(own)
    assert _types(state) == [("number.returned_to_inventory", None)]  # the operator's only
    assert state.events.list(account, after=0).events == []
    # ids are never reused after a purge
    assert _all(state)[0].id > own[-1].id


def test_moves_routing_kyc_and_immediate_release(state: TestServices, clock: FixedClock) -> None:
    acct = make_account(state, balance=5000)
    main = state.accounts.get(acct.auth_id)
    sub = make_sub_account(state, acct)
    stock(state, IN_NUMBERS[:2])
    buy(state, acct, IN_NUMBERS[0])
    buy(state, acct, IN_NUMBERS[1])
    mark = _last_id(state)

    state.moves.assign(CLI, main, from_body(IN_NUMBERS[0]), sub.auth_id)
    moved = _all(state)[-1]
    assert (moved.type, moved.account_id) == ("number.moved", sub.auth_id)
    assert moved.data["moved_from"] == acct.auth_id and moved.data["account_id"] == sub.auth_id
    # the sub-account sees its number's event; the main account sees both accounts' events
    assert [e.type for e in state.events.list(state.accounts.get(sub.auth_id)).events] == [
        "number.moved"
    ]
    assert state.events.list(main, after=mark).events[-1].id == moved.id

    state.accounts.set_kyc(CLI, main, aadhaar_verified=True)
    kyc = [e for e in _all(state) if e.id > moved.id]
    # both numbers follow the main account's KYC (the sub-account is personal_use)
    assert sorted((e.type, e.data["e164"], e.data["aadhaar_verified"]) for e in kyc) == [
        ("number.kyc_changed", IN_NUMBERS[0], True),
        ("number.kyc_changed", IN_NUMBERS[1], True),
    ]
    mark = _last_id(state)
    state.accounts.set_kyc(CLI, state.accounts.get(acct.auth_id), aadhaar_verified=True)
    assert _last_id(state) == mark  # no change, no event

    trunk = state.trunks.create(CLI, main, {"name": "t1"})
    state.routing.assign_trunk(CLI, main, from_body(IN_NUMBERS[1]), trunk["id"])
    routed = _all(state)[-1]
    assert routed.type == "number.routing_changed"
    assert routed.data["trunk_group_id"] == trunk["id"]
    state.routing.unassign_trunk(CLI, main, from_body(IN_NUMBERS[1]))
    assert _all(state)[-1].data["trunk_group_id"] is None

    state.numbers.release(CLI, main, from_body(IN_NUMBERS[1]), immediate=True)
    last = _all(state)[-1]
    assert (last.type, last.account_id) == ("number.released", acct.auth_id)
    assert last.data["status"] != "active"


def test_no_event_without_the_change(state: TestServices, clock: FixedClock) -> None:
    """A purchase that fails (no money) rolls back its event with everything else."""
    acct = make_account(state, balance=1)
    stock(state, [E], setup_fee=100, monthly_fee=300)
    with pytest.raises(InsufficientBalance):
        buy(state, acct, E)
    with state.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(events)).scalar_one() == 0
