"""Webhook endpoints (ADR 0020, docs/events.md): an account's under
``/api/v1/Account/{auth_id}/webhooks``, the operator's (every event) under
``/api/v1/admin/webhooks``. Deliveries are sent by the job runner, never here."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from didstore.api.auth import account_scope, require_operator
from didstore.api.deps import services
from didstore.api.responses import JSON, no_content
from didstore.services.models import Account, Actor
from didstore.wire import webhooks as wire

router = APIRouter(tags=["webhooks"])

JsonObject = Annotated[dict[str, Any] | None, Body()]
#: the error answers every route here can give (the body is the error envelope, api/errors.py)
ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid input (URL, event types, limit, keep_old_seconds)"},
    401: {"description": "Missing or wrong credentials"},
    403: {"description": "Another account's webhooks, or not the operator"},
    404: {"description": "No such endpoint or delivery"},
}
ACCOUNT = "/api/v1/Account/{auth_id}/webhooks"
ADMIN = "/api/v1/admin/webhooks"


async def _who(request: Request, auth_id: str | None) -> tuple[Actor, Account | None]:
    if auth_id is None:
        return (await require_operator(request)).actor, None
    scope = await account_scope(request, auth_id)
    return scope.actor, scope.account


async def _create(request: Request, auth_id: str | None, body: dict[str, Any] | None) -> Response:
    actor, account = await _who(request, auth_id)
    row = await services(request).webhooks.create(actor, account, body or {})
    return JSON(wire.endpoint(row, with_secret=True), 201)


async def _list(request: Request, auth_id: str | None) -> Response:
    _, account = await _who(request, auth_id)
    rows = await services(request).webhooks.endpoints(account)
    return JSON({"webhooks": [wire.endpoint(r) for r in rows]})


async def _get(request: Request, auth_id: str | None, webhook_id: str) -> Response:
    _, account = await _who(request, auth_id)
    return JSON(wire.endpoint(await services(request).webhooks.get(account, webhook_id)))


async def _delete(request: Request, auth_id: str | None, webhook_id: str) -> Response:
    actor, account = await _who(request, auth_id)
    await services(request).webhooks.delete(actor, account, webhook_id)
    return no_content()


async def _rotate(
    request: Request, auth_id: str | None, webhook_id: str, body: dict[str, Any] | None
) -> Response:
    actor, account = await _who(request, auth_id)
    keep = (body or {}).get("keep_old_seconds")
    row = await services(request).webhooks.rotate(actor, account, webhook_id, keep)
    return JSON(wire.endpoint(row, with_secret=True))


async def _enable(request: Request, auth_id: str | None, webhook_id: str) -> Response:
    actor, account = await _who(request, auth_id)
    return JSON(wire.endpoint(await services(request).webhooks.enable(actor, account, webhook_id)))


async def _deliveries(
    request: Request, auth_id: str | None, webhook_id: str, limit: int
) -> Response:
    _, account = await _who(request, auth_id)
    rows = await services(request).webhooks.deliveries(account, webhook_id, limit=limit)
    return JSON({"deliveries": [wire.delivery(r) for r in rows]})


async def _redeliver(
    request: Request, auth_id: str | None, webhook_id: str, delivery_id: str
) -> Response:
    actor, account = await _who(request, auth_id)
    await services(request).webhooks.redeliver(actor, account, webhook_id, delivery_id)
    return JSON({"id": delivery_id, "status": "pending"}, 202)


# -- an account's ------------------------------------------------------------------------------
@router.post(
    ACCOUNT, summary="Subscribe a URL to the account's events", status_code=201, responses=ERRORS
)
async def create_webhook(request: Request, auth_id: str, body: JsonObject = None) -> Response:
    """``{url, event_types?}`` (no types: every type) → the endpoint with its ``secret``
    (shown only here and on rotation)."""
    return await _create(request, auth_id, body)


@router.get(ACCOUNT, summary="The account's webhook endpoints", responses=ERRORS)
async def list_webhooks(request: Request, auth_id: str) -> Response:
    return await _list(request, auth_id)


@router.get(ACCOUNT + "/{webhook_id}", summary="One webhook endpoint", responses=ERRORS)
async def get_webhook(request: Request, auth_id: str, webhook_id: str) -> Response:
    return await _get(request, auth_id, webhook_id)


@router.delete(
    ACCOUNT + "/{webhook_id}",
    summary="Delete a webhook endpoint",
    status_code=204,
    responses=ERRORS,
)
async def delete_webhook(request: Request, auth_id: str, webhook_id: str) -> Response:
    return await _delete(request, auth_id, webhook_id)


@router.post(
    ACCOUNT + "/{webhook_id}/rotate-secret", summary="New signing secret", responses=ERRORS
)
async def rotate_webhook_secret(
    request: Request, auth_id: str, webhook_id: str, body: JsonObject = None
) -> Response:
    """``{keep_old_seconds?}``: the old secret also signs for that long (default 86400)."""
    return await _rotate(request, auth_id, webhook_id, body)


@router.post(
    ACCOUNT + "/{webhook_id}/enable", summary="Re-enable a disabled endpoint", responses=ERRORS
)
async def enable_webhook(request: Request, auth_id: str, webhook_id: str) -> Response:
    return await _enable(request, auth_id, webhook_id)


@router.get(
    ACCOUNT + "/{webhook_id}/deliveries", summary="The endpoint's delivery log", responses=ERRORS
)
async def list_deliveries(
    request: Request, auth_id: str, webhook_id: str, limit: int = 50
) -> Response:
    return await _deliveries(request, auth_id, webhook_id, limit)


@router.post(
    ACCOUNT + "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    summary="Send a delivery again",
    status_code=202,
    responses=ERRORS,
)
async def redeliver(request: Request, auth_id: str, webhook_id: str, delivery_id: str) -> Response:
    return await _redeliver(request, auth_id, webhook_id, delivery_id)


# -- the operator's ------------------------------------------------------------------------------
@router.post(
    ADMIN, summary="Subscribe a URL to every event (operator)", status_code=201, responses=ERRORS
)
async def create_operator_webhook(request: Request, body: JsonObject = None) -> Response:
    return await _create(request, None, body)


@router.get(ADMIN, summary="The operator's webhook endpoints", responses=ERRORS)
async def list_operator_webhooks(request: Request) -> Response:
    return await _list(request, None)


@router.get(ADMIN + "/{webhook_id}", summary="One operator webhook endpoint", responses=ERRORS)
async def get_operator_webhook(request: Request, webhook_id: str) -> Response:
    return await _get(request, None, webhook_id)


@router.delete(
    ADMIN + "/{webhook_id}",
    summary="Delete an operator endpoint",
    status_code=204,
    responses=ERRORS,
)
async def delete_operator_webhook(request: Request, webhook_id: str) -> Response:
    return await _delete(request, None, webhook_id)


@router.post(
    ADMIN + "/{webhook_id}/rotate-secret", summary="New signing secret (operator)", responses=ERRORS
)
async def rotate_operator_webhook_secret(
    request: Request, webhook_id: str, body: JsonObject = None
) -> Response:
    return await _rotate(request, None, webhook_id, body)


@router.post(
    ADMIN + "/{webhook_id}/enable",
    summary="Re-enable a disabled endpoint (operator)",
    responses=ERRORS,
)
async def enable_operator_webhook(request: Request, webhook_id: str) -> Response:
    return await _enable(request, None, webhook_id)


@router.get(ADMIN + "/{webhook_id}/deliveries", summary="Delivery log (operator)", responses=ERRORS)
async def list_operator_deliveries(request: Request, webhook_id: str, limit: int = 50) -> Response:
    return await _deliveries(request, None, webhook_id, limit)


@router.post(
    ADMIN + "/{webhook_id}/deliveries/{delivery_id}/redeliver",
    summary="Send a delivery again (operator)",
    status_code=202,
    responses=ERRORS,
)
async def redeliver_operator(request: Request, webhook_id: str, delivery_id: str) -> Response:
    return await _redeliver(request, None, webhook_id, delivery_id)
