"""The asyncio client: the same operations, retries and errors as :class:`Client`."""

from __future__ import annotations

import asyncio
from types import TracebackType
from typing import TypeVar

import httpx

from didstore.client import errors
from didstore.client.async_partner import Partner
from didstore.client.async_resources import (
    Applications,
    Auth,
    BalanceResource,
    PhoneNumbers,
    SubAccounts,
    Transactions,
    Trunks,
)
from didstore.client.core import (
    ListOperation,
    Operation,
    base_headers,
    body_of,
    clean_params,
    connection_error,
    info,
    request_headers,
    resolve_settings,
    retry_delay,
    should_retry_status,
)
from didstore.client.pager import AsyncPager

T = TypeVar("T")


class AsyncClient:
    """``AsyncClient(auth_id=, auth_token=, base_url=, timeout=, max_retries=)``; use
    ``await`` on calls and ``async for`` on list methods."""

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        headers: dict[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
    ) -> None:
        self._settings = resolve_settings(
            auth_id, auth_token, base_url, timeout, max_retries, headers
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.AsyncClient(timeout=self._settings.timeout)
        self._headers = base_headers(self._settings)
        self.phone_numbers = PhoneNumbers(self)
        self.trunks = Trunks(self)
        self.applications = Applications(self)
        self.sub_accounts = SubAccounts(self)
        self.balance = BalanceResource(self)
        self.transactions = Transactions(self)
        self.auth = Auth(self)
        self.partner = Partner(self)

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def auth_id(self) -> str | None:
        return self._settings.auth_id

    async def request(self, op: Operation[T]) -> T:
        settings = self._settings
        headers = {**self._headers, **request_headers(op)}
        url = settings.base_url + op.path
        params = clean_params(op.params)
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    op.method, url, params=params, json=op.json, headers=headers
                )
            except httpx.TransportError as exc:
                if attempt >= settings.max_retries:
                    raise connection_error(exc) from exc
                await asyncio.sleep(retry_delay(settings, attempt, None))
                attempt += 1
                continue
            if response.is_success:
                return op.parse(body_of(response), info(response))
            if should_retry_status(response.status_code) and attempt < settings.max_retries:
                await asyncio.sleep(retry_delay(settings, attempt, response))
                attempt += 1
                continue
            raise errors.from_response(response)

    def paginate(self, op: ListOperation[T]) -> AsyncPager[T]:
        return AsyncPager(self.request, op)

    async def close(self) -> None:
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncClient(base_url={self.base_url!r}, auth_id={self.auth_id!r})"
