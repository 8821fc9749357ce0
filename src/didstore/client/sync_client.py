"""The synchronous client."""

from __future__ import annotations

import time
from types import TracebackType
from typing import Any, TypeVar

import httpx

from didstore.client import errors
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
from didstore.client.pager import Pager
from didstore.client.partner import Partner
from didstore.client.resources import (
    Applications,
    Auth,
    BalanceResource,
    PhoneNumbers,
    SubAccounts,
    Transactions,
    Trunks,
)

T = TypeVar("T")


class Client:
    """``Client(auth_id=, auth_token=, base_url=, timeout=, max_retries=)``.

    Credentials fall back to ``DIDSTORE_AUTH_ID``/``DIDSTORE_AUTH_TOKEN`` and the base URL
    to ``DIDSTORE_URL`` (default ``http://127.0.0.1:8080``). A token without an auth id is
    sent as ``Authorization: Bearer`` (the operator token acts on any account).
    """

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        headers: dict[str, str] | None = None,
        http_client: httpx.Client | None = None,
    ) -> None:
        self._settings = resolve_settings(
            auth_id, auth_token, base_url, timeout, max_retries, headers
        )
        self._owns_http = http_client is None
        self._http = http_client or httpx.Client(timeout=self._settings.timeout)
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

    @property
    def max_retries(self) -> int:
        return self._settings.max_retries

    def request(self, op: Operation[T]) -> T:
        """Send one operation, retrying per :mod:`didstore.client.core`; parse the answer."""
        settings = self._settings
        headers = {**self._headers, **request_headers(op)}
        url = settings.base_url + op.path
        params = clean_params(op.params)
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    op.method, url, params=params, json=op.json, headers=headers
                )
            except httpx.TransportError as exc:
                if attempt >= settings.max_retries:
                    raise connection_error(exc) from exc
                time.sleep(retry_delay(settings, attempt, None))
                attempt += 1
                continue
            if response.is_success:
                return op.parse(body_of(response), info(response))
            if should_retry_status(response.status_code) and attempt < settings.max_retries:
                time.sleep(retry_delay(settings, attempt, response))
                attempt += 1
                continue
            raise errors.from_response(response)

    def paginate(self, op: ListOperation[T]) -> Pager[T]:
        return Pager(self.request, op)

    def close(self) -> None:
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Client(base_url={self.base_url!r}, auth_id={self.auth_id!r})"

    def with_options(self, **options: Any) -> Client:
        """A copy with other settings (``timeout``, ``max_retries``, ``base_url``...) that
        shares the connection pool."""
        s = self._settings
        merged: dict[str, Any] = {
            "auth_id": s.auth_id,
            "auth_token": s.auth_token,
            "base_url": s.base_url,
            "timeout": s.timeout,
            "max_retries": s.max_retries,
            "headers": s.headers,
        }
        merged.update(options)
        clone = Client(**merged, http_client=self._http)
        clone._settings.backoff_base = s.backoff_base
        return clone
