"""The audit log: every mutating request leaves a row (walked over the app's own routes),
the filtered listing, and a number's timeline of ownership, routing and money."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from didstore.clock import FixedClock
from didstore.db.tables import audit_log
from didstore.domain.billing import add_months
from didstore.services.models import CLI
from tests.conftest import IN_NUMBERS, AccountHandle, admin_headers, buy, make_account, stock
from tests.support import TestServices

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}

# Routes that change nothing a customer owns, with the reason (kept deliberately short).
EXEMPT = {
    ("POST", "/api/v1/admin/clock"): "test clock only; the jobs it triggers audit their moves",
}


def _last_audit(state: TestServices) -> Any:
    with state.db.read() as conn:
        return conn.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(1)).first()


def _recipes(
    state: TestServices, client: TestClient
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

    made: dict[str, str] = {}
    n = IN_NUMBERS[0]
    creds = state.accounts.create_partner(CLI, name="P", currency_code="INR")
    state.wallet.credit(CLI, creds.account, amount=100, currency_code="INR")
    partner = AccountHandle(creds.account.auth_id, creds.auth_token)

    def create_trunk(x: dict[str, str]) -> Any:
        r = client.post(
            f"/api/v1/Account/{acct.auth_id}/trunks", json={"name": "t1"}, headers=h(x, acct)
        )
        made["trunk"] = r.json()["trunk_id"]
        return r

    def create_app(x: dict[str, str]) -> Any:
        r = client.post(
            f"/api/v1/Account/{acct.auth_id}/Application/",
            json={"app_name": "a1", "answer_url": "https://example.com/a", "answer_method": "POST"},
            headers=h(x, acct),
        )
        made["app"] = r.json()["app_id"]
        return r

    def create_customer(x: dict[str, str]) -> Any:
        r = client.post(
            "/api/v1/partner/accounts",
            json={
                "name": "C",
                "email": "c@example.com",
                "phone": "+919876543210",
                "password": "Secret#123",
                "country": "IN",
            },
            headers=h(x, partner),
        )
        made["customer"] = r.json()["auth_id"]
        return r

    alias = state.accounts.get(acct.auth_id).plivo_auth_id
    plivo, pn = f"/v1/Account/{alias}/", IN_NUMBERS[1][1:]
    basic = {
        "Authorization": "Basic "
        + base64.b64encode(f"{alias}:{acct.token}".encode()).decode("ascii")
    }

    def create_plivo_app(x: dict[str, str]) -> Any:
        r = client.post(
            f"{plivo}Application/",
            json={"app_name": "p1", "answer_url": "https://example.com/p"},
            headers={**x, **basic},
        )
        made["plivo_app"] = r.json()["app_id"]
        return r

    def create_plivo_sub(x: dict[str, str]) -> Any:
        r = client.post(f"{plivo}Subaccount/", json={"name": "p1"}, headers={**x, **basic})
        made["plivo_sub"] = r.json()["auth_id"]
        return r

    base = f"/api/v1/Account/{acct.auth_id}/numbers"
    recipes: dict[tuple[str, str], Callable[[dict[str, str]], Any]] = {
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
        ("POST", "/api/v1/admin/accounts/{auth_id}/kyc"): lambda x: client.post(
            f"/api/v1/admin/accounts/{acct.auth_id}/kyc",
            json={"aadhaar_verified": True},
            headers=h(x),
        ),
        ("POST", "/api/v1/Account/{auth_id}/trunks"): create_trunk,
        ("PUT", "/api/v1/Account/{auth_id}/trunks/{trunk_id}"): lambda x: client.put(
            f"/api/v1/Account/{acct.auth_id}/trunks/{made['trunk']}",
            json={"name": "t2"},
            headers=h(x, acct),
        ),
        ("POST", "/api/v1/Account/{auth_id}/numbers/{e164}/assign"): lambda x: client.post(
            f"{base}/{n}/assign", json={"trunk_group_id": made["trunk"]}, headers=h(x, acct)
        ),
        ("DELETE", "/api/v1/Account/{auth_id}/numbers/{e164}/assign"): lambda x: client.delete(
            f"{base}/{n}/assign", headers=h(x, acct)
        ),
        ("POST", "/api/v1/Account/{auth_id}/Application"): create_app,
        ("POST", "/api/v1/Account/{auth_id}/Application/{app_id}"): lambda x: client.post(
            f"/api/v1/Account/{acct.auth_id}/Application/{made['app']}/",
            json={"app_name": "a2", "default_number_app": False},
            headers=h(x, acct),
        ),
        ("POST", "/api/v1/Account/{auth_id}/numbers/{e164}/application"): lambda x: client.post(
            f"{base}/{n}/application", json={"application_id": made["app"]}, headers=h(x, acct)
        ),
        ("DELETE", "/api/v1/Account/{auth_id}/numbers/{e164}/application"): lambda x: client.delete(
            f"{base}/{n}/application", headers=h(x, acct)
        ),
        ("DELETE", "/api/v1/Account/{auth_id}/trunks/{trunk_id}"): lambda x: client.delete(
            f"/api/v1/Account/{acct.auth_id}/trunks/{made['trunk']}", headers=h(x, acct)
        ),
        ("DELETE", "/api/v1/Account/{auth_id}/Application/{app_id}"): lambda x: client.delete(
            f"/api/v1/Account/{acct.auth_id}/Application/{made['app']}/", headers=h(x, acct)
        ),
        ("POST", "/api/v1/Account/{auth_id}/numbers/{e164}/assign-subaccount"): lambda x: (
            client.post(
                f"{base}/{n}/assign-subaccount",
                json={"sub_account_id": sub["id"]},
                headers=h(x, acct),
            )
        ),
        ("DELETE", "/api/v1/Account/{auth_id}/numbers/{e164}/assign-subaccount"): lambda x: (
            client.delete(f"{base}/{n}/assign-subaccount", headers=h(x, acct))
        ),
        ("POST", "/api/v1/admin/numbers/{e164}/calls"): lambda x: client.post(
            f"/api/v1/admin/numbers/{n}/calls", json={"duration_seconds": 30}, headers=h(x)
        ),
        ("POST", "/api/v1/admin/calls"): lambda x: client.post(
            "/api/v1/admin/calls",
            json={"calls": [{"e164": n, "duration_seconds": 5}]},
            headers=h(x),
        ),
        ("POST", "/api/v1/partner/accounts"): create_customer,
        ("POST", "/api/v1/partner/accounts/{customer_id}/transfer-balance"): lambda x: client.post(
            f"/api/v1/partner/accounts/{made['customer']}/transfer-balance",
            json={"amount": 10, "currency": "INR"},
            headers=h(x, partner),
        ),
        ("DELETE", "/api/v1/accounts/{auth_id}/sub-accounts/{sub_auth_id}"): lambda x: (
            client.delete(
                f"/api/v1/accounts/{acct.auth_id}/sub-accounts/{sub['id']}", headers=h(x, acct)
            )
        ),
        # the Plivo facade (ADR 0018): HTTP Basic with the account's Plivo-style alias
        ("POST", "/v1/Account/{auth_id}/PhoneNumber/{number}"): lambda x: client.post(
            f"{plivo}PhoneNumber/{pn}/", json={}, headers={**x, **basic}
        ),
        ("POST", "/v1/Account/{auth_id}/Number/{number}"): lambda x: client.post(
            f"{plivo}Number/{pn}/", json={"alias": "desk"}, headers={**x, **basic}
        ),
        ("POST", "/v1/Account/{auth_id}/Application"): create_plivo_app,
        ("POST", "/v1/Account/{auth_id}/Application/{app_id}"): lambda x: client.post(
            f"{plivo}Application/{made['plivo_app']}/",
            json={"answer_method": "GET"},
            headers={**x, **basic},
        ),
        ("DELETE", "/v1/Account/{auth_id}/Application/{app_id}"): lambda x: client.delete(
            f"{plivo}Application/{made['plivo_app']}/", headers={**x, **basic}
        ),
        ("DELETE", "/v1/Account/{auth_id}/Number/{number}"): lambda x: client.delete(
            f"{plivo}Number/{pn}/", headers={**x, **basic}
        ),
        ("POST", "/v1/Account/{auth_id}/Subaccount"): create_plivo_sub,
        ("POST", "/v1/Account/{auth_id}/Subaccount/{sub_id}"): lambda x: client.post(
            f"{plivo}Subaccount/{made['plivo_sub']}/", json={"name": "p2"}, headers={**x, **basic}
        ),
        ("DELETE", "/v1/Account/{auth_id}/Subaccount/{sub_id}"): lambda x: client.delete(
            f"{plivo}Subaccount/{made['plivo_sub']}/", headers={**x, **basic}
        ),
    }
    recipes.update(_event_recipes(state, client, acct, n))
    recipes.update(_reservation_recipes(state, client, acct))
    recipes.update(_bulk_job_recipes(client, acct))
    return recipes


def _bulk_job_recipes(
    client: TestClient, acct: AccountHandle
) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
    """Bulk jobs (ADR 0023): submit one (no runner runs it here), then cancel it."""
    made: dict[str, str] = {}
    jobs = f"/api/v1/Account/{acct.auth_id}/jobs"
    route = "/api/v1/Account/{auth_id}/jobs"

    def submit(x: dict[str, str]) -> Any:
        body = {"action": "purchase", "numbers": [IN_NUMBERS[2]]}
        r = client.post(jobs, json=body, headers={**acct.headers, **x})
        made["job"] = r.json()["id"]
        return r

    return {
        ("POST", route): submit,
        ("POST", route + "/{job_id}/cancel"): lambda x: client.post(
            f"{jobs}/{made['job']}/cancel", headers={**acct.headers, **x}
        ),
    }


def _reservation_recipes(
    state: TestServices, client: TestClient, acct: AccountHandle
) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
    """Holds (ADR 0022): hold, extend and cancel one; hold another and buy it."""
    stock(state, IN_NUMBERS[11:13])
    made: dict[str, str] = {}
    prefix = f"/api/v1/Account/{acct.auth_id}/numbers/reservations"
    route = "/api/v1/Account/{auth_id}/numbers/reservations"

    def hold(x: dict[str, str], e164: str = IN_NUMBERS[11]) -> Any:
        r = client.post(prefix, json={"numbers": [e164]}, headers={**acct.headers, **x})
        made["id"] = r.json()["id"]
        return r

    def purchase(x: dict[str, str]) -> Any:
        assert hold({}, IN_NUMBERS[12]).status_code == 201
        return client.post(f"{prefix}/{made['id']}/purchase", headers={**acct.headers, **x})

    one = route + "/{reservation_id}"
    return {
        ("POST", route): hold,
        ("POST", one + "/extend"): lambda x: client.post(
            f"{prefix}/{made['id']}/extend",
            json={"ttl_seconds": 600},
            headers={**acct.headers, **x},
        ),
        ("DELETE", one): lambda x: client.delete(
            f"{prefix}/{made['id']}", headers={**acct.headers, **x}
        ),
        ("POST", one + "/purchase"): purchase,
    }


def _event_recipes(
    state: TestServices, client: TestClient, acct: AccountHandle, n: str
) -> dict[tuple[str, str], Callable[[dict[str, str]], Any]]:
    """Webhook endpoints (an account's and the operator's) and the deletion lock."""
    from didstore.db.tables import webhook_deliveries

    made: dict[str, str] = {}
    out: dict[tuple[str, str], Callable[[dict[str, str]], Any]] = {}
    for prefix, route, who in (
        (f"/api/v1/Account/{acct.auth_id}/webhooks", "/api/v1/Account/{auth_id}/webhooks", acct),
        ("/api/v1/admin/webhooks", "/api/v1/admin/webhooks", None),
    ):

        def h(extra: dict[str, str], who: AccountHandle | None = who) -> dict[str, str]:
            return {**(who.headers if who else admin_headers()), **extra}

        def create(x: dict[str, str], prefix: str = prefix, h: Any = h) -> Any:
            # a literal public address: accepted without DNS, never called (no worker runs)
            r = client.post(prefix, json={"url": "https://1.1.1.1/hook"}, headers=h(x))
            made[prefix] = r.json()["id"]
            return r

        def redeliver(x: dict[str, str], prefix: str = prefix, h: Any = h) -> Any:
            delivery = str(uuid.uuid4())
            with state.db.write() as conn:  # a delivery that failed, as the worker leaves it
                conn.execute(
                    webhook_deliveries.insert().values(
                        id=delivery,
                        endpoint_id=made[prefix],
                        event_id=1,
                        status="failed",
                        attempts=3,
                        created_at=state.services.clock.now(),
                    )
                )
            return client.post(
                f"{prefix}/{made[prefix]}/deliveries/{delivery}/redeliver", headers=h(x)
            )

        def rotate(x: dict[str, str], p: str = prefix, h: Any = h) -> Any:
            return client.post(f"{p}/{made[p]}/rotate-secret", json={}, headers=h(x))

        def enable(x: dict[str, str], p: str = prefix, h: Any = h) -> Any:
            return client.post(f"{p}/{made[p]}/enable", headers=h(x))

        def delete(x: dict[str, str], p: str = prefix, h: Any = h) -> Any:
            return client.delete(f"{p}/{made[p]}", headers=h(x))

        one = route + "/{webhook_id}"
        out[("POST", route)] = create
        out[("POST", one + "/rotate-secret")] = rotate
        out[("POST", one + "/enable")] = enable
        out[("POST", one + "/deliveries/{delivery_id}/redeliver")] = redeliver
        out[("DELETE", one)] = delete
    lock = f"/api/v1/Account/{acct.auth_id}/numbers/{n}/lock"
    route = "/api/v1/Account/{auth_id}/numbers/{e164}/lock"
    out[("POST", route)] = lambda x: client.post(lock, headers={**acct.headers, **x})
    out[("DELETE", route)] = lambda x: client.delete(lock, headers={**acct.headers, **x})
    block = f"/api/v1/admin/numbers/{n}/block"
    route = "/api/v1/admin/numbers/{e164}/block"
    out[("POST", route)] = lambda x: client.post(block, headers={**admin_headers(), **x})
    out[("DELETE", route)] = lambda x: client.delete(block, headers={**admin_headers(), **x})
    return out


def test_every_mutating_route_leaves_an_audit_row(state: TestServices, client: TestClient) -> None:
    # Every route the app serves, from its OpenAPI document (included routers are not
    # flattened into app.routes in current FastAPI).
    paths = client.app.openapi()["paths"]  # type: ignore[attr-defined]
    routes = [
        (method.upper(), path)
        for path, operations in paths.items()
        for method in sorted(operations)
        if method.upper() in MUTATING
    ]
    assert len(routes) > 20, routes  # the walk must actually see the app's routes
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
        assert after.actor_type in ("operator", "account", "partner"), route
        assert after.credential, route


def test_audit_listing_filters_and_pages(
    state: TestServices, client: TestClient, clock: FixedClock
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
    state: TestServices, client: TestClient, clock: FixedClock
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
