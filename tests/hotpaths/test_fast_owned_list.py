"""The owned-list fast path (ADR 0009) answers exactly what the FastAPI route answers.

Every request goes to an app with the event-loop fast paths and to one without any
(``tests/hotpaths/conftest.py``); status, headers (but the request id) and body bytes must
match, for the parameters, their errors, every kind of caller and a page past the end. On
PostgreSQL the fast path must really have served the account's own pages once its
credentials were cached; on SQLite it stands aside.
"""

from __future__ import annotations

import base64
import itertools
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import insert, select, update

from didstore.db.tables import accounts, numbers
from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from didstore.services.numbers import visible_owned, visible_owned_unindexed
from tests.conftest import IN_NUMBERS, admin_headers, make_account, make_sub_account, stock
from tests.hotpaths.conftest import Pair, assert_same_answer
from tests.support import TestServices

STATES = ("available", "active", "pending_release", "suspended", "quarantined", "blocked")


def _same(pair: Pair, path: str, headers: dict[str, str]) -> Any:
    fast, slow = pair
    fast.get(path, headers=headers)  # the first request caches the credentials
    a = fast.get(path, headers=headers)
    assert_same_answer(a, slow.get(path, headers=headers), (path, headers))
    return a


def _served(client: TestClient) -> int:
    return client.app.state.didstore.owned_list.served  # type: ignore[attr-defined,no-any-return]


def test_owned_list_fast_path_answers_byte_for_byte(state: TestServices, pair: Pair) -> None:
    main = make_account(state, balance=100_000)
    sub = make_sub_account(state, main)
    stock(state, IN_NUMBERS[:30])
    main_acct, sub_acct = state.accounts.get(main.auth_id), state.accounts.get(sub.auth_id)
    for e164 in IN_NUMBERS[:24]:
        state.numbers.purchase(CLI, main_acct, from_body(e164))
    for e164 in IN_NUMBERS[24:28]:
        state.numbers.purchase(CLI, sub_acct, from_body(e164))
    base = f"/api/v1/Account/{main.auth_id}/numbers"
    seen = {}
    for query in (
        "",
        "?per_page=5",
        "?page=2&per_page=10",
        "?page=3&per_page=10",
        "?page=99&per_page=10",  # past the end: the exact total comes from the route
        "?limit=7&offset=14",
        "?per_page=500",  # capped at 100
        "?include_subaccounts=false",
        "?include_subaccounts=False&per_page=3",
        "?search=4100001",
        "?search=%2B918041000002",
        "?search=99999",
        "?page=0",
        "?per_page=abc",
        "?page=1.5",
        "?search=12ab",
        "?include_subaccounts=maybe",
        "?offset=-1",
    ):
        seen[query] = _same(pair, base + query, main.headers)
    assert seen[""].json()["total"] == 28 and len(seen[""].json()["items"]) == 25
    assert seen["?include_subaccounts=false"].json()["total"] == 24
    assert seen["?page=99&per_page=10"].json() == {
        "items": [],
        "page": 99,
        "per_page": 10,
        "total": 28,
    }
    assert seen["?per_page=abc"].status_code == 400 and seen["?page=0"].status_code == 400
    sub_path = f"/api/v1/Account/{sub.auth_id}/numbers"
    assert _same(pair, sub_path, sub.headers).json()["total"] == 4
    assert _same(pair, sub_path, main.headers).json()["total"] == 4  # parent on the sub
    fast, _slow = pair
    assert _served(fast) > 0 if state.db.dialect == "postgresql" else _served(fast) == 0


def test_owned_list_fast_path_callers_and_credentials(state: TestServices, pair: Pair) -> None:
    main = make_account(state, balance=100_000)
    other = make_account(state, balance=1_000)
    stock(state, IN_NUMBERS[:2])
    state.numbers.purchase(CLI, state.accounts.get(main.auth_id), from_body(IN_NUMBERS[0]))
    path = f"/api/v1/Account/{main.auth_id}/numbers"
    basic = base64.b64encode(f"{main.auth_id}:{main.token}".encode()).decode()
    statuses = [
        _same(pair, path, headers).status_code
        for headers in (
            {},
            main.headers,
            {"X-Auth-ID": main.auth_id, "X-Auth-Token": "nope"},
            {"X-Auth-ID": f" {main.auth_id} ", "X-Auth-Token": f" {main.token} "},
            other.headers,  # another account's path
            {**main.headers, "Authorization": "Bearer placeholder"},
            {"Authorization": f"Basic {basic}"},
            admin_headers(),
        )
    ]
    assert statuses == [401, 200, 401, 200, 403, 200, 200, 200]
    # Disabled after its credentials were cached: refused at once, on both paths.
    with state.db.write() as conn:
        conn.execute(
            update(accounts).where(accounts.c.auth_id == main.auth_id).values(enabled=False)
        )
    for client in pair:
        client.app.state.didstore.accounts.forget(main.auth_id)  # type: ignore[attr-defined]
    assert _same(pair, path, main.headers).status_code == 401


def test_unindexed_visibility_selects_exactly_the_visible_rows(state: TestServices) -> None:
    """``visible_owned_unindexed`` (the owned list's form, ADR 0009 §8) and ``visible_owned``
    pick the same rows for every state and every cooldown/grace value around ``now``."""
    now = state.clock.now()
    owner = state.accounts.get(make_account(state, balance=0).auth_id)
    times = [None, now - timedelta(seconds=1), now, now + timedelta(seconds=1)]
    rows = []
    for i, (st, cooldown, grace) in enumerate(itertools.product(STATES, times, times)):
        owned = st not in ("available", "quarantined")
        rows.append(
            {
                "id": f"vis-{i}",
                "e164": f"+1415556{i:04d}",
                "country": "US",
                "setup_fee_minor": 0,
                "monthly_fee_minor": 0,
                "currency": "USD",
                "tags": [],
                "state": st,
                "owner_account_id": owner.id if owned else None,
                "billing_account_id": owner.id if owned else None,
                "cooldown_ends_at": cooldown,
                "grace_ends_at": grace,
                "created_at": now,
                "updated_at": now,
            }
        )
    with state.db.write() as conn:
        conn.execute(insert(numbers), rows)
    with state.db.read() as conn:
        indexed = set(conn.execute(select(numbers.c.id).where(visible_owned(now))).scalars())
        unindexed = set(
            conn.execute(select(numbers.c.id).where(visible_owned_unindexed(now))).scalars()
        )
    assert indexed == unindexed
    assert 0 < len(indexed) < len(rows)  # both kinds of answer were exercised
