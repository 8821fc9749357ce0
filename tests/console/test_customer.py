"""Customer pages through the TestClient: home figures, inventory search and purchase with a
confirmation step, the owned list with paging, release and cancel with their costs, flash
messages, CSRF on every form, and other accounts' numbers answering 404."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from didstore.clock import FixedClock
from didstore.services.lifecycle_job import run_lifecycle
from didstore.services.models import CLI
from tests.conftest import (
    IN_NUMBERS,
    US_NUMBERS,
    admin_headers,
    buy_over_http,
    make_account,
    make_sub_account,
    stock,
)
from tests.console.pages import csrf, marked, post_form, sign_in
from tests.support import TestServices


def _balance(client: TestClient, auth_id: str, headers: dict[str, str]) -> float:
    r = client.get(f"/api/v1/Account/{auth_id}/balance/INR", headers=headers)
    assert r.status_code == 200, r.text
    return float(r.json()["balance"])


def test_pages_need_a_session(client: TestClient) -> None:
    for path in (
        "/console/home",
        "/console/inventory",
        "/console/numbers",
        "/console/numbers/+918041000000",
    ):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/console/login", path


def test_home_shows_balances_counts_renewals_and_unrouted(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=5000)
    state.wallet.credit(
        CLI,
        state.accounts.get(acct.auth_id),
        amount=7,
        currency_code="USD",
    )
    stock(state, IN_NUMBERS[:3], setup_fee=100, monthly_fee=300)
    for n in IN_NUMBERS[:3]:
        r = client.post(
            f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
            json={"e164": n},
            headers=acct.headers,
        )
        assert r.status_code == 200, r.text
    sign_in(client, acct.auth_id, acct.token)
    page = client.get("/console/home")
    assert page.status_code == 200
    assert marked(page, "balance", "data-currency") == ["INR", "USD"]
    # 5000 - 3 * (100 + 300) = 3800 INR
    assert marked(page, "balance", "data-minor") == ["380000", "700"]
    assert marked(page, "count", "data-state") == ["active"]
    assert ">3</div>" in page.text
    # each number renews once in the next 30 days: 3 x 300 INR due against 3800
    assert "900.00 INR" in page.text
    assert sorted(marked(page, "unrouted", "data-e164")) == sorted(IN_NUMBERS[:3])


def test_home_warns_when_renewals_exceed_the_balance(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=400)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=acct.headers,
    )
    sign_in(client, acct.auth_id, acct.token)
    page = client.get("/console/home")
    assert "short by 300.00 INR" in page.text


def test_inventory_search_filters_and_pages(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    stock(state, IN_NUMBERS[:30])
    stock(state, US_NUMBERS[:2], currency="USD")
    sign_in(client, acct.auth_id, acct.token)
    first = client.get("/console/inventory?country=IN")
    rows = marked(first, "number-row", "data-e164")
    assert rows == sorted(IN_NUMBERS[:30])[:25]
    assert "Page 1 of 2" in first.text
    second = client.get("/console/inventory?country=IN&page=2")
    assert marked(second, "number-row", "data-e164") == sorted(IN_NUMBERS[:30])[25:]
    us = client.get("/console/inventory?country=US")
    assert marked(us, "number-row", "data-e164") == US_NUMBERS[:2]
    digits = IN_NUMBERS[7][-4:]
    found = client.get(f"/console/inventory?search={digits}")
    assert IN_NUMBERS[7] in marked(found, "number-row", "data-e164")
    excluded = client.get("/console/inventory?exclude=91")
    assert marked(excluded, "number-row", "data-e164") == US_NUMBERS[:2]
    # the cost preview: setup + first month (100 + 300 INR)
    assert "400.00 INR" in first.text


def test_inventory_type_filter(client: TestClient, state: TestServices) -> None:
    acct = make_account(state)
    stock(state, IN_NUMBERS[:2])
    stock(state, IN_NUMBERS[2:4], capabilities="voice,sms")
    sign_in(client, acct.auth_id, acct.token)
    sms = client.get("/console/inventory?type=sms")
    assert marked(sms, "number-row", "data-e164") == IN_NUMBERS[2:4]
    voice = client.get("/console/inventory?type=voice")
    assert marked(voice, "number-row", "data-e164") == IN_NUMBERS[:4]
    assert marked(client.get("/console/inventory?type=fax"), "number-row", "data-e164") == []


@pytest.mark.parametrize("query", ["country=INDIA", "search=abc", "exclude=x1", "type=tollfree"])
def test_inventory_bad_filters_say_what_to_fix(
    client: TestClient, state: TestServices, query: str
) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    r = client.get(f"/console/inventory?{query}")
    assert r.status_code == 400 and 'role="alert"' in r.text


def test_buy_needs_confirmation_then_charges_once(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=3)
    sign_in(client, acct.auth_id, acct.token)
    number = IN_NUMBERS[0]
    confirm = client.get(f"/console/inventory/buy?e164={number.replace('+', '%2B')}")
    assert confirm.status_code == 200 and 'data-testid="confirm"' in confirm.text
    assert "4.00 INR" in confirm.text and "96.00 INR" in confirm.text  # balance after
    assert _balance(client, acct.auth_id, acct.headers) == 100  # nothing moved yet
    r = client.post(
        "/console/inventory/buy",
        data={"csrf": csrf(confirm), "e164": number},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/console/numbers/{number}"
    page = client.get(r.headers["location"])
    assert 'data-testid="flash"' in page.text and "charged 4.00 INR" in page.text
    assert _balance(client, acct.auth_id, acct.headers) == 96
    owned = client.get("/console/numbers")
    assert marked(owned, "number-row", "data-e164") == [number]
    # the flash shows once
    assert 'data-testid="flash"' not in client.get("/console/numbers").text
    # a second confirm is a replay: nothing charged
    again = client.post("/console/inventory/buy", data={"csrf": csrf(confirm), "e164": number})
    assert "nothing was charged" in again.text
    assert _balance(client, acct.auth_id, acct.headers) == 96


def test_buy_without_csrf_changes_nothing(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1])
    sign_in(client, acct.auth_id, acct.token)
    r = client.post("/console/inventory/buy", data={"e164": IN_NUMBERS[0], "csrf": "nope"})
    assert r.status_code == 403
    assert _balance(client, acct.auth_id, acct.headers) == 100
    assert marked(client.get("/console/numbers"), "number-row", "data-e164") == []


def test_buy_with_too_little_money_says_so(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1)
    stock(state, IN_NUMBERS[:1], setup_fee=100, monthly_fee=300)
    sign_in(client, acct.auth_id, acct.token)
    url = f"/console/inventory/buy?e164={IN_NUMBERS[0].replace('+', '%2B')}"
    assert "does not cover" in client.get(url).text
    r = post_form(client, url, "/console/inventory/buy", e164=IN_NUMBERS[0])
    assert r.status_code in (400, 402) and "balance" in r.text.lower()
    assert _balance(client, acct.auth_id, acct.headers) == 1


def test_buying_a_taken_number_is_404(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=100)
    sign_in(client, acct.auth_id, acct.token)
    r = client.get("/console/inventory/buy?e164=%2B918041000000")
    assert r.status_code == 404


def test_owned_list_pages_and_searches(client: TestClient, state: TestServices) -> None:
    acct = make_account(state, balance=1000)
    stock(state, IN_NUMBERS[:27], setup_fee=0, monthly_fee=1)
    for n in IN_NUMBERS[:27]:
        client.post(
            f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
            json={"e164": n},
            headers=acct.headers,
        )
    sign_in(client, acct.auth_id, acct.token)
    first = marked(client.get("/console/numbers"), "number-row", "data-e164")
    second = marked(client.get("/console/numbers?page=2"), "number-row", "data-e164")
    assert len(first) == 25 and len(second) == 2
    assert sorted(first + second) == sorted(IN_NUMBERS[:27])
    hit = client.get(f"/console/numbers?search={IN_NUMBERS[3][-5:]}")
    assert IN_NUMBERS[3] in marked(hit, "number-row", "data-e164")
    assert client.get("/console/numbers?search=zz").status_code == 400


def test_release_then_cancel_each_confirmed_with_its_cost(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=100, release_fee=2)
    stock(state, IN_NUMBERS[:1], setup_fee=0, monthly_fee=3)
    number = IN_NUMBERS[0]
    client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": number},
        headers=acct.headers,
    )
    assert _balance(client, acct.auth_id, acct.headers) == 97
    sign_in(client, acct.auth_id, acct.token)
    confirm = client.get(f"/console/numbers/{number}/release")
    assert confirm.status_code == 200 and "2.00 INR" in confirm.text
    assert _balance(client, acct.auth_id, acct.headers) == 97
    r = client.post(f"/console/numbers/{number}/release", data={"csrf": csrf(confirm)})
    assert r.status_code == 200 and "charged 2.00 INR" in r.text
    assert 'data-state="pending_release"' in r.text
    assert _balance(client, acct.auth_id, acct.headers) == 95
    # cancel: confirmed, then refunded
    assert client.post(f"/console/numbers/{number}/cancel-release", data={}).status_code == 403
    page = client.get(f"/console/numbers/{number}/cancel-release")
    assert page.status_code == 200 and 'data-testid="confirm"' in page.text
    r = client.post(f"/console/numbers/{number}/cancel-release", data={"csrf": csrf(page)})
    assert "refunded 2.00 INR" in r.text and 'data-state="active"' in r.text
    assert _balance(client, acct.auth_id, acct.headers) == 97
    history = client.get(f"/console/numbers/{number}")
    kinds = marked(history, "history-row", "data-kind")
    # newest first: cancel + refund, release + fee, purchase + charge
    assert kinds.count("money") == 3 and kinds.count("ownership") >= 3, kinds
    assert "+2.00 INR" in history.text and "-2.00 INR" in history.text
    # cancelling again: a clear error, not a 500
    assert client.get(f"/console/numbers/{number}/cancel-release").status_code == 400


def test_other_accounts_numbers_answer_404(client: TestClient, state: TestServices) -> None:
    owner = make_account(state, balance=100)
    stranger = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=3)
    number = IN_NUMBERS[0]
    client.post(
        f"/api/v1/Account/{owner.auth_id}/numbers/purchase-from-inventory",
        json={"e164": number},
        headers=owner.headers,
    )
    sign_in(client, stranger.auth_id, stranger.token)
    for path in (f"/console/numbers/{number}", f"/console/numbers/{number}/release"):
        assert client.get(path).status_code == 404, path
    page = client.get("/console/numbers")
    r = client.post(f"/console/numbers/{number}/release", data={"csrf": csrf(page)})
    assert r.status_code == 404
    r = client.post(f"/console/numbers/{number}/cancel-release", data={"csrf": csrf(page)})
    assert r.status_code == 404
    assert _balance(client, owner.auth_id, owner.headers) == 96


def test_main_account_sees_its_sub_accounts_numbers(
    client: TestClient, state: TestServices
) -> None:
    parent = make_account(state, balance=100)
    sub = make_sub_account(state, parent)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=3)
    client.post(
        f"/api/v1/Account/{sub.auth_id}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=sub.headers,
    )
    sign_in(client, parent.auth_id, parent.token)
    assert marked(client.get("/console/numbers"), "number-row", "data-e164") == [IN_NUMBERS[0]]
    assert client.get(f"/console/numbers/{IN_NUMBERS[0]}").status_code == 200
    home = client.get("/console/home")  # the parent's overview counts its sub-accounts' too
    assert marked(home, "count", "data-state") == ["active"]
    assert marked(home, "unrouted", "data-e164") == [IN_NUMBERS[0]]


def test_customers_cannot_open_partner_or_operator_pages(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state)
    sign_in(client, acct.auth_id, acct.token)
    for path in ("/console/partner", "/console/operator", "/console/operator/audit"):
        assert client.get(path).status_code == 404, path


def test_renewal_window_counts_only_renewals_inside_it(
    client: TestClient, state: TestServices
) -> None:
    acct = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1], setup_fee=0, monthly_fee=5)
    client.post(
        f"/api/v1/Account/{acct.auth_id}/numbers/purchase-from-inventory",
        json={"e164": IN_NUMBERS[0]},
        headers=acct.headers,
    )
    account = state.accounts.get(acct.auth_id)
    # bought at T0 (31 Jan 10:00): it renews on 28 Feb, 28 days later
    assert state.overview.overview(account, within_days=27).renewals == []
    [line] = state.overview.overview(account, within_days=28).renewals
    assert (line.currency, line.renewals, line.due_minor) == ("INR", 1, 500)
    [line] = state.overview.overview(account, within_days=60).renewals
    assert (line.renewals, line.due_minor) == (2, 1000)
    sign_in(client, acct.auth_id, acct.token)
    assert marked(client.get("/console/home"), "renewal", "data-currency") == ["INR"]


def test_history_shows_only_the_current_holding(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    first = make_account(state, balance=100)
    second = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=3)
    number = IN_NUMBERS[0]
    buy_over_http(client, first, number)
    r = client.delete(
        f"/api/v1/Account/{first.auth_id}/numbers/{number}?immediate=true", headers=first.headers
    )
    assert r.status_code == 200, r.text
    clock.set(clock.now() + timedelta(days=46))
    assert state.call(run_lifecycle, state.adb, clock).returned_to_inventory == 1
    buy_over_http(client, second, number)
    sign_in(client, second.auth_id, second.token)
    page = client.get(f"/console/numbers/{number}")
    assert marked(page, "history-row", "data-kind") == ["money", "ownership"]
    assert first.auth_id not in page.text


def test_number_page_shows_call_health(
    client: TestClient, state: TestServices, clock: FixedClock
) -> None:
    acct = make_account(state, balance=100)
    stock(state, IN_NUMBERS[:1], setup_fee=1, monthly_fee=1)
    number = IN_NUMBERS[0]
    buy_over_http(client, acct, number)
    stamp = clock.now().isoformat().replace("+00:00", "Z")
    for answered in (True, True, False):
        r = client.post(
            f"/api/v1/admin/numbers/{number}/calls",
            json={
                "started_at": stamp,
                "duration_seconds": 60 if answered else 0,
                "answered": answered,
            },
            headers=admin_headers(),
        )
        assert r.status_code in (200, 201), r.text
    sign_in(client, acct.auth_id, acct.token)
    page = client.get(f"/console/numbers/{number}")
    assert marked(page, "health", "data-calls") == ["3"]
    assert "2 answered (66.67%)" in page.text
