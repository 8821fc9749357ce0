"""Races through the real server process: concurrent HTTP callers must get clean 2xx/4xx
answers (never a 500 such as "database is locked"), and the money must add up."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.conftest import AccountHandle
from tests.e2e.conftest import Operator, Server, fresh_numbers
from tests.live_server import serve_process

pytestmark = pytest.mark.e2e


def _together(calls: list[Callable[[], httpx.Response]]) -> list[httpx.Response]:
    barrier = threading.Barrier(len(calls))
    answers: list[httpx.Response] = []
    lock = threading.Lock()

    def run(call: Callable[[], httpx.Response]) -> None:
        barrier.wait()
        r = call()
        with lock:
            answers.append(r)

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(answers) == len(calls)
    return answers


def _purchase(server: Server, who: AccountHandle, e164: str) -> Callable[[], httpx.Response]:
    def call() -> httpx.Response:
        return httpx.post(
            f"{server.api_v1}/Account/{who.auth_id}/numbers/purchase-from-inventory",
            json={"e164": e164},
            headers={"X-Auth-ID": who.auth_id, "X-Auth-Token": who.token},
            timeout=60,
        )

    return call


def _balance(server: Server, who: AccountHandle) -> float:
    r = httpx.get(
        f"{server.api_v1}/Account/{who.auth_id}/balance/INR",
        headers={"X-Auth-ID": who.auth_id, "X-Auth-Token": who.token},
    )
    assert r.status_code == 200, r.text
    return float(r.json()["balance"])


def test_many_http_buyers_of_one_number(server: Server, operator: Operator) -> None:
    (number,) = fresh_numbers(1)
    operator.stock([number])
    buyers = [operator.funded_account(1_000) for _ in range(16)]

    answers = _together([_purchase(server, b, number) for b in buyers])

    statuses = Counter(r.status_code for r in answers)
    assert statuses == Counter({200: 1, 404: 15}), [r.text for r in answers]
    winner = next(r for r in answers if r.status_code == 200).json()["number"]["account_id"]
    for b in buyers:
        assert _balance(server, b) == (600 if b.auth_id == winner else 1_000)


def test_http_wallet_for_k_numbers(server: Server, operator: Operator) -> None:
    k = 4
    numbers = fresh_numbers(4 * k)
    operator.stock(numbers)
    buyer = operator.funded_account(k * 400)

    answers = _together([_purchase(server, buyer, n) for n in numbers])

    statuses = Counter(r.status_code for r in answers)
    assert statuses == Counter({200: k, 402: 3 * k}), [r.text for r in answers]
    assert _balance(server, buyer) == 0
    r = httpx.get(
        f"{server.api_v1}/Account/{buyer.auth_id}/transactions",
        headers={"X-Auth-ID": buyer.auth_id, "X-Auth-Token": buyer.token},
    )
    rows = r.json()["transactions"]
    assert [t["reference_type"] for t in rows].count("did_purchase") == k
    assert r.json()["summary"]["net_amount"] == 0


def _headers(who: AccountHandle) -> dict[str, str]:
    return {"X-Auth-ID": who.auth_id, "X-Auth-Token": who.token}


def test_identical_concurrent_purchases_by_the_owner_all_answer_200(
    server: Server, operator: Operator
) -> None:
    """Eight identical purchases at once by one buyer (the SDK retrying, no key): the one that
    claims the number charges; the others wait on its row, see the buyer owns it, and answer
    200 charging nothing (issue 14: they used to answer 404)."""
    (target,) = fresh_numbers(1)
    operator.stock([target])
    buyer = operator.funded_account(2_000)
    before = _balance(server, buyer)
    answers = _together([_purchase(server, buyer, target)] * 8)
    assert [r.status_code for r in answers] == [200] * 8, [r.text for r in answers]
    assert {r.json()["number"]["e164"] for r in answers} == {target}
    assert _balance(server, buyer) == before - 400  # setup 100 + first month 300, once


def test_deleting_a_sub_account_while_it_buys_never_leaves_it_a_number(
    server: Server, operator: Operator
) -> None:
    """The deletion and the purchase serialise on the sub-account's row: either the purchase
    lands first and the deletion is refused (it holds a number), or the deletion lands first
    and the purchase is refused (401). Never both."""
    parent = operator.funded_account(100_000)
    outcomes: Counter[tuple[int, int]] = Counter()
    for _ in range(12):
        (target,) = fresh_numbers(1)
        operator.stock([target])
        r = httpx.post(
            f"{server.api_v1}/accounts/{parent.auth_id}/sub-accounts/",
            json={"name": "racer"},
            headers=_headers(parent),
        )
        assert r.status_code == 201, r.text
        creds = r.json()["auth_credentials"]
        sub = AccountHandle(creds["auth_id"], creds["auth_token"])

        def delete(sub: AccountHandle = sub) -> httpx.Response:
            return httpx.delete(
                f"{server.api_v1}/accounts/{parent.auth_id}/sub-accounts/{sub.auth_id}",
                headers=_headers(parent),
                timeout=60,
            )

        buy, gone = _together([_purchase(server, sub, target), delete])
        if buy.url.path.endswith("sub-accounts/" + sub.auth_id):  # answers came back swapped
            buy, gone = gone, buy
        outcomes[(buy.status_code, gone.status_code)] += 1
        assert (buy.status_code, gone.status_code) in ((200, 409), (401, 204)), (
            buy.text,
            gone.text,
        )
        if buy.status_code == 200:  # the sub-account holds the number, and still exists
            listed = httpx.get(
                f"{server.api_v1}/Account/{sub.auth_id}/numbers", headers=_headers(sub)
            )
            assert [n["e164"] for n in listed.json()["items"]] == [target]


def test_a_deleted_sub_accounts_token_cannot_write_on_another_server_process(
    server: Server, operator: Operator, tmp_path: Path
) -> None:
    """Two server processes on one database: a sub-account's credentials, cached by the second
    process, stop writing there as soon as the first deletes it (writes re-check the account
    inside their transaction; only reads may use the 5-second authentication cache)."""
    parent = operator.funded_account(100_000)
    (target,) = fresh_numbers(1)
    operator.stock([target])
    r = httpx.post(
        f"{server.api_v1}/accounts/{parent.auth_id}/sub-accounts/",
        json={"name": "revoked"},
        headers=_headers(parent),
    )
    creds = r.json()["auth_credentials"]
    sub = AccountHandle(creds["auth_id"], creds["auth_token"])
    with serve_process(tmp_path, server.database_url, server.admin_token) as other:
        listed = httpx.get(f"{other}/api/v1/Account/{sub.auth_id}/numbers", headers=_headers(sub))
        assert listed.status_code == 200  # the other process now holds the credentials
        gone = httpx.delete(
            f"{server.api_v1}/accounts/{parent.auth_id}/sub-accounts/{sub.auth_id}",
            headers=_headers(parent),
        )
        assert gone.status_code == 204, gone.text
        bought = httpx.post(
            f"{other}/api/v1/Account/{sub.auth_id}/numbers/purchase-from-inventory",
            json={"e164": target},
            headers=_headers(sub),
        )
        assert bought.status_code == 401, bought.text
