"""The route-lookup fast path: ``GET /api/v1/admin/routes/{e164}`` answered on the event loop
(ADR 0009).

A pure ASGI middleware in front of the FastAPI router. It answers only the common case it
can decide without a blocking call: PostgreSQL, no ``X-Auth-ID``/``X-Auth-Token`` pair, and
an ``Authorization: Bearer`` value that ``OperatorTokens.known`` recognises in memory. Every
other request (SQLite, account credentials, an unknown or missing token, another path or
method) goes down the normal FastAPI route, which stays the one implementation of the
authentication rules; so 401/403 answers are exactly the route's. The answer itself comes
from the same wire function (``routing_wire.route``) and error table (``errors``) as the
FastAPI route, so the bytes are identical.
"""

from __future__ import annotations

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from didstore.api import routing_wire as rw
from didstore.api.errors import domain_response
from didstore.api.responses import JSON
from didstore.api.state import AppState
from didstore.domain.e164 import from_path
from didstore.domain.errors import DomainError
from didstore.services.route_lookup import AsyncRouteLookup

PREFIX = "/api/v1/admin/routes/"
ROUTE_PATH = PREFIX + "{e164}"  # the FastAPI route's template, for the error table


def _header(scope: Scope, name: bytes) -> str | None:
    """The first value of a header, as ``Request.headers.get`` reads it."""
    for key, value in scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def operator_bearer(scope: Scope, state: AppState) -> bool:
    """True when ``authenticate`` would certainly make this request the operator's without
    touching the database; False means "let the full path decide"."""
    if _header(scope, b"x-auth-id") and _header(scope, b"x-auth-token"):
        return False  # account credentials win over any Bearer value
    scheme, _, value = (_header(scope, b"authorization") or "").partition(" ")
    value = value.strip()
    return scheme.lower() == "bearer" and bool(value) and state.operator.known(value)


class FastRouteLookup:
    """Serves the operator's route lookups from ``AsyncRouteLookup``; passes the rest on."""

    def __init__(self, app: ASGIApp, state: AppState, lookup: AsyncRouteLookup) -> None:
        self.app = app
        self.state = state
        self.lookup = lookup

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.lookup.supported
            or not scope["path"].startswith(PREFIX)
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        raw = scope["path"][len(PREFIX) :]
        if not raw or "/" in raw or not operator_bearer(scope, self.state):
            await self.app(scope, receive, send)
            return
        response: Response
        try:
            response = JSON(rw.route(await self.lookup.route(from_path(raw))))
        except DomainError as exc:
            response = domain_response(exc, ROUTE_PATH)
        await response(scope, receive, send)
