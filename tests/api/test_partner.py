"""Partner API: isolation, shapes, transfers, number views, KYC (issue 5; entities §6)."""

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from tests.conftest import (
    IN_NUMBERS,
    AccountHandle,
    admin_headers,
    buy_over_http,
    make_account,
    make_partner,
    make_sub_account,
    stock,
)
from tests.support import TestServices

PROFILE_KEYS = {
    "id",
    "account_id",
    "name",
    "slug",
    "company",
    "auth_id",
    "email",
    "phone",
    "billing_model",
    "is_active",
    "is_verified",
    "max_accounts",
    "can_create_accounts",
    "can_create_pricing_tiers",
    "can_view_cdrs",
    "can_transfer_balance",
    "default_pricing_tier_id",
    "account_count",
    "balance",
    "created_at",
    "updated_at",
}
PARTNER_TX_KEYS = {
    "id",
    "account_id",
    "balance_id",
    "type",
    "amount",
    "currency",
    "description",
    "reference",
    "status",
    "processed_at",
    "created_at",
    "updated_at",
}


@pytest.fixture
def world(client: TestClient, state: TestServices) -> dict[str, AccountHandle]:
    pa = make_partner(state, balance=5000)
    pb = make_partner(state)
    a1 = make_account(state, balance=10_000, partner_id=pa.auth_id)
    a2 = make_account(state, balance=10_000, partner_id=pa.auth_id)
    b1 = make_account(state, balance=10_000, partner_id=pb.auth_id)
    sub = make_sub_account(state, a1)
    stock(state, IN_NUMBERS[:10])
    buy_over_http(client, a1, IN_NUMBERS[0])
    buy_over_http(client, sub, IN_NUMBERS[1])
    buy_over_http(client, a2, IN_NUMBERS[2])
    buy_over_http(client, b1, IN_NUMBERS[3])
    return {"pa": pa, "pb": pb, "a1": a1, "a2": a2, "b1": b1, "sub": sub}


def test_profile_shape(client: TestClient, world: dict[str, AccountHandle]) -> None:
    body = client.get("/api/v1/partner/me", headers=world["pa"].headers).json()
    assert set(body) == PROFILE_KEYS
    assert body["balance"] == "5000.00000" and body["account_count"] == 2
    assert isinstance(body["account_id"], int)


def test_isolation_matrix(client: TestClient, world: dict[str, AccountHandle]) -> None:
    pa, pb, a1, b1 = world["pa"], world["pb"], world["a1"], world["b1"]
    # a partner never sees another partner's customers
    for path in (
        f"/api/v1/partner/accounts/{b1.auth_id}/numbers",
        f"/api/v1/partner/accounts/{b1.auth_id}/transactions",
    ):
        assert client.get(path, headers=pa.headers).status_code == 404
    r = client.post(
        f"/api/v1/partner/accounts/{b1.auth_id}/transfer-balance",
        json={"amount": 1, "currency": "INR"},
        headers=pa.headers,
    )
    assert r.status_code == 404
    assert (
        client.get(f"/api/v1/partner/accounts/{a1.auth_id}/numbers", headers=pb.headers).status_code
        == 404
    )
    # customer credentials on partner routes, and partner credentials on customer routes
    for path in ("/api/v1/partner/me", "/api/v1/partner/numbers", "/api/v1/partner/accounts"):
        r = client.get(path, headers=a1.headers)
        assert r.status_code == 403 and r.json()["error"]["code"] == 403
    r = client.get(f"/api/v1/Account/{a1.auth_id}/numbers", headers=pa.headers)
    assert r.status_code == 403
    r = client.get(f"/api/v1/Account/{pa.auth_id}/numbers", headers=pa.headers)
    assert r.status_code == 403
    assert client.get("/api/v1/partner/me").status_code == 401


def test_number_views_are_scoped_and_read_only(
    client: TestClient, world: dict[str, AccountHandle]
) -> None:
    pa, a1 = world["pa"], world["a1"]
    all_ = client.get("/api/v1/partner/numbers", headers=pa.headers).json()
    assert set(all_) == {"items", "page", "per_page", "total"}
    assert all_["total"] == 3 and all_["per_page"] == 20
    assert {i["e164"] for i in all_["items"]} == set(IN_NUMBERS[:3])
    one = client.get(f"/api/v1/partner/accounts/{a1.auth_id}/numbers", headers=pa.headers).json()
    assert set(one) == {"items", "page", "per_page", "total", "account_auth_id"}
    assert one["total"] == 2 and one["account_auth_id"] == a1.auth_id  # includes the sub-account's
    assert {i["account_id"] for i in one["items"]} == {a1.auth_id, world["sub"].auth_id}
    found = client.get(
        "/api/v1/partner/numbers", params={"search": IN_NUMBERS[2][-6:]}, headers=pa.headers
    )
    assert found.json()["total"] == 1
    for method in ("post", "put", "patch", "delete"):
        r = getattr(client, method)(
            f"/api/v1/partner/accounts/{a1.auth_id}/numbers", headers=pa.headers
        )
        assert r.status_code == 405, method
        assert (
            getattr(client, method)("/api/v1/partner/numbers", headers=pa.headers).status_code
            == 405
        )
    paged = client.get(
        "/api/v1/partner/numbers", params={"per_page": 2, "page": 2}, headers=pa.headers
    ).json()
    assert (paged["page"], paged["per_page"], len(paged["items"]), paged["total"]) == (2, 2, 1, 3)


def test_released_numbers_leave_the_partner_view(
    client: TestClient, world: dict[str, AccountHandle], clock: FixedClock
) -> None:
    a1, pa = world["a1"], world["pa"]
    client.delete(f"/api/v1/Account/{a1.auth_id}/numbers/{IN_NUMBERS[0]}", headers=a1.headers)
    pending = client.get("/api/v1/partner/numbers", headers=pa.headers).json()
    assert {i["status"] for i in pending["items"] if i["e164"] == IN_NUMBERS[0]} == {
        "pending_release"
    }
    clock.set(clock.now() + timedelta(hours=25))
    assert client.get("/api/v1/partner/numbers", headers=pa.headers).json()["total"] == 2


def test_customer_accounts_list_and_create(
    client: TestClient, world: dict[str, AccountHandle]
) -> None:
    pa = world["pa"]
    listing = client.get(
        "/api/v1/partner/accounts", params={"per_page": 1}, headers=pa.headers
    ).json()
    assert set(listing) == {"accounts", "total", "page", "size"}
    assert listing["total"] == 2 and listing["size"] == 1 and len(listing["accounts"][0]) == 50
    assert listing["accounts"][0]["cash_credits"] == "9200.00000"  # two numbers, one via its sub
    good = {
        "name": "New Co",
        "email": "a@b.example",
        "phone": "+919876543210",
        "password": "Secret#123",
        "country": "in",
    }
    r = client.post("/api/v1/partner/accounts", json=good, headers=pa.headers)
    assert r.status_code == 201, r.text
    created = r.json()
    headers = {"X-Auth-ID": created["auth_id"], "X-Auth-Token": created["auth_token"]}
    assert (
        client.get(f"/api/v1/Account/{created['auth_id']}/balance/INR", headers=headers).status_code
        == 200
    )
    for bad in (
        {**good, "password": "short"},
        {**good, "phone": "12"},
        {**good, "country": "India"},
        {k: v for k, v in good.items() if k != "email"},
        {**good, "email": "nope"},
    ):
        assert (
            client.post("/api/v1/partner/accounts", json=bad, headers=pa.headers).status_code == 400
        )
    assert (
        client.get(
            "/api/v1/partner/accounts", params={"search": "new co"}, headers=pa.headers
        ).json()["total"]
        == 1
    )


def test_transfer_is_atomic_and_ledgered_on_both_sides(
    client: TestClient, state: TestServices, world: dict[str, AccountHandle]
) -> None:
    pa, a1 = world["pa"], world["a1"]
    url = f"/api/v1/partner/accounts/{a1.auth_id}/transfer-balance"
    r = client.post(
        url, json={"amount": 1500, "currency": "INR", "description": "march"}, headers=pa.headers
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["partner_balance_after"] == 3500 and body["customer_balance_after"] == 10700
    assert body["status"] == "completed" and body["from_account"] == pa.auth_id
    too_much = client.post(url, json={"amount": 3500.01, "currency": "INR"}, headers=pa.headers)
    assert too_much.status_code == 400
    assert (
        too_much.json()["current_balance"] == 3500
        and too_much.json()["requested_amount"] == 3500.01
    )
    assert (
        client.post(url, json={"amount": 1, "currency": "USD"}, headers=pa.headers).status_code
        == 400
    )
    assert (
        client.post(url, json={"amount": -1, "currency": "INR"}, headers=pa.headers).status_code
        == 400
    )
    assert client.post(url, json={"currency": "INR"}, headers=pa.headers).status_code == 400
    assert state.wallet.verify() == []
    tx = client.get(
        f"/api/v1/partner/accounts/{a1.auth_id}/transactions", headers=pa.headers
    ).json()
    assert tx["account_auth_id"] == a1.auth_id
    assert all(set(t) == PARTNER_TX_KEYS for t in tx["transactions"])
    transfers = client.get(
        f"/api/v1/partner/accounts/{a1.auth_id}/transactions",
        params={"transaction_type": "transfer"},
        headers=pa.headers,
    ).json()
    assert transfers["total"] == 1 and transfers["transactions"][0]["reference"].startswith("ptc:")
    assert (
        client.get(
            f"/api/v1/partner/accounts/{a1.auth_id}/transactions",
            params={"transaction_type": "bogus"},
            headers=pa.headers,
        ).status_code
        == 400
    )


def test_aadhaar_kyc_sets_the_flag_on_the_accounts_numbers(
    client: TestClient, state: TestServices
) -> None:
    pa = make_partner(state)
    acct = make_account(state, balance=10_000, partner_id=pa.auth_id)
    sub = make_sub_account(state, acct)
    stock(state, IN_NUMBERS[:2], aadhaar_verification_required=True)
    buy_over_http(client, acct, IN_NUMBERS[0])
    buy_over_http(client, sub, IN_NUMBERS[1])
    kyc = client.get("/api/v1/partner/reports/kyc", headers=pa.headers).json()
    assert kyc["total"] == 2
    r = client.post(
        f"/api/v1/admin/accounts/{acct.auth_id}/kyc",
        json={"aadhaar_verified": True},
        headers=admin_headers(),
    )
    assert r.status_code == 200 and r.json()["aadhaar_verified"] is True
    items = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", headers=acct.headers).json()[
        "items"
    ]
    assert {i["aadhaar_verified"] for i in items} == {True}  # personal_use sub-account inherits
    assert client.get("/api/v1/partner/reports/kyc", headers=pa.headers).json()["total"] == 0
    assert (
        client.post(
            f"/api/v1/admin/accounts/{acct.auth_id}/kyc",
            json={"aadhaar_verified": "yes"},
            headers=admin_headers(),
        ).status_code
        == 400
    )


def test_partner_text_inputs_are_validated_before_anything_is_stored(
    client: TestClient, world: dict[str, AccountHandle]
) -> None:
    pa, a1 = world["pa"], world["a1"]
    url = f"/api/v1/partner/accounts/{a1.auth_id}/transfer-balance"
    for description in ("x\x00y", "x" * 501, 5):
        r = client.post(
            url,
            json={"amount": 1, "currency": "INR", "description": description},
            headers=pa.headers,
        )
        assert r.status_code == 400 and r.json()["error"] == "invalid_request", r.text
    good = {
        "name": "N",
        "email": "a@b.example",
        "phone": "+919876543210",
        "password": "Secret#123",
        "country": "IN",
    }
    for bad in (
        {**good, "email": "a@b" + "x" * 400},
        {**good, "company": "c" * 201},
        {**good, "name": "n\x00"},
    ):
        assert (
            client.post("/api/v1/partner/accounts", json=bad, headers=pa.headers).status_code == 400
        )
