"""Event-loop fast paths (ADR 0009): the route lookup (``GET /api/v1/admin/routes/{e164}``)
and the owned-number list (``GET /api/v1/Account/{auth_id}/numbers``).

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

import re

from fastapi.exceptions import RequestValidationError
from psycopg import Error as PsycopgError
from starlette.datastructures import QueryParams
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from didstore.api import routing_wire as rw
from didstore.api import wire
from didstore.api.errors import domain_response
from didstore.api.params import OWNED_LIST_INTS, owned_list_query, query_ints
from didstore.api.responses import JSON
from didstore.api.state import AppState
from didstore.domain.e164 import from_path
from didstore.domain.errors import DomainError
from didstore.services.models import Account
from didstore.services.owned_list import AsyncOwnedList
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


LIST_PATH = re.compile(r"/api/v1/Account/([^/]+)/numbers")


def cached_caller(scope: Scope, state: AppState, path_auth_id: str) -> Account | None:
    """The account when ``account_scope`` would certainly make this request that account's,
    acting on itself, without touching the database; None means "let the full path decide"
    (no X-Auth pair, credentials not cached, a disabled account, a parent acting on a
    sub-account's path, the operator...)."""
    auth_id = _header(scope, b"x-auth-id")
    token = _header(scope, b"x-auth-token")
    if not auth_id or not token:
        return None
    account = state.accounts.cached(auth_id.strip(), token.strip())
    if account is None or not account.enabled or account.deleted:
        return None
    if account.kind not in ("main", "sub") or account.auth_id != path_auth_id:
        return None
    return account


class FastOwnedList:
    """Serves an account's own list from ``AsyncOwnedList`` when its credentials are cached
    and its parameters valid; everything else (a first request, an error to report, a page
    past the end, SQLite) goes to the FastAPI route, which stays the one implementation of
    the rules. Same wire function, so the same bytes (tests/hotpaths)."""

    def __init__(self, app: ASGIApp, state: AppState, lister: AsyncOwnedList) -> None:
        self.app = app
        self.state = state
        self.lister = lister

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "GET"
            or not self.lister.supported
            or scope.get("root_path")
        ):
            await self.app(scope, receive, send)
            return
        match = LIST_PATH.fullmatch(scope["path"])
        account = match and cached_caller(scope, self.state, match.group(1))
        if not account:
            await self.app(scope, receive, send)
            return
        try:
            query = QueryParams(scope["query_string"])
            q = owned_list_query(query, query_ints(query, *OWNED_LIST_INTS))
            page = await self.lister.page(
                account,
                search=q.search,
                include_subaccounts=q.include_subaccounts,
                page=q.page,
                per_page=q.per_page,
            )
        except (DomainError, RequestValidationError, PsycopgError, ValueError):
            page = None  # a 400 to word, or a database error to report: the route does it
        if page is None:
            await self.app(scope, receive, send)
            return
        self.lister.served += 1
        items, total = page
        await JSON(wire.owned_page(items, q.page, q.per_page, total))(scope, receive, send)
