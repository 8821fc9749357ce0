"""Auth, balance, transactions, auth/me and sub-accounts (spec §1.2, entities §3-5)."""

import base64

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, admin_headers, make_account, make_sub_account, stock
from tests.support import TestServices

BALANCE_KEYS = {
    "id",
    "account_id",
    "currency",
    "balance",
    "reserved_funds",
    "promotional_balance",
    "promotional_reserved_balance",
    "available_balance",
    "credit_limit",
    "is_postpaid",
    "credit_limit_type",
    "low_balance_threshold",
    "status",
    "created_at",
    "updated_at",
}
TX_KEYS = {
    "id",
    "account_id",
    "balance_id",
    "type",
    "amount",
    "currency",
    "description",
    "reference",
    "reference_type",
    "status",
    "processed_at",
    "created_at",
    "updated_at",
}
SUB_KEYS = {
    "name",
    "email",
    "phone",
    "description",
    "permissions",
    "rate_limit",
    "id",
    "parent_account_id",
    "parent_auth_id",
    "auth_id",
    "auth_token",
    "api_id",
    "email_verified",
    "enabled",
    "created",
    "modified",
    "is_active",
    "created_at",
    "updated_at",
    "last_used",
    "account",
    "resource_uri",
}


def test_auth_failures_use_the_nested_envelope(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    url = f"/api/v1/Account/{acct.auth_id}/numbers"
    r = client.get(url)
    assert r.status_code == 401 and r.json()["error"]["code"] == 401
    r = client.get(url, headers={"X-Auth-ID": acct.auth_id, "X-Auth-Token": "wrong"})
    assert r.json() == {"error": {"code": 401, "message": "Invalid token"}}
    r = client.get(url, headers={"X-Auth-ID": "MA_NOPE0000", "X-Auth-Token": acct.token})
    assert r.status_code == 401
    other = make_account(state)
    r = client.get(f"/api/v1/Account/{other.auth_id}/numbers", headers=acct.headers)
    assert r.status_code == 403
    assert r.json() == {"error": {"code": 403, "message": "Access denied: account ID mismatch"}}


def test_x_auth_wins_over_a_placeholder_bearer_and_basic_works(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    url = f"/api/v1/Account/{acct.auth_id}/numbers"
    r = client.get(url, headers={**acct.headers, "Authorization": "Bearer placeholder"})
    assert r.status_code == 200
    basic = base64.b64encode(f"{acct.auth_id}:{acct.token}".encode()).decode()
    assert client.get(url, headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert client.get(url, headers={"Authorization": "Basic !!!"}).status_code == 401
    assert client.get(url, headers={"Authorization": f"Bearer {acct.token}"}).status_code == 200


def test_operator_token_acts_on_any_account(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    r = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=admin_headers())
    assert r.status_code == 200
    assert (
        client.get("/api/v1/Account/MA_NOPE0000/numbers", headers=admin_headers()).status_code
        == 404
    )


def test_a_sub_account_cannot_use_its_parents_path(client: TestClient, state: TestServices) -> None:
    parent = make_account(state)
    sub = make_sub_account(state, parent)
    r = client.get(f"/api/v1/Account/{parent.auth_id}/numbers", headers=sub.headers)
    assert r.status_code == 403


def test_balance_has_the_documented_keys_and_a_sub_account_sees_its_parents(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1234)
    sub = make_sub_account(state, acct)
    body = client.get(f"/api/v1/Account/{acct.auth_id}/balance/INR", headers=acct.headers).json()
    assert (
        set(body) == BALANCE_KEYS and body["balance"] == 1234 and body["available_balance"] == 1234
    )
    sub_view = client.get(f"/api/v1/account/{sub.auth_id}/balance/inr", headers=sub.headers).json()
    assert sub_view["id"] == body["id"]
    r = client.get(f"/api/v1/Account/{acct.auth_id}/balance/USD", headers=acct.headers)
    assert r.status_code == 404
    r = client.get(f"/api/v1/Account/{acct.auth_id}/balance/ZZZ", headers=acct.headers)
    assert r.status_code == 400


def test_transactions_list_filter_and_summarise(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:2])
    for n in IN_NUMBERS[:2]:
        client.post(
            f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
            json={"e164": n},
            headers=acct.headers,
        )
    url = f"/api/v1/Account/{acct.auth_id}/transactions"
    body = client.get(url, headers=acct.headers).json()
    assert set(body) == {"transactions", "summary", "total", "page", "per_page", "total_pages"}
    assert body["total"] == 3 and body["per_page"] == 50 and body["total_pages"] == 1
    assert all(set(t) == TX_KEYS for t in body["transactions"])
    assert body["transactions"][0]["reference_type"] == "did_purchase"  # newest first
    s = body["summary"]
    assert (s["total_debit"], s["total_credit"], s["net_amount"]) == (800, 1000, 200)
    assert isinstance(s["total_credit"], int)
    only = client.get(url, params={"type": "credit"}, headers=acct.headers).json()
    assert only["total"] == 1
    legacy = client.get(url, params={"limit": 1, "offset": 1}, headers=acct.headers).json()
    assert legacy["page"] == 2 and len(legacy["transactions"]) == 1
    fallback = client.get(url, params={"per_page": 5000}, headers=acct.headers).json()
    assert fallback["per_page"] == 50
    assert (
        client.get(url, params={"from_date": "yesterday"}, headers=acct.headers).status_code == 400
    )
    dated = client.get(
        url, params={"from_date": "2026-01-31", "to_date": "2026-01-31"}, headers=acct.headers
    ).json()
    assert dated["total"] == 3
    assert (
        client.get(url, params={"to_date": "2026-01-30"}, headers=acct.headers).json()["total"] == 0
    )


def test_auth_me_has_the_46_documented_keys(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    body = client.get("/api/v1/auth/me", headers=acct.headers).json()
    assert len(body) == 46 and body["auth_id"] == acct.auth_id
    assert body["ip_whitelist_rules"] == {} and set(body["features"]) == {"call_queue"}
    assert client.get("/api/v1/auth/me", headers=admin_headers()).status_code == 400


def test_sub_account_lifecycle(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    base = f"/api/v1/accounts/{acct.auth_id}/sub-accounts/"
    r = client.post(base, json={"name": "support"}, headers=acct.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    assert set(created) == {"message", "sub_account", "auth_credentials", "tokens"}
    assert set(created["sub_account"]) == SUB_KEYS
    assert created["sub_account"]["auth_token"] == "<redacted>"
    sa_id = created["auth_credentials"]["auth_id"]
    sa_token = created["auth_credentials"]["auth_token"]
    assert sa_id.startswith("SA_") and len(sa_id) == 11
    # the new credentials work on the sub-account's own routes
    sa_headers = {"X-Auth-ID": sa_id, "X-Auth-Token": sa_token}
    assert client.get(f"/api/v1/Account/{sa_id}/numbers", headers=sa_headers).status_code == 200

    listing = client.get(base, headers=acct.headers).json()
    assert set(listing) == {"sub_accounts", "total", "page", "size"} and listing["total"] == 1
    assert "permissions" in listing["sub_accounts"][0]
    got = client.get(base + sa_id, headers=acct.headers).json()
    assert got["auth_id"] == sa_id and set(got) == SUB_KEYS
    upd = client.put(base + sa_id, json={"name": "renamed", "enabled": False}, headers=acct.headers)
    assert upd.json()["name"] == "renamed" and upd.json()["enabled"] is False
    assert client.get(f"/api/v1/Account/{sa_id}/numbers", headers=sa_headers).status_code == 401
    assert client.delete(base + sa_id, headers=acct.headers).status_code == 204
    assert client.get(base + sa_id, headers=acct.headers).status_code == 404
    assert client.get(base, headers=acct.headers).json()["total"] == 0


def test_sub_account_validation(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    base = f"/api/v1/accounts/{acct.auth_id}/sub-accounts"
    assert client.post(base, json={}, headers=acct.headers).status_code == 400
    r = client.post(base, json={"name": "x", "kyc_mode": "customer_use"}, headers=acct.headers)
    assert r.status_code == 400 and "email" in r.json()["message"]
    assert (
        client.post(base, json={"name": "x", "kyc_mode": "bogus"}, headers=acct.headers).status_code
        == 400
    )
    sub = make_sub_account(state, acct)
    r = client.post(
        f"/api/v1/accounts/{sub.auth_id}/sub-accounts", json={"name": "y"}, headers=sub.headers
    )
    assert r.status_code == 403
    assert client.get(base + "/SA_NOPE0000", headers=acct.headers).status_code == 404


def test_a_sub_account_holding_numbers_cannot_be_deleted(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=1000)
    sub = make_sub_account(state, acct)
    stock(state, IN_NUMBERS[:1])
    client.post(
        f"/api/v1/Account/{sub.auth_id}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=sub.headers,
    )
    r = client.delete(
        f"/api/v1/accounts/{acct.auth_id}/sub-accounts/{sub.auth_id}", headers=acct.headers
    )
    assert r.status_code == 409 and r.json()["error"] == "conflict"
