"""AsyncClient parity: the same flows as the sync client, against the same real server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest

from didstore.client import (
    AsyncClient,
    BadRequestError,
    InsufficientBalanceError,
    NotFoundError,
    PhoneNumber,
)
from tests.live_server import Account, LiveServer
from tests.sdk.transports import AsyncDropFirstResponse


def run(
    make: Callable[[AsyncClient], Awaitable[None]],
    live: LiveServer,
    account: Account,
    **kwargs: object,
) -> None:
    async def main() -> None:
        async with AsyncClient(
            account.auth_id,
            account.auth_token,
            base_url=live.url,
            **kwargs,  # type: ignore[arg-type]
        ) as client:
            client._settings.backoff_base = 0.01
            await make(client)

    asyncio.run(main())


def test_async_buy_show_release_cancel_in_every_form(live: LiveServer, account: Account) -> None:
    numbers = live.stock(3)

    async def flow(client: AsyncClient) -> None:
        pn = client.phone_numbers
        for number, spelled in zip(
            numbers, [numbers[0], numbers[1][1:], "%2B" + numbers[2][1:]], strict=True
        ):
            bought = await pn.purchase_from_inventory(account.auth_id, spelled)
            assert bought.number is not None and bought.number.e164 == number
            shown = await pn.get_number(account.auth_id, spelled)
            assert isinstance(shown, PhoneNumber) and shown.e164 == number
            assert (await pn.unrent_number(account.auth_id, spelled)).status == "pending_release"
            assert (await pn.cancel_number_release(account.auth_id, spelled)).status == "active"
        balance = await client.balance.get_balance(account.auth_id, "INR")
        assert balance.balance == 10000 - 3 * 400

    run(flow, live, account)


def test_async_lists_paginate_across_pages(live: LiveServer, account: Account) -> None:
    numbers = live.stock(5)

    async def flow(client: AsyncClient) -> None:
        for n in numbers:
            await client.phone_numbers.purchase_from_inventory(account.auth_id, n)
        pager = client.phone_numbers.list_numbers(account.auth_id, per_page=2)
        seen = [n.e164 async for n in pager]
        assert sorted(seen) == sorted(numbers)
        pages = [
            p async for p in client.phone_numbers.list_numbers(account.auth_id, per_page=2).pages()
        ]
        assert [len(p.items) for p in pages] == [2, 2, 1]
        txs = await client.transactions.list(account.auth_id, per_page=2).to_list()
        assert len(txs) == 6  # one credit, five purchases

    run(flow, live, account)


def test_async_dropped_purchase_response_is_charged_once(
    live: LiveServer, account: Account
) -> None:
    number = live.stock(1)[0]
    transport = AsyncDropFirstResponse()

    async def flow(client: AsyncClient) -> None:
        result = await client.phone_numbers.purchase_from_inventory(account.auth_id, number)
        assert result.number is not None and result.number.e164 == number
        assert transport.dropped == 1 and len(transport.seen) == 2
        assert len({r.headers["Idempotency-Key"] for r in transport.seen}) == 1
        balance = await client.balance.get_balance(account.auth_id, "INR")
        assert balance.balance == 10000 - 400

    run(flow, live, account, http_client=httpx.AsyncClient(transport=transport))


def test_async_errors_are_the_same_types(live: LiveServer) -> None:
    poor = live.create_account(balance=10)
    number = live.stock(1)[0]

    async def flow(client: AsyncClient) -> None:
        with pytest.raises(InsufficientBalanceError):
            await client.phone_numbers.purchase_from_inventory(poor.auth_id, number)
        with pytest.raises(NotFoundError):
            await client.phone_numbers.get_number(poor.auth_id, number)
        with pytest.raises(NotFoundError):
            await client.phone_numbers.cancel_number_release(poor.auth_id, "+918049999998")
        with pytest.raises(BadRequestError) as bad:
            await client.phone_numbers.list_numbers(poor.auth_id, per_page=0).first_page()
        assert bad.value.code == "invalid_request"

    run(flow, live, poor)
