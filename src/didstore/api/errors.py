"""The one table that maps domain errors to HTTP status and wire envelope (spec §7.1).

Envelopes:
- ``flat``: ``{"error": code, "message": text}`` (number routes);
- ``error_only``: ``{"error": text}`` (cancel-release);
- ``nested``: ``{"error": {"code": status, "message": text}}`` (the auth gateway);
- ``cool_off``: ``{"error": "did_cool_off_in_effect", "cool_off_until",
  "cool_off_remaining_seconds"}``;
- ``application``: the application routes' documented 404 ``{"error": "Application not
  found", "app_id"}`` and 409 ``{"error": "Cannot delete application", "message"}``
  (entities spec, applications); their other errors are ``flat``.
- ``plivo``: ``{"api_id", "error": text}`` on every route of the Plivo facade (``/v1/…``,
  ADR 0018); the status is the same as elsewhere, and the plivo SDK maps 400, 401, 403, 404,
  405/409/422 and 500 to its exception classes (any other status is ``PlivoRestError``).
Every error answer has a JSON body: the newer SDK treats an empty body as success.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

import orjson
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from didstore.api.responses import JSON
from didstore.db import errors as db
from didstore.domain import errors as e

log = logging.getLogger("didstore.api")

# code -> (status, envelope)
ERROR_TABLE: dict[type[e.DomainError], tuple[int, str]] = {
    e.InvalidInput: (400, "flat"),
    e.NotFound: (404, "flat"),
    e.Forbidden: (403, "flat"),
    e.Conflict: (409, "flat"),  # RetryableConflict too, with Retry-After
    e.InsufficientBalance: (402, "flat"),
    e.NotPendingRelease: (400, "error_only"),
    e.AlreadyPendingRelease: (400, "error_only"),
    e.CoolOffInEffect: (409, "cool_off"),
    e.AuthenticationFailed: (401, "nested"),
    e.AccountMismatch: (403, "nested"),
    e.IdempotencyKeyReused: (422, "flat"),
    e.RateLimited: (429, "flat"),  # with Retry-After and RateLimit-* (api/limits.py)
    e.PayloadTooLarge: (413, "flat"),
    e.RequestTimeout: (408, "flat"),
    e.NumberReserved: (409, "flat"),
    e.NumbersUnavailable: (409, "flat"),
    e.ReservationNotActive: (409, "flat"),
    e.ConfirmationRequired: (428, "flat"),
    e.ConfirmationInvalid: (422, "flat"),
}


# Routes whose documented errors use another envelope than their status's default.
ROUTE_ENVELOPES: dict[str, str] = {
    # cancel-release documents {"error": "..."} for 400/403/404 (spec §4.5)
    "/api/v1/Account/{auth_id}/numbers/{e164}/cancel-release": "error_only",
    "/api/v1/Account/{auth_id}/Application/{app_id}": "application",
}


#: Paths of the Plivo-compatible facade: every error there is ``{api_id, error}``.
PLIVO_PREFIX = "/v1/"


def plivo_body(message: str, **extra: Any) -> dict[str, Any]:
    return {"api_id": str(uuid.uuid4()), "error": message, **extra}


def error_body(exc: e.DomainError, route_path: str = "") -> tuple[int, dict[str, Any]]:
    status, envelope = 500, "flat"
    for cls in type(exc).__mro__:
        if cls in ERROR_TABLE:
            status, envelope = ERROR_TABLE[cls]
            break
    if route_path.startswith(PLIVO_PREFIX):
        extra = exc.extra if envelope == "cool_off" else {}
        return status, plivo_body(exc.message, **extra)
    if envelope == "flat" and route_path in ROUTE_ENVELOPES:
        envelope = ROUTE_ENVELOPES[route_path]
    body: dict[str, Any]
    if envelope == "nested":
        body = {"error": {"code": status, "message": exc.message}}
    elif envelope == "error_only":
        body = {"error": exc.message}
    elif envelope == "cool_off":
        body = {"error": exc.code, **exc.extra}
    elif envelope == "application" and isinstance(exc, e.NotFound):
        body = {"error": exc.message, "app_id": exc.extra.get("app_id", "")}
    elif envelope == "application" and isinstance(exc, e.Conflict):
        body = {"error": "Cannot delete application", "message": exc.message}
    else:
        body = {"error": exc.code, "message": exc.message}
        body.update({k: exc.extra[k] for k in exc.public_extra if k in exc.extra})
    return status, body


#: Seconds a client should wait before sending a retryable request again.
RETRY_CONFLICT_AFTER = "1"
RETRY_UNAVAILABLE_AFTER = "2"


def retry_after(exc: e.DomainError) -> str | None:
    """``Retry-After`` for the one retryable conflict; final conflicts get none (docs/api.md)."""
    return RETRY_CONFLICT_AFTER if isinstance(exc, e.RetryableConflict) else None


def domain_response(exc: e.DomainError, route_path: str = "") -> Response:
    """The HTTP answer for a domain error (``Retry-After`` on the retryable conflict only)."""
    status, body = error_body(exc, route_path)
    wait = retry_after(exc)
    return JSON(body, status_code=status, headers={"Retry-After": wait} if wait else None)


def database_response(exc: db.DatabaseError, request_id: str) -> Response:
    """A database failure that reached the HTTP layer: never a bare 500 when the cause is
    known (an outage or a timeout: 503; a lost race on a unique key: a retryable 409)."""
    if isinstance(exc, db.DatabaseUnavailable):
        log.warning("database unavailable (request %s): %s", request_id, exc)
        return JSON(
            {
                "error": "service_unavailable",
                "message": "the database is unavailable or busy; retry shortly",
            },
            503,
            headers={"Retry-After": RETRY_UNAVAILABLE_AFTER},
        )
    if isinstance(exc, db.IntegrityViolation | db.TransientConflict):
        log.info("concurrent change (request %s): %s", request_id, exc)
        return domain_response(e.RetryableConflict("a concurrent change got in the way; retry"))
    # a value the database refuses (a number too large for a column): bad input, a 400
    log.warning("value refused by the database (request %s): %s", request_id, exc)
    return JSON(
        {
            "error": "invalid_request",
            "message": "a value in the request is out of range or not storable",
        },
        400,
    )


def _validation_message(exc: RequestValidationError) -> str:
    parts = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ()) if p not in ("body", "query", "path")]
        where = ".".join(loc) or "request"
        parts.append(f"{where}: {err.get('msg', 'invalid')}")
    return "; ".join(parts) or "invalid request"


def for_path(path: str, body: bytes) -> bytes:
    """A JSON error body in the Plivo facade's ``{api_id, error}`` form on its paths."""
    if not path.startswith(PLIVO_PREFIX):
        return body
    data = orjson.loads(body)
    return orjson.dumps(plivo_body(str(data.get("message") or data.get("error") or "error")))


def _for_path(request: Request, response: Response) -> Response:
    """The same answer in the Plivo facade's ``{api_id, error}`` form on its paths."""
    if not request.scope.get("path", "").startswith(PLIVO_PREFIX):
        return response
    body = orjson.loads(bytes(response.body))
    message = body.get("message") or body.get("error") or "error"
    headers = {k: v for k, v in response.headers.items() if k.lower() == "retry-after"}
    return JSON(plivo_body(str(message)), response.status_code, headers=headers or None)


def install(app: FastAPI) -> None:
    @app.exception_handler(e.DomainError)
    async def _domain(request: Request, exc: e.DomainError) -> Response:
        route = request.scope.get("route")
        return domain_response(exc, getattr(route, "path", ""))

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        return _for_path(
            request,
            JSON({"error": "invalid_request", "message": _validation_message(exc)}, 400),
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 404:
            body = {
                "error": "not_found",
                "message": f"no route for {request.method} {request.url.path}",
            }
        elif exc.status_code == 405:
            body = {
                "error": "method_not_allowed",
                "message": f"{request.method} is not allowed on {request.url.path}",
            }
        else:
            body = {"error": "http_error", "message": str(exc.detail)}
        return _for_path(
            request, JSON(body, exc.status_code, headers=getattr(exc, "headers", None))
        )

    # The database's failures, translated by db/database.py: see ``database_response``.
    @app.exception_handler(db.DatabaseError)
    async def _database(request: Request, exc: db.DatabaseError) -> Response:
        return _for_path(request, database_response(exc, getattr(request.state, "request_id", "")))

    # Safety net for input that got past validation: a number too large for a column.
    @app.exception_handler(OverflowError)
    async def _out_of_range(request: Request, exc: Exception) -> Response:
        return _for_path(
            request,
            database_response(db.InvalidData(str(exc)), getattr(request.state, "request_id", "")),
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        request_id = getattr(request.state, "request_id", "")
        log.exception("unhandled error (request %s)", request_id)
        return _for_path(
            request,
            JSON(
                {
                    "error": "internal_server_error",
                    "message": f"internal error; quote request id {request_id} to the operator",
                },
                500,
            ),
        )
