"""When the database cannot be used the API answers 503 with ``Retry-After`` (never 500),
changes nothing, and an ``Idempotency-Key`` used in the failed request frees itself within
seconds, so a retry runs for real; and no token is kept in the idempotency store."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from didstore.clock import FixedClock
from didstore.db.tables import idempotency_keys
from didstore.services.idempotency import IN_FLIGHT_LOCK
from tests.conftest import (
    IN_NUMBERS,
    admin_headers,
    database_unusable,
    make_account,
    stock,
)
from tests.support import TestServices


def test_a_purchase_during_an_outage_is_503_and_its_key_frees_itself(
    client: TestClient, state: TestServices, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    url = f"/api/v1/Account/{buyer.auth_id}/numbers/purchase-from-inventory"
    assert client.get(f"/api/v1/Account/{buyer.auth_id}/numbers", headers=buyer.headers).is_success
    headers = {**buyer.headers, "Idempotency-Key": "outage-1"}
    with database_unusable(state, monkeypatch):
        r = client.post(url, json={"e164": IN_NUMBERS[0]}, headers=headers)
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "service_unavailable" and r.headers["retry-after"] == "2"
    # the key was claimed or not; either way, within the in-flight lock it runs again
    clock.set(clock.now() + IN_FLIGHT_LOCK + timedelta(seconds=1))
    for _ in range(3):  # a pool may hand out a connection the outage closed once
        r = client.post(url, json={"e164": IN_NUMBERS[0]}, headers=headers)
        if r.status_code != 503:
            break
    assert r.status_code == 200, r.text
    assert r.json()["number"]["account_id"] == buyer.auth_id


def test_no_token_is_kept_in_the_idempotency_store(client: TestClient, state: TestServices) -> None:
    headers = {**admin_headers(), "Idempotency-Key": "create-1"}
    body = {"name": "Acme", "currency": "INR"}
    first = client.post("/api/v1/admin/accounts", json=body, headers=headers)
    assert first.status_code == 201
    token = first.json()["auth_token"]
    with state.db.read() as conn:
        stored = conn.execute(select(idempotency_keys.c.response_body)).scalars().all()
    assert stored and all(token.encode() not in bytes(b) for b in stored)
    replay = client.post("/api/v1/admin/accounts", json=body, headers=headers)
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json()["auth_id"] == first.json()["auth_id"]
    assert replay.json()["auth_token"] == ""  # shown once: a lost token is rotated, not replayed
