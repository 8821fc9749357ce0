"""Typed errors. Every server answer outside 2xx becomes an :class:`APIError` subclass chosen
by status (and, where the server is more specific, by its ``error`` code).

The server speaks several envelopes (numbers spec §7.1): flat ``{"error": code, "message"}``,
error-only ``{"error": text}``, nested ``{"error": {"code", "message"}}`` and the cool-off
body ``{"error": "did_cool_off_in_effect", "cool_off_until", "cool_off_remaining_seconds"}``.
All of them are read into the same attributes: ``status``, ``code``, ``error``, ``message``.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import httpx

_CODE = re.compile(r"^[a-z][a-z0-9_]*$")
#: The code of a 409 the server marks as retryable (with ``Retry-After``): a concurrent
#: change or an idempotency key still in flight. Every other 409 is final.
CONFLICT_RETRY = "conflict_retry"
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    402: "payment_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    422: "unprocessable_entity",
    429: "rate_limited",
}


class DidstoreError(Exception):
    """Base class of everything the SDK raises on purpose."""


class APIConnectionError(DidstoreError):
    """The server could not be reached or dropped the connection (after all retries)."""

    def __init__(self, message: str, *, request: httpx.Request | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.request = request


class APITimeoutError(APIConnectionError):
    """The request timed out (after all retries)."""


class APIError(DidstoreError):
    """An HTTP error answer.

    ``error`` is the raw ``error`` value of the body (a code such as ``not_found`` or a
    phrase such as ``number is not pending release``); ``code`` is always a stable
    snake_case code: the body's own when it has one, else one derived from the status.
    """

    def __init__(
        self,
        status: int,
        *,
        code: str,
        error: Any,
        message: str,
        body: Any,
        headers: httpx.Headers | None = None,
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.status_code = status
        self.code = code
        self.error = error
        self.message = message
        self.body = body
        self.headers = headers if headers is not None else httpx.Headers()

    @property
    def request_id(self) -> str | None:
        value: str | None = self.headers.get("x-request-id")
        return value


class BadRequestError(APIError):
    """400: the request was refused as invalid (nothing changed)."""


class AuthenticationError(APIError):
    """401: missing or wrong credentials."""


class InsufficientBalanceError(APIError):
    """402 ``insufficient_balance``: the paying wallet cannot cover the charge; nothing was
    bought and nothing was debited."""


class PermissionDeniedError(APIError):
    """403: authenticated, but not allowed (another account's number or path)."""


class NotFoundError(APIError):
    """404: no such number, account, trunk or application (or no such route)."""


class ConflictError(APIError):
    """409: the state of the resource forbids the change. A ``conflict_retry`` conflict is
    retried first (see :mod:`didstore.client.retry`) and raised only once retries run out."""


class CoolOffError(ConflictError):
    """409 ``did_cool_off_in_effect``: the DID took a call within 15 days, so it cannot
    leave its sub-account until ``cool_off_until``."""

    @property
    def cool_off_until(self) -> datetime | None:
        raw = self.body.get("cool_off_until") if isinstance(self.body, dict) else None
        if not isinstance(raw, str):
            return None
        try:
            return datetime.fromisoformat(raw.replace("Z", "+00:00"))
        except ValueError:
            return None

    @property
    def cool_off_remaining_seconds(self) -> int | None:
        raw = self.body.get("cool_off_remaining_seconds") if isinstance(self.body, dict) else None
        return int(raw) if isinstance(raw, int | float) else None


class UnprocessableEntityError(APIError):
    """422."""


class RateLimitError(APIError):
    """429 (after all retries)."""


class ServerError(APIError):
    """5xx (after all retries)."""


_BY_STATUS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    402: InsufficientBalanceError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}


def _parse_body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return response.text


def _read(status: int, body: Any) -> tuple[Any, str, str]:
    """``(raw error value, stable code, message)`` from any of the server's envelopes."""
    raw_error: Any = None
    message = ""
    code: str | None = None
    if isinstance(body, dict):
        raw_error = body.get("error")
        if isinstance(raw_error, dict):  # nested gateway envelope
            message = str(raw_error.get("message") or "")
        elif isinstance(raw_error, str):
            if _CODE.match(raw_error):
                code = raw_error
            message = str(body.get("message") or raw_error)
        else:
            message = str(body.get("message") or "")
    elif isinstance(body, str):
        message = body.strip()[:500]
    code = code or _STATUS_CODES.get(status) or ("server_error" if status >= 500 else "error")
    return raw_error, code, message


def code_of(response: httpx.Response) -> str:
    """The stable snake_case code of an error answer (as :attr:`APIError.code` has it)."""
    return _read(response.status_code, _parse_body(response))[1]


def from_response(response: httpx.Response) -> APIError:
    """The typed error for a non-2xx answer, whatever envelope it came in."""
    status = response.status_code
    body = _parse_body(response)
    raw_error, code, message = _read(status, body)
    message = message or response.reason_phrase or f"HTTP {status}"
    cls: type[APIError]
    if code == "did_cool_off_in_effect":
        cls = CoolOffError
    elif code == "insufficient_balance":
        cls = InsufficientBalanceError
    elif status >= 500:
        cls = ServerError
    else:
        cls = _BY_STATUS.get(status, APIError)
    return cls(
        status, code=code, error=raw_error, message=message, body=body, headers=response.headers
    )
