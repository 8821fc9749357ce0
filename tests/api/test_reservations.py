"""The reservation routes (api/routes/reservations.py, ADR 0022) over HTTP: shapes, the 409s
and their codes, buying a reservation, expiry by the clock, sub-accounts, the event feed."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from tests.conftest import (
    IN_NUMBERS,
    T0,
    AccountHandle,
    make_account,
    make_sub_account,
    stock,
)
from tests.support import TestServices

A, B, C = IN_NUMBERS[30], IN_NUMBERS[31], IN_NUMBERS[32]


def _base(h: AccountHandle) -> str:
    return f"/api/v1/Account/{h.auth_id}/numbers/reservations"


def test_hold_show_list_extend_cancel(
    state: TestServices, client: TestClient, clock: FixedClock
) -> None:
    h = make_account(state)
    stock(state, [A, B])
    r = client.post(_base(h), json={"numbers": [B, A]}, headers=h.headers)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["status"] == "active" and made["account_id"] == h.auth_id
    assert made["expires_at"] == "2026-01-31T10:15:00.000000Z"  # 15 minutes by default
    assert made["numbers"] == [{"e164": A, "status": "held"}, {"e164": B, "status": "held"}]
    one = client.get(f"{_base(h)}/{made['id']}", headers=h.headers)
    assert one.status_code == 200 and one.json() == made
    listed = client.get(_base(h), headers=h.headers).json()
    assert listed["total"] == 1 and listed["items"] == [made]
    search = client.get(f"/api/v1/Account/{h.auth_id}/inventory/numbers", headers=h.headers)
    assert search.json()["total"] == 0  # held numbers are not offered
    clock.set(T0 + timedelta(minutes=5))
    ext = client.post(
        f"{_base(h)}/{made['id']}/extend", json={"ttl_seconds": 3600}, headers=h.headers
    )
    assert ext.status_code == 200, ext.text
    assert ext.json()["expires_at"] == "2026-01-31T11:05:00.000000Z"
    gone = client.delete(f"{_base(h)}/{made['id']}", headers=h.headers)
    assert gone.status_code == 200 and gone.json()["status"] == "cancelled"
    assert [n["status"] for n in gone.json()["numbers"]] == ["cancelled", "cancelled"]
    again = client.delete(f"{_base(h)}/{made['id']}", headers=h.headers)
    assert again.status_code == 409 and "Retry-After" not in again.headers
    assert again.json() == {
        "error": "reservation_not_active",
        "message": "the reservation is cancelled",
        "status": "cancelled",
    }
    search = client.get(f"/api/v1/Account/{h.auth_id}/inventory/numbers", headers=h.headers)
    assert search.json()["total"] == 2
    kinds = client.get(
        f"/api/v1/Account/{h.auth_id}/events",
        params={"type": "reservation.cancelled"},
        headers=h.headers,
    ).json()["events"]
    assert len(kinds) == 1 and kinds[0]["data"]["id"] == made["id"]


def test_others_get_409s_with_clear_codes(state: TestServices, client: TestClient) -> None:
    holder = make_account(state)
    other = make_account(state, balance=10_000)
    stock(state, [A, B])
    made = client.post(_base(holder), json={"numbers": [A]}, headers=holder.headers).json()
    bought = client.post(
        f"/api/v1/Account/{other.auth_id}/numbers/purchase-from-inventory",
        json={"e164": A},
        headers=other.headers,
    )
    assert bought.status_code == 409 and "Retry-After" not in bought.headers
    assert bought.json()["error"] == "number_reserved"
    held = client.post(_base(other), json={"numbers": [B, A]}, headers=other.headers)
    assert held.status_code == 409
    assert held.json()["error"] == "numbers_unavailable" and held.json()["numbers"] == [A]
    assert client.get(f"{_base(other)}/{made['id']}", headers=other.headers).status_code == 404
    assert client.get(_base(other), headers=other.headers).json()["total"] == 0
    # B was not held by the refused request: the other account can still buy it
    ok = client.post(
        f"/api/v1/Account/{other.auth_id}/numbers/purchase-from-inventory",
        json={"e164": B},
        headers=other.headers,
    )
    assert ok.status_code == 200, ok.text


def test_bad_inputs_are_400s_and_unknown_ids_404(state: TestServices, client: TestClient) -> None:
    h = make_account(state)
    stock(state, [A])
    bodies: list[dict[str, object]] = [
        {},
        {"numbers": "+918041000030"},
        {"numbers": []},
        {"numbers": ["12"]},
        {"numbers": [A], "ttl_seconds": 86_401},
        {"numbers": [A], "ttl_seconds": "60"},
        {"numbers": [A], "ttl_seconds": 0},
    ]
    for body in bodies:
        r = client.post(_base(h), json=body, headers=h.headers)
        assert r.status_code == 400, (body, r.text)
        assert r.json()["error"] == "invalid_request"
    assert client.get(f"{_base(h)}/nope", headers=h.headers).status_code == 404
    assert client.post(f"{_base(h)}/nope/purchase", headers=h.headers).status_code == 404
    assert client.get(_base(h), params={"status": "odd"}, headers=h.headers).status_code == 400
    made = client.post(_base(h), json={"numbers": [A]}, headers=h.headers).json()
    r = client.post(f"{_base(h)}/{made['id']}/extend", json={}, headers=h.headers)
    assert r.status_code == 400


def test_buying_a_reservation_charges_like_a_purchase(
    state: TestServices, client: TestClient
) -> None:
    h = make_account(state, balance=1_000)
    stock(state, [A, B], setup_fee=100, monthly_fee=300)
    made = client.post(_base(h), json={"numbers": [A, B]}, headers=h.headers).json()
    r = client.post(f"{_base(h)}/{made['id']}/purchase", headers=h.headers)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["status"] == "purchased"
    assert out["charged"] == [{"currency": "INR", "amount": 800}]
    assert sorted(n["e164"] for n in out["purchased"]) == [A, B]
    assert all(n["status"] == "active" for n in out["purchased"])
    balance = client.get(f"/api/v1/Account/{h.auth_id}/balance/INR", headers=h.headers)
    assert balance.json()["balance"] == 200
    owned = client.get(f"/api/v1/Account/{h.auth_id}/numbers", headers=h.headers).json()
    assert owned["total"] == 2
    feed = client.get(f"/api/v1/Account/{h.auth_id}/events", headers=h.headers).json()["events"]
    assert [e["type"] for e in feed] == [
        "reservation.created",
        "number.purchased",
        "number.purchased",
        "reservation.purchased",
    ]


def test_a_poor_wallet_buys_nothing_and_an_expired_hold_cannot_be_bought(
    state: TestServices, client: TestClient, clock: FixedClock
) -> None:
    h = make_account(state, balance=500)
    stock(state, [A, B], setup_fee=100, monthly_fee=300)
    made = client.post(
        _base(h), json={"numbers": [A, B], "ttl_seconds": 60}, headers=h.headers
    ).json()
    r = client.post(f"{_base(h)}/{made['id']}/purchase", headers=h.headers)
    assert r.status_code == 402 and r.json()["error"] == "insufficient_balance"
    assert (
        client.get(f"/api/v1/Account/{h.auth_id}/numbers", headers=h.headers).json()["total"] == 0
    )
    clock.set(T0 + timedelta(seconds=60))
    shown = client.get(f"{_base(h)}/{made['id']}", headers=h.headers).json()
    assert shown["status"] == "expired" and {n["status"] for n in shown["numbers"]} == {"expired"}
    r = client.post(f"{_base(h)}/{made['id']}/purchase", headers=h.headers)
    assert r.status_code == 409 and r.json()["status"] == "expired"
    assert (
        client.get(_base(h), params={"status": "expired"}, headers=h.headers).json()["total"] == 1
    )


def test_a_main_account_acts_for_its_sub_account(state: TestServices, client: TestClient) -> None:
    main = make_account(state, balance=1_000)
    sub = make_sub_account(state, main)
    stock(state, [C])
    r = client.post(_base(sub), json={"numbers": [C]}, headers=main.headers)  # sub's path
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["account_id"] == sub.auth_id
    assert client.get(_base(main), headers=main.headers).json()["total"] == 1
    bought = client.post(f"{_base(sub)}/{made['id']}/purchase", headers=sub.headers)
    assert bought.status_code == 200, bought.text
    assert bought.json()["purchased"][0]["account_id"] == sub.auth_id


def test_webhooks_subscribe_to_reservation_events(state: TestServices, client: TestClient) -> None:
    h = make_account(state)
    r = client.post(
        f"/api/v1/Account/{h.auth_id}/webhooks",
        json={
            "url": "https://example.com/hooks",
            "event_types": ["reservation.created", "reservation.expired"],
        },
        headers=h.headers,
    )
    assert r.status_code == 201, r.text
    assert r.json()["event_types"] == ["reservation.created", "reservation.expired"]
