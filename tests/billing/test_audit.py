"""The audit log: every mutating request leaves a row (walked over the app's own routes),
the filtered listing, and a number's timeline of ownership, routing and money."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy import select

from didstore.api.state import AppState
from didstore.clock import FixedClock
from didstore.db.tables import audit_log
from didstore.domain.billing import add_months
from tests.billing.conftest import buy
from tests.conftest import IN_NUMBERS, AccountHandle, admin_headers, make_account, stock

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

# Routes that change nothing a customer owns, with the reason (kept deliberately short).
EXEMPT = {
    ("POST", "/api/v1/admin/clock"): "test clock only; the jobs it triggers audit their moves",
}


def _last_audit(state: AppState) -> Any:
    with state.db.read() as conn:
        return conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).first()


def _recipes(
    state: AppState, client: TestClient
) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
    acct = make_account(state, balance=10_000, release_fee=1)
    stock(state, IN_NUMBERS[:3])
    sub: dict[str, str] = {}

    def h(extra: dict[str, str], who: AccountHandle | None = None) -> dict[str, str]:
        return {**(who.headers if who else admin_headers()), **extra}

    def create_sub(x: dict[str, str]) -> Any:
        r = client.post(
            f"/api/v1/accounts/{acct.auth_id}/sub-accounts",
            json={"name": "s1", "email": "s1@example.com", "password": "Secret-pass-123"},
            headers=h(x, acct),
        )
        sub["id"] = r.json().get("auth_id") or r.json().get("sub_account", {}).get("auth_id")
        return r

    base = f"/api/v1/Account/{acct.auth_id}/numbers"
    return {
        ("POST", "/api/v1/admin/partners"): lambda x: client.post(
            "/api/v1/admin/partners", json={"name": "P", "currency": "INR"}, headers=h(x)
        ),
        ("POST", "/api/v1/admin/accounts"): lambda x: client.post(
            "/api/v1/admin/accounts", json={"name": "A", "currency": "INR"}, headers=h(x)
        ),
        ("POST", "/api/v1/admin/accounts/{auth_id}/credit"): lambda x: client.post(
            f"/api/v1/admin/accounts/{acct.auth_id}/credit",
            json={"amount": 5, "currency": "INR"},
            headers=h(x),
        ),
        ("POST", "/api/v1/admin/inventory"): lambda x: client.post(
            "/api/v1/admin/inventory",
            json={
                "numbers": [
                    {"e164": IN_NUMBERS[10], "setup_fee": 1, "monthly_fee": 1, "currency": "INR"}
                ]
            },
            headers=h(x),
        ),
        ("POST", "/api/v1/admin/jobs/{name}/run"): lambda x: client.post(
            "/api/v1/admin/jobs/all/run", json={}, headers=h(x)
        ),
        ("POST", "/api/v1/Account/{auth_id}/numbers/purchase-from-inventory"): lambda x: (
            client.post(
                f"{base}/purchase-from-inventory", json={"e164": IN_NUMBERS[0]}, headers=h(x, acct)
            )
        ),
        ("DELETE", "/api/v1/Account/{auth_id}/numbers/{e164}"): lambda x: client.delete(
            f"{base}/{IN_NUMBERS[0]}", headers=h(x, acct)
        ),
        ("POST", "/api/v1/Account/{auth_id}/numbers/{e164}/cancel-release"): lambda x: client.post(
            f"{base}/{IN_NUMBERS[0]}/cancel-release", headers=h(x, acct)
        ),
        ("POST", "/api/v1/accounts/{auth_id}/sub-accounts"): create_sub,
        ("PUT", "/api/v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}"): lambda x: client.put(
            f"/api/v1/accounts/{acct.auth_id}/sub-accounts/{sub['id']}",
            json={"name": "renamed"},
            headers=h(x, acct),
        ),
        ("DELETE", "/api/v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}"): lambda x: (
            client.delete(
                f"/api/v1/accounts/{acct.auth_id}/sub-accounts/{sub['id']}", headers=h(x, acct)
            )
        ),
    }


def test_every_mutating_route_leaves_an_audit_row(state: AppState, client: TestClient) -> None:
    routes = [
        (method, r.path)
        for r in client.app.routes  # type: ignore[attr-defined]
        if isinstance(r, APIRoute)
        for method in sorted(r.methods & MUTATING)
    ]
    recipes = _recipes(state, client)
    missing = [rt for rt in routes if rt not in recipes and rt not in EXEMPT]
    assert not missing, f"mutating routes without an audit check: {missing}"
    for i, route in enumerate(recipes):  # in order: purchase before release, etc.
        if route not in routes:
            continue
        before = _last_audit(state)
        request_id = f"req-{i}"
        response = recipes[route]({"X-Request-ID": request_id})
        assert response.status_code < 400, (route, response.status_code, response.text)
        after = _last_audit(state)
        assert after is not None and (before is None or after.id > before.id), route
        assert after.request_id == request_id, route
        assert after.source_ip, route
        assert after.actor_type in ("operator", "account"), route
        assert after.credential, route


def test_audit_listing_filters_and_pages(
    state: AppState, client: TestClient, clock: FixedClock
) -> None:
    acct = make_account(state, balance=10_000)
    other = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    buy(state, acct, IN_NUMBERS[0])
    clock.set(clock.now() + timedelta(days=1))
    buy(state, acct, IN_NUMBERS[1])
    buy(state, other, IN_NUMBERS[2])
    r = client.get(f"/api/v1/admin/audit?e164={IN_NUMBERS[0]}", headers=admin_headers())
    assert r.status_code == 200, r.text
    objs = r.json()["objects"]
    assert [o["action"] for o in objs] == ["number.purchase"]
    assert objs[0]["account_id"] == acct.auth_id and objs[0]["after"]["state"] == "active"
    r = client.get(
        f"/api/v1/admin/audit?account_id={acct.auth_id}&per_page=1&page=2", headers=admin_headers()
    )
    body = r.json()
    assert body["meta"]["per_page"] == 1 and body["meta"]["page"] == 2
    assert len(body["objects"]) == 1
    assert all(o["account_id"] == acct.auth_id for o in body["objects"])
    since = (clock.now() - timedelta(hours=1)).isoformat().replace("+00:00", "Z")
    r = client.get(
        "/api/v1/admin/audit",
        params={"account_id": acct.auth_id, "from": since},
        headers=admin_headers(),
    )
    assert [o["e164"] for o in r.json()["objects"]] == [IN_NUMBERS[1]]
    assert r.json()["meta"]["total"] == 1
    assert (
        client.get("/api/v1/admin/audit?from=yesterday", headers=admin_headers()).status_code == 400
    )
    assert client.get("/api/v1/admin/audit", headers=acct.headers).status_code == 403


def test_number_timeline_joins_ownership_and_money_in_order(
    state: AppState, client: TestClient, clock: FixedClock
) -> None:
    acct = make_account(state, balance=600, release_fee=2)  # purchase + 1 renewal, then unpaid
    e = IN_NUMBERS[0]
    stock(state, [e], setup_fee=100, monthly_fee=200)
    buy(state, acct, e)
    for months in (1, 2):
        clock.set(add_months(clock.now(), 1) if months == 1 else clock.now() + timedelta(days=31))
        client.post("/api/v1/admin/jobs/renewals/run", json={}, headers=admin_headers())
    r = client.get(f"/api/v1/admin/numbers/{e}/timeline", headers=admin_headers())
    assert r.status_code == 200, r.text
    events = r.json()["events"]
    kinds = [(ev["kind"], ev.get("action") or ev.get("reference_type")) for ev in events]
    assert ("money", "did_purchase") in kinds
    assert ("money", "did_rental") in kinds
    assert ("ownership", "number.purchase") in kinds
    assert ("ownership", "number.suspended") in kinds
    assert kinds.index(("ownership", "number.purchase")) < kinds.index(("money", "did_rental"))
    assert kinds.index(("money", "did_rental")) < kinds.index(("ownership", "number.suspended"))
    stamps = [ev["at"] for ev in events]
    assert stamps == sorted(stamps)
    assert (
        client.get(
            "/api/v1/admin/numbers/+919999999999/timeline", headers=admin_headers()
        ).status_code
        == 404
    )
