"""Retries, in both flavours: connection errors, 408, 429 (Retry-After), 5xx and a 409 marked
``conflict_retry`` with ``Retry-After`` are retried; every other 4xx, and every other 409, is
raised at once. Every write is retried under one Idempotency-Key, so a purchase whose answer
was lost is charged once (proved against the real server)."""

from __future__ import annotations

import time

import httpx
import pytest

from didstore.client import (
    APIConnectionError,
    ConflictError,
    CoolOffError,
    RateLimitError,
    ServerError,
)
from didstore.client.errors import from_response
from tests.live_server import Account, LiveServer
from tests.sdk.flavours import Flavour
from tests.sdk.transports import DropFirstResponse, Recording, scripted

BALANCE = {"id": "b", "currency": "INR", "balance": 5}


def test_dropped_purchase_response_is_retried_and_charged_once(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    number = live.stock(1, setup_fee=100, monthly_fee=300)[0]
    transport = DropFirstResponse()
    client = flavour.client(
        account.auth_id, account.auth_token, base_url=live.url, transport=transport
    )
    result = client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    assert result.number is not None and result.number.e164 == number
    # the server really received two purchase requests, with the same key
    assert transport.dropped == 1 and len(transport.seen) == 2
    keys = {r.headers["Idempotency-Key"] for r in transport.seen}
    assert len(keys) == 1 and next(iter(keys))
    assert client.balance.get_balance(account.auth_id, "INR").balance == 10000 - 400
    purchases = list(client.transactions.list(account.auth_id, reference_type="did_purchase"))
    assert len(purchases) == 1 and purchases[0].amount == 400


def test_without_retries_the_dropped_answer_surfaces(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    number = live.stock(1)[0]
    client = flavour.client(
        account.auth_id,
        account.auth_token,
        base_url=live.url,
        max_retries=0,
        transport=DropFirstResponse(),
    )
    with pytest.raises(APIConnectionError):
        client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    # the purchase did happen server-side: this is what the retry protects against
    assert client.phone_numbers.get_number(account.auth_id, number).e164 == number


def test_each_call_gets_its_own_idempotency_key_and_reads_get_none(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    recording = Recording()
    c = flavour.client(account.auth_id, account.auth_token, base_url=live.url, transport=recording)
    a, b = live.stock(2)
    c.phone_numbers.purchase_from_inventory(account.auth_id, a)
    c.phone_numbers.purchase_from_inventory(account.auth_id, b)
    c.balance.get_balance(account.auth_id, "INR")
    posts = [r for r in recording.requests if r.method == "POST"]
    assert len({r.headers["Idempotency-Key"] for r in posts}) == 2
    assert "Idempotency-Key" not in recording.requests[-1].headers


def test_a_final_409_from_the_server_is_not_retried(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    """The server's "in use" 409 (a final conflict) is raised after exactly one request,
    whatever headers it carries."""
    recording = Recording()
    c = flavour.client(account.auth_id, account.auth_token, base_url=live.url, transport=recording)
    trunk = c.trunks.create(account.auth_id, "busy")
    number = live.stock(1)[0]
    c.phone_numbers.purchase_from_inventory(account.auth_id, number)
    c.phone_numbers.assign_number_to_trunk(account.auth_id, number, trunk.trunk_id)
    recording.requests.clear()
    with pytest.raises(ConflictError) as caught:
        c.trunks.delete(account.auth_id, trunk.trunk_id)
    assert caught.value.status == 409 and caught.value.code != "conflict_retry"
    assert [r.method for r in recording.requests] == ["DELETE"]


def test_429_honours_retry_after_then_succeeds(flavour: Flavour) -> None:
    transport, seen = scripted(
        httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "rate_limited"}),
        httpx.Response(200, json=BALANCE),
    )
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    started = time.monotonic()
    assert client.balance.get_balance("MA_X", "INR").balance == 5
    assert time.monotonic() - started >= 0.95 and len(seen) == 2


def test_5xx_is_retried_max_retries_times_then_raised(flavour: Flavour) -> None:
    transport, seen = scripted(*[httpx.Response(503, json={"error": "unavailable"})] * 3)
    client = flavour.client(
        "MA_X", "t", base_url="http://didstore.test", max_retries=2, transport=transport
    )
    with pytest.raises(ServerError) as caught:
        client.phone_numbers.purchase_from_inventory("MA_X", "+918041000000")
    assert caught.value.status == 503 and len(seen) == 3
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 1


def test_408_is_retried(flavour: Flavour) -> None:
    transport, seen = scripted(httpx.Response(408), httpx.Response(200, json=BALANCE))
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    assert client.balance.get_balance("MA_X", "INR").balance == 5 and len(seen) == 2


def test_429_without_retries_left_is_a_rate_limit_error(flavour: Flavour) -> None:
    transport, _ = scripted(httpx.Response(429, headers={"Retry-After": "0"}, json={}))
    client = flavour.client(
        "MA_X", "t", base_url="http://didstore.test", max_retries=0, transport=transport
    )
    with pytest.raises(RateLimitError):
        client.balance.get_balance("MA_X", "INR")


def test_4xx_is_never_retried(flavour: Flavour) -> None:
    transport, seen = scripted(
        httpx.Response(400, json={"error": "invalid_request", "message": "x"})
    )
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    with pytest.raises(Exception, match="invalid_request"):
        client.balance.get_balance("MA_X", "INR")
    assert len(seen) == 1


def test_conflict_retry_with_retry_after_is_retried_under_one_key(flavour: Flavour) -> None:
    """A 409 ``conflict_retry`` with ``Retry-After`` (a concurrent change, a key in flight)
    is retried after the time the server asked for, with the same Idempotency-Key."""
    busy = {"error": "conflict_retry", "message": "a concurrent change; retry"}
    transport, seen = scripted(
        httpx.Response(409, headers={"Retry-After": "1"}, json=busy),
        httpx.Response(200, json={"message": "ok", "number": {"e164": "+918041000000"}}),
    )
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    started = time.monotonic()
    bought = client.phone_numbers.purchase_from_inventory("MA_X", "+918041000000")
    assert bought.number is not None and bought.number.e164 == "+918041000000"
    assert time.monotonic() - started >= 0.95
    assert len(seen) == 2 and len({r.headers["Idempotency-Key"] for r in seen}) == 1


def test_conflict_retry_is_raised_once_retries_run_out(flavour: Flavour) -> None:
    busy = httpx.Response(409, headers={"Retry-After": "0"}, json={"error": "conflict_retry"})
    transport, seen = scripted(busy, busy, busy)
    client = flavour.client(
        "MA_X", "t", base_url="http://didstore.test", max_retries=2, transport=transport
    )
    with pytest.raises(ConflictError) as caught:
        client.trunks.delete("MA_X", "T1")
    assert caught.value.code == "conflict_retry" and len(seen) == 3


FINAL_409S: dict[str, tuple[dict[str, str], dict[str, object] | str]] = {
    # the code without Retry-After: the server did not ask for a retry
    "code-only": ({}, {"error": "conflict_retry"}),
    # Retry-After on a final conflict (today's server sends it on every 409)
    "cool-off": (
        {"Retry-After": "1"},
        {"error": "did_cool_off_in_effect", "cool_off_until": "2026-06-09T10:00:00Z"},
    ),
    "in-use": ({"Retry-After": "1"}, {"error": "Cannot delete application"}),
    "not-json": ({"Retry-After": "1"}, "conflict_retry"),
}


@pytest.mark.parametrize("case", FINAL_409S)
def test_every_other_409_is_final(flavour: Flavour, case: str) -> None:
    headers, body = FINAL_409S[case]
    if isinstance(body, str):
        response = httpx.Response(409, headers=headers, text=body)
    else:
        response = httpx.Response(409, headers=headers, json=body)
    transport, seen = scripted(response, httpx.Response(200, json={}))
    client = flavour.client("MA_X", "t", base_url="http://didstore.test", transport=transport)
    with pytest.raises(ConflictError):
        client.trunks.delete("MA_X", "T1")
    assert len(seen) == 1


def test_unreachable_server_raises_connection_error_after_retries(flavour: Flavour) -> None:
    recording = Recording()
    client = flavour.client(
        "MA_X", "t", base_url="http://127.0.0.1:9", max_retries=2, transport=recording
    )
    with pytest.raises(APIConnectionError):
        client.balance.get_balance("MA_X", "INR")
    assert len(recording.requests) == 3


def test_cool_off_conflict_exposes_until_and_remaining() -> None:
    response = httpx.Response(
        409,
        json={
            "error": "did_cool_off_in_effect",
            "cool_off_until": "2026-06-09T10:00:00Z",
            "cool_off_remaining_seconds": 1209600,
        },
    )
    error = from_response(response)
    assert isinstance(error, CoolOffError) and error.status == 409
    assert error.cool_off_remaining_seconds == 1209600
    assert error.cool_off_until is not None and error.cool_off_until.day == 9


def test_nested_and_error_only_envelopes_are_read() -> None:
    nested = from_response(httpx.Response(401, json={"error": {"code": 401, "message": "Bad"}}))
    assert nested.code == "unauthorized" and nested.message == "Bad"
    only = from_response(httpx.Response(400, json={"error": "number is not pending release"}))
    assert only.code == "bad_request" and only.message == "number is not pending release"
    text = from_response(httpx.Response(502, text="<html>bad gateway</html>"))
    assert text.code == "server_error" and "bad gateway" in text.message
