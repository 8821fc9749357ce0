"""Retries: connection errors, 429 (Retry-After) and 5xx are retried; every write is retried
under one Idempotency-Key, so a purchase whose answer was lost is charged once."""

from __future__ import annotations

import time

import httpx
import pytest

from didstore.client import APIConnectionError, Client, RateLimitError, ServerError
from didstore.client.errors import CoolOffError, from_response
from tests.live_server import Account, LiveServer
from tests.sdk.transports import DropFirstResponse


def test_dropped_purchase_response_is_retried_and_charged_once(
    live: LiveServer, account: Account
) -> None:
    number = live.stock(1, setup_fee=100, monthly_fee=300)[0]
    transport = DropFirstResponse()
    with Client(
        account.auth_id,
        account.auth_token,
        base_url=live.url,
        http_client=httpx.Client(transport=transport),
    ) as client:
        client._settings.backoff_base = 0.01
        result = client.phone_numbers.purchase_from_inventory(account.auth_id, number)
        assert result.number is not None and result.number.e164 == number
        # the server really received two purchase requests, with the same key
        assert transport.dropped == 1 and len(transport.seen) == 2
        keys = {r.headers["Idempotency-Key"] for r in transport.seen}
        assert len(keys) == 1 and next(iter(keys))
        assert client.balance.get_balance(account.auth_id, "INR").balance == 10000 - 400
        purchases = list(client.transactions.list(account.auth_id, reference_type="did_purchase"))
        assert len(purchases) == 1 and purchases[0].amount == 400


def test_without_retries_the_dropped_answer_surfaces(live: LiveServer, account: Account) -> None:
    number = live.stock(1)[0]
    with Client(
        account.auth_id,
        account.auth_token,
        base_url=live.url,
        max_retries=0,
        http_client=httpx.Client(transport=DropFirstResponse()),
    ) as client:
        with pytest.raises(APIConnectionError):
            client.phone_numbers.purchase_from_inventory(account.auth_id, number)
        # the purchase did happen server-side: this is what the retry protects against
        assert client.phone_numbers.get_number(account.auth_id, number).e164 == number


def test_each_call_gets_its_own_idempotency_key_and_reads_get_none(
    live: LiveServer, account: Account
) -> None:
    seen: list[httpx.Request] = []
    http = httpx.Client(event_hooks={"request": [seen.append]})
    with Client(account.auth_id, account.auth_token, base_url=live.url, http_client=http) as c:
        a, b = live.stock(2)
        c.phone_numbers.purchase_from_inventory(account.auth_id, a)
        c.phone_numbers.purchase_from_inventory(account.auth_id, b)
        c.balance.get_balance(account.auth_id, "INR")
    posts = [r for r in seen if r.method == "POST"]
    assert len({r.headers["Idempotency-Key"] for r in posts}) == 2
    assert "Idempotency-Key" not in seen[-1].headers


def _scripted(*responses: httpx.Response) -> tuple[httpx.Client, list[httpx.Request]]:
    seen: list[httpx.Request] = []
    queue = list(responses)

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return queue.pop(0)

    return httpx.Client(transport=httpx.MockTransport(handler)), seen


def test_429_honours_retry_after_then_succeeds() -> None:
    http, seen = _scripted(
        httpx.Response(429, headers={"Retry-After": "1"}, json={"error": "rate_limited"}),
        httpx.Response(200, json={"id": "b", "currency": "INR", "balance": 5}),
    )
    client = Client("MA_X", "t", base_url="http://didstore.test", http_client=http)
    started = time.monotonic()
    assert client.balance.get_balance("MA_X", "INR").balance == 5
    assert time.monotonic() - started >= 0.95 and len(seen) == 2


def test_5xx_is_retried_max_retries_times_then_raised() -> None:
    http, seen = _scripted(*[httpx.Response(503, json={"error": "unavailable"})] * 3)
    client = Client("MA_X", "t", base_url="http://didstore.test", max_retries=2, http_client=http)
    client._settings.backoff_base = 0.01
    with pytest.raises(ServerError) as caught:
        client.phone_numbers.purchase_from_inventory("MA_X", "+918041000000")
    assert caught.value.status == 503 and len(seen) == 3
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 1


def test_429_without_retries_left_is_a_rate_limit_error() -> None:
    http, _ = _scripted(httpx.Response(429, headers={"Retry-After": "0"}, json={}))
    client = Client("MA_X", "t", base_url="http://didstore.test", max_retries=0, http_client=http)
    with pytest.raises(RateLimitError):
        client.balance.get_balance("MA_X", "INR")


def test_4xx_is_never_retried() -> None:
    http, seen = _scripted(httpx.Response(400, json={"error": "invalid_request", "message": "x"}))
    client = Client("MA_X", "t", base_url="http://didstore.test", http_client=http)
    with pytest.raises(Exception, match="invalid_request"):
        client.balance.get_balance("MA_X", "INR")
    assert len(seen) == 1


def test_unreachable_server_raises_connection_error_after_retries() -> None:
    client = Client("MA_X", "t", base_url="http://127.0.0.1:9", max_retries=2)
    client._settings.backoff_base = 0.01
    with pytest.raises(APIConnectionError):
        client.balance.get_balance("MA_X", "INR")


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
