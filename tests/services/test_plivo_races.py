"""Races of the Plivo facade's own write path (ADR 0018): a purchase that attaches an
``app_id`` in the purchase's transaction, against the deletion of that application. Whatever
the interleaving, no number points at a deleted application and nobody pays for a purchase
that did not happen."""

from __future__ import annotations

from functools import partial
from typing import Any

from didstore.domain.e164 import E164
from didstore.domain.errors import Conflict, NotFound, RetryableConflict
from didstore.services.models import CLI
from tests.conftest import (
    IN_NUMBERS,
    MONTHLY_FEE,
    PRICE_MINOR,
    SETUP_FEE,
    AccountHandle,
    account_of,
    balance,
    make_account,
    number_row,
    stock,
)
from tests.support import TestServices, run_together, unexpected

ROUNDS = 6


def _buy_onto(buyer: AccountHandle, e164: str, app_id: str, s: TestServices) -> Any:
    return s.numbers.purchase(CLI, account_of(s, buyer), E164(e164), application_id=app_id)


def _delete_app(owner: AccountHandle, app_id: str, s: TestServices) -> Any:
    return s.applications.delete(CLI, account_of(s, owner), app_id)


def _set_alias(holder: AccountHandle, e164: str, s: TestServices) -> Any:
    return s.plivo.set_alias(CLI, account_of(s, holder), E164(e164), "desk")


def _release(holder: AccountHandle, e164: str, s: TestServices) -> Any:
    return s.numbers.release(CLI, account_of(s, holder), E164(e164), immediate=True)


def test_buying_onto_an_application_while_it_is_deleted(
    state: TestServices, racers: list[TestServices]
) -> None:
    targets = IN_NUMBERS[:ROUNDS]
    stock(state, targets, setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE)
    buyer = make_account(state, balance=100_000)
    start = balance(state, buyer)
    bought = 0
    for target in targets:
        app = state.applications.create(
            CLI,
            account_of(state, buyer),
            {"app_name": "ivr", "answer_url": "https://example.com/a"},
        )
        out = run_together(
            racers,
            [
                partial(_buy_onto, buyer, target, app["id"]),
                partial(_delete_app, buyer, app["id"]),
            ],
        )
        assert unexpected(out, NotFound, Conflict) == []
        assert len(out.errors) == 1, out.kinds()
        row = number_row(state, target)
        if isinstance(out.errors[0], Conflict):  # the purchase won: the app stays, in use
            bought += 1
            assert row.state == "active" and row.application_id == app["id"]
            assert state.applications.get(account_of(state, buyer), app["id"])["id"] == app["id"]
        else:  # the deletion won: nothing bought, nothing charged
            assert isinstance(out.errors[0], NotFound)
            assert row.state == "available" and row.application_id is None
    assert balance(state, buyer) == start - bought * PRICE_MINOR
    assert state.wallet.verify() == []


def test_setting_an_alias_while_the_number_is_released(
    state: TestServices, racers: list[TestServices]
) -> None:
    """An alias lands on a held number or not at all: never on a number already released,
    and never an error other than "not found" or a retryable conflict."""
    targets = IN_NUMBERS[10 : 10 + ROUNDS]
    stock(state, targets, setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE)
    holder = make_account(state, balance=100_000)
    for target in targets:
        state.numbers.purchase(CLI, account_of(state, holder), E164(target))
        out = run_together(
            racers, [partial(_set_alias, holder, target), partial(_release, holder, target)]
        )
        assert unexpected(out, NotFound, RetryableConflict) == [], out.kinds()
        row = number_row(state, target)
        assert row.state == "quarantined"  # the release always goes through
        if out.errors:  # the alias lost: nothing written after the release
            assert row.alias is None
