"""Reservations through the SDK (both flavours) against a real server: hold, show, list,
extend, cancel, buy, and the conflicts others get."""

from __future__ import annotations

import pytest

from didstore.client import Client, ConflictError, Reservation
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour


def test_hold_show_list_extend_cancel(live: LiveServer, client: Client, account: Account) -> None:
    numbers = live.stock(2)
    held = client.phone_numbers.reserve_numbers(account.auth_id, numbers, ttl_seconds=600)
    assert isinstance(held, Reservation) and held.status == "active"
    assert [(n.e164, n.status) for n in held.numbers] == [(n, "held") for n in sorted(numbers)]
    shown = client.phone_numbers.get_reservation(account.auth_id, held.id)
    assert shown.id == held.id and shown.expires_at == held.expires_at
    listed = list(client.phone_numbers.list_reservations(account.auth_id, status="active"))
    assert [r.id for r in listed] == [held.id]
    longer = client.phone_numbers.extend_reservation(account.auth_id, held.id, 3600)
    assert longer.expires_at > held.expires_at
    cancelled = client.phone_numbers.cancel_reservation(account.auth_id, held.id)
    assert cancelled.status == "cancelled"
    assert {n.status for n in cancelled.numbers} == {"cancelled"}


def test_buy_a_reservation_and_others_are_refused(
    live: LiveServer, client: Client, account: Account, flavour: Flavour
) -> None:
    numbers = live.stock(2, setup_fee=10, monthly_fee=20)
    held = client.phone_numbers.reserve_numbers(account.auth_id, numbers)
    other = live.create_account(balance=1000)
    rival = flavour.client(other.auth_id, other.auth_token, base_url=live.url)
    with pytest.raises(ConflictError) as bought:
        rival.phone_numbers.purchase_from_inventory(other.auth_id, numbers[0])
    assert bought.value.code == "number_reserved"
    with pytest.raises(ConflictError) as taken:
        rival.phone_numbers.reserve_numbers(other.auth_id, numbers)
    assert taken.value.code == "numbers_unavailable"
    assert isinstance(taken.value.body, dict) and taken.value.body["numbers"] == sorted(numbers)
    done = client.phone_numbers.purchase_reservation(account.auth_id, held.id)
    assert done.status == "purchased"
    assert sorted(n.e164 for n in done.purchased) == sorted(numbers)
    assert done.charged == [{"currency": "INR", "amount": 60}]
