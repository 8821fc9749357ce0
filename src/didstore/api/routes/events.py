"""The event feed (ADR 0020): an account's events, and every event for the operator.

``after`` is the ``next_after`` of the previous page (0 to start); events come in id order
and a poller that always passes the last ``next_after`` sees every event exactly once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from starlette.responses import Response

from didstore.api.auth import account_scope, require_operator
from didstore.api.deps import services
from didstore.api.responses import JSON
from didstore.services.event_feed import DEFAULT_LIMIT
from didstore.wire import events as events_wire

router = APIRouter(tags=["events"])

#: the error answers of the feed (the body is the error envelope, api/errors.py)
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "after, limit or type is invalid"},
    401: {"description": "Missing or wrong credentials"},
    403: {"description": "Another account's feed, or not the operator"},
}

_TYPE = Query(
    None,
    description="Only these event types (repeat the parameter or separate them with commas)",
)


@router.get(
    "/api/v1/Account/{auth_id}/events", summary="The account's events after an id", responses=ERRORS
)
async def account_events(
    request: Request,
    auth_id: str,
    after: int = 0,
    type: list[str] | None = _TYPE,
    limit: int = DEFAULT_LIMIT,
) -> Response:
    """A main account's feed includes its sub-accounts' events; a sub-account's, its own."""
    scope = await account_scope(request, auth_id)
    page = await services(request).events.list(scope.account, after=after, types=type, limit=limit)
    return JSON(events_wire.page(page))


@router.get("/api/v1/admin/events", summary="Every event after an id (operator)", responses=ERRORS)
async def operator_events(
    request: Request,
    after: int = 0,
    type: list[str] | None = _TYPE,
    limit: int = DEFAULT_LIMIT,
) -> Response:
    await require_operator(request)
    page = await services(request).events.list(None, after=after, types=type, limit=limit)
    return JSON(events_wire.page(page))
