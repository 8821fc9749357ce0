"""The customer's reservation pages (console/reservations.py): Hold from the search results,
the Reservations page, buying after a review page, extending and cancelling."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import IN_NUMBERS, make_account, stock
from tests.console.pages import csrf, marked, sign_in
from tests.support import TestServices


def _balance(client: TestClient, auth_id: str, headers: dict[str, str]) -> float:
    r = client.get(f"/api/v1/Account/{auth_id}/balance/INR", headers=headers)
    return float(r.json()["balance"])


def test_hold_from_search_then_buy_after_review(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:2], setup_fee=1, monthly_fee=3)
    sign_in(client, acct.auth_id, acct.token)
    search = client.get("/console/inventory")
    assert 'data-testid="hold"' in search.text
    r = client.post(
        "/console/inventory/hold",
        data={"csrf": csrf(search), "e164": IN_NUMBERS[0]},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/reservations"
    page = client.get("/console/reservations")
    assert "is held for you until" in page.text
    [rid] = marked(page, "reservation-row", "data-id")
    # the held number is not offered any more
    assert marked(client.get("/console/inventory"), "number-row", "data-e164") == IN_NUMBERS[1:2]
    review = client.get(f"/console/reservations/{rid}/buy")
    assert review.status_code == 200 and 'data-testid="confirm"' in review.text
    assert "4.00 INR" in review.text and "96.00 INR" in review.text
    assert _balance(client, acct.auth_id, acct.headers) == 100  # nothing moved yet
    done = client.post(
        f"/console/reservations/{rid}/buy", data={"csrf": csrf(review)}, follow_redirects=False
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/numbers"
    owned = client.get("/console/numbers")
    assert f"Bought {IN_NUMBERS[0]}; charged 4.00 INR" in owned.text
    assert _balance(client, acct.auth_id, acct.headers) == 96
    assert marked(client.get("/console/reservations"), "reservation-row", "data-status") == [
        "purchased"
    ]


def test_extend_and_cancel_need_the_csrf_token(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    stock(state, IN_NUMBERS[:1])
    sign_in(client, acct.auth_id, acct.token)
    search = client.get("/console/inventory")
    client.post("/console/inventory/hold", data={"csrf": csrf(search), "e164": IN_NUMBERS[0]})
    page = client.get("/console/reservations")
    [rid] = marked(page, "reservation-row", "data-id")
    forged = client.post(f"/console/reservations/{rid}/cancel", data={"csrf": "nope"})
    assert forged.status_code == 403
    r = client.post(f"/console/reservations/{rid}/extend", data={"csrf": csrf(page)})
    assert r.status_code == 200 and "Held until" in r.text
    r = client.post(f"/console/reservations/{rid}/cancel", data={"csrf": csrf(page)})
    assert "are available to everyone again" in r.text
    assert marked(r, "reservation-row", "data-status") == ["cancelled"]
    assert marked(client.get("/console/inventory"), "number-row", "data-e164") == IN_NUMBERS[:1]
    again = client.post(f"/console/reservations/{rid}/cancel", data={"csrf": csrf(page)})
    assert again.status_code == 409
