"""Bad input never produces a 500: each case found by fuzzing (scripts/fuzz/run.sh) or by
hand-probing answers a clear 4xx JSON error. Runs on both databases (DIDSTORE_TEST_DB)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest
from fastapi.testclient import TestClient

from didstore.api.app import create_app
from didstore.config import Settings
from tests.conftest import IN_NUMBERS, AccountHandle, admin_headers, make_account, stock
from tests.support import SyncDatabase, TestServices

HUGE = 2**70
HUGE_TEXT = "9" * 400


@pytest.fixture
def acct(state: TestServices) -> AccountHandle:
    stock(state, IN_NUMBERS[:3])
    return make_account(state, balance=10_000)


def _bad(resp: Any, status: int = 400) -> dict[str, Any]:
    assert resp.status_code == status, (resp.status_code, resp.text)
    body: dict[str, Any] = resp.json()
    assert "error" in body
    return body


# -- fixed: huge page numbers reached SQL OFFSET (OverflowError / DataError -> 500) -----------
@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/Account/{id}/trunks?page={n}",
        "/api/v1/Account/{id}/Application?page={n}&size=7677200726739",
        "/api/v1/Account/{id}/trunks?offset={n}",
        "/api/v1/Account/{id}/numbers?page={n}",
        "/api/v1/Account/{id}/numbers?offset={n}&limit=5",
        "/api/v1/Account/{id}/inventory/numbers?page={n}",
        "/api/v1/Account/{id}/transactions?page={n}",
        "/api/v1/accounts/{id}/sub-accounts?page={n}",
    ],
)
def test_huge_page_or_offset_is_400(client: TestClient, acct: AccountHandle, path: str) -> None:
    resp = client.get(path.format(id=acct.auth_id, n=HUGE), headers=acct.headers)
    _bad(resp)


def test_page_at_limit_is_fine(client: TestClient, acct: AccountHandle) -> None:
    resp = client.get(
        f"/api/v1/Account/{acct.auth_id}/numbers?page=1000000000", headers=acct.headers
    )
    assert resp.status_code == 200, resp.text


# -- fixed: a JSON object as currency hit an lru_cache (TypeError: unhashable -> 500) ---------
@pytest.mark.parametrize("currency", [{}, [], {"a": 1}, ["INR"]])
@pytest.mark.parametrize("route", ["partners", "accounts"])
def test_unhashable_currency_is_400(client: TestClient, route: str, currency: Any) -> None:
    resp = client.post(
        f"/api/v1/admin/{route}", json={"name": "x", "currency": currency}, headers=admin_headers()
    )
    assert "currency" in _bad(resp)["message"]


def test_unhashable_currency_on_credit_is_400(client: TestClient, acct: AccountHandle) -> None:
    resp = client.post(
        f"/api/v1/admin/accounts/{acct.auth_id}/credit",
        json={"amount": 5, "currency": {}},
        headers=admin_headers(),
    )
    _bad(resp)


# -- fixed: the test clock overflowed timedelta/datetime (OverflowError -> 500) --------------
@pytest.mark.parametrize("seconds", [2.3853863973249905e162, 1e12, 4e9])
def test_clock_advance_too_far_is_400(settings: Settings, db: SyncDatabase, seconds: float) -> None:
    app = create_app(replace(settings, test_clock=True))
    with TestClient(app, raise_server_exceptions=False) as c:
        resp = c.post(
            "/api/v1/admin/clock", json={"advance_seconds": seconds}, headers=admin_headers()
        )
        _bad(resp)
        assert (
            c.post(
                "/api/v1/admin/clock", json={"advance_seconds": 60}, headers=admin_headers()
            ).status_code
            == 200
        )


# -- hand probes: every one must answer a JSON 4xx ---------------------------------------------
def _probes(ma: str) -> list[tuple[str, str, dict[str, Any]]]:
    acc = f"/api/v1/Account/{ma}"
    n = IN_NUMBERS[0]
    posts = [
        f"{acc}/numbers/purchase-from-inventory",
        f"{acc}/trunks",
        f"{acc}/Application",
        f"{acc}/numbers/{n}/assign",
        f"{acc}/numbers/{n}/application",
        f"{acc}/numbers/{n}/assign-subaccount",
        f"/api/v1/accounts/{ma}/sub-accounts",
        "/api/v1/admin/partners",
        "/api/v1/admin/accounts",
        f"/api/v1/admin/accounts/{ma}/credit",
        f"/api/v1/admin/accounts/{ma}/kyc",
        "/api/v1/admin/inventory",
        f"/api/v1/admin/numbers/{n}/calls",
        "/api/v1/admin/calls",
    ]
    bodies: list[dict[str, Any]] = [
        {"content": b"{not json"},
        {"content": b"[1, 2]", "headers": {"Content-Type": "application/json"}},
        {"content": b'"text"', "headers": {"Content-Type": "application/json"}},
        {"content": b"42", "headers": {"Content-Type": "application/json"}},
        {"content": b"null", "headers": {"Content-Type": "application/json"}},
        {"content": b"", "headers": {"Content-Type": "application/json"}},
        {"content": b"e164=1", "headers": {"Content-Type": "application/x-www-form-urlencoded"}},
        {"content": b"\xff\xfe\x00", "headers": {"Content-Type": "application/json"}},
        {"content": b'{"a": 1e400}', "headers": {"Content-Type": "application/json"}},
    ]
    cases = [("POST", path, body) for path in posts for body in bodies]
    gets = [
        f"{acc}/numbers/%00",
        f"{acc}/numbers/%2F",
        f"{acc}/numbers/{HUGE_TEXT}/health",
        f"{acc}/numbers/{n}/health?days={HUGE}",
        f"{acc}/numbers/{n}/health?days=1e400",
        f"{acc}/numbers/{n}/health?days=0",
        f"{acc}/numbers?page=0",
        f"{acc}/numbers?page=-1&per_page=-5",
        f"{acc}/numbers?per_page={HUGE}",
        f"{acc}/numbers?limit={HUGE}&offset=-1",
        f"{acc}/numbers?page=1&page=2&page=x",
        f"{acc}/numbers?search=%00",
        f"{acc}/inventory/numbers?country=%00I",
        f"{acc}/inventory/numbers?search={HUGE_TEXT}",
        f"{acc}/balance/%00%00%00",
        f"{acc}/balance/{HUGE_TEXT}",
        f"{acc}/transactions?from_date=99999-01-01&to_date=0000-00-00",
        f"{acc}/transactions?from_date=9999-12-31&to_date=9999-12-31",
        f"{acc}/transactions?transaction_id={HUGE_TEXT}",
        f"{acc}/trunks/%00",
        f"{acc}/trunks/{HUGE_TEXT}",
        f"{acc}/Application/{HUGE_TEXT}",
        f"{acc}/Application/%00",
        f"/api/v1/admin/routes/{HUGE_TEXT}",
        "/api/v1/admin/routes/%00",
        f"/api/v1/accounts/{ma}/sub-accounts/%00",
    ]
    cases += [("GET", path, {}) for path in gets]
    return cases


def test_probes_never_500(client: TestClient, acct: AccountHandle) -> None:
    failures = []
    for auth in (acct.headers, admin_headers()):
        for method, path, kwargs in _probes(acct.auth_id):
            headers = {**auth, **kwargs.get("headers", {})}
            resp = client.request(method, path, content=kwargs.get("content"), headers=headers)
            if resp.status_code >= 500 or not resp.headers.get("content-type", "").startswith(
                "application/json"
            ):
                failures.append((method, path, kwargs, resp.status_code, resp.text[:200]))
    assert not failures, "\n".join(map(str, failures))


def _json_probes(ma: str) -> list[tuple[str, str, dict[str, Any]]]:
    acc = f"/api/v1/Account/{ma}"
    n = IN_NUMBERS[0]
    cases: list[tuple[str, str, dict[str, Any]]] = []
    for amount in (HUGE, 10**30, 1e300, -HUGE, "1e400", int(HUGE_TEXT)):
        cases += [
            ("POST", f"/api/v1/admin/accounts/{ma}/credit", {"amount": amount, "currency": "INR"}),
            (
                "POST",
                "/api/v1/admin/accounts",
                {"name": "x", "currency": "INR", "release_fee": amount},
            ),
            (
                "POST",
                "/api/v1/admin/inventory",
                {
                    "numbers": [
                        {
                            "e164": IN_NUMBERS[5],
                            "setup_fee": amount,
                            "monthly_fee": amount,
                            "currency": "INR",
                        }
                    ]
                },
            ),
            ("POST", f"/api/v1/admin/numbers/{n}/calls", {"duration_seconds": amount}),
            ("POST", "/api/v1/admin/calls", {"calls": [{"e164": n, "duration_seconds": amount}]}),
            ("POST", f"{acc}/trunks", {"name": "t", "concurrent_calls_limit": amount}),
            (
                "POST",
                f"{acc}/trunks",
                {"name": "t", "max_concurrent_calls": amount, "cps_limit": amount},
            ),
            ("POST", f"{acc}/numbers/{n}/assign", {"trunk_group_id": amount}),
            ("POST", f"{acc}/numbers/{n}/application", {"application_id": amount}),
        ]
    for text in ("a\x00b", "\U0001f600" * 300, "x" * 100_000, ""):
        cases += [
            ("POST", "/api/v1/admin/accounts", {"name": text, "currency": "INR", "email": text}),
            ("POST", "/api/v1/admin/partners", {"name": text, "currency": "INR"}),
            ("POST", f"/api/v1/accounts/{ma}/sub-accounts", {"name": text, "email": text}),
            ("POST", f"{acc}/trunks", {"name": text}),
            ("POST", f"{acc}/Application", {"app_name": text, "answer_url": text}),
            ("POST", f"{acc}/numbers/purchase-from-inventory", {"e164": text, "currency": text}),
            (
                "POST",
                f"/api/v1/admin/accounts/{ma}/credit",
                {"amount": 1, "currency": "INR", "description": text},
            ),
        ]
    return cases


def test_json_probes_never_500(client: TestClient, acct: AccountHandle) -> None:
    failures = []
    for auth in (acct.headers, admin_headers()):
        for method, path, body in _json_probes(acct.auth_id):
            resp = client.request(method, path, json=body, headers=auth)
            if resp.status_code >= 500:
                failures.append((method, path, str(body)[:80], resp.status_code, resp.text[:200]))
    assert not failures, "\n".join(map(str, failures))


# -- fixed at the domain layer: huge amounts, NUL bytes, undecodable CSV ----------------------
@pytest.mark.parametrize("amount", [HUGE, 10**16, "1e400", 1e300])
def test_huge_credit_amount_is_400_and_names_the_field(
    client: TestClient, acct: AccountHandle, amount: Any
) -> None:
    resp = client.post(
        f"/api/v1/admin/accounts/{acct.auth_id}/credit",
        json={"amount": amount, "currency": "INR"},
        headers=admin_headers(),
    )
    assert "amount" in _bad(resp)["message"]


def test_huge_fee_in_inventory_is_a_row_error(client: TestClient) -> None:
    row = {"e164": IN_NUMBERS[9], "setup_fee": HUGE, "monthly_fee": 1, "currency": "INR"}
    resp = client.post("/api/v1/admin/inventory", json={"numbers": [row]}, headers=admin_headers())
    assert resp.status_code in (200, 400), resp.text
    assert "setup_fee" in resp.text


@pytest.mark.parametrize("route", ["partners", "accounts"])
def test_nul_in_name_is_400(client: TestClient, route: str) -> None:
    resp = client.post(
        f"/api/v1/admin/{route}",
        json={"name": "a\x00b", "currency": "INR"},
        headers=admin_headers(),
    )
    assert "NUL" in _bad(resp)["message"]


def test_description_too_long_is_400(client: TestClient, acct: AccountHandle) -> None:
    resp = client.post(
        f"/api/v1/admin/accounts/{acct.auth_id}/credit",
        json={"amount": 1, "currency": "INR", "description": "x" * 501},
        headers=admin_headers(),
    )
    assert "description" in _bad(resp)["message"]


@pytest.mark.parametrize("data", [b"e164\n\x00\xff", b"\xff\xfe\xfd", b"e164,setup_fee\n\x00,1"])
def test_bad_csv_bytes_are_400(client: TestClient, data: bytes) -> None:
    resp = client.post(
        "/api/v1/admin/inventory",
        content=data,
        headers={**admin_headers(), "Content-Type": "text/csv"},
    )
    _bad(resp)
