# GENERATED from _async/client.py by scripts/unasync_client.py: do not edit.
"""The client: the shared base (settings, headers, retry decisions, ``with_options``) plus the
request loop and the resource groups. Written async; the sync ``Client`` is derived from it.

Calls return results (``await`` them in the async flavour); list methods return a pager
(``for``/``async for``). Retries follow :mod:`didstore.client.retry`.
"""

from __future__ import annotations

import time
from functools import cached_property
from types import TracebackType
from typing import Any, BinaryIO, Self, TypeVar

import httpx

from didstore.client import errors
from didstore.client._sync.bulk_jobs import BulkJobs
from didstore.client._sync.events import Events, Webhooks
from didstore.client._sync.pager import Pager
from didstore.client._sync.partner import Partner
from didstore.client._sync.resources import (
    Applications,
    Auth,
    BalanceResource,
    PhoneNumbers,
    SubAccounts,
    Transactions,
    Trunks,
)
from didstore.client.base import BaseClient
from didstore.client.core import ListOperation, Operation, body_of, info
from didstore.client.models import ResponseInfo
from didstore.client.retry import connection_error

T = TypeVar("T")


def _no_parse(body: Any, meta: ResponseInfo) -> None:
    return None


class Client(BaseClient[httpx.Client]):
    """Arguments: ``auth_id``, ``auth_token``, ``base_url``, ``timeout`` (seconds per
    attempt), ``max_retries``, and keyword-only ``headers`` and ``http_client`` (an
    ``httpx`` client of the same flavour, e.g. with a custom transport).

    Credentials fall back to ``DIDSTORE_AUTH_ID``/``DIDSTORE_AUTH_TOKEN`` and the base URL
    to ``DIDSTORE_URL`` (default ``http://127.0.0.1:8080``). A token without an auth id is
    sent as ``Authorization: Bearer`` (the operator token acts on any account).
    """

    def _new_http(self) -> httpx.Client:
        return httpx.Client(timeout=self._settings.timeout)

    @cached_property
    def phone_numbers(self) -> PhoneNumbers:
        return PhoneNumbers(self)

    @cached_property
    def trunks(self) -> Trunks:
        return Trunks(self)

    @cached_property
    def applications(self) -> Applications:
        return Applications(self)

    @cached_property
    def sub_accounts(self) -> SubAccounts:
        return SubAccounts(self)

    @cached_property
    def balance(self) -> BalanceResource:
        return BalanceResource(self)

    @cached_property
    def transactions(self) -> Transactions:
        return Transactions(self)

    @cached_property
    def auth(self) -> Auth:
        return Auth(self)

    @cached_property
    def partner(self) -> Partner:
        return Partner(self)

    @cached_property
    def events(self) -> Events:
        return Events(self)

    @cached_property
    def webhooks(self) -> Webhooks:
        return Webhooks(self)

    @cached_property
    def bulk_jobs(self) -> BulkJobs:
        return BulkJobs(self)

    def request(self, op: Operation[T]) -> T:
        """Send one operation, retrying per :mod:`didstore.client.retry`; parse the answer
        or raise the typed error (:mod:`didstore.client.errors`)."""
        call = self._prepare(op)
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    call.method,
                    call.url,
                    params=call.params,
                    json=call.json,
                    headers=call.headers,
                    timeout=call.timeout,
                )
            except httpx.TransportError as exc:
                delay = self._retry_delay(attempt, None)
                if delay is None:
                    raise connection_error(exc) from exc
            else:
                if response.is_success:
                    return op.parse(body_of(response), info(response))
                delay = self._retry_delay(attempt, response)
                if delay is None:
                    raise errors.from_response(response)
            time.sleep(delay)
            attempt += 1

    def download(self, path: str, out: BinaryIO, params: dict[str, Any] | None = None) -> int:
        """``GET path`` with ``Accept: text/csv``, the body streamed into ``out`` (a binary
        file) as it arrives, never held whole; returns the number of bytes written. Retried
        as :meth:`request` is, but only until the first byte is written: a stream cut
        after that raises :class:`APIConnectionError` (``out`` then holds a partial file)."""
        call = self._prepare(Operation("GET", path, _no_parse, params=params))
        headers = {**call.headers, "Accept": "text/csv"}
        attempt = 0
        while True:
            written = 0
            try:
                with self._http.stream(
                    "GET", call.url, params=call.params, headers=headers, timeout=call.timeout
                ) as response:
                    if response.is_success:
                        for chunk in response.iter_bytes():
                            out.write(chunk)
                            written += len(chunk)
                        return written
                    response.read()
                    delay = self._retry_delay(attempt, response)
                    if delay is None:
                        raise errors.from_response(response)
            except httpx.TransportError as exc:
                delay = None if written else self._retry_delay(attempt, None)
                if delay is None:
                    raise connection_error(exc) from exc
            time.sleep(delay)
            attempt += 1

    def paginate(self, op: ListOperation[T]) -> Pager[T]:
        return Pager(self, op)

    def close(self) -> None:
        """Close the connection pool (unless it was passed in, or shared by
        ``with_options``)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
