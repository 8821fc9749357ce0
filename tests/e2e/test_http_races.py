"""Races through the real server process: concurrent HTTP callers must get clean 2xx/4xx
answers (never a 500 such as "database is locked"), and the money must add up."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import httpx
import pytest

from tests.conftest import AccountHandle
from tests.e2e.conftest import Operator, Server, fresh_numbers

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
