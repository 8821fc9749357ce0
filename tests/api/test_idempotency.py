"""Idempotency-Key on POST and DELETE: replay, mismatch (422), in flight (409), per-account
scope, 24 h expiry; and retries that carry no key never charge twice."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from didstore.clock import FixedClock
from didstore.db.tables import idempotency_keys, ledger_entries
from didstore.services.idempotency import fingerprint, should_store
from tests.conftest import IN_NUMBERS, admin_headers, balance, make_account, stock
from tests.support import TestServices, run_together, unexpected

E = IN_NUMBERS[0]


def _credit(client: TestClient, auth_id: str, amount: float, key: str | None) -> object:
    headers = admin_headers()
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(
        f"/api/v1/admin/accounts/{auth_id}/credit",
        json={"amount": amount, "currency": "INR"},
        headers=headers,
    )


def _ledger_count(state: TestServices) -> int:
    with state.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(ledger_entries)).scalar_one())


def test_same_key_same_request_replays_without_a_second_effect(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state)
    first = _credit(client, acct.auth_id, 100, "k-1")
    second = _credit(client, acct.auth_id, 100, "k-1")
    assert first.status_code == second.status_code == 201  # type: ignore[attr-defined]
    assert first.content == second.content  # type: ignore[attr-defined]
    assert second.headers["idempotent-replayed"] == "true"  # type: ignore[attr-defined]
    assert "idempotent-replayed" not in first.headers  # type: ignore[attr-defined]
    assert balance(state, acct) == 10_000
    # without the key the same call is a new credit
    _credit(client, acct.auth_id, 100, None)
    assert balance(state, acct) == 20_000


def test_same_key_different_request_is_422(state: TestServices, client: TestClient) -> None:
    acct = make_account(state)
    assert _credit(client, acct.auth_id, 100, "k-2").status_code == 201  # type: ignore[attr-defined]
    r = _credit(client, acct.auth_id, 200, "k-2")
    assert r.status_code == 422  # type: ignore[attr-defined]
    assert r.json()["error"] == "idempotency_key_reused"  # type: ignore[attr-defined]
    # another path with the same key is a different request too
    r = client.post(
        "/api/v1/admin/partners",
        json={"name": "P", "currency": "INR"},
        headers={**admin_headers(), "Idempotency-Key": "k-2"},
    )
    assert r.status_code == 422
    assert balance(state, acct) == 10_000


def test_same_key_while_first_in_flight_is_409_until_the_lock_lapses(
    state: TestServices, client: TestClient, clock: FixedClock
) -> None:
    acct = make_account(state)
    path = f"/api/v1/admin/accounts/{acct.auth_id}/credit"
    body = b'{"amount":100,"currency":"INR"}'
    service = state.idempotency
    # the first request has claimed the key and is still running
    assert (
        service.begin(
            "operator",
            "k-3",
            method="POST",
            path=path,
            fingerprint=fingerprint("POST", path, "", body),
        )
        is None
    )
    headers = {**admin_headers(), "Idempotency-Key": "k-3", "Content-Type": "application/json"}
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == 409 and r.headers["retry-after"] == "1"
    assert r.json()["error"] == "conflict_retry"  # the one conflict a client should retry
    assert balance(state, acct) == 0
    # its process died: after the in-flight lock the key is taken over and the request runs
    clock.set(clock.now() + timedelta(minutes=6))
    r = client.post(path, content=body, headers=headers)
    assert r.status_code == 201
    assert balance(state, acct) == 10_000
    assert client.post(path, content=body, headers=headers).headers["idempotent-replayed"]


def test_keys_are_scoped_per_account(state: TestServices, client: TestClient) -> None:
    a = make_account(state, balance=10_000)
    b = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2])
    for acct, e in ((a, IN_NUMBERS[0]), (b, IN_NUMBERS[1])):
        r = client.post(
            f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
            json={"e164": e},
            headers={**acct.headers, "Idempotency-Key": "same-key"},
        )
        assert r.status_code == 200, r.text
        assert "idempotent-replayed" not in r.headers
    assert balance(state, a) == balance(state, b) == 1_000_000 - 40_000


def test_keys_expire_after_24_hours(
    state: TestServices, client: TestClient, clock: FixedClock
) -> None:
    acct = make_account(state)
    _credit(client, acct.auth_id, 100, "k-4")
    clock.set(clock.now() + timedelta(hours=23, minutes=59))
    assert _credit(client, acct.auth_id, 100, "k-4").headers.get("idempotent-replayed")  # type: ignore[attr-defined]
    assert state.jobs.run("lifecycle", clock.now()).idempotency_keys_expired == 0
    clock.set(clock.now() + timedelta(minutes=1))
    assert state.jobs.run("lifecycle", clock.now()).idempotency_keys_expired == 1
    with state.db.read() as conn:
        assert conn.execute(select(func.count()).select_from(idempotency_keys)).scalar_one() == 0
    r = _credit(client, acct.auth_id, 100, "k-4")
    assert "idempotent-replayed" not in r.headers  # type: ignore[attr-defined]
    assert balance(state, acct) == 20_000


def test_delete_with_key_replays_release_and_charges_the_fee_once(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=1_000, release_fee=10)
    stock(state, [E])
    client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": E},
        headers=acct.headers,
    )
    before = balance(state, acct)
    url = f"/api/v1/Account/{acct.auth_id}/numbers/{E}"
    h = {**acct.headers, "Idempotency-Key": "rel-1"}
    first = client.delete(url, headers=h)
    second = client.delete(url, headers=h)
    assert first.status_code == second.status_code == 200
    assert first.content == second.content
    assert balance(state, acct) == before - 1_000
    # a retry without a key is refused (already pending release) and charges nothing
    third = client.delete(url, headers=acct.headers)
    assert third.status_code == 400
    assert balance(state, acct) == before - 1_000
    # the same key on another query string is another request
    assert client.delete(url + "?immediate=true", headers=h).status_code == 422


def test_purchase_retried_without_key_is_not_charged_twice(
    state: TestServices, client: TestClient
) -> None:
    acct = make_account(state, balance=1_000)
    stock(state, [E])
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    first = client.post(url, json={"e164": E}, headers=acct.headers)
    count = _ledger_count(state)
    second = client.post(url, json={"e164": E}, headers=acct.headers)
    assert first.status_code == second.status_code == 200
    assert first.json()["number"] == second.json()["number"]
    assert _ledger_count(state) == count
    assert balance(state, acct) == 100_000 - 40_000


def test_failures_are_stored_or_freed_by_kind(state: TestServices, client: TestClient) -> None:
    acct = make_account(state, balance=1)  # cannot afford the number
    stock(state, [E])
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    h = {**acct.headers, "Idempotency-Key": "buy-1"}
    first = client.post(url, json={"e164": E}, headers=h)
    assert first.status_code == 402
    replay = client.post(url, json={"e164": E}, headers=h)  # a final answer is replayed
    assert replay.status_code == 402 and replay.headers["idempotent-replayed"] == "true"
    assert should_store(201) and should_store(404) and should_store(402)
    assert not should_store(500) and not should_store(409) and not should_store(429)


def test_bad_keys_and_unauthenticated_requests(state: TestServices, client: TestClient) -> None:
    acct = make_account(state)
    r = _credit(client, acct.auth_id, 100, "x" * 256)
    assert r.status_code == 400  # type: ignore[attr-defined]
    assert "Idempotency-Key" in r.json()["message"]  # type: ignore[attr-defined]
    r = client.post(
        f"/api/v1/admin/accounts/{acct.auth_id}/credit",
        json={"amount": 1, "currency": "INR"},
        headers={"Idempotency-Key": "k-5"},
    )
    assert r.status_code == 401
    assert balance(state, acct) == 0


def test_two_requests_racing_on_one_key_run_once(racers: list[TestServices]) -> None:
    from didstore.domain.errors import Conflict

    def claim(racer: TestServices) -> str:
        service = racer.idempotency
        result = service.begin("MA_RACE", "race", method="POST", path="/x", fingerprint="f")
        return "run" if result is None else "replay"

    out = run_together(racers, [claim] * 4)
    assert unexpected(out, Conflict) == []
    assert sorted(out.results + ["409"] * len(out.errors)) == ["409", "409", "409", "run"]
