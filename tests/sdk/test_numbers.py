"""The seed's phone-number methods through the SDK against a real server."""

from __future__ import annotations

import itertools

import httpx
import pytest

from didstore.client import (
    AuthenticationError,
    BadRequestError,
    Client,
    InsufficientBalanceError,
    InvalidNumberError,
    NotFoundError,
    PermissionDeniedError,
    PhoneNumber,
)
from tests.live_server import Account, LiveServer
from tests.sdk.transports import Counting


def forms(e164: str) -> list[str]:
    return [e164, e164[1:], "%2B" + e164[1:], "%252B" + e164[1:]]


def test_inventory_search_shows_stock_with_fees(live: LiveServer, client: Client) -> None:
    number = live.stock(1, setup_fee=50, monthly_fee=250)[0]
    found = list(client.phone_numbers.list_inventory_numbers(client.auth_id or "", search=number))
    assert [n.e164 for n in found] == [number]
    assert found[0].upfront_cost == 300
    assert found[0].capabilities is not None and found[0].capabilities.voice


def test_inventory_exclude_drops_prefixes(live: LiveServer, client: Client) -> None:
    numbers = live.stock(2)
    aid = client.auth_id or ""
    prefix = numbers[0][1:10]  # shared by both numbers
    found = client.phone_numbers.list_inventory_numbers(aid, search=prefix, exclude=[numbers[0]])
    assert numbers[0] not in [n.e164 for n in found]


@pytest.mark.parametrize("form", range(4))
def test_every_number_form_buys_shows_and_releases(
    live: LiveServer, client: Client, account: Account, form: int
) -> None:
    number = live.stock(1)[0]
    spelled = forms(number)[form]
    bought = client.phone_numbers.purchase_from_inventory(account.auth_id, spelled)
    assert bought.number is not None and bought.number.e164 == number
    shown = client.phone_numbers.get_number(account.auth_id, spelled)
    assert isinstance(shown, PhoneNumber) and shown.account_id == account.auth_id
    released = client.phone_numbers.unrent_number(account.auth_id, spelled)
    assert released.status == "pending_release"
    cancelled = client.phone_numbers.cancel_number_release(account.auth_id, spelled)
    assert cancelled.status == "active"
    assert client.phone_numbers.get_number(account.auth_id, number).status == "active"


def test_purchase_debits_setup_plus_first_month_once(
    live: LiveServer, client: Client, account: Account
) -> None:
    number = live.stock(1, setup_fee=120, monthly_fee=380)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number, currency="INR")
    assert client.balance.get_balance(account.auth_id, "INR").balance == 10000 - 500
    debits = [t for t in client.transactions.list(account.auth_id, type="debit")]
    assert [t.amount for t in debits] == [500]


def test_list_numbers_paginates_lazily(live: LiveServer, account: Account) -> None:
    numbers = live.stock(5)
    counting = Counting()
    with Client(
        account.auth_id,
        account.auth_token,
        base_url=live.url,
        http_client=httpx.Client(transport=counting),
    ) as client:
        for n in numbers:
            client.phone_numbers.purchase_from_inventory(account.auth_id, n)
        counting.requests.clear()
        pager = client.phone_numbers.list_numbers(account.auth_id, per_page=2)
        assert counting.requests == []  # nothing sent until used
        first_two = list(itertools.islice(pager, 2))
        assert len(counting.requests) == 1 and len(first_two) == 2
        everything = list(client.phone_numbers.list_numbers(account.auth_id, per_page=2))
        assert sorted(n.e164 for n in everything) == sorted(numbers)
        assert pager.total == 5


def test_legacy_limit_offset_maps_to_pages(
    live: LiveServer, client: Client, account: Account
) -> None:
    for n in live.stock(4):
        client.phone_numbers.purchase_from_inventory(account.auth_id, n)
    everything = [n.e164 for n in client.phone_numbers.list_numbers(account.auth_id, per_page=2)]
    page = client.phone_numbers.list_numbers(account.auth_id, limit=2, offset=2).first_page()
    assert page.page == 2 and [n.e164 for n in page.items] == everything[2:4]


def test_insufficient_balance_is_its_own_error_and_charges_nothing(live: LiveServer) -> None:
    poor = live.create_account(balance=100)
    number = live.stock(1)[0]
    with Client(poor.auth_id, poor.auth_token, base_url=live.url) as client:
        with pytest.raises(InsufficientBalanceError) as caught:
            client.phone_numbers.purchase_from_inventory(poor.auth_id, number)
        assert caught.value.status == 402 and caught.value.code == "insufficient_balance"
        assert client.balance.get_balance(poor.auth_id, "INR").balance == 100
        inventory = client.phone_numbers.list_inventory_numbers(poor.auth_id, search=number)
        assert [n.e164 for n in inventory] == [number]


def test_typed_errors_carry_status_code_and_message(
    live: LiveServer, client: Client, account: Account
) -> None:
    with pytest.raises(NotFoundError) as not_stocked:
        client.phone_numbers.purchase_from_inventory(account.auth_id, "+918049999999")
    assert not_stocked.value.message == "number not found in inventory"
    other = live.create_account()
    with pytest.raises(PermissionDeniedError) as mismatch:
        client.phone_numbers.list_numbers(other.auth_id).first_page()
    assert mismatch.value.status == 403 and "mismatch" in mismatch.value.message
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    with pytest.raises(BadRequestError) as not_pending:
        client.phone_numbers.cancel_number_release(account.auth_id, number)
    assert not_pending.value.error == "number is not pending release"
    assert not_pending.value.request_id
    with pytest.raises(NotFoundError):
        client.phone_numbers.get_number(account.auth_id, "+918049999999")
    with Client(account.auth_id, "wrong", base_url=live.url) as bad:
        with pytest.raises(AuthenticationError) as unauthorized:
            bad.balance.get_balance(account.auth_id, "INR")
        assert unauthorized.value.status == 401


def test_bad_number_is_refused_before_any_request(client: Client, account: Account) -> None:
    with pytest.raises(InvalidNumberError):
        client.phone_numbers.purchase_from_inventory(account.auth_id, "not-a-number")


def test_results_expose_headers(live: LiveServer, client: Client, account: Account) -> None:
    balance = client.balance.get_balance(account.auth_id, "INR")
    assert balance.http is not None and balance.http.status_code == 200
    assert balance.http.request_id and balance.http.headers["content-type"].startswith(
        "application/json"
    )
    assert balance.to_dict()["currency"] == "INR"


def test_operator_token_acts_on_any_account(live: LiveServer, account: Account) -> None:
    number = live.stock(1)[0]
    with Client(auth_token="test-operator-token", base_url=live.url) as operator:
        operator.phone_numbers.purchase_from_inventory(account.auth_id, number)
        assert operator.phone_numbers.get_number(account.auth_id, number).e164 == number


def test_sub_accounts_and_profile(live: LiveServer, client: Client, account: Account) -> None:
    created = client.sub_accounts.create(account.auth_id, "branch")
    assert created.auth_credentials is not None
    sub_id = created.auth_credentials.auth_id
    assert sub_id.startswith("SA_")
    assert [s.auth_id for s in client.sub_accounts.list(account.auth_id)] == [sub_id]
    assert client.sub_accounts.update(account.auth_id, sub_id, name="renamed").name == "renamed"
    assert client.sub_accounts.get(account.auth_id, sub_id).name == "renamed"
    client.sub_accounts.delete(account.auth_id, sub_id)
    me = client.auth.me()
    assert me.auth_id == account.auth_id and me.currency == "INR"
