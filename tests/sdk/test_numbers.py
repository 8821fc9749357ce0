"""The phone-number calls against a real server, in both flavours."""

from __future__ import annotations

import itertools

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
from tests.sdk.flavours import Flavour
from tests.sdk.transports import Recording


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
    kept = client.phone_numbers.list_inventory_numbers(aid, search=prefix)
    assert numbers[0] in [n.e164 for n in kept]
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


def test_get_number_is_one_request_and_the_list_item(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    """``get_number`` asks ``GET …/numbers/{e164}`` once (not a walk through the list) and
    answers exactly the item the list shows."""
    numbers = live.stock(3)
    recording = Recording()
    client = flavour.client(
        account.auth_id, account.auth_token, base_url=live.url, transport=recording
    )
    for n in numbers:
        client.phone_numbers.purchase_from_inventory(account.auth_id, n)
    listed = {n.e164: n.to_dict() for n in client.phone_numbers.list_numbers(account.auth_id)}
    recording.requests.clear()
    one = client.phone_numbers.get_number(account.auth_id, numbers[1][1:])
    assert one.to_dict() == listed[numbers[1]]
    assert one.http is not None and one.http.status_code == 200
    [sent] = recording.requests
    assert sent.method == "GET"
    assert sent.url.raw_path.decode().endswith(f"/numbers/%2B{numbers[1][1:]}")


def test_get_number_not_held_is_not_found(
    live: LiveServer, client: Client, account: Account
) -> None:
    other = live.create_account(balance=1000)
    number = live.stock(1)[0]
    with pytest.raises(NotFoundError) as in_stock:
        client.phone_numbers.get_number(account.auth_id, number)
    assert in_stock.value.status == 404 and in_stock.value.code == "not_found"
    theirs = live.stock(1)[0]
    with Client(other.auth_id, other.auth_token, base_url=live.url) as them:
        them.phone_numbers.purchase_from_inventory(other.auth_id, theirs)
    with pytest.raises(NotFoundError):
        client.phone_numbers.get_number(account.auth_id, theirs)
    with pytest.raises(PermissionDeniedError):
        client.phone_numbers.get_number(other.auth_id, theirs)
    with pytest.raises(InvalidNumberError):
        client.phone_numbers.get_number(account.auth_id, "12")


def test_purchase_debits_setup_plus_first_month_once(
    live: LiveServer, client: Client, account: Account
) -> None:
    number = live.stock(1, setup_fee=120, monthly_fee=380)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number, currency="INR")
    assert client.balance.get_balance(account.auth_id, "INR").balance == 10000 - 500
    debits = [t for t in client.transactions.list(account.auth_id, type="debit")]
    assert [t.amount for t in debits] == [500]


def test_immediate_release_leaves_the_account(
    live: LiveServer, client: Client, account: Account
) -> None:
    number = live.stock(1)[0]
    client.phone_numbers.purchase_from_inventory(account.auth_id, number)
    quote = client.phone_numbers.quote_number_release(account.auth_id, number, immediate=True)
    assert quote.dry_run and quote.status == "released"
    assert client.phone_numbers.get_number(account.auth_id, number).status == "active"
    released = client.phone_numbers.unrent_number(account.auth_id, number, immediate=True)
    assert released.release_fee == quote.release_fee and not released.dry_run
    assert released.status != "pending_release"
    with pytest.raises(NotFoundError):
        client.phone_numbers.get_number(account.auth_id, number)


def test_list_numbers_paginates_lazily(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    numbers = live.stock(5)
    recording = Recording()
    client = flavour.client(
        account.auth_id, account.auth_token, base_url=live.url, transport=recording
    )
    for n in numbers:
        client.phone_numbers.purchase_from_inventory(account.auth_id, n)
    recording.requests.clear()
    pager = client.phone_numbers.list_numbers(account.auth_id, per_page=2)
    assert recording.requests == []  # nothing sent until used
    first_two = list(itertools.islice(pager, 2))
    assert len(recording.requests) == 1 and len(first_two) == 2
    assert pager.total == 5
    everything = list(client.phone_numbers.list_numbers(account.auth_id, per_page=2))
    assert sorted(n.e164 for n in everything) == sorted(numbers)
    pages = list(client.phone_numbers.list_numbers(account.auth_id, per_page=2).pages())
    assert [len(p.items) for p in pages] == [2, 2, 1]
    collected = client.phone_numbers.list_numbers(account.auth_id, per_page=4).to_list()
    assert sorted(n.e164 for n in collected) == sorted(numbers)


def test_total_of_an_unfetched_pager(live: LiveServer, client: Client, flavour: Flavour) -> None:
    """Sync: ``total`` fetches the first page on demand. Async: it cannot await, so it asks
    for ``await pager.first_page()`` first."""
    pager = client.phone_numbers.list_inventory_numbers(client.auth_id or "", per_page=1)
    if flavour.is_async:
        with pytest.raises(RuntimeError, match="first_page"):
            pager.total  # noqa: B018
        pager.first_page()
    assert pager.total >= 1


def test_legacy_limit_offset_maps_to_pages(
    live: LiveServer, client: Client, account: Account
) -> None:
    for n in live.stock(4):
        client.phone_numbers.purchase_from_inventory(account.auth_id, n)
    everything = [n.e164 for n in client.phone_numbers.list_numbers(account.auth_id, per_page=2)]
    page = client.phone_numbers.list_numbers(account.auth_id, limit=2, offset=2).first_page()
    assert page.page == 2 and [n.e164 for n in page.items] == everything[2:4]


def test_insufficient_balance_is_its_own_error_and_charges_nothing(
    live: LiveServer, flavour: Flavour
) -> None:
    poor = live.create_account(balance=100)
    number = live.stock(1)[0]
    client = flavour.client(poor.auth_id, poor.auth_token, base_url=live.url)
    with pytest.raises(InsufficientBalanceError) as caught:
        client.phone_numbers.purchase_from_inventory(poor.auth_id, number)
    assert caught.value.status == 402 and caught.value.code == "insufficient_balance"
    assert client.balance.get_balance(poor.auth_id, "INR").balance == 100
    inventory = client.phone_numbers.list_inventory_numbers(poor.auth_id, search=number)
    assert [n.e164 for n in inventory] == [number]


def test_typed_errors_carry_status_code_and_message(
    live: LiveServer, client: Client, account: Account, flavour: Flavour
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
    with pytest.raises(BadRequestError) as bad_page:
        client.phone_numbers.list_numbers(account.auth_id, per_page=0).first_page()
    assert bad_page.value.code == "invalid_request"
    wrong = flavour.client(account.auth_id, "wrong", base_url=live.url)
    with pytest.raises(AuthenticationError) as unauthorized:
        wrong.balance.get_balance(account.auth_id, "INR")
    assert unauthorized.value.status == 401


def test_bad_number_is_refused_before_any_request(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    recording = Recording()
    client = flavour.client(
        account.auth_id, account.auth_token, base_url=live.url, transport=recording
    )
    with pytest.raises(InvalidNumberError):
        client.phone_numbers.purchase_from_inventory(account.auth_id, "not-a-number")
    assert recording.requests == []


def test_operator_token_acts_on_any_account(
    live: LiveServer, account: Account, flavour: Flavour
) -> None:
    number = live.stock(1)[0]
    operator = flavour.client(auth_token="test-operator-token", base_url=live.url)
    operator.phone_numbers.purchase_from_inventory(account.auth_id, number)
    assert operator.phone_numbers.get_number(account.auth_id, number).e164 == number
