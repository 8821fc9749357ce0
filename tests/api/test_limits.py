"""Limits (issue 14 item 2, ADR 0015): rate limits, failed-authentication lock-out, body cap,
statement timeout, on both databases. The HTTP-protocol limits (header size, slow clients)
need a real socket: tests/e2e/test_limits_live.py."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from didstore.api.app import create_app
from didstore.clock import FixedClock
from didstore.config import Settings
from didstore.db import errors as db_errors
from didstore.db.database import open_database
from didstore.services.rate_limits import MemoryCounters, PgCounters
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    database_unusable,
    make_account,
    stock,
)
from tests.support import SyncDatabase, TestServices, run_together

MakeClient = Callable[..., TestClient]


@pytest.fixture
def make_client(db: SyncDatabase, clock: FixedClock, settings: Settings) -> Iterator[MakeClient]:
    """A client on an app with these limits (``Settings`` fields); each call builds its own
    services, as a separate server process would."""
    clients: list[TestClient] = []

    def make(**limits: Any) -> TestClient:
        app = create_app(dataclasses.replace(settings, **limits), clock)
        client = TestClient(app, raise_server_exceptions=False)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def _numbers(client: TestClient, acct: AccountHandle, token: str | None = None) -> Any:
    headers = {"X-Auth-ID": acct.auth_id, "X-Auth-Token": token or acct.token}
    return client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=headers)


def test_over_the_rate_limit_is_429_with_retry_after_until_the_window_slides(
    make_client: MakeClient, state: TestServices, clock: FixedClock
) -> None:
    client = make_client(rate_limit=5)
    acct, other = make_account(state), make_account(state)
    answers = [_numbers(client, acct) for _ in range(5)]
    assert [r.status_code for r in answers] == [200] * 5
    assert [r.headers["RateLimit-Remaining"] for r in answers] == ["4", "3", "2", "1", "0"]
    assert {r.headers["RateLimit-Limit"] for r in answers} == {"5"}

    refused = _numbers(client, acct)
    assert refused.status_code == 429
    body = refused.json()
    wait = int(refused.headers["Retry-After"])
    assert body == {"error": "rate_limited", "message": body["message"], "retry_after": wait}
    assert 1 <= wait <= 120
    assert refused.headers["RateLimit-Remaining"] == "0"
    assert refused.headers["x-request-id"]
    # another credential has its own allowance
    assert _numbers(client, other).status_code == 200

    clock.set(clock.now() + timedelta(seconds=wait - 1))
    assert _numbers(client, acct).status_code == 429
    clock.set(clock.now() + timedelta(seconds=2))
    assert _numbers(client, acct).status_code == 200


def test_a_sliding_window_does_not_double_the_limit_at_a_minute_boundary(
    make_client: MakeClient, state: TestServices, clock: FixedClock
) -> None:
    client = make_client(rate_limit=10)
    acct = make_account(state)
    start = clock.now().timestamp()
    clock.set(clock.now() + timedelta(seconds=59 - start % 60))  # 1 s before the boundary
    assert [_numbers(client, acct).status_code for _ in range(10)] == [200] * 10
    clock.set(clock.now() + timedelta(seconds=2))  # just after it
    # a fixed window would allow 10 more now; the last minute already holds ~10
    assert _numbers(client, acct).status_code == 429


def test_requests_without_a_credential_are_limited_per_address(
    make_client: MakeClient, state: TestServices
) -> None:
    client = make_client(ip_rate_limit=3, rate_limit=100)
    acct = make_account(state)
    statuses = [client.get(f"/api/v1/Account/{acct.auth_id}/numbers").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    # health checks are never limited; a credential has its own allowance
    assert client.get("/healthz").status_code == 200
    assert _numbers(client, acct).status_code == 200


def test_500_wrong_tokens_lock_the_auth_id_out_until_the_window_ends(
    make_client: MakeClient, state: TestServices, clock: FixedClock
) -> None:
    client = make_client(auth_fail_limit=10, auth_fail_window=300, ip_auth_fail_limit=0)
    acct, bystander = make_account(state), make_account(state)
    statuses = [_numbers(client, acct, token=f"wrong-{i}").status_code for i in range(500)]
    assert statuses[:10] == [401] * 10
    assert set(statuses[10:]) == {429}

    # the real token gets the very same answer while the lock-out lasts
    wrong = _numbers(client, acct, token="wrong-again")
    real = _numbers(client, acct)
    assert real.status_code == wrong.status_code == 429
    assert real.json()["error"] == "rate_limited"
    assert real.json() == wrong.json()
    assert real.headers["Retry-After"] == wrong.headers["Retry-After"]
    # an auth_id that does not exist locks out the same way, with the same answer
    ghost = AccountHandle("MA_DOESNOTEXIST0000", "x")
    ghosts = [_numbers(client, ghost).status_code for _ in range(11)]
    assert ghosts == [401] * 10 + [429]
    assert _numbers(client, ghost).json() == real.json()
    # other accounts are not affected
    assert _numbers(client, bystander).status_code == 200

    clock.set(clock.now() + timedelta(seconds=int(real.headers["Retry-After"])))
    assert _numbers(client, acct).status_code == 200


def test_wrong_credentials_from_one_address_lock_that_address_out(
    make_client: MakeClient, state: TestServices, clock: FixedClock
) -> None:
    client = make_client(auth_fail_limit=0, ip_auth_fail_limit=5, auth_fail_window=60)
    acct = make_account(state)
    for i in range(5):  # a different auth_id each time: only the address links them
        guess = AccountHandle(f"MA_GUESS{i:011d}", "nope")
        assert _numbers(client, guess).status_code == 401
    locked = _numbers(client, acct)
    assert locked.status_code == 429
    bearer = client.get("/api/v1/admin/audit", headers={"Authorization": "Bearer wrong"})
    assert bearer.status_code == 429
    clock.set(clock.now() + timedelta(seconds=int(locked.headers["Retry-After"])))
    assert _numbers(client, acct).status_code == 200


def test_basic_and_bearer_credentials_are_limited_too(
    make_client: MakeClient, state: TestServices
) -> None:
    client = make_client(rate_limit=2)
    acct = make_account(state)
    basic = (acct.auth_id, acct.token)
    url = f"/api/v1/Account/{acct.auth_id}/numbers"
    assert [client.get(url, auth=basic).status_code for _ in range(3)] == [200, 200, 429]
    # X-Auth headers name the same auth_id: the same allowance
    assert _numbers(client, acct).status_code == 429
    operator = admin_headers()
    codes = [client.get("/api/v1/admin/audit", headers=operator).status_code for _ in range(3)]
    assert codes[:2] == [200, 200] and codes[2] == 429


def test_a_long_auth_id_is_counted_not_let_through(
    make_client: MakeClient, state: TestServices
) -> None:
    """An ``auth_id`` longer than any real one is counted by its hash (a key the counters'
    table can hold), not let through unlimited."""
    client = make_client(rate_limit=2, auth_fail_limit=0, ip_auth_fail_limit=0)
    ghost = AccountHandle("MA_" + "X" * 1000, "nope")
    assert [_numbers(client, ghost).status_code for _ in range(3)] == [401, 401, 429]


def test_a_flood_of_distinct_keys_does_not_grow_memory_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from didstore.services import rate_limits

    monkeypatch.setattr(rate_limits, "MEMORY_KEYS", 50)
    counters = MemoryCounters()
    now = 1_800_000_000.0

    async def flood() -> None:
        await counters.fail(("f:id:MA_LOCKED",), now)
        for i in range(500):
            await counters.hit(f"r:c:MA_{i}", ("f:id:MA_LOCKED", ""), now)
        hit = await counters.hit("r:c:MA_LAST", ("f:id:MA_LOCKED", ""), now)
        assert hit.failures == (1, 0)  # failures are kept apart from the flooded rate keys
        # each key once more, in the same window: a key still counted answers 2 hits; with
        # all 500 kept (unbounded memory) every one would
        remembered = 0
        for i in range(500):
            again = await counters.hit(f"r:c:MA_{i}", ("", ""), now)
            remembered += again.hits == 2
        assert remembered <= 50

    asyncio.run(flood())


def test_limits_set_to_zero_are_off(make_client: MakeClient, state: TestServices) -> None:
    client = make_client(rate_limit=0, ip_rate_limit=0, auth_fail_limit=0, ip_auth_fail_limit=0)
    acct = make_account(state)
    assert {_numbers(client, acct, token="bad").status_code for _ in range(30)} == {401}
    response = _numbers(client, acct)
    assert response.status_code == 200
    assert "RateLimit-Limit" not in response.headers


def test_the_limit_is_shared_by_server_processes(
    make_client: MakeClient, state: TestServices
) -> None:
    """Two apps with their own services (as two ``--workers``) count together on PostgreSQL
    (exactly, with ``rate_limit_sync=0``); on SQLite (one server process) each process counts
    its own."""
    first = make_client(rate_limit=6, rate_limit_sync=0)
    second = make_client(rate_limit=6, rate_limit_sync=0)
    acct = make_account(state)
    assert [_numbers(first, acct).status_code for _ in range(3)] == [200] * 3
    assert [_numbers(second, acct).status_code for _ in range(3)] == [200] * 3
    seventh = _numbers(second, acct).status_code
    if state.db.dialect == "postgresql":
        assert seventh == 429
        assert _numbers(first, acct).status_code == 429
    else:
        assert seventh == 200


def test_with_a_sync_interval_a_process_sends_its_counts_at_most_that_late(
    make_client: MakeClient, state: TestServices
) -> None:
    if state.db.dialect != "postgresql":
        pytest.skip("SQLite runs one server process; its counters are in memory")
    first = make_client(rate_limit=10, rate_limit_sync=0.3)
    second = make_client(rate_limit=10, rate_limit_sync=0.3)
    acct = make_account(state)
    # the first process counts its own requests exactly, the database once
    assert [_numbers(first, acct).headers["RateLimit-Remaining"] for _ in range(5)] == [
        "9", "8", "7", "6", "5"
    ]  # fmt: skip
    with state.db.read() as conn:
        query = text("SELECT hits FROM rate_limits WHERE key = :k")
        assert conn.execute(query, {"k": f"r:c:{acct.auth_id}"}).scalar() == 1
    time.sleep(0.35)
    # past the interval, its next request sends the four counted locally
    assert _numbers(first, acct).headers["RateLimit-Remaining"] == "4"
    # and the second process, reading the key for the first time, sees all six
    assert _numbers(second, acct).headers["RateLimit-Remaining"] == "3"


def test_lockouts_are_shared_by_server_processes_on_postgresql(
    make_client: MakeClient, state: TestServices
) -> None:
    if state.db.dialect != "postgresql":
        pytest.skip("SQLite runs one server process; its counters are in memory")
    first = make_client(auth_fail_limit=3, ip_auth_fail_limit=0)
    second = make_client(auth_fail_limit=3, ip_auth_fail_limit=0)
    acct = make_account(state)
    assert [_numbers(first, acct, token="bad").status_code for _ in range(3)] == [401] * 3
    assert _numbers(second, acct).status_code == 429


def test_concurrent_hits_are_all_counted(racers: list[TestServices]) -> None:
    """Four service stacks (own loop, own connections) hit one key at once: the UPSERT loses
    no count on PostgreSQL; on SQLite one process's counters see every hit."""
    now = 1_800_000_000.0
    per_stack = 25
    if racers[0].db.dialect == "sqlite":
        counters = MemoryCounters()

        async def burst() -> list[int]:
            hits = await asyncio.gather(
                *(counters.hit("r:c:MA_RACE", ("", ""), now) for _ in range(100))
            )
            return [h.hits for h in hits]

        assert sorted(asyncio.run(burst())) == list(range(1, 101))
        return

    def run(stack: TestServices) -> list[int]:
        async def burst() -> list[int]:
            counters = PgCounters(stack.services.db, sync=0)
            hits = [await counters.hit("r:c:MA_RACE", ("", ""), now) for _ in range(per_stack)]
            return [h.hits for h in hits]

        return stack.run(burst())

    out = run_together(racers, [run] * len(racers))
    assert out.errors == []
    seen = [hits for got in out.results for hits in got]
    # every hit got its own count: none lost, none seen twice
    assert sorted(seen) == list(range(1, 4 * per_stack + 1))


def test_concurrent_hits_with_a_sync_interval_are_all_sent(racers: list[TestServices]) -> None:
    """Four processes, each with 25 concurrent requests counted locally between updates: once
    each has sent what it holds, the shared count is every request, none lost or sent
    twice."""
    if racers[0].db.dialect != "postgresql":
        pytest.skip("SQLite runs one server process; its counters are in memory")
    now = 1_800_000_000.0

    def run(stack: TestServices) -> None:
        async def later(counters: PgCounters, delay: float) -> None:
            await asyncio.sleep(delay)
            await counters.hit("r:c:MA_SYNC", ("", ""), now)

        async def burst() -> None:
            counters = PgCounters(stack.services.db, sync=0.05)
            # spread over four intervals: some go to the database while others count locally
            await asyncio.gather(*(later(counters, i * 0.008) for i in range(25)))
            await asyncio.sleep(0.06)
            await counters.hit("r:c:MA_SYNC", ("", ""), now)  # sends what it counted

        stack.run(burst())

    assert run_together(racers, [run] * len(racers)).errors == []
    with racers[0].db.read() as conn:
        query = text("SELECT hits FROM rate_limits WHERE key = 'r:c:MA_SYNC'")
        assert conn.execute(query).scalar() == 4 * 26


def test_concurrent_requests_wait_for_one_update_not_each_their_own(database_url: str) -> None:
    """When a key's interval has passed, one request goes to the database and the requests
    arriving meanwhile count locally (a flood costs one statement per interval)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("SQLite runs one server process; its counters are in memory")
    now = 1_800_000_000.0
    keys = ("f:id:MA_BURST", "f:ip:192.0.2.1")

    async def run() -> int:
        db = open_database(database_url)
        await db.open()
        try:
            counters = PgCounters(db, sync=0.2)
            await counters.hit("r:c:MA_BURST", keys, now)
            await asyncio.sleep(0.25)
            hits = await asyncio.gather(
                *(counters.hit("r:c:MA_BURST", keys, now) for _ in range(50))
            )
            assert max(h.hits for h in hits) == 51  # this process's own view is exact
            async with db.read() as conn:
                query = text("SELECT hits FROM rate_limits WHERE key = 'r:c:MA_BURST'")
                return int((await conn.execute(query)).scalar())
        finally:
            await db.close()

    assert asyncio.run(run()) == 2  # the first hit, then one update for the 50


def test_when_the_counters_are_unreachable_requests_go_through_to_their_503(
    make_client: MakeClient, state: TestServices, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail open: with the database down the limiter does not count (nor hold requests up);
    the route answers its own 503 with Retry-After."""
    if state.db.dialect != "postgresql":
        pytest.skip("SQLite's counters are in memory: they cannot be unreachable")
    client = make_client(rate_limit=3, rate_limit_sync=0, statement_timeout=3)
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    assert _numbers(client, acct).status_code == 200
    with database_unusable(state, monkeypatch):
        started = time.monotonic()
        answers = [client.post(url, json={"e164": IN_NUMBERS[0]}, headers=acct.headers)
                   for _ in range(4)]  # fmt: skip
        took = time.monotonic() - started
    assert [r.status_code for r in answers] == [503] * 4  # never 429, never 500
    assert {r.headers["Retry-After"] for r in answers} == {"2"}
    assert took < 20


# -- body cap -------------------------------------------------------------------------------
def test_a_body_over_the_cap_is_413_before_it_is_read(
    make_client: MakeClient, state: TestServices
) -> None:
    client = make_client(max_body_bytes=1000, max_import_bytes=5000)
    acct = make_account(state, balance=1000)
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    big = b'{"e164": "' + b"1" * 2000 + b'"}'
    r = client.post(url, content=big, headers={**acct.headers, "content-type": "application/json"})
    assert r.status_code == 413
    assert r.json() == {
        "error": "payload_too_large",
        "message": "request body larger than 1000 bytes",
        "max_bytes": 1000,
    }
    assert r.headers["connection"] == "close"

    # the inventory import takes more, up to its own cap
    rows = [
        {"e164": n, "region": "Karnataka", "setup_fee": 1, "monthly_fee": 1, "currency": "INR"}
        for n in IN_NUMBERS[:20]
    ]
    small = client.post("/api/v1/admin/inventory", json={"numbers": rows}, headers=admin_headers())
    assert small.status_code == 200, small.text
    assert small.json()["created"] == 20
    huge = {"numbers": rows * 20}
    too_big = client.post("/api/v1/admin/inventory", json=huge, headers=admin_headers())
    assert too_big.status_code == 413
    assert too_big.json()["max_bytes"] == 5000


# -- statement timeout ----------------------------------------------------------------------
def test_a_request_blocked_on_a_held_lock_answers_503_with_retry_after(
    make_client: MakeClient, state: TestServices
) -> None:
    client = make_client(statement_timeout=0.5)
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:1])
    url = f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory"
    with _lock_held(state):
        r = client.post(url, json={"e164": IN_NUMBERS[0]}, headers=acct.headers)
    assert r.status_code == 503, r.text
    assert r.json()["error"] == "service_unavailable"
    assert r.headers["Retry-After"] == "2"
    # once the lock is gone the same request goes through
    ok = client.post(url, json={"e164": IN_NUMBERS[0]}, headers=acct.headers)
    assert ok.status_code == 200, ok.text


class _lock_held:
    """Another connection holds the lock the purchase needs: SQLite's write lock, or on
    PostgreSQL the number's row lock."""

    def __init__(self, state: TestServices) -> None:
        self.state = state
        self.release: Callable[[], None] = lambda: None

    def __enter__(self) -> None:
        if self.state.db.dialect == "sqlite":
            path = self.state.db.engine.url.database
            assert path
            holder = sqlite3.connect(path, isolation_level=None)
            holder.execute("BEGIN IMMEDIATE")

            def release() -> None:
                holder.execute("ROLLBACK")
                holder.close()

        else:
            engine = create_engine(self.state.db.engine.url)
            conn = engine.connect()
            conn.execute(text("SELECT id FROM numbers FOR UPDATE"))

            def release() -> None:
                conn.rollback()
                conn.close()
                engine.dispose()

        self.release = release

    def __exit__(self, *_: object) -> None:
        self.release()


def test_a_slow_statement_is_cut_at_the_statement_timeout(database_url: str) -> None:
    sleep = (
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT count(*) FROM n"
        if database_url.startswith("sqlite")
        else "SELECT pg_sleep(5)"
    )

    async def run() -> None:
        db = open_database(database_url, statement_timeout=0.3)
        await db.open()
        try:
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(db_errors.StatementTimeout):
                async with db.read() as conn:
                    await conn.execute(text(sleep))
            assert loop.time() - started < 3
            # the connection is usable afterwards, and quick statements are not cut
            async with db.read() as conn:
                assert (await conn.execute(text("SELECT 1"))).scalar() == 1
        finally:
            await db.close()

    asyncio.run(run())


def test_openapi_documents_the_limit_answers(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path, operations in spec["paths"].items():
        if path == "/healthz":  # never limited (api/limits.py UNLIMITED_PATHS)
            continue
        for method, operation in operations.items():
            for status in ("408", "413", "429", "503"):
                assert status in operation["responses"], (method, path, status)
    limited = spec["paths"]["/api/v1/Account/{auth_id}/numbers"]["get"]["responses"]["429"]
    assert {"Retry-After", "RateLimit-Remaining"} <= set(limited["headers"])
