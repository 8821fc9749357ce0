"""Fixtures: a real database per test session (SQLite file or a fresh PostgreSQL database,
chosen by DIDSTORE_TEST_DB), emptied before each test; services and an HTTP client on it."""

from __future__ import annotations

import base64
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, text

from didstore.api.app import create_app
from didstore.clock import FixedClock
from didstore.config import Settings
from didstore.db import database
from didstore.db.engine import make_engine, normalize_url
from didstore.db.migrate import upgrade
from didstore.db.tables import (
    billing_schedule,
    ledger_entries,
    metadata,
    numbers,
    renewal_charges,
    wallets,
)
from didstore.domain.billing import add_months
from didstore.domain.e164 import from_body
from didstore.services.models import CLI, Account
from tests.support import LoopThread, SyncDatabase, TestServices, open_services
from tests.webhook_receiver import Receiver

BACKEND = os.environ.get("DIDSTORE_TEST_DB", "sqlite")
# Rate limits and failed-authentication lock-outs are off for the test session (the servers
# it starts inherit this environment): a session sends thousands of requests, and hundreds of
# deliberate 401s, from one address within minutes. tests/api/test_limits.py and
# tests/e2e/test_limits_live.py turn them on explicitly. Body caps and timeouts stay at their
# production defaults for every test.
for _limit in (
    "DIDSTORE_RATE_LIMIT",
    "DIDSTORE_IP_RATE_LIMIT",
    "DIDSTORE_AUTH_FAIL_LIMIT",
    "DIDSTORE_IP_AUTH_FAIL_LIMIT",
):
    os.environ.setdefault(_limit, "0")
PG_URL = os.environ.get(
    "DIDSTORE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
ADMIN_TOKEN = "test-operator-token"
T0 = datetime(2026, 1, 31, 10, 0, tzinfo=UTC)


def _pg_admin_url() -> str:
    return normalize_url(PG_URL)


def new_database_url(tmp: Path, label: str) -> str:
    """A fresh, migrated database for this backend."""
    if BACKEND == "sqlite":
        url = f"sqlite:///{tmp / f'{label}.sqlite3'}"
    else:
        name = f"didstore_t_{label}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        base = _pg_admin_url().rsplit("/", 1)[0]
        url = f"{base}/{name}"
    engine = make_engine(url, pool_size=1)
    upgrade(engine)
    engine.dispose()
    return url


def drop_database(url: str) -> None:
    if BACKEND != "postgresql":
        return
    name = url.rsplit("/", 1)[1]
    admin = create_engine(_pg_admin_url(), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = new_database_url(tmp_path_factory.mktemp("db"), "main")
    yield url
    drop_database(url)


def _empty(db: SyncDatabase) -> None:
    names = [t.name for t in reversed(metadata.sorted_tables)]
    with db.write() as conn:
        if db.dialect == "postgresql":
            conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
        else:
            for name in names:
                conn.execute(text(f"DELETE FROM {name}"))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(T0)


@pytest.fixture(scope="session")
def loop() -> Iterator[LoopThread]:
    """The event loop the tests' services run on (one thread for the whole session)."""
    thread = LoopThread()
    yield thread
    thread.close()


@pytest.fixture
def db(database_url: str) -> Iterator[SyncDatabase]:
    """Direct (synchronous) access to the test database, emptied before each test."""
    database = SyncDatabase(database_url)
    _empty(database)
    yield database
    database.dispose()


@pytest.fixture
def settings(database_url: str, request: pytest.FixtureRequest) -> Settings:
    """The server settings; a test marked ``private_webhooks`` may point webhooks at loopback
    receivers (the operator setting ``DIDSTORE_ALLOW_PRIVATE_WEBHOOKS``)."""
    made = Settings(database_url=database_url, admin_token=ADMIN_TOKEN, run_jobs=False)
    if request.node.get_closest_marker("private_webhooks") is not None:
        made = replace(made, allow_private_webhooks=True)
    return made


@pytest.fixture
def state(
    db: SyncDatabase, clock: FixedClock, settings: Settings, loop: LoopThread
) -> Iterator[TestServices]:
    """The production services (``bootstrap.build``) on the test database, called blocking."""
    services = open_services(settings, clock, loop)
    yield services
    services.close()


@pytest.fixture
def racers(db: SyncDatabase, clock: FixedClock, settings: Settings) -> Iterator[list[TestServices]]:
    """Four independent service stacks (own event loop thread, own connections) on the test
    database: calls spread over them race in the database itself, on SQLite too."""
    loops = [LoopThread() for _ in range(4)]
    stacks = [open_services(settings, clock, loop) for loop in loops]
    yield stacks
    for stack, loop in zip(stacks, loops, strict=True):
        stack.close()
        loop.close()


@pytest.fixture
def client(db: SyncDatabase, clock: FixedClock, settings: Settings) -> Iterator[TestClient]:
    app = create_app(settings, clock)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# -- helpers ---------------------------------------------------------------------------------
def admin_headers() -> dict[str, str]:
    return {"Authorization": f"Bearer {ADMIN_TOKEN}"}


class AccountHandle:
    def __init__(self, auth_id: str, token: str) -> None:
        self.auth_id = auth_id
        self.token = token

    @property
    def headers(self) -> dict[str, str]:
        return {"X-Auth-ID": self.auth_id, "X-Auth-Token": self.token}


def make_account(
    state: TestServices,
    *,
    balance: int = 0,
    currency: str = "INR",
    release_fee: int = 0,
    partner_id: str | None = None,
) -> AccountHandle:
    creds = state.accounts.create_main_account(
        CLI,
        name="Test account",
        currency_code=currency,
        release_fee=release_fee,
        partner_id=partner_id,
    )
    if balance:
        state.wallet.credit(CLI, creds.account, amount=balance, currency_code=currency)
    return AccountHandle(creds.account.auth_id, creds.auth_token)


def make_sub_account(state: TestServices, parent: AccountHandle) -> AccountHandle:
    creds = state.accounts.create_sub_account(CLI, state.accounts.get(parent.auth_id), name="sub")
    return AccountHandle(creds.account.auth_id, creds.auth_token)


def make_partner(state: TestServices, balance: int = 0) -> AccountHandle:
    creds = state.accounts.create_partner(CLI, name="Reseller", currency_code="INR")
    if balance:
        state.wallet.credit(CLI, creds.account, amount=balance, currency_code="INR")
    return AccountHandle(creds.account.auth_id, creds.auth_token)


def account_of(state: TestServices, handle: AccountHandle) -> Account:
    return state.accounts.get(handle.auth_id)


# Valid numbers (per phonenumbers) to stock in tests.
IN_NUMBERS = [f"+9180{n:08d}" for n in range(41000000, 41000060)]
US_NUMBERS = [f"+1415555{n:04d}" for n in range(100, 160)]
# What ``stock`` charges by default, in whole rupees; a purchase costs PRICE_MINOR paise.
SETUP_FEE, MONTHLY_FEE = 100, 300
PRICE_MINOR = (SETUP_FEE + MONTHLY_FEE) * 100


def stock(
    state: TestServices,
    numbers: list[str],
    *,
    setup_fee: int = SETUP_FEE,
    monthly_fee: int = MONTHLY_FEE,
    currency: str = "INR",
    **extra: Any,
) -> None:
    rows = [
        {
            "e164": n,
            "region": "Karnataka" if n.startswith("+91") else "California",
            "setup_fee": setup_fee,
            "monthly_fee": monthly_fee,
            "currency": currency,
            **extra,
        }
        for n in numbers
    ]
    report = state.inventory.import_rows(CLI, rows)
    assert not report.errors, report.errors


# -- routing: a funded main account with a sub-account, another account, stocked numbers ----
@dataclass
class World:
    client: TestClient
    state: TestServices
    main: AccountHandle
    sub: AccountHandle
    other: AccountHandle
    numbers: list[str]

    def url(self, who: AccountHandle | str, path: str) -> str:
        auth_id = who if isinstance(who, str) else who.auth_id
        return f"/api/v1/Account/{auth_id}{path}"

    def buy(self, who: AccountHandle, e164: str) -> dict[str, Any]:
        r = self.client.post(
            self.url(who, "/numbers/purchase-from-inventory"),
            json={"e164": e164},
            headers=who.headers,
        )
        assert r.status_code == 200, r.text
        return r.json()["number"]

    def trunk(self, who: AccountHandle, name: str = "main-trunk") -> str:
        r = self.client.post(self.url(who, "/trunks"), json={"name": name}, headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()["trunk_id"]

    def app(self, who: AccountHandle, name: str = "ivr", **extra: Any) -> str:
        body = {"app_name": name, "answer_url": "https://example.com/answer", **extra}
        body.setdefault("answer_method", "POST")
        r = self.client.post(self.url(who, "/Application/"), json=body, headers=who.headers)
        assert r.status_code == 201, r.text
        return r.json()["app_id"]

    def call(self, e164: str, **body: Any) -> Any:
        return self.client.post(
            f"/api/v1/admin/numbers/{e164}/calls", json=body, headers=admin_headers()
        )

    def route(self, e164: str) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/admin/routes/{e164}", headers=admin_headers())
        assert r.status_code == 200, r.text
        return r.json()

    def listed(self, who: AccountHandle) -> dict[str, dict[str, Any]]:
        r = self.client.get(self.url(who, "/numbers"), headers=who.headers)
        assert r.status_code == 200, r.text
        return {n["e164"]: n for n in r.json()["items"]}


@pytest.fixture
def world(client: TestClient, state: TestServices) -> World:
    main = make_account(state, balance=100_000)
    other = make_account(state, balance=100_000)
    sub = make_sub_account(state, main)
    numbers = IN_NUMBERS[:6]
    stock(state, numbers)
    return World(client, state, main, sub, other, numbers)


# -- owned numbers, balances and renewal counts, read from the real database ---------------
def buy(state: TestServices, acct: AccountHandle, e164: str) -> None:
    state.numbers.purchase(CLI, state.accounts.get(acct.auth_id), from_body(e164))


def buy_over_http(client: TestClient, acct: AccountHandle, e164: str) -> None:
    """The same purchase through the API, as the account itself."""
    r = client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": e164},
        headers=acct.headers,
    )
    assert r.status_code == 200, r.text


def balance(state: TestServices, acct: AccountHandle, currency: str = "INR") -> int:
    account = state.accounts.get(acct.auth_id)
    with state.db.read() as conn:
        value = conn.execute(
            select(wallets.c.balance_minor).where(
                wallets.c.account_id == account.id, wallets.c.currency == currency
            )
        ).scalar_one_or_none()
    return int(value or 0)


def number_row(state: TestServices, e164: str) -> Any:
    with state.db.read() as conn:
        return conn.execute(select(numbers).where(numbers.c.e164 == e164)).one()


def rental_rows(state: TestServices, e164: str | None = None) -> list[Any]:
    query = select(ledger_entries).where(ledger_entries.c.reference_type == "did_rental")
    if e164 is not None:
        query = query.where(ledger_entries.c.reference == f"did:{e164}")
    with state.db.read() as conn:
        return list(conn.execute(query.order_by(ledger_entries.c.seq)).all())


def charge_count(state: TestServices) -> int:
    with state.db.read() as conn:
        return int(conn.execute(select(func.count()).select_from(renewal_charges)).scalar_one())


def assert_queue_matches(state: TestServices) -> dict[str, object]:
    """The renewal queue equals ``numbers.next_billing_date`` (ADR 0012); returns the queue."""
    with state.db.read() as conn:
        dated = dict(
            conn.execute(
                select(numbers.c.id, numbers.c.next_billing_date).where(
                    numbers.c.next_billing_date.is_not(None)
                )
            ).all()
        )
        queued = dict(
            conn.execute(select(billing_schedule.c.number_id, billing_schedule.c.due_at)).all()
        )
    assert queued == dated
    return queued


def at(clock: FixedClock, when: datetime) -> FixedClock:
    clock.set(when)
    return clock


def numbers_due_in_a_month(state: TestServices, clock: FixedClock) -> str:
    """An account owning two numbers; the ISO time their first renewal is due."""
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2], monthly_fee=300)
    buy(state, acct, IN_NUMBERS[0])
    buy(state, acct, IN_NUMBERS[1])
    return add_months(clock.now(), 1).isoformat()


# -- the Plivo-compatible facade (ADR 0018) over HTTP Basic ---------------------------------
class Plivo:
    """One account's facade credentials: its alias and its usual token, over HTTP Basic."""

    def __init__(self, state: TestServices, handle: AccountHandle) -> None:
        self.handle = handle
        self.alias = state.accounts.get(handle.auth_id).plivo_auth_id
        raw = base64.b64encode(f"{self.alias}:{handle.token}".encode()).decode()
        self.headers = {"Authorization": f"Basic {raw}"}

    def url(self, path: str = "") -> str:
        return f"/v1/Account/{self.alias}/{path}"


def plivo_account(state: TestServices, balance: int = 10_000) -> Plivo:
    return Plivo(state, make_account(state, balance=balance))


def plivo_buy(client: TestClient, p: Plivo, numbers: list[str]) -> None:
    for n in numbers:
        r = client.post(p.url(f"PhoneNumber/{n[1:]}/"), headers=p.headers)
        assert r.status_code == 201, r.text


def plivo_error(r: Any, status: int) -> str:
    """The facade's error envelope (``api_id`` and ``error``, no ``message``); its text."""
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) >= {"api_id", "error"} and "message" not in body, body
    return str(body["error"])


# -- an unusable database -------------------------------------------------------------------
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


@pytest.fixture
def receivers() -> Iterator[list[Receiver]]:
    made = [Receiver() for _ in range(3)]
    yield made
    for r in made:
        r.close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()
