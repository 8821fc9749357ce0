"""Request descriptions and the rules shared by the sync and async clients: credentials and
base URL from the environment, headers, which failures are retried and how long to wait.

Retry rule: connection errors, 408, 429 and 5xx are retried up to ``max_retries`` times with
exponential backoff and full jitter, honouring ``Retry-After`` (seconds or an HTTP date,
capped at 60 s). Every POST/PUT/PATCH/DELETE carries one ``Idempotency-Key`` generated per
call and reused by all its retries, so a retried purchase can never charge twice.
"""

from __future__ import annotations

import contextlib
import email.utils
import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

import httpx

from didstore import __version__
from didstore.client.errors import APIConnectionError, APITimeoutError
from didstore.client.models import Page, ResponseInfo

T = TypeVar("T")
DEFAULT_BASE_URL = "http://127.0.0.1:8080"
DEFAULT_TIMEOUT = 30.0
DEFAULT_MAX_RETRIES = 2
MAX_RETRY_AFTER = 60.0
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
RETRY_STATUSES = frozenset({408, 429})

Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """One API call: what to send and how to read the answer."""

    method: str
    path: str
    parse: Callable[[Any, ResponseInfo], T]
    params: Params | None = None
    json: Any = None


@dataclass(frozen=True, slots=True)
class ListOperation(Generic[T]):
    """A paginated list: ``make(cursor)`` describes the request for one page; ``start`` is
    the first cursor (a page number, or an offset for limit/offset endpoints)."""

    make: Callable[[int], Operation[Page[T]]]
    start: int


@dataclass(slots=True)
class Settings:
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
) -> Settings:
    """Arguments win over ``DIDSTORE_AUTH_ID``/``DIDSTORE_AUTH_TOKEN``/``DIDSTORE_URL``."""
    env = os.environ
    url = base_url or env.get("DIDSTORE_URL") or DEFAULT_BASE_URL
    retries = DEFAULT_MAX_RETRIES if max_retries is None else max_retries
    if retries < 0:
        raise ValueError("max_retries must be >= 0")
    return Settings(
        auth_id=auth_id or env.get("DIDSTORE_AUTH_ID") or None,
        auth_token=auth_token or env.get("DIDSTORE_AUTH_TOKEN") or None,
        base_url=url.rstrip("/"),
        timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
        max_retries=retries,
        headers=dict(headers or {}),
    )


def base_headers(settings: Settings) -> dict[str, str]:
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


def request_headers(op: Operation[Any]) -> dict[str, str]:
    """Per-call headers: one Idempotency-Key for every write, shared by its retries."""
    if op.method.upper() in WRITE_METHODS:
        return {"Idempotency-Key": str(uuid.uuid4())}
    return {}


QueryPairs = list[tuple[str, str | int | float | bool | None]]


def clean_params(params: Params | None) -> QueryPairs | None:
    """Drop unset values; lists repeat the key; booleans go as ``true``/``false``."""
    if not params:
        return None
    pairs: QueryPairs = []
    for key, value in params.items():
        if value is None:
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if isinstance(v, bool):
                pairs.append((key, "true" if v else "false"))
            else:
                pairs.append((key, str(v)))
    return pairs


def should_retry_status(status: int) -> bool:
    return status in RETRY_STATUSES or status >= 500


def retry_delay(settings: Settings, attempt: int, response: httpx.Response | None) -> float:
    """``Retry-After``/``retry-after-ms`` when the server gave one, else backoff + jitter."""
    if response is not None:
        after = _retry_after(response.headers)
        if after is not None:
            return after
    ceiling = min(settings.backoff_max, settings.backoff_base * (2**attempt))
    return random.uniform(ceiling / 2, ceiling)


def _retry_after(headers: httpx.Headers) -> float | None:
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return min(max(float(ms) / 1000, 0.0), MAX_RETRY_AFTER)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER)
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        if parsed is None:
            return None
        return min(max(parsed.timestamp() - time.time(), 0.0), MAX_RETRY_AFTER)


def connection_error(exc: httpx.TransportError) -> APIConnectionError:
    request = None
    with contextlib.suppress(RuntimeError):  # a TransportError may carry no request
        request = exc.request
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out: {exc}", request=request)
    return APIConnectionError(f"connection failed: {exc}", request=request)


def info(response: httpx.Response) -> ResponseInfo:
    return ResponseInfo(status_code=response.status_code, headers=response.headers)


def body_of(response: httpx.Response) -> Any:
    """The decoded JSON body, or ``None`` for an empty one (204)."""
    if not response.content.strip():
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
