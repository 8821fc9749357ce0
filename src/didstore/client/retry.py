"""Which failures the SDK retries, and how long it waits before the next attempt.

Retried, up to ``max_retries`` times: connection errors and timeouts, 408, 429, every 5xx,
and a 409 that the server marks as retryable: code ``conflict_retry`` (``{"error":
"conflict_retry", ...}``) *and* a ``Retry-After`` header. Every other 409 (a cool-off, a
resource in use, a number already released) is final and raised at once, whatever headers
it carries. The wait is ``Retry-After``/``retry-after-ms`` when the answer has one (seconds
or an HTTP date, capped at 60 s), else exponential backoff with full jitter.

Every write carries one ``Idempotency-Key`` shared by all its attempts (``base.py``), so a
retried purchase can never charge twice.
"""

from __future__ import annotations

import contextlib
import email.utils
import random
import time

import httpx

from didstore.client.errors import CONFLICT_RETRY, APIConnectionError, APITimeoutError, code_of

MAX_RETRY_AFTER = 60.0
RETRY_STATUSES = frozenset({408, 429})


def should_retry(response: httpx.Response) -> bool:
    """True for 408, 429, 5xx and a 409 ``conflict_retry`` that carries ``Retry-After``."""
    status = response.status_code
    if status in RETRY_STATUSES or status >= 500:
        return True
    if status == 409:
        return "retry-after" in response.headers and code_of(response) == CONFLICT_RETRY
    return False


def backoff(attempt: int, base: float, ceiling: float) -> float:
    """Full jitter between half and all of ``min(ceiling, base * 2**attempt)``."""
    top = min(ceiling, base * (2**attempt))
    return random.uniform(top / 2, top)


def retry_after(headers: httpx.Headers) -> float | None:
    """``retry-after-ms`` or ``Retry-After`` (seconds or an HTTP date), capped at 60 s."""
    ms = headers.get("retry-after-ms")
    if ms:
        with contextlib.suppress(ValueError):
            return _cap(float(ms) / 1000)
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return _cap(float(value))
    except ValueError:
        try:
            parsed = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        return _cap(parsed.timestamp() - time.time())


def _cap(seconds: float) -> float:
    return min(max(seconds, 0.0), MAX_RETRY_AFTER)


def connection_error(exc: httpx.TransportError) -> APIConnectionError:
    request = None
    with contextlib.suppress(RuntimeError):  # a TransportError may carry no request
        request = exc.request
    if isinstance(exc, httpx.TimeoutException):
        return APITimeoutError(f"request timed out: {exc}", request=request)
    return APIConnectionError(f"connection failed: {exc}", request=request)
