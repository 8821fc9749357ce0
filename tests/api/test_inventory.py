"""Operator import and customer search of the inventory (spec §4.1; issue 2 §4-5)."""

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, US_NUMBERS, admin_headers, make_account, stock
from tests.support import TestServices

INVENTORY_KEYS = {
    "id",
    "account_id",
    "e164",
    "country",
    "region",
    "capabilities",
    "status",
    "provider",
    "setup_fee",
    "monthly_fee",
    "currency",
    "voice_enabled",
    "tags",
    "is_blocked",
    "created_at",
    "updated_at",
    "is_trial_number",
    "minimum_commitment_months",
    "aadhaar_verification_required",
    "aadhaar_verified",
}


def test_json_import_validates_every_row_and_keeps_the_good_ones(client: TestClient) -> None:
    rows = [
        {
            "e164": IN_NUMBERS[0],
            "region": "KA",
            "setup_fee": 100,
            "monthly_fee": 300,
            "currency": "INR",
            "tags": ["blr"],
            "aadhaar_verification_required": True,
        },
        {
            "e164": "+10000000000",
            "region": "x",
            "setup_fee": 1,
            "monthly_fee": 1,
            "currency": "USD",
        },
        {
            "e164": IN_NUMBERS[1],
            "region": "KA",
            "setup_fee": -1,
            "monthly_fee": 300,
            "currency": "INR",
        },
        {
            "e164": IN_NUMBERS[2],
            "region": "KA",
            "setup_fee": 1,
            "monthly_fee": 3,
            "currency": "XXY",
        },
        {
            "e164": IN_NUMBERS[3],
            "region": "KA",
            "setup_fee": 1,
            "monthly_fee": 3,
            "currency": "INR",
            "country": "US",
        },
        {
            "e164": IN_NUMBERS[0],
            "region": "KA",
            "setup_fee": 1,
            "monthly_fee": 3,
            "currency": "INR",
        },
        "not an object",
        {
            "e164": US_NUMBERS[0],
            "setup_fee": "1",
            "monthly_fee": "2",
            "currency": "usd",
            "capabilities": {"voice": True, "sms": True},
        },
    ]
    r = client.post("/api/v1/admin/inventory", json={"numbers": rows}, headers=admin_headers())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["created"] == 2
    assert body["skipped"] == 1
    assert [e["row"] for e in body["errors"]] == [2, 3, 4, 5, 7]
    assert "currency" in body["errors"][2]["error"]


def test_csv_import_and_duplicates_on_a_second_run(client: TestClient) -> None:
    csv_body = (
        "e164,region,setup_fee,monthly_fee,currency,capabilities,tags\n"
        f"{IN_NUMBERS[0]},Karnataka,100,300,INR,voice,a;b\n"
        f"{US_NUMBERS[0]},,1,2,USD,voice|sms,\n"
        "12345,Nowhere,1,1,USD,,\n"
    )
    headers = {**admin_headers(), "content-type": "text/csv"}
    first = client.post("/api/v1/admin/inventory", content=csv_body, headers=headers).json()
    assert (first["created"], first["skipped"], len(first["errors"])) == (2, 0, 1)
    files = {"file": ("n.csv", csv_body.encode(), "text/csv")}
    second = client.post("/api/v1/admin/inventory", files=files, headers=admin_headers()).json()
    assert (second["created"], second["skipped"]) == (0, 2)


def test_import_needs_the_operator_and_a_sane_body(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    assert client.post("/api/v1/admin/inventory", json={"numbers": []}).status_code == 401
    r = client.post("/api/v1/admin/inventory", json={"numbers": []}, headers=acct.headers)
    assert r.status_code == 403
    r = client.post("/api/v1/admin/inventory", content=b"{oops", headers=admin_headers())
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = client.post("/api/v1/admin/inventory", json=[1, 2], headers=admin_headers())
    assert r.status_code == 400


def test_search_filters_country_substring_and_exclude(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    stock(state, IN_NUMBERS[:10])
    stock(state, US_NUMBERS[:5], currency="USD", setup_fee=1, monthly_fee=2)
    url = f"/api/v1/Account/{acct.auth_id}/inventory/numbers"

    body = client.get(url, headers=acct.headers).json()
    assert body["total"] == 15 and body["page"] == 1 and body["per_page"] == 25
    assert set(body) == {"items", "page", "per_page", "total"}
    assert all(set(i) == INVENTORY_KEYS for i in body["items"])
    assert all(i["account_id"] == "" and i["status"] == "active" for i in body["items"])

    only_in = client.get(url, params={"country": "in"}, headers=acct.headers).json()
    assert only_in["total"] == 10 and {i["country"] for i in only_in["items"]} == {"IN"}

    # search is a substring of the number; a + sent by curl arrives as a space
    hit = client.get(url, params={"search": IN_NUMBERS[3][-5:]}, headers=acct.headers).json()
    assert [i["e164"] for i in hit["items"]] == [IN_NUMBERS[3]]
    plus = client.get(url + "?search=+1415", headers=acct.headers).json()
    assert plus["total"] == 5

    # exclude: comma list and repeated, + optional, ANDed with search, total reflects it
    ex = client.get(url + "?exclude=%2B1415,9180&exclude=44", headers=acct.headers).json()
    assert ex["total"] == 0
    ex2 = client.get(url, params={"exclude": "1415", "search": "41"}, headers=acct.headers).json()
    assert {i["country"] for i in ex2["items"]} == {"IN"} and ex2["total"] == 10

    page2 = client.get(url, params={"page": 2, "per_page": 4}, headers=acct.headers).json()
    assert (page2["page"], page2["per_page"], page2["total"], len(page2["items"])) == (2, 4, 15, 4)
    capped = client.get(url, params={"per_page": 1000}, headers=acct.headers).json()
    assert capped["per_page"] == 100


def test_search_rejects_bad_parameters_with_400(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    url = f"/api/v1/Account/{acct.auth_id}/inventory/numbers"
    for params in (
        {"search": "abc"},
        {"country": "India"},
        {"page": 0},
        {"per_page": "x"},
        {"exclude": "12a"},
        {"per_page": -1},
    ):
        r = client.get(url, params=params, headers=acct.headers)
        assert r.status_code == 400, (params, r.text)
        assert set(r.json()) == {"error", "message"}


def test_owned_numbers_are_not_in_inventory(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:3])
    client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=acct.headers,
    )
    body = client.get(
        f"/api/v1/Account/{acct.auth_id}/inventory/numbers", headers=acct.headers
    ).json()
    assert IN_NUMBERS[0] not in {i["e164"] for i in body["items"]} and body["total"] == 2
