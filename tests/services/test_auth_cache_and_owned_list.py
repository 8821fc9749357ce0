"""The authentication cache never accepts a wrong token and forgets at once what this process
changed; the owned-number list keeps an exact total on every page (window count)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from didstore.domain.e164 import from_body
from didstore.services.models import CLI
from didstore.services.ttl_cache import TTLCache
from tests.conftest import IN_NUMBERS, make_account, make_sub_account, stock
from tests.support import TestServices


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_ttl_cache_expires_and_bounds_its_size() -> None:
    tick = FakeMonotonic()
    cache: TTLCache[str, int] = TTLCache(5.0, max_entries=2, monotonic=tick)
    cache.put("a", 1)
    tick.now += 4.9
    assert cache.get("a") == 1
    tick.now += 0.1
    assert cache.get("a") is None
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("c", 3)
    assert len(cache) == 2 and cache.get("a") is None and cache.get("c") == 3
    cache.discard_where(lambda k: k == "c")
    assert cache.get("c") is None


def test_wrong_token_is_refused_even_when_the_right_one_is_cached(state: TestServices) -> None:
    handle = make_account(state)
    assert state.accounts.authenticate(handle.auth_id, handle.token) is not None
    assert state.accounts.authenticate(handle.auth_id, handle.token + "x") is None
    assert state.accounts.authenticate(handle.auth_id, "") is None


def test_deleted_sub_account_is_refused_at_once(state: TestServices, client: TestClient) -> None:
    # the client's app has its own AccountService (own cache): use it through HTTP only
    parent = make_account(state)
    sub = make_sub_account(state, parent)
    url = f"/api/v1/Account/{sub.auth_id}/numbers"
    assert client.get(url, headers=sub.headers).status_code == 200  # now cached
    gone = client.delete(
        f"/api/v1/accounts/{parent.auth_id}/sub-accounts/{sub.auth_id}", headers=parent.headers
    )
    assert gone.status_code in (200, 204), gone.text
    assert client.get(url, headers=sub.headers).status_code == 401


def test_disabled_sub_account_is_refused_at_once(state: TestServices, client: TestClient) -> None:
    parent = make_account(state)
    sub = make_sub_account(state, parent)
    url = f"/api/v1/Account/{sub.auth_id}/numbers"
    assert client.get(url, headers=sub.headers).status_code == 200
    put = client.put(
        f"/api/v1/accounts/{parent.auth_id}/sub-accounts/{sub.auth_id}",
        headers=parent.headers,
        json={"enabled": False},
    )
    assert put.status_code == 200, put.text
    assert client.get(url, headers=sub.headers).status_code == 401


def test_owned_list_total_is_exact_on_every_page(state: TestServices) -> None:
    stock(state, IN_NUMBERS[:12])
    handle = make_account(state, balance=100_000)
    account = state.accounts.get(handle.auth_id)
    for e164 in IN_NUMBERS[:11]:
        state.numbers.purchase(CLI, account, from_body(e164))
    pages = [
        state.numbers.list_owned(account, search=None, include_subaccounts=True, page=p, per_page=4)
        for p in (1, 2, 3, 4)
    ]
    assert [p.total for p in pages] == [11, 11, 11, 11]
    assert [n.e164 for p in pages for n in p.items] == IN_NUMBERS[:11]
    assert pages[3].items == []
    searched = state.numbers.list_owned(
        account, search="4100000", include_subaccounts=True, page=1, per_page=2
    )
    assert searched.total == 10 and len(searched.items) == 2
