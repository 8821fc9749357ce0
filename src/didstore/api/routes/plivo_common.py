"""What every route of the Plivo-compatible facade shares (ADR 0018): the account scope from
HTTP Basic credentials, Plivo's paging parameters, JSON bodies read as objects, and the
OpenAPI description of the ``{api_id, error}`` answers.

Paths are declared without their trailing slash: the plivo SDK sends one, and
``api.app.CanonicalPaths`` strips it before routing, as for every other route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from fastapi import Request
from starlette.datastructures import QueryParams

from didstore.api.auth import authenticate_plivo
from didstore.api.deps import services
from didstore.domain.errors import AccountMismatch, InvalidInput, NotFound
from didstore.services.models import Account, Actor

PREFIX = "/v1/Account/{auth_id}"
MAX_LIMIT = 20

_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"api_id": {"type": "string"}, "error": {"type": "string"}},
    "required": ["api_id", "error"],
}
_WHY = {
    400: "A parameter is missing or invalid (plivo SDK: ValidationError)",
    401: "Missing or wrong credentials (AuthenticationError)",
    402: "The wallet cannot pay (PlivoRestError)",
    403: "The path's account is not the caller's, or the caller may not do this (ForbiddenError)",
    404: "No such number, application or sub-account (ResourceNotFoundError)",
    405: "Method not allowed (InvalidRequestError)",
    409: "A conflict: the 15-day cool-off, an application in use, a concurrent change "
    "(InvalidRequestError)",
    422: "idempotency_key_reused: an Idempotency-Key reused with another request "
    "(InvalidRequestError)",
    500: "An unexpected server error (PlivoServerError)",
    503: "The database is unavailable or busy; retry (PlivoRestError)",
}


#: What every write can also answer: a concurrent change (409, retryable) and an
#: ``Idempotency-Key`` reused for another request (422).
WRITE = (409, 422)


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses`` for a facade route: its error statuses in Plivo's form (every
    route can also answer 400, 401, 403, 500 and 503)."""
    wanted = sorted({400, 401, 403, 500, 503, *statuses})
    return {
        s: {
            "description": _WHY[s],
            "content": {"application/json": {"schema": _ERROR_SCHEMA}},
        }
        for s in wanted
    }


def ok(status: int, description: str) -> dict[int | str, dict[str, Any]]:
    if status == 204:
        return {204: {"description": description}}
    return {
        status: {
            "description": description,
            "content": {"application/json": {"schema": {"type": "object"}}},
        }
    }


@dataclass(frozen=True, slots=True)
class PlivoScope:
    actor: Actor
    account: Account

    @property
    def alias(self) -> str:
        return self.account.plivo_auth_id


async def plivo_scope(request: Request, auth_id: str) -> PlivoScope:
    """The caller (Basic credentials), acting on the path's account: itself, or for a main
    account one of its live sub-accounts."""
    principal = await authenticate_plivo(request)
    caller = principal.account
    assert caller is not None
    if auth_id == caller.plivo_auth_id:
        return PlivoScope(principal.actor, caller)
    if caller.kind == "main" and auth_id.startswith("SA"):
        try:
            target = await services(request).accounts.get_by_plivo_id(auth_id)
        except NotFound:
            target = None
        if target is not None and target.parent_id == caller.id and not target.deleted:
            return PlivoScope(principal.actor, target)
    raise AccountMismatch("the auth_id in the path is not the authenticated account")


def int_param(query: QueryParams, name: str, default: int, low: int, high: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a whole number", field=name) from None
    if not low <= value <= high:
        raise InvalidInput(f"{name} must be between {low} and {high}", field=name)
    return value


def limit_offset(query: QueryParams) -> tuple[int, int]:
    return (
        int_param(query, "limit", MAX_LIMIT, 1, MAX_LIMIT),
        int_param(query, "offset", 0, 0, 10**9),
    )


def services_param(query: QueryParams) -> tuple[str, ...]:
    """``services=voice,sms`` (list) or ``services=voice&services=sms`` (search)."""
    names: list[str] = []
    for raw in query.getlist("services"):
        names.extend(p.strip().lower() for p in raw.split(",") if p.strip())
    unknown = sorted(set(names) - {"voice", "sms", "mms"})
    if unknown:
        raise InvalidInput(f"unknown services: {', '.join(unknown)}", field="services")
    return tuple(dict.fromkeys(names))


async def json_object(request: Request) -> dict[str, Any]:
    """The JSON body as an object (``{}`` when empty)."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise InvalidInput("the body must be a JSON object") from None
    if not isinstance(body, dict):
        raise InvalidInput("the body must be a JSON object")
    return body


#: Plivo body fields didstore has no feature for (CNAM, compliance, verification, HA).
UNSUPPORTED_FIELDS = (
    "verification_info",
    "compliance_application_id",
    "ha_enable",
)


def refuse_unsupported(body: dict[str, Any]) -> None:
    """A body that asks for a feature didstore does not have is a 400, never ignored;
    ``cnam_lookup`` is accepted only as ``disabled`` (the only state didstore has)."""
    for key in UNSUPPORTED_FIELDS:
        if body.get(key) not in (None, "", {}, False):
            raise InvalidInput(f"{key} is not supported by didstore", field=key)
    if body.get("cnam_lookup") not in (None, "", "disabled"):
        raise InvalidInput("cnam_lookup is not supported by didstore", field="cnam_lookup")


def optional_text(body: dict[str, Any], key: str, max_len: int) -> str | None:
    """A string field if present (``None`` when absent); ``null`` counts as absent."""
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{key} must be a string", field=key)
    value = value.strip()
    if len(value) > max_len or "\x00" in value:
        raise InvalidInput(f"{key} must be at most {max_len} characters", field=key)
    return value


def query_docs(*names: str) -> dict[str, Any]:
    """``openapi_extra`` for query parameters read by hand."""
    return {
        "parameters": [
            {
                "name": n,
                "in": "query",
                "required": False,
                "schema": {"type": "integer" if n in ("limit", "offset") else "string"},
            }
            for n in names
        ]
    }
