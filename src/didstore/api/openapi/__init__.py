"""``/openapi.json`` that tells the truth: FastAPI generates the paths and parameters from the
routes; :func:`document` then writes, from one table (``table.OPERATIONS``) and one set of
schemas (``shapes.COMPONENTS``), what each operation really answers: the success body (JSON,
and CSV where the route can answer CSV), the error envelopes of ``api/errors.py`` per status
(``Retry-After`` where sent), the security it accepts, and the request body it reads.

FastAPI's phantom 422 (validation errors are 400 envelopes here) is removed everywhere; the
only 422 documented is the real one, ``idempotency_key_reused`` on POST and DELETE.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from didstore.api.openapi.shapes import COMPONENTS, CSV, Schema, ref
from didstore.api.openapi.table import AUTH_ERRORS, COMMON_ERRORS, OPERATIONS, Op

__all__ = ["OPERATIONS", "SECURITY_SCHEMES", "document", "install", "undocumented"]

SECURITY_SCHEMES: dict[str, Schema] = {
    "XAuthId": {"type": "apiKey", "in": "header", "name": "X-Auth-ID"},
    "XAuthToken": {"type": "apiKey", "in": "header", "name": "X-Auth-Token"},
    "Bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "the operator token, or an account's own auth token",
    },
    "Basic": {"type": "http", "scheme": "basic", "description": "auth_id:auth_token"},
}
_ACCOUNT_SECURITY: list[dict[str, list[str]]] = [
    {"XAuthId": [], "XAuthToken": []},
    {"Bearer": []},
    {"Basic": []},
]
SECURITY: dict[str, list[dict[str, list[str]]]] = {
    "account": _ACCOUNT_SECURITY,
    "partner": _ACCOUNT_SECURITY,
    "caller": _ACCOUNT_SECURITY,
    "operator": [{"Bearer": []}],
    "public": [],
}

#: The envelope each error status takes unless a route adds another (``Op.envelopes``).
DEFAULT_ENVELOPE: dict[int, tuple[str, ...]] = {
    400: ("ErrorFlat",),
    401: ("ErrorNested",),
    402: ("ErrorFlat",),
    403: ("ErrorNested", "ErrorFlat"),
    404: ("ErrorFlat",),
    409: ("ErrorFlat",),
    422: ("ErrorFlat",),
    503: ("ErrorFlat",),
    408: ("ErrorFlat",),
    413: ("PayloadTooLarge",),
    429: ("RateLimited",),
}
DESCRIPTIONS: dict[int, str] = {
    200: "OK",
    201: "Created",
    202: "Accepted: queued for the job runner",
    204: "No content",
    400: "Bad input (the message names the field)",
    401: "Missing or wrong credentials",
    402: "The paying wallet cannot cover the charge; nothing changed",
    403: "Authenticated, but not allowed (another account's path, or not the operator)",
    404: "Unknown resource (or no route for the path)",
    409: "Conflict: final (in use, holds numbers...), or retryable with Retry-After",
    422: "idempotency_key_reused: the Idempotency-Key was used for a different request (or,"
    " submitting a bulk job, confirmation_invalid: a wrong, expired or other job's token)",
    503: "The database is down or busy; nothing changed; retry after Retry-After",
    408: "The request body did not arrive within the body timeout; the connection is closed",
    413: "The request body is larger than the route's cap (max_bytes); nothing was read past it",
    429: "Too many requests for this credential or address, or too many wrong credentials",
    428: "confirmation_required: send the dry run's confirm_token as confirm",
}
_INT = {"type": "string", "pattern": "^[0-9]+$"}
_RETRY_AFTER = {"description": "seconds to wait before retrying", "schema": {"type": "string"}}
_REPLAYED = {
    "description": "true when this is the stored answer to an earlier request with the same key",
    "schema": {"type": "string", "enum": ["true"]},
}
#: Response headers of error statuses (``required``: sent with every answer of that status).
HEADERS: dict[int, dict[str, Any]] = {
    409: {"Retry-After": _RETRY_AFTER},  # only when the conflict is retryable
    503: {"Retry-After": {**_RETRY_AFTER, "required": True}},
    429: {
        "Retry-After": {**_RETRY_AFTER, "required": True},
        "RateLimit-Limit": {"description": "requests allowed per window", "schema": _INT},
        "RateLimit-Remaining": {"description": "requests left in the window", "schema": _INT},
        "RateLimit-Reset": {"description": "seconds until the window frees", "schema": _INT},
    },
}
_IDEMPOTENCY_KEY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "description": "replays the first answer for 24 h (docs/billing.md)",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


def _one_of(names: tuple[str, ...]) -> Schema:
    return ref(names[0]) if len(names) == 1 else {"anyOf": [ref(n) for n in names]}


def _statuses(method: str, op: Op, has_path_params: bool) -> list[int]:
    statuses = set(AUTH_ERRORS[op.auth]) | set(op.errors)
    if op.auth != "public":
        statuses |= set(COMMON_ERRORS)
    if method in ("POST", "PUT", "DELETE"):
        statuses.add(409)  # a concurrent change got in the way: retryable (Retry-After)
    if method in ("POST", "DELETE"):
        statuses |= {400, 409, 422}  # Idempotency-Key: malformed, in flight, reused
    if has_path_params and op.auth != "public":
        statuses.add(404)  # a path parameter that names nothing, or no route at all
    return sorted(statuses)


def responses(method: str, op: Op, has_path_params: bool) -> dict[str, Any]:
    """The ``responses`` object of one operation."""
    out: dict[str, Any] = {}
    success: dict[str, Any] = {"description": DESCRIPTIONS.get(op.status, "OK")}
    if op.schema is not None:
        names = (op.schema,) if isinstance(op.schema, str) else op.schema
        content: dict[str, Any] = {op.media: {"schema": _one_of(names)}}
        if op.csv:
            content["text/csv"] = {"schema": CSV}
        success["content"] = content
    if method in ("POST", "DELETE"):
        success["headers"] = {"Idempotent-Replayed": _REPLAYED}
    out[str(op.status)] = success
    for status, more in op.more.items():
        other = {**success, "description": DESCRIPTIONS.get(status, "OK")}
        other["content"] = {op.media: {"schema": _one_of(more)}}
        out[str(status)] = other
    for status in _statuses(method, op, has_path_params):
        default = DEFAULT_ENVELOPE.get(status, ("ErrorFlat",))
        names = tuple(dict.fromkeys(default + op.envelopes.get(status, ())))
        if op.auth == "public":
            names = op.envelopes.get(status, names)
        answer: dict[str, Any] = {
            "description": DESCRIPTIONS.get(status, "Error"),
            "content": {"application/json": {"schema": _one_of(names)}},
        }
        if status in HEADERS and (status != 503 or op.retry_after):
            answer["headers"] = HEADERS[status]
        out[str(status)] = answer
    return out


def _request_body(op: Op, generated: dict[str, Any] | None) -> dict[str, Any] | None:
    if op.body is None:
        return generated
    schema = op.body
    if "null" in json.dumps((generated or {}).get("content", {})):
        schema = {"anyOf": [schema, {"type": "null"}]}  # the route takes a null body as {}
    content: dict[str, Any] = {"application/json": {"schema": schema}}
    if op.example is not None:
        content["application/json"]["example"] = op.example
    if op.csv_body:
        content["text/csv"] = {"schema": CSV}
        content["multipart/form-data"] = {
            "schema": {
                "type": "object",
                "properties": {"file": {"type": "string", "format": "binary"}},
                "required": ["file"],
            }
        }
    return {"required": bool(generated and generated.get("required")), "content": content}


def _document_operation(method: str, path: str, operation: dict[str, Any], op: Op) -> None:
    params: list[dict[str, Any]] = operation.get("parameters", [])
    has_path_params = any(p.get("in") == "path" for p in params)
    names = {(p.get("in"), p.get("name")) for p in params}
    for name, kind in op.query:
        if ("query", name) not in names:
            params.append({"name": name, "in": "query", "required": False,
                           "schema": {"type": kind}})  # fmt: skip
    if method in ("POST", "DELETE") and ("header", "Idempotency-Key") not in names:
        params.append(_IDEMPOTENCY_KEY)
    if params:
        operation["parameters"] = params
    operation["responses"] = responses(method, op, has_path_params)
    operation["security"] = SECURITY[op.auth]
    request_body = _request_body(op, operation.get("requestBody"))
    if request_body is None:
        operation.pop("requestBody", None)
    else:
        operation["requestBody"] = request_body


#: Surfaces that document themselves in their routes' ``responses=``, because their
#: envelopes are another API's: the Plivo-compatible facade (``api/routes/plivo_common.py``,
#: ``{api_id, error}``). ``document`` keeps their answers, drops FastAPI's phantom 422 (the
#: facade's own 422 stays), and adds what every route shares: HTTP Basic, the limits'
#: 408/413/429 and the Retry-After of 503 and 429.
SELF_DOCUMENTED = ("/v1/",)


def self_documented(path: str) -> bool:
    return path.startswith(SELF_DOCUMENTED)


def undocumented(spec: dict[str, Any]) -> list[tuple[str, str]]:
    """Operations of ``spec`` with no row in ``table.OPERATIONS`` (self-documented surfaces
    aside)."""
    return [
        (method.upper(), path)
        for path, item in spec.get("paths", {}).items()
        for method in item
        if (method.upper(), path) not in OPERATIONS and not self_documented(path)
    ]


def _phantom(answer: dict[str, Any]) -> bool:
    """FastAPI's own 422 (request validation), which the server never sends."""
    return "HTTPValidationError" in str(answer.get("content", ""))


def _document_self(method: str, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    if method in ("POST", "DELETE"):
        operation.setdefault("parameters", []).append(_IDEMPOTENCY_KEY)
    if "422" in responses and _phantom(responses["422"]):
        del responses["422"]
    operation["security"] = [{"Basic": []}]
    for status in COMMON_ERRORS:
        names = DEFAULT_ENVELOPE.get(status, ("ErrorFlat",))
        responses.setdefault(
            str(status),
            {
                "description": DESCRIPTIONS.get(status, "Error"),
                "content": {"application/json": {"schema": _one_of(names)}},
            },
        )
    for status in (409, 429, 503):
        if str(status) in responses:
            responses[str(status)]["headers"] = HEADERS[status]


def document(spec: dict[str, Any]) -> dict[str, Any]:
    """Rewrite FastAPI's generated ``spec`` in place from the table (module docstring).
    An operation without a row keeps FastAPI's guesses minus the phantom 422; the test
    suite fails on it (``undocumented``)."""
    for path, item in spec.get("paths", {}).items():
        for method, operation in item.items():
            op = OPERATIONS.get((method.upper(), path))
            if op is None and self_documented(path):
                _document_self(method.upper(), operation)
                continue
            if op is None:
                operation.get("responses", {}).pop("422", None)
                continue
            _document_operation(method.upper(), path, operation, op)
    components = spec.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    for generated in ("HTTPValidationError", "ValidationError"):
        schemas.pop(generated, None)
    schemas.update(COMPONENTS)
    components["securitySchemes"] = SECURITY_SCHEMES
    return spec


def install(app: FastAPI) -> None:
    """Serve the documented spec at ``/openapi.json`` (built once, on first request)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            spec = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            app.openapi_schema = document(spec)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
