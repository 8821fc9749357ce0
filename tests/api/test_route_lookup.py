"""The route lookup (``GET /api/v1/admin/routes/{e164}``): every route reason, every form of
the number, and the authentication rules of the operator route."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from didstore.db.tables import accounts, numbers
from didstore.domain.e164 import from_body
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
from tests.support import TestServices


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


def test_route_lookup_answers_every_reason_in_every_path_form(
    state: TestServices, client: TestClient
) -> None:
    cases, _ = _routing_world(state)
    seen: dict[str, Any] = {}
    for case, e164 in cases.items():
        answers = set()
        for form in (e164, e164[1:], "%2B" + e164[1:], e164 + "/"):
            r = client.get(f"/api/v1/admin/routes/{form}", headers=admin_headers())
            assert r.status_code == 200, (case, r.text)
            answers.add(r.content)
            seen[case] = r.json()
        assert len(answers) == 1, case  # every form of the number, the same answer
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


def test_route_lookup_errors_and_credentials(state: TestServices, client: TestClient) -> None:
    cases, main = _routing_world(state)
    n = cases["trunk"]
    path = f"/api/v1/admin/routes/{n}"
    basic = base64.b64encode(f"{main.auth_id}:{main.token}".encode()).decode()
    expected = [
        ({}, 401),
        ({"Authorization": "Bearer wrong-token"}, 401),
        ({"Authorization": "Bearer "}, 401),
        ({"Authorization": f"bearer   {ADMIN_TOKEN}  "}, 200),
        ({"Authorization": f"Basic {basic}"}, 403),
        (main.headers, 403),
        ({"X-Auth-ID": main.auth_id, "X-Auth-Token": "nope"}, 401),
        ({**main.headers, **admin_headers()}, 403),  # account credentials win over a Bearer
        ({"X-Auth-ID": main.auth_id, **admin_headers()}, 200),  # half a pair: Bearer counts
    ]
    for headers, status in expected:
        assert client.get(path, headers=headers).status_code == status, headers
    statuses = {
        p: client.get(p, headers=admin_headers()).status_code
        for p in (
            "/api/v1/admin/routes/+918099999999",  # unknown number
            "/api/v1/admin/routes/not-a-number",
            "/api/v1/admin/routes/%2B12",
            f"/api/v1/admin/routes/{n}/extra",
            "/api/v1/admin/routes/",
        )
    }
    assert statuses == {
        "/api/v1/admin/routes/+918099999999": 404,
        "/api/v1/admin/routes/not-a-number": 400,
        "/api/v1/admin/routes/%2B12": 400,
        f"/api/v1/admin/routes/{n}/extra": 404,
        "/api/v1/admin/routes/": 404,
    }
    assert client.post(path, headers=admin_headers()).status_code == 405
