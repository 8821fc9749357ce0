"""ADR 0009 hot paths answer exactly what the framework paths answered.

- Route lookup: every request is sent to an app with the event-loop fast paths and to one
  without them (the FastAPI routes only, ``tests/hotpaths/conftest.py``); status, headers
  and body bytes must match, for every route reason and for bad credentials, paths and
  numbers. On PostgreSQL the fast path must
  really have served the operator's lookups; on SQLite it stands aside.
- Owned list: PostgreSQL's raw-cursor page equals the SQLAlchemy page for every shape.
- Hand-read query parameters give FastAPI's answers (captured from the previous handler).
"""

from __future__ import annotations

import base64
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from didstore.api.app import create_app
from didstore.clock import FixedClock
from didstore.config import Settings
from didstore.db.tables import accounts, numbers
from didstore.domain.e164 import from_body
from didstore.services import owned_list
from didstore.services.models import CLI
from tests.conftest import (
    ADMIN_TOKEN,
    IN_NUMBERS,
    T0,
    AccountHandle,
    admin_headers,
    make_account,
    make_sub_account,
    stock,
)
from tests.hotpaths.conftest import Pair, assert_same_answer
from tests.support import TestServices


def _same(pair: Pair, path: str, headers: dict[str, str], method: str = "GET") -> Any:
    fast, slow = pair
    a = fast.request(method, path, headers=headers)
    assert_same_answer(a, slow.request(method, path, headers=headers), (path, headers))
    return a


def _fast_served(client: TestClient) -> bool:
    lookup = client.app.state.didstore.route_lookup  # type: ignore[attr-defined]
    return lookup.pool.opened  # type: ignore[no-any-return]


def _set(app_state: TestServices, e164: str, **values: Any) -> None:
    with app_state.db.write() as conn:
        conn.execute(update(numbers).where(numbers.c.e164 == e164).values(**values))


def _routing_world(state: TestServices) -> tuple[dict[str, str], AccountHandle]:
    """One number per route reason (and the routable kinds); returns reason -> e164."""
    main = make_account(state, balance=100_000)
    sub = make_sub_account(state, main)
    pool = IN_NUMBERS[:12]
    stock(state, pool)
    main_acct, sub_acct = state.accounts.get(main.auth_id), state.accounts.get(sub.auth_id)
    for e164 in pool[:10]:
        state.numbers.purchase(CLI, main_acct, from_body(e164))
    state.numbers.purchase(CLI, sub_acct, from_body(pool[10]))
    cases = {
        "trunk": pool[0],
        "application": pool[1],
        "trunk_and_application": pool[2],
        "no_route": pool[3],
        "pending_release": pool[4],
        "released_after_24h": pool[5],
        "quarantined": pool[6],
        "unpaid": pool[7],
        "blocked": pool[8],
        "kyc_required": pool[9],
        "sub_personal_use_parent_verified": pool[10],
        "unowned": pool[11],
    }
    trunk = "11111111-2222-3333-4444-555555555555"
    _set(state, cases["trunk"], trunk_id=trunk)
    _set(state, cases["application"], application_id="12345678901234567890")
    _set(state, cases["trunk_and_application"], trunk_id=trunk, application_id="98765432109876")
    later, earlier = T0 + timedelta(hours=3), T0 - timedelta(seconds=1)
    _set(state, cases["pending_release"], state="pending_release", cooldown_ends_at=later)
    _set(state, cases["released_after_24h"], state="pending_release", cooldown_ends_at=earlier)
    _set(
        state,
        cases["quarantined"],
        state="quarantined",
        owner_account_id=None,
        billing_account_id=None,
    )
    _set(state, cases["unpaid"], state="suspended", trunk_id=trunk)
    _set(state, cases["blocked"], state="blocked", trunk_id=trunk)
    _set(state, cases["kyc_required"], aadhaar_verification_required=True, trunk_id=trunk)
    _set(
        state,
        cases["sub_personal_use_parent_verified"],
        aadhaar_verification_required=True,
        trunk_id=trunk,
    )
    # the sub-account (personal_use, the default) takes its parent's KYC, which is done; a
    # customer_use sub-account without its own KYC holds the kyc_required number
    sub2_acct = state.accounts.get(make_sub_account(state, main).auth_id)
    with state.db.write() as conn:
        conn.execute(
            update(accounts).where(accounts.c.id == main_acct.id).values(aadhaar_verified=True)
        )
        conn.execute(
            update(accounts).where(accounts.c.id == sub2_acct.id).values(kyc_mode="customer_use")
        )
    _set(state, cases["kyc_required"], owner_account_id=sub2_acct.id)
    return cases, main


def test_route_fast_path_answers_every_reason_byte_for_byte(
    state: TestServices, pair: Pair
) -> None:
    cases, _ = _routing_world(state)
    seen: dict[str, Any] = {}
    for case, e164 in cases.items():
        for form in (e164, e164[1:], "%2B" + e164[1:], e164 + "/"):
            r = _same(pair, f"/api/v1/admin/routes/{form}", admin_headers())
            assert r.status_code == 200, (case, r.text)
            seen[case] = r.json()
    assert seen["trunk"]["routable"] is True and seen["trunk"]["trunk_group_id"]
    assert seen["application"]["application_id"] == "12345678901234567890"
    assert seen["no_route"]["reason"] == "no_route"
    assert seen["pending_release"]["reason"] == "pending_release"
    assert seen["released_after_24h"]["reason"] == "released"
    assert seen["released_after_24h"]["account_id"] is None
    assert seen["quarantined"]["reason"] == "released"
    assert seen["unpaid"]["reason"] == "unpaid" and seen["unpaid"]["trunk_group_id"] is None
    assert seen["blocked"]["reason"] == "blocked"
    assert seen["kyc_required"]["reason"] == "kyc_required"
    assert seen["sub_personal_use_parent_verified"]["routable"] is True
    assert seen["unowned"]["reason"] == "unowned" and seen["unowned"]["account_id"] is None
    fast, _slow = pair
    assert _fast_served(fast) is (state.db.dialect == "postgresql")


def test_route_fast_path_errors_and_credentials_match(state: TestServices, pair: Pair) -> None:
    cases, main = _routing_world(state)
    n = cases["trunk"]
    basic = base64.b64encode(f"{main.auth_id}:{main.token}".encode()).decode()
    for headers in (
        {},
        {"Authorization": "Bearer wrong-token"},
        {"Authorization": "Bearer "},
        {"Authorization": f"bearer   {ADMIN_TOKEN}  "},
        {"Authorization": f"Basic {basic}"},
        main.headers,
        {"X-Auth-ID": main.auth_id, "X-Auth-Token": "nope"},
        {**main.headers, **admin_headers()},  # account credentials win over a Bearer value
        {"X-Auth-ID": main.auth_id, **admin_headers()},  # half a pair: the Bearer counts
    ):
        _same(pair, f"/api/v1/admin/routes/{n}", headers)
    statuses = {
        path: _same(pair, path, admin_headers()).status_code
        for path in (
            "/api/v1/admin/routes/+918099999999",  # unknown number
            "/api/v1/admin/routes/not-a-number",
            "/api/v1/admin/routes/%2B12",
            f"/api/v1/admin/routes/{n}/extra",
            "/api/v1/admin/routes/",
        )
    }
    assert statuses["/api/v1/admin/routes/+918099999999"] == 404
    assert statuses["/api/v1/admin/routes/not-a-number"] == 400
    assert _same(pair, f"/api/v1/admin/routes/{n}", {}).status_code == 401
    assert _same(pair, f"/api/v1/admin/routes/{n}", main.headers).status_code == 403
    _same(pair, f"/api/v1/admin/routes/{n}", admin_headers(), method="POST")
    _same(pair, f"/api/v1/admin/routes/{n}", admin_headers(), method="HEAD")


def test_stored_operator_token_is_remembered_and_a_wrong_one_never(
    db: Any, clock: FixedClock, settings: Settings
) -> None:
    app = create_app(replace(settings, admin_token=None), clock)
    operator = app.state.didstore.operator
    token = operator.ensure()
    assert token
    stock(app.state.didstore, IN_NUMBERS[:1])
    path = f"/api/v1/admin/routes/{IN_NUMBERS[0]}"
    with TestClient(app, raise_server_exceptions=False) as client:
        assert not operator.known(token)
        first = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert first.status_code == 200 and first.json()["reason"] == "unowned"
        assert operator.known(token)  # verified once: now an in-memory compare
        again = client.get(path, headers={"Authorization": f"Bearer {token}"})
        assert again.content == first.content
        for _ in range(2):
            wrong = client.get(path, headers={"Authorization": f"Bearer {token}x"})
            assert wrong.status_code == 401
        assert not operator.known(token + "x")
        assert operator.verify(token) and not operator.verify(token + "x")


def test_raw_owned_page_equals_the_sqlalchemy_page(state: TestServices, clock: FixedClock) -> None:
    if state.db.dialect != "postgresql":
        pytest.skip("the raw-cursor path exists on PostgreSQL only")
    main = make_account(state, balance=100_000)
    sub = make_sub_account(state, main)
    stock(state, IN_NUMBERS[:9], tags=["a", "b"])
    main_acct, sub_acct = state.accounts.get(main.auth_id), state.accounts.get(sub.auth_id)
    for e164 in IN_NUMBERS[:6]:
        state.numbers.purchase(CLI, main_acct, from_body(e164))
    for e164 in IN_NUMBERS[6:8]:
        state.numbers.purchase(CLI, sub_acct, from_body(e164))
    _set(state, IN_NUMBERS[1], state="pending_release", cooldown_ends_at=T0 + timedelta(hours=1))
    _set(state, IN_NUMBERS[2], state="pending_release", cooldown_ends_at=T0 - timedelta(hours=1))
    _set(state, IN_NUMBERS[3], state="blocked", trunk_id="t", application_id="a")
    checked = 0
    for account in (main_acct, sub_acct):
        for by_payer in (True, False):
            for pattern in (None, "%41000%", "%0000000%", "%999%"):
                for offset in (0, 3, 50):
                    params = {
                        "account_id": account.id,
                        "now": clock.now(),
                        "limit": 3,
                        "offset": offset,
                        **({"pattern": pattern} if pattern else {}),
                    }
                    shape = (by_payer, pattern is not None)
                    raw = owned_list._raw_page(
                        state.db, owned_list._compiled(*shape, state.db.engine.dialect), params
                    )
                    reference = owned_list._page(
                        state.db, owned_list.owned_statement(*shape), params
                    )
                    assert raw == reference
                    checked += bool(raw[0])
    assert checked >= 8  # enough combinations returned rows to compare


def test_list_owned_query_parameters_answer_as_fastapi_did(
    state: TestServices, client: Any
) -> None:
    handle = make_account(state, balance=100_000)
    stock(state, IN_NUMBERS[:3])
    account = state.accounts.get(handle.auth_id)
    for e164 in IN_NUMBERS[:3]:
        state.numbers.purchase(CLI, account, from_body(e164))
    url = f"/api/v1/Account/{handle.auth_id}/numbers"
    bad = "Input should be a valid integer, unable to parse string as an integer"
    for name in ("page", "per_page", "limit", "offset"):
        for value in ("abc", "1.5", "", "1e3", "\u0663", "true", "0x10"):
            r = client.get(url, params={name: value}, headers=handle.headers)
            assert r.status_code == 400
            assert r.json() == {"error": "invalid_request", "message": f"{name}: {bad}"}
    for value, page in ((" 7", 7), ("7 ", 7), ("2.0", 2), ("1_0", 10), ("+5", 5)):
        r = client.get(url, params={"page": value, "per_page": "1"}, headers=handle.headers)
        assert r.status_code == 200 and r.json()["page"] == page
    r = client.get(f"{url}?page=x&per_page=y&limit=1&offset=z", headers=handle.headers)
    assert r.json()["message"] == f"page: {bad}; per_page: {bad}; offset: {bad}"
    assert client.get(f"{url}?page=x&page=2", headers=handle.headers).json()["page"] == 2
    assert client.get(f"{url}?page=2&page=x", headers=handle.headers).status_code == 400
    # bad parameters are reported before credentials are looked at, as before
    assert client.get(f"{url}?page=x").status_code == 400
    assert client.get(f"{url}?page=0", headers=handle.headers).status_code == 400
    listed = client.get(f"{url}?per_page=2&page=2", headers=handle.headers).json()
    assert [n["e164"] for n in listed["items"]] == IN_NUMBERS[2:3] and listed["total"] == 3
    assert client.get(f"{url}?search=41000001", headers=handle.headers).json()["total"] == 1
    sub_only = client.get(f"{url}?include_subaccounts=false", headers=handle.headers)
    assert sub_only.json()["total"] == 3
    assert client.get(f"{url}?include_subaccounts=maybe", headers=handle.headers).status_code == 400


def test_timestamp_text_is_unchanged_by_the_cheaper_formatting() -> None:
    from datetime import UTC, datetime, timezone
    from zoneinfo import ZoneInfo

    from didstore.api.wire import _ts

    for micro in (0, 1, 536729, 999999):
        base = datetime(2026, 11, 23, 12, 4, 25, micro)
        for value in (
            base.replace(tzinfo=UTC),
            base,
            base.replace(tzinfo=ZoneInfo("UTC")),
            base.replace(tzinfo=timezone(timedelta(hours=5, minutes=30))),
        ):
            assert _ts(value) == value.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def test_openapi_still_documents_the_list_parameters(client: Any) -> None:
    op = client.app.openapi()["paths"]["/api/v1/Account/{auth_id}/numbers"]["get"]
    assert [p["name"] for p in op["parameters"]] == [
        "auth_id",
        "page",
        "per_page",
        "limit",
        "offset",
        "search",
        "include_subaccounts",
    ]
