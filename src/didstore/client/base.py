"""The one base of :class:`Client` and :class:`AsyncClient`: settings (arguments, then
``DIDSTORE_*`` environment variables, then defaults), authentication headers, timeouts, the
retry decision, ``with_options`` and the read-only properties. The two flavours add only
what must differ: how a request is sent and how long to sleep (``_async/client.py``, from
which ``_sync/client.py`` is derived).

Authentication: an auth id and token go as ``X-Auth-ID``/``X-Auth-Token``; a token without
an auth id (the operator's) goes as ``Authorization: Bearer`` and acts on the account named
in each call. Every POST/PUT/PATCH/DELETE carries one ``Idempotency-Key`` generated per call
and reused by all its retries, unless the client was given its own
(``with_options(headers={"Idempotency-Key": key})``: a key a caller can repeat across runs,
as ``didstore migrate plivo apply`` does).
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from typing import Any, Generic, Self, TypedDict, TypeVar, Unpack

import httpx

from didstore import __version__
from didstore.client.core import Operation, QueryPairs, clean_params
from didstore.client.retry import backoff, retry_after, should_retry

HttpT = TypeVar("HttpT", httpx.Client, httpx.AsyncClient)

DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass(slots=True)
class ClientSettings:
    auth_id: str | None
    auth_token: str | None
    base_url: str
    timeout: float
    max_retries: int
    headers: dict[str, str] = field(default_factory=dict)
    backoff_base: float = 0.5
    backoff_max: float = 8.0


def resolve_settings(
    auth_id: str | None,
    auth_token: str | None,
    base_url: str | None,
    timeout: float | None,
    max_retries: int | None,
    headers: dict[str, str] | None,
) -> ClientSettings:
    """Arguments win over ``DIDSTORE_AUTH_ID``/``DIDSTORE_AUTH_TOKEN``/``DIDSTORE_URL``."""
    env = os.environ
    url = base_url or env.get("DIDSTORE_URL") or DEFAULT_BASE_URL
    retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
    if retries < 0:
        raise ValueError("max_retries must be >= 0")
    seconds = DEFAULT_TIMEOUT if timeout is None else timeout
    if seconds <= 0:
        raise ValueError("timeout must be > 0")
    return ClientSettings(
        auth_id=auth_id or env.get("DIDSTORE_AUTH_ID") or None,
        auth_token=auth_token or env.get("DIDSTORE_AUTH_TOKEN") or None,
        base_url=url.rstrip("/"),
        timeout=seconds,
        max_retries=retries,
        headers=dict(headers or {}),
    )


def base_headers(settings: ClientSettings) -> dict[str, str]:
    """X-Auth pair for an account; a lone token (the operator's) goes as a Bearer token."""
    headers = {
        "Accept": "application/json",
        "User-Agent": f"didstore-python/{__version__}",
    }
    if settings.auth_id and settings.auth_token:
        headers["X-Auth-ID"] = settings.auth_id
        headers["X-Auth-Token"] = settings.auth_token
    elif settings.auth_token:
        headers["Authorization"] = f"Bearer {settings.auth_token}"
    headers.update(settings.headers)
    return headers


class Options(TypedDict, total=False):
    """What :meth:`BaseClient.with_options` may change."""

    auth_id: str | None
    auth_token: str | None
    base_url: str | None
    timeout: float | None
    max_retries: int | None
    headers: dict[str, str] | None


@dataclass(frozen=True, slots=True)
class Prepared:
    """Everything ``httpx`` needs for one attempt; built once and reused by the retries."""

    method: str
    url: str
    params: QueryPairs | None
    json: Any
    headers: dict[str, str]
    timeout: float


class BaseClient(Generic[HttpT]):
    """Settings, headers, retry decisions and ``with_options`` for both flavours. ``HttpT`` is
    the ``httpx`` client the flavour sends with (``httpx.Client`` or ``httpx.AsyncClient``)."""

    def __init__(
        self,
        auth_id: str | None = None,
        auth_token: str | None = None,
        base_url: str | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        *,
        headers: dict[str, str] | None = None,
        http_client: HttpT | None = None,
    ) -> None:
        self._settings = resolve_settings(
            auth_id, auth_token, base_url, timeout, max_retries, headers
        )
        self._owns_http = http_client is None
        self._http: HttpT = http_client if http_client is not None else self._new_http()
        self._headers = base_headers(self._settings)

    def _new_http(self) -> HttpT:
        """The flavour's own ``httpx`` client, when the caller gave none."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return self._settings.base_url

    @property
    def auth_id(self) -> str | None:
        return self._settings.auth_id

    @property
    def timeout(self) -> float:
        """Seconds for each attempt (connect, read, write and pool wait each)."""
        return self._settings.timeout

    @property
    def max_retries(self) -> int:
        return self._settings.max_retries

    def with_options(self, **changes: Unpack[Options]) -> Self:
        """A copy with some settings changed (``timeout=``, ``max_retries=``, ``headers=``
        added to the current ones...) that shares this client's connection pool; closing
        the copy leaves the pool open."""
        s = self._settings
        merged: Options = {
            "auth_id": s.auth_id,
            "auth_token": s.auth_token,
            "base_url": s.base_url,
            "timeout": s.timeout,
            "max_retries": s.max_retries,
        }
        merged.update(changes)
        merged["headers"] = {**s.headers, **(changes.get("headers") or {})}
        return type(self)(**merged, http_client=self._http)

    def _prepare(self, op: Operation[Any]) -> Prepared:
        headers = dict(self._headers)
        if op.method.upper() in WRITE_METHODS and "Idempotency-Key" not in headers:
            headers["Idempotency-Key"] = str(uuid.uuid4())
        return Prepared(
            method=op.method,
            url=self._settings.base_url + op.path,
            params=clean_params(op.params),
            json=op.json,
            headers=headers,
            timeout=self._settings.timeout,
        )

    def _retry_delay(self, attempt: int, response: httpx.Response | None) -> float | None:
        """Seconds to wait before attempt ``attempt + 1``, or ``None`` when the failure is
        final (not retryable, or ``max_retries`` used up). ``response`` is ``None`` for a
        connection error or timeout, which is always retryable."""
        s = self._settings
        if attempt >= s.max_retries:
            return None
        if response is None:
            return backoff(attempt, s.backoff_base, s.backoff_max)
        if not should_retry(response):
            return None
        after = retry_after(response.headers)
        return after if after is not None else backoff(attempt, s.backoff_base, s.backoff_max)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, auth_id={self.auth_id!r})"
