"""Owned numbers: list, release and cancel-release (spec §4.3-4.5, §9)."""

from datetime import timedelta
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from didstore.services.lifecycle_job import run_lifecycle
from tests.conftest import IN_NUMBERS, AccountHandle, make_account, make_sub_account, stock
from tests.support import TestServices

NUMBER_KEYS = {
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
    "application_id",
    "voice_enabled",
    "tags",
    "purchased_at",
    "is_blocked",
    "created_at",
    "updated_at",
    "is_trial_number",
    "last_billing_date",
    "next_billing_date",
    "minimum_commitment_months",
    "aadhaar_verification_required",
    "aadhaar_verified",
    "source",
    "released_at",
    "trunk_group_id",
}
UNRENT_KEYS = {"cancel_url", "cooldown_ends_at", "message", "note", "release_fee", "status"}


def _buy(client: TestClient, acct: AccountHandle, e164: str, auth_id: str | None = None) -> None:
    r = client.post(
        f"/api/v1/Account/{auth_id or acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": e164},
        headers=acct.headers,
    )
    assert r.status_code == 200, r.text


def _list(client: TestClient, acct: AccountHandle, **params: object) -> dict:  # type: ignore[type-arg]
    r = client.get(f"/api/v1/Account/{acct.auth_id}/numbers", params=params, headers=acct.headers)
    assert r.status_code == 200, r.text
    return r.json()


def _balance(client: TestClient, acct: AccountHandle) -> float:
    return client.get(f"/api/v1/Account/{acct.auth_id}/balance/INR", headers=acct.headers).json()[
        "balance"
    ]


@pytest.fixture
def owner(client: TestClient, state: TestServices) -> AccountHandle:
    acct = make_account(state, balance=10_000, release_fee=700)
    stock(state, IN_NUMBERS[:6])
    for n in IN_NUMBERS[:3]:
        _buy(client, acct, n)
    return acct


def test_list_shows_exactly_the_phone_number_object(
    client: TestClient, owner: AccountHandle
) -> None:
    body = _list(client, owner)
    assert set(body) == {"items", "page", "per_page", "total"} and body["total"] == 3
    for item in body["items"]:
        assert set(item) == NUMBER_KEYS
        assert item["source"] == "purchased" and item["tags"] == [] and item["region"]
        assert isinstance(item["setup_fee"], int) and isinstance(item["monthly_fee"], int)


def test_list_paginates_with_page_or_legacy_limit_offset(
    client: TestClient, owner: AccountHandle
) -> None:
    p2 = _list(client, owner, page=2, per_page=2)
    assert (p2["page"], p2["per_page"], p2["total"], len(p2["items"])) == (2, 2, 3, 1)
    legacy = _list(client, owner, limit=2, offset=2)
    assert legacy["page"] == 2 and [i["e164"] for i in legacy["items"]] == [IN_NUMBERS[2]]
    assert _list(client, owner, search=IN_NUMBERS[1][-6:])["total"] == 1
    assert _list(client, owner, search="+" + IN_NUMBERS[1][1:])["total"] == 1


def test_main_account_list_includes_sub_account_numbers_by_default(
    client: TestClient, state: TestServices, owner: AccountHandle
) -> None:
    sub = make_sub_account(state, owner)
    _buy(client, sub, IN_NUMBERS[3])
    everything = _list(client, owner)
    assert everything["total"] == 4
    assert {i["account_id"] for i in everything["items"]} == {owner.auth_id, sub.auth_id}
    for flag in ("false", "False"):
        assert _list(client, owner, include_subaccounts=flag)["total"] == 3
    assert _list(client, owner, include_subaccounts="True")["total"] == 4
    assert _list(client, sub)["total"] == 1
    r = client.get(
        f"/api/v1/Account/{owner.auth_id}/numbers",
        params={"include_subaccounts": "maybe"},
        headers=owner.headers,
    )
    assert r.status_code == 400


@pytest.mark.parametrize("form", ["plus", "digits", "encoded", "double", "lowercase", "slash"])
def test_release_accepts_every_form_of_the_number(
    client: TestClient, owner: AccountHandle, form: str
) -> None:
    n = IN_NUMBERS[0]
    segment = {
        "plus": n,
        "digits": n[1:],
        "encoded": quote(n, safe=""),
        "double": quote(quote(n, safe=""), safe=""),
        "lowercase": n,
        "slash": n,
    }[form]
    casing = "account" if form == "lowercase" else "Account"
    tail = "/" if form == "slash" else ""
    r = client.delete(
        f"/api/v1/{casing}/{owner.auth_id}/numbers/{segment}{tail}", headers=owner.headers
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "pending_release"


def test_release_charges_the_fee_and_cancel_refunds_it_without_reattaching(
    client: TestClient, owner: AccountHandle, clock: FixedClock
) -> None:
    n = IN_NUMBERS[0]
    before = _balance(client, owner)
    r = client.delete(f"/api/v1/Account/{owner.auth_id}/numbers/{n}", headers=owner.headers)
    body = r.json()
    assert set(body) == UNRENT_KEYS
    assert body["release_fee"] == 700 and body["message"] == "number release initiated"
    assert body["cancel_url"] == f"/api/v1/account/{owner.auth_id}/numbers/{n}/cancel-release"
    assert body["cooldown_ends_at"] == "2026-02-01T10:00:00.000000Z"
    assert _balance(client, owner) == before - 700
    listed = {i["e164"]: i for i in _list(client, owner)["items"]}
    assert listed[n]["status"] == "pending_release"

    again = client.delete(f"/api/v1/Account/{owner.auth_id}/numbers/{n}", headers=owner.headers)
    assert again.status_code == 400 and again.json() == {
        "error": "number is already pending release"
    }

    clock.set(clock.now() + timedelta(hours=23, minutes=59))
    c = client.post(body["cancel_url"], headers=owner.headers)
    assert c.status_code == 200
    assert c.json() == {
        "currency": "INR",
        "message": "release cancelled, number restored to active status",
        "refund_amount": 700,
        "status": "active",
    }
    assert _balance(client, owner) == before
    restored = {i["e164"]: i for i in _list(client, owner)["items"]}[n]
    assert restored["status"] == "active" and restored["trunk_group_id"] is None
    c2 = client.post(body["cancel_url"], headers=owner.headers)
    assert c2.status_code == 400 and c2.json() == {"error": "number is not pending release"}


def test_after_24_hours_the_release_is_final_even_before_the_job_runs(
    client: TestClient, state: TestServices, owner: AccountHandle, clock: FixedClock
) -> None:
    n = IN_NUMBERS[1]
    client.delete(f"/api/v1/Account/{owner.auth_id}/numbers/{n}", headers=owner.headers)
    clock.set(clock.now() + timedelta(hours=24))
    assert n not in {i["e164"] for i in _list(client, owner)["items"]}
    c = client.post(
        f"/api/v1/account/{owner.auth_id}/numbers/{n}/cancel-release", headers=owner.headers
    )
    assert c.status_code == 400
    assert state.call(run_lifecycle, state.adb, clock).released == 1
    inv_url = f"/api/v1/Account/{owner.auth_id}/inventory/numbers"
    assert n not in {i["e164"] for i in client.get(inv_url, headers=owner.headers).json()["items"]}
    clock.set(clock.now() + timedelta(days=45))
    report = state.call(run_lifecycle, state.adb, clock)
    assert report.returned_to_inventory == 1 and report.released == 0
    assert n in {i["e164"] for i in client.get(inv_url, headers=owner.headers).json()["items"]}
    assert (
        state.call(run_lifecycle, state.adb, clock).returned_to_inventory == 0
    )  # a second run moves nothing


def test_immediate_release_quarantines_at_once_and_cannot_be_cancelled(
    client: TestClient, owner: AccountHandle
) -> None:
    n = IN_NUMBERS[2]
    r = client.delete(
        f"/api/v1/Account/{owner.auth_id}/numbers/{n}?immediate=True", headers=owner.headers
    )
    body = r.json()
    assert r.status_code == 200 and set(body) == UNRENT_KEYS
    assert (
        body["status"] == "released" and body["cooldown_ends_at"] == "2026-01-31T10:00:00.000000Z"
    )
    assert n not in {i["e164"] for i in _list(client, owner)["items"]}
    c = client.post(body["cancel_url"], headers=owner.headers)
    assert c.status_code == 400


def test_release_errors(client: TestClient, state: TestServices, owner: AccountHandle) -> None:
    other = make_account(state, balance=10_000)
    r = client.delete(
        f"/api/v1/Account/{other.auth_id}/numbers/{IN_NUMBERS[0]}", headers=other.headers
    )
    assert r.status_code == 403
    assert r.json() == {"error": "forbidden", "message": "account does not own this number"}
    r = client.delete(
        f"/api/v1/Account/{owner.auth_id}/numbers/{IN_NUMBERS[5]}", headers=owner.headers
    )
    assert r.status_code == 403  # in stock, not owned
    r = client.delete(
        f"/api/v1/Account/{owner.auth_id}/numbers/+919999999999", headers=owner.headers
    )
    assert r.status_code == 404
    r = client.delete(f"/api/v1/Account/{owner.auth_id}/numbers/abc", headers=owner.headers)
    assert r.status_code == 400
    c = client.post(
        f"/api/v1/account/{other.auth_id}/numbers/{IN_NUMBERS[0]}/cancel-release",
        headers=other.headers,
    )
    assert c.status_code == 403 and c.json() == {"error": "access denied"}
    c = client.post(
        f"/api/v1/account/{owner.auth_id}/numbers/+919999999999/cancel-release",
        headers=owner.headers,
    )
    assert c.status_code == 404 and c.json() == {"error": "number not found"}


def test_release_without_the_fee_in_the_wallet_is_402(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=400, release_fee=700)
    stock(state, IN_NUMBERS[:1])
    _buy(client, acct, IN_NUMBERS[0])
    r = client.delete(
        f"/api/v1/Account/{acct.auth_id}/numbers/{IN_NUMBERS[0]}", headers=acct.headers
    )
    assert r.status_code == 402
    assert _list(client, acct)["items"][0]["status"] == "active"


def test_parent_may_release_a_sub_accounts_number(
    client: TestClient, state: TestServices, owner: AccountHandle
) -> None:
    sub = make_sub_account(state, owner)
    _buy(client, sub, IN_NUMBERS[4])
    r = client.delete(
        f"/api/v1/Account/{owner.auth_id}/numbers/{IN_NUMBERS[4]}", headers=owner.headers
    )
    assert r.status_code == 200


def test_a_suspension_past_its_grace_is_released_even_before_the_job(
    client: TestClient, state: TestServices, owner: AccountHandle, clock: FixedClock
) -> None:
    from sqlalchemy import update

    from didstore.db.tables import numbers

    n = IN_NUMBERS[0]
    with state.db.write() as conn:  # as a failed renewal leaves it (tests/services/)
        conn.execute(
            update(numbers)
            .where(numbers.c.e164 == n)
            .values(
                state="suspended",
                suspended_at=clock.now(),
                grace_ends_at=clock.now() + timedelta(days=7),
            )
        )
    assert {i["e164"]: i["status"] for i in _list(client, owner)["items"]}[n] == "suspended"
    clock.set(clock.now() + timedelta(days=7))
    assert n not in {i["e164"] for i in _list(client, owner)["items"]}


def test_get_one_number_answers_the_list_item_in_every_path_form(
    client: TestClient, state: TestServices
) -> None:
    owner = make_account(state, balance=10_000)
    stock(state, IN_NUMBERS[:2])
    _buy(client, owner, IN_NUMBERS[1])
    listed = _list(client, owner)["items"][0]
    for form in (IN_NUMBERS[1], quote(IN_NUMBERS[1], safe=""), IN_NUMBERS[1][1:]):
        r = client.get(f"/api/v1/Account/{owner.auth_id}/numbers/{form}", headers=owner.headers)
        assert r.status_code == 200, (form, r.text)
        assert r.json() == listed


def test_get_one_number_is_404_for_a_number_the_account_does_not_hold(
    client: TestClient, state: TestServices
) -> None:
    owner, other = make_account(state, balance=10_000), make_account(state)
    stock(state, IN_NUMBERS[:2])
    _buy(client, owner, IN_NUMBERS[0])
    for who, e164 in ((other, IN_NUMBERS[0]), (owner, IN_NUMBERS[1]), (owner, "+919999")):
        r = client.get(f"/api/v1/Account/{who.auth_id}/numbers/{e164}", headers=who.headers)
        assert r.status_code in (400, 404), r.text
    r = client.get(
        f"/api/v1/Account/{other.auth_id}/numbers/{IN_NUMBERS[0]}", headers=other.headers
    )
    assert r.status_code == 404
    assert r.json()["error"] == "not_found"
    r = client.get(
        f"/api/v1/Account/{owner.auth_id}/numbers/{IN_NUMBERS[0]}", headers=other.headers
    )
    assert r.status_code == 403


def test_a_release_dry_run_quotes_the_fee_and_changes_nothing(
    client: TestClient, state: TestServices
) -> None:
    owner = make_account(state, balance=10_000, release_fee=7)
    stock(state, IN_NUMBERS[:1], minimum_commitment_months=3)
    _buy(client, owner, IN_NUMBERS[0])
    url = f"/api/v1/Account/{owner.auth_id}/numbers/{IN_NUMBERS[0]}"
    before = client.get(f"/api/v1/Account/{owner.auth_id}/balance/INR", headers=owner.headers)
    quote = client.delete(f"{url}?dry_run=true", headers=owner.headers)
    assert quote.status_code == 200, quote.text
    body = quote.json()
    assert body["dry_run"] is True and set(body) == UNRENT_KEYS | {"dry_run"}
    # the release fee (7) and the two committed months not paid yet (2 x 300)
    assert body["release_fee"] == 607 and body["status"] == "pending_release"
    after = client.get(f"/api/v1/Account/{owner.auth_id}/balance/INR", headers=owner.headers)
    assert after.json()["balance"] == before.json()["balance"]
    assert _list(client, owner)["items"][0]["status"] == "active"
    real = client.delete(url, headers=owner.headers)
    assert real.json()["release_fee"] == 607
    assert client.delete(f"{url}?dry_run=maybe", headers=owner.headers).status_code == 400
