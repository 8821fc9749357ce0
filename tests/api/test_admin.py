"""Operator API, the test clock, health and error hygiene (issue 2 §2, §4)."""

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from didstore.api.app import create_app
from didstore.clock import TestClock
from didstore.config import Settings
from tests.conftest import IN_NUMBERS, admin_headers
from tests.support import SyncDatabase


def test_healthz(client: TestClient) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_operator_creates_partner_account_and_credits(client: TestClient) -> None:
    p = client.post(
        "/api/v1/admin/partners",
        json={"name": "Reseller", "currency": "INR"},
        headers=admin_headers(),
    )
    assert p.status_code == 201 and p.json()["auth_id"].startswith("PA_")
    a = client.post(
        "/api/v1/admin/accounts",
        json={
            "name": "Acme",
            "currency": "inr",
            "partner_id": p.json()["auth_id"],
            "release_fee": 700,
        },
        headers=admin_headers(),
    )
    assert a.status_code == 201, a.text
    acct = a.json()
    assert acct["auth_id"].startswith("MA_") and len(acct["auth_id"]) == 11
    assert acct["release_fee"] == 700 and acct["currency"] == "INR"
    c = client.post(
        f"/api/v1/admin/accounts/{acct['auth_id']}/credit",
        json={"amount": 12.5, "currency": "INR", "description": "top-up"},
        headers=admin_headers(),
    )
    assert c.status_code == 201
    assert c.json()["balance"] == 12.5 and c.json()["transaction"]["reference_type"] == "payment"
    headers = {"X-Auth-ID": acct["auth_id"], "X-Auth-Token": acct["auth_token"]}
    bal = client.get(f"/api/v1/Account/{acct['auth_id']}/balance/INR", headers=headers).json()
    assert bal["balance"] == 12.5


@pytest.mark.parametrize(
    "body",
    [
        {"amount": 0, "currency": "INR"},
        {"amount": -5, "currency": "INR"},
        {"amount": "1.001", "currency": "INR"},
        {"amount": "abc", "currency": "INR"},
        {"amount": 5, "currency": "NOPE"},
        {"amount": 5},
        {"currency": "INR"},
    ],
)
def test_bad_credits_are_400(client: TestClient, body: dict) -> None:  # type: ignore[type-arg]
    a = client.post(
        "/api/v1/admin/accounts", json={"name": "A", "currency": "INR"}, headers=admin_headers()
    ).json()
    r = client.post(
        f"/api/v1/admin/accounts/{a['auth_id']}/credit", json=body, headers=admin_headers()
    )
    assert r.status_code == 400, r.text


def test_bad_account_creation_is_400_or_404(client: TestClient) -> None:
    for body in (
        {"currency": "INR"},
        {"name": "x"},
        {"name": "x", "currency": "INR", "release_fee": 1.5},
        {"name": "x", "currency": "INR", "release_fee": -1},
        {"name": "x", "currency": "INR", "partner_id": 5},
    ):
        assert (
            client.post("/api/v1/admin/accounts", json=body, headers=admin_headers()).status_code
            == 400
        )
    r = client.post(
        "/api/v1/admin/accounts",
        json={"name": "x", "currency": "INR", "partner_id": "PA_NOPE0000"},
        headers=admin_headers(),
    )
    assert r.status_code == 404
    assert (
        client.post(
            "/api/v1/admin/accounts/MA_NOPE0000/credit",
            json={"amount": 1, "currency": "INR"},
            headers=admin_headers(),
        ).status_code
        == 404
    )
    assert (
        client.post(
            "/api/v1/admin/partners", json={"name": "x"}, headers={"Authorization": "Bearer no"}
        ).status_code
        == 401
    )


def test_unknown_routes_and_methods_answer_json(client: TestClient) -> None:
    r = client.get("/api/v1/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.put("/healthz")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_the_clock_route_exists_only_with_the_test_clock(client: TestClient) -> None:
    r = client.post("/api/v1/admin/clock", json={"advance_seconds": 10}, headers=admin_headers())
    assert r.status_code == 404


@pytest.fixture
def clock_client(db: SyncDatabase, settings: Settings) -> Iterator[TestClient]:
    app = create_app(
        Settings(
            database_url=settings.database_url,
            admin_token=settings.admin_token,
            test_clock=True,
            run_jobs=False,
        ),
        TestClock(),
    )
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


def test_the_test_clock_drives_release_quarantine_and_restock(clock_client: TestClient) -> None:
    c = clock_client
    acct = c.post(
        "/api/v1/admin/accounts",
        json={"name": "A", "currency": "INR", "release_fee": 10},
        headers=admin_headers(),
    ).json()
    c.post(
        f"/api/v1/admin/accounts/{acct['auth_id']}/credit",
        json={"amount": 1000, "currency": "INR"},
        headers=admin_headers(),
    )
    c.post(
        "/api/v1/admin/inventory",
        headers=admin_headers(),
        json={
            "numbers": [
                {
                    "e164": IN_NUMBERS[0],
                    "region": "KA",
                    "setup_fee": 1,
                    "monthly_fee": 2,
                    "currency": "INR",
                }
            ]
        },
    )
    h = {"X-Auth-ID": acct["auth_id"], "X-Auth-Token": acct["auth_token"]}
    base = f"/api/v1/Account/{acct['auth_id']}"
    assert (
        c.post(
            f"{base}/numbers/purchase-from-inventory", json={"e164": IN_NUMBERS[0]}, headers=h
        ).status_code
        == 200
    )
    assert c.delete(f"{base}/numbers/{IN_NUMBERS[0]}", headers=h).status_code == 200
    moved = c.post(
        "/api/v1/admin/clock", json={"advance_seconds": 86400}, headers=admin_headers()
    ).json()
    assert moved["lifecycle"]["released"] == 1
    assert c.get(f"{base}/inventory/numbers", headers=h).json()["total"] == 0
    moved = c.post(
        "/api/v1/admin/clock", json={"advance_seconds": 45 * 86400}, headers=admin_headers()
    ).json()
    assert moved["lifecycle"]["returned_to_inventory"] == 1
    assert c.get(f"{base}/inventory/numbers", headers=h).json()["total"] == 1
    back = c.post(
        "/api/v1/admin/clock", json={"now": "2020-01-01T00:00:00Z"}, headers=admin_headers()
    )
    assert back.status_code == 400
    both = c.post(
        "/api/v1/admin/clock",
        json={"now": "2030-01-01T00:00:00Z", "advance_seconds": 1},
        headers=admin_headers(),
    )
    assert both.status_code == 400
    assert c.post("/api/v1/admin/clock", json={"advance_seconds": 1}, headers=h).status_code == 403
