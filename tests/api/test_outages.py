"""When the database cannot be used the API answers 503 with ``Retry-After`` (never 500),
changes nothing, and an ``Idempotency-Key`` used in the failed request frees itself within
seconds, so a retry runs for real; and no token is kept in the idempotency store."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text

from didstore.clock import FixedClock
from didstore.db import database
from didstore.db.tables import idempotency_keys
from didstore.services.idempotency import IN_FLIGHT_LOCK
from tests.conftest import IN_NUMBERS, _pg_admin_url, admin_headers, make_account, stock
from tests.support import TestServices


@contextmanager
def database_unusable(state: TestServices, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SQLite: another process holds the write lock (and gives up waiting quickly); PostgreSQL:
    every connection of the test database is cut, as when the server restarts."""
    if state.db.dialect == "sqlite":
        monkeypatch.setattr(database, "SQLITE_LOCK_WAIT", 0.2)
        holder = sqlite3.connect(state.db.engine.url.database, isolation_level=None)
        holder.execute("BEGIN EXCLUSIVE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    name = state.db.engine.url.database
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS false'))
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = :db AND pid <> pg_backend_pid()"
            ),
            {"db": name},
        )
    try:
        yield
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{name}" WITH ALLOW_CONNECTIONS true'))
        admin.dispose()


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
