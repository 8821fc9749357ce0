"""Number routing, sub-account moves and health (numbers spec §4.6-4.10)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from didstore.api.auth import account_scope
from didstore.api.deps import services
from didstore.api.params import parse_bool
from didstore.api.responses import JSON, no_content
from didstore.domain.e164 import from_path
from didstore.wire import routing as routing_wire

router = APIRouter(prefix="/api/v1/Account/{auth_id}/numbers/{e164}", tags=["routing"])

JsonObject = Annotated[dict[str, Any] | None, Body()]


@router.post("/assign", summary="Assign the number to a SIP trunk", status_code=204)
async def assign_trunk(
    request: Request, auth_id: str, e164: str, body: JsonObject = None
) -> Response:
    scope = await account_scope(request, auth_id)
    number = from_path(e164)
    await services(request).routing.assign_trunk(
        scope.actor, scope.account, number, (body or {}).get("trunk_group_id")
    )
    return no_content()


@router.delete("/assign", summary="Unassign the number from its trunk", status_code=204)
async def unassign_trunk(request: Request, auth_id: str, e164: str) -> Response:
    scope = await account_scope(request, auth_id)
    await services(request).routing.unassign_trunk(scope.actor, scope.account, from_path(e164))
    return no_content()


@router.post("/application", summary="Attach the number to an application")
async def attach_application(
    request: Request, auth_id: str, e164: str, body: JsonObject = None
) -> Response:
    scope = await account_scope(request, auth_id)
    number = from_path(e164)
    bound = await services(request).routing.attach_application(
        scope.actor, scope.account, number, (body or {}).get("application_id")
    )
    return JSON(
        routing_wire.app_binding("Number attached to application", bound.e164, bound.application)
    )


@router.delete("/application", summary="Detach the number from its application")
async def detach_application(request: Request, auth_id: str, e164: str) -> Response:
    scope = await account_scope(request, auth_id)
    bound = await services(request).routing.detach_application(
        scope.actor, scope.account, from_path(e164)
    )
    return JSON(
        routing_wire.app_binding("Number detached from application", bound.e164, bound.application)
    )


@router.post("/assign-subaccount", summary="Move a DID to a sub-account", status_code=204)
async def assign_subaccount(
    request: Request, auth_id: str, e164: str, body: JsonObject = None
) -> Response:
    scope = await account_scope(request, auth_id)
    number = from_path(e164)
    await services(request).moves.assign(
        scope.actor, scope.account, number, (body or {}).get("sub_account_id")
    )
    return no_content()


@router.delete("/assign-subaccount", summary="Move a DID back to the parent pool", status_code=204)
async def unassign_subaccount(
    request: Request, auth_id: str, e164: str, force: str | None = None
) -> Response:
    scope = await account_scope(request, auth_id)
    await services(request).moves.unassign(
        scope.actor, scope.account, from_path(e164), force=parse_bool(force, "force", False)
    )
    return no_content()


@router.get("/health", summary="Call statistics of the number")
async def number_health(
    request: Request, auth_id: str, e164: str, granularity: str = "daily", days: int = 30
) -> Response:
    scope = await account_scope(request, auth_id)
    result = await services(request).calls.health(
        scope.account, from_path(e164), granularity=granularity.strip().lower(), days=days
    )
    return JSON(routing_wire.health(result))
