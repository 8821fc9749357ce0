"""Races of the Plivo facade's own write path (ADR 0018): a purchase that attaches an
``app_id`` in the purchase's transaction, against the deletion of that application. Whatever
the interleaving, no number points at a deleted application and nobody pays for a purchase
that did not happen."""

from __future__ import annotations

from didstore.domain.e164 import E164
from didstore.domain.errors import Conflict, NotFound, RetryableConflict
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, make_account, stock
from tests.integration.test_races import (
    MONTHLY,
    PRICE_MINOR,
    SETUP,
    account,
    balance_minor,
    number_row,
    run_together,
    unexpected,
)
from tests.support import TestServices

ROUNDS = 6


def test_buying_onto_an_application_while_it_is_deleted(
    state: TestServices, racers: list[TestServices]
) -> None:
    targets = IN_NUMBERS[:ROUNDS]
    stock(state, targets, setup_fee=SETUP, monthly_fee=MONTHLY)
    buyer = make_account(state, balance=100_000)
    start = balance_minor(state, buyer)
    bought = 0
    for target in targets:
        app = state.applications.create(
            CLI, account(state, buyer), {"app_name": "ivr", "answer_url": "https://example.com/a"}
        )
        out = run_together(
            racers,
            [
                lambda s, t=target, a=app["id"]: s.numbers.purchase(
                    CLI, account(s, buyer), E164(t), application_id=a
                ),
                lambda s, a=app["id"]: s.applications.delete(CLI, account(s, buyer), a),
            ],
        )
        assert unexpected(out, NotFound, Conflict) == []
        assert len(out.errors) == 1, out.kinds()
        row = number_row(state, target)
        if isinstance(out.errors[0], Conflict):  # the purchase won: the app stays, in use
            bought += 1
            assert row["state"] == "active" and row["application_id"] == app["id"]
            assert state.applications.get(account(state, buyer), app["id"])["id"] == app["id"]
        else:  # the deletion won: nothing bought, nothing charged
            assert isinstance(out.errors[0], NotFound)
            assert row["state"] == "available" and row["application_id"] is None
    assert balance_minor(state, buyer) == start - bought * PRICE_MINOR
    assert state.wallet.verify() == []


def test_setting_an_alias_while_the_number_is_released(
    state: TestServices, racers: list[TestServices]
) -> None:
    """An alias lands on a held number or not at all: never on a number already released,
    and never an error other than "not found" or a retryable conflict."""
    targets = IN_NUMBERS[10 : 10 + ROUNDS]
    stock(state, targets, setup_fee=SETUP, monthly_fee=MONTHLY)
    holder = make_account(state, balance=100_000)
    for target in targets:
        state.numbers.purchase(CLI, account(state, holder), E164(target))
        out = run_together(
            racers,
            [
                lambda s, t=target: s.plivo.set_alias(CLI, account(s, holder), E164(t), "desk"),
                lambda s, t=target: s.numbers.release(
                    CLI, account(s, holder), E164(t), immediate=True
                ),
            ],
        )
        assert unexpected(out, NotFound, RetryableConflict) == [], out.kinds()
        row = number_row(state, target)
        assert row["state"] == "quarantined"  # the release always goes through
        if out.errors:  # the alias lost: nothing written after the release
            assert row["alias"] is None
