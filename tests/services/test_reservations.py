"""Reservations (services/reservations.py, ADR 0022): holds that keep others from buying or
holding a number, all-or-nothing, bought in one transaction, extended, cancelled, expiring
by the clock, race-proof on both databases."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from didstore.clock import FixedClock
from didstore.db.tables import events, ledger_entries, numbers, search_counts
from didstore.domain.e164 import from_body
from didstore.domain.errors import (
    InsufficientBalance,
    InvalidInput,
    NotFound,
    NumberReserved,
    NumbersUnavailable,
    ReservationNotActive,
)
from didstore.services.inventory import SearchFilters
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, T0, AccountHandle, make_account, make_sub_account, stock
from tests.support import TestServices, run_together

A, B, C = IN_NUMBERS[0], IN_NUMBERS[1], IN_NUMBERS[2]


def _acct(state: TestServices, handle: AccountHandle) -> Any:
    return state.accounts.get(handle.auth_id)


def _searchable(state: TestServices) -> tuple[list[str], int]:
    page = state.inventory.search(SearchFilters(), 1, 100)
    return [n.e164 for n in page.items], page.total


def _event_types(state: TestServices) -> list[str]:
    with state.db.read() as conn:
        return [
            str(t)
            for t in conn.execute(
                select(events.c.type)
                .where(events.c.type.like("reservation.%"))
                .order_by(events.c.seq)
            ).scalars()
        ]


def test_a_hold_hides_the_number_from_search_and_others_cannot_buy_or_hold_it(
    state: TestServices,
) -> None:
    holder = make_account(state, balance=10_000)
    other = make_account(state, balance=10_000)
    stock(state, [A, B, C])
    r = state.reservations.create(CLI, _acct(state, holder), [B, A])
    assert r.status == "active" and r.expires_at == T0 + timedelta(minutes=15)
    assert [(n.e164, n.status) for n in r.numbers] == [(A, "held"), (B, "held")]
    listed, total = _searchable(state)
    assert listed == [C] and total == 1  # the counters agree with the rows
    with state.db.read() as conn:
        counted = conn.execute(
            select(search_counts.c.n).where(search_counts.c.pattern == "")
        ).scalar_one()
    assert counted == 1
    with pytest.raises(NumberReserved) as refused:
        state.numbers.purchase(CLI, _acct(state, other), from_body(A))
    assert refused.value.code == "number_reserved"
    with pytest.raises(NumbersUnavailable) as taken:
        state.reservations.create(CLI, _acct(state, other), [A, C])
    assert taken.value.extra["numbers"] == [A]
    assert _searchable(state)[0] == [C]  # all or nothing: C was not held either
    # the holder buys one number the ordinary way: the hold is consumed
    bought = state.numbers.purchase(CLI, _acct(state, holder), from_body(A))
    assert bought.charged_minor == 40_000
    got = state.reservations.get(_acct(state, holder), r.id)
    assert [(n.e164, n.status) for n in got.numbers] == [(A, "purchased"), (B, "held")]
    with pytest.raises(NotFound):
        state.reservations.get(_acct(state, other), r.id)
    assert _event_types(state) == ["reservation.created"]


def test_buying_a_reservation_buys_every_held_number_or_none(state: TestServices) -> None:
    poor = make_account(state, balance=500)  # one number costs 400.00 (40,000 minor units)
    stock(state, [A, B])
    r = state.reservations.create(CLI, _acct(state, poor), [A, B], 600)
    with pytest.raises(InsufficientBalance):
        state.reservations.purchase(CLI, _acct(state, poor), r.id)
    still = state.reservations.get(_acct(state, poor), r.id)
    assert still.status == "active" and {n.status for n in still.numbers} == {"held"}
    with state.db.read() as conn:
        assert (
            conn.execute(
                select(ledger_entries.c.id).where(ledger_entries.c.reference_type == "did_purchase")
            ).first()
            is None
        )
    state.wallet.credit(CLI, _acct(state, poor), amount=1_000, currency_code="INR")
    done = state.reservations.purchase(CLI, _acct(state, poor), r.id)
    assert done.charged_minor == 80_000
    assert done.reservation.status == "purchased"
    assert [n.status for n in done.reservation.numbers] == ["purchased", "purchased"]
    assert sorted(p.number.e164 for p in done.purchases) == [A, B]
    with state.db.read() as conn:
        rows = conn.execute(
            select(numbers.c.state, numbers.c.reservation_id, numbers.c.reserved_until).where(
                numbers.c.e164.in_([A, B])
            )
        ).all()
        types = [
            str(t) for t in conn.execute(select(events.c.type).order_by(events.c.seq)).scalars()
        ]
    assert rows == [("active", None, None), ("active", None, None)]  # no hold left over
    assert types.count("number.purchased") == 2 and types[-1] == "reservation.purchased"
    with pytest.raises(ReservationNotActive) as again:
        state.reservations.purchase(CLI, _acct(state, poor), r.id)
    assert again.value.extra["status"] == "purchased"


def test_a_reservation_whose_numbers_were_all_bought_one_by_one_is_over(
    state: TestServices,
) -> None:
    """A probe found a reservation whose every number its holder had bought the ordinary way
    stayed ``active``, and buying it then answered 200 with nothing bought."""
    holder = make_account(state, balance=100_000)
    stock(state, [A, B])
    r = state.reservations.create(CLI, _acct(state, holder), [A, B])
    state.numbers.purchase(CLI, _acct(state, holder), from_body(A))
    assert state.reservations.get(_acct(state, holder), r.id).status == "active"  # B is held
    state.numbers.purchase(CLI, _acct(state, holder), from_body(B))
    over = state.reservations.get(_acct(state, holder), r.id)
    assert over.status == "purchased"
    assert [n.status for n in over.numbers] == ["purchased", "purchased"]
    for refused in (
        lambda: state.reservations.purchase(CLI, _acct(state, holder), r.id),
        lambda: state.reservations.extend(CLI, _acct(state, holder), r.id, 600),
        lambda: state.reservations.cancel(CLI, _acct(state, holder), r.id),
    ):
        with pytest.raises(ReservationNotActive) as e:
            refused()
        assert e.value.extra["status"] == "purchased"
    assert _event_types(state) == ["reservation.created", "reservation.purchased"]


def test_extend_cancel_and_ttl_limits(state: TestServices, clock: FixedClock) -> None:
    holder = make_account(state)
    stock(state, [A])
    with pytest.raises(InvalidInput):
        state.reservations.create(CLI, _acct(state, holder), [A], 86_401)  # over the maximum
    with pytest.raises(InvalidInput):
        state.reservations.create(CLI, _acct(state, holder), [A], 0)
    with pytest.raises(InvalidInput):
        state.reservations.create(CLI, _acct(state, holder), [])
    r = state.reservations.create(CLI, _acct(state, holder), [A], 60)
    clock.set(T0 + timedelta(seconds=30))
    longer = state.reservations.extend(CLI, _acct(state, holder), r.id, 3600)
    assert longer.expires_at == T0 + timedelta(seconds=3630)
    clock.set(T0 + timedelta(seconds=120))  # past the first expiry, inside the extended one
    other = make_account(state, balance=10_000)
    with pytest.raises(NumberReserved):
        state.numbers.purchase(CLI, _acct(state, other), from_body(A))
    cancelled = state.reservations.cancel(CLI, _acct(state, holder), r.id)
    assert cancelled.status == "cancelled" and cancelled.numbers[0].status == "cancelled"
    assert _searchable(state)[0] == [A]
    with pytest.raises(ReservationNotActive):
        state.reservations.extend(CLI, _acct(state, holder), r.id, 60)
    assert state.numbers.purchase(CLI, _acct(state, other), from_body(A)).charged_minor == 40_000
    assert _event_types(state) == [
        "reservation.created",
        "reservation.extended",
        "reservation.cancelled",
    ]


def test_an_expired_hold_blocks_nobody_and_the_job_expires_it_once(
    state: TestServices, clock: FixedClock
) -> None:
    holder = make_account(state)
    other = make_account(state, balance=10_000)
    stock(state, [A, B])
    r = state.reservations.create(CLI, _acct(state, holder), [A, B])
    clock.set(T0 + timedelta(minutes=15))  # expiry is exclusive: due now
    assert state.reservations.get(_acct(state, holder), r.id).status == "expired"
    with pytest.raises(ReservationNotActive):
        state.reservations.purchase(CLI, _acct(state, holder), r.id)
    # before any job ran, another account can hold one and buy the other
    again = state.reservations.create(CLI, _acct(state, other), [A])
    assert state.numbers.purchase(CLI, _acct(state, other), from_body(B)).charged_minor == 40_000
    old = state.reservations.get(_acct(state, holder), r.id)
    assert [(n.e164, n.status) for n in old.numbers] == [(A, "expired"), (B, "expired")]
    assert state.jobs.run("lifecycle").reservations_expired == 1
    assert state.jobs.run("lifecycle").reservations_expired == 0  # a re-run expires nothing
    assert state.reservations.get(_acct(state, other), again.id).status == "active"
    with state.db.read() as conn:
        held_by = conn.execute(select(numbers.c.reservation_id).where(numbers.c.e164 == A))
        assert held_by.scalar_one() == again.id  # the new hold was not cleared
    clock.set(T0 + timedelta(minutes=31))
    assert state.jobs.run("lifecycle").reservations_expired == 1
    assert _searchable(state) == ([A], 1)  # back in the search, counted again
    assert _event_types(state).count("reservation.expired") == 2


def test_a_main_account_sees_and_buys_its_sub_accounts_reservation(state: TestServices) -> None:
    main = make_account(state, balance=10_000)
    sub = make_sub_account(state, main)
    stock(state, [A])
    r = state.reservations.create(CLI, _acct(state, sub), [A])
    assert r.account_id == sub.auth_id
    assert [x.id for x in state.reservations.list(_acct(state, main)).items] == [r.id]
    assert state.reservations.list(_acct(state, sub), status="cancelled").total == 0
    done = state.reservations.purchase(CLI, _acct(state, main), r.id)
    assert done.purchases[0].number.owner_auth_id == sub.auth_id


# -- races ---------------------------------------------------------------------------------------
def test_two_accounts_holding_one_number_exactly_one_wins(
    state: TestServices, racers: list[TestServices]
) -> None:
    for attempt in range(4):
        number = IN_NUMBERS[10 + attempt]
        stock(state, [number])
        handles = [make_account(state) for _ in range(2)]

        def hold(s: TestServices, h: AccountHandle, n: str = number) -> str:
            return str(s.reservations.create(CLI, s.accounts.get(h.auth_id), [n]).id)

        out = run_together(
            racers,
            [lambda s, h=h: hold(s, h) for h in handles],  # type: ignore[misc]
        )
        results, errors = out.results, out.errors
        assert len(results) == 1, (results, errors)
        assert len(errors) == 1 and errors[0].__class__.__name__ in (
            "NumbersUnavailable",
            "RetryableConflict",
        ), errors
        with state.db.read() as conn:
            held = conn.execute(select(numbers.c.reservation_id).where(numbers.c.e164 == number))
            assert held.scalar_one() == results[0]


def test_a_hold_racing_a_purchase_exactly_one_wins(
    state: TestServices, racers: list[TestServices]
) -> None:
    for attempt in range(4):
        number = IN_NUMBERS[20 + attempt]
        stock(state, [number])
        holder = make_account(state)
        buyer = make_account(state, balance=10_000)

        def hold(s: TestServices, n: str = number, h: AccountHandle = holder) -> str:
            s.reservations.create(CLI, s.accounts.get(h.auth_id), [n])
            return "held"

        def buy(s: TestServices, n: str = number, b: AccountHandle = buyer) -> str:
            s.numbers.purchase(CLI, s.accounts.get(b.auth_id), from_body(n))
            return "bought"

        out = run_together(racers, [hold, buy])
        results, errors = out.results, out.errors
        assert len(results) == 1, (results, errors)
        with state.db.read() as conn:
            row = conn.execute(
                select(numbers.c.state, numbers.c.reservation_id).where(numbers.c.e164 == number)
            ).one()
            charged = conn.execute(
                select(ledger_entries.c.id).where(ledger_entries.c.reference == f"did:{number}")
            ).all()
        if results == ["held"]:
            assert isinstance(errors[0], NumberReserved | NotFound), errors
            assert row.state == "available" and row.reservation_id is not None and not charged
        else:
            assert isinstance(errors[0], NumbersUnavailable), errors
            assert row.state == "active" and row.reservation_id is None and len(charged) == 1


def test_the_maximum_ttl_is_a_setting(
    settings: Any, clock: FixedClock, loop: Any, db: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``DIDSTORE_RESERVATION_MAX_TTL`` (``serve --reservation-max-ttl``) caps the hold; the
    default hold is shortened to it when it is below 15 minutes."""
    from dataclasses import replace

    from didstore.config import Settings
    from tests.support import open_services

    monkeypatch.setenv("DIDSTORE_RESERVATION_MAX_TTL", "120")
    assert Settings().reservation_max_ttl == 120
    short = open_services(replace(settings, reservation_max_ttl=120), clock, loop)
    try:
        holder = make_account(short)
        stock(short, [A])
        with pytest.raises(InvalidInput, match="between 1 and 120"):
            short.reservations.create(CLI, _acct(short, holder), [A], 121)
        r = short.reservations.create(CLI, _acct(short, holder), [A])
        assert r.expires_at == T0 + timedelta(seconds=120)
    finally:
        short.close()


def test_two_runners_expire_a_reservation_once(
    state: TestServices, racers: list[TestServices]
) -> None:
    from didstore.services.reservations import expire_reservations

    holders = [make_account(state) for _ in range(3)]
    stock(state, IN_NUMBERS[40:43])
    for holder, number in zip(holders, IN_NUMBERS[40:43], strict=True):
        state.reservations.create(CLI, _acct(state, holder), [number], 60)
    later = T0 + timedelta(minutes=2)

    def run(s: TestServices) -> int:
        return int(s.call(expire_reservations, s.adb, later))

    out = run_together(racers, [run, run])
    results, errors = out.results, out.errors
    assert not errors, errors
    assert sum(results) == 3  # each reservation expired by exactly one runner
    assert _event_types(state).count("reservation.expired") == 3
    assert _searchable(state)[1] == 3
