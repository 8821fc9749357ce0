"""Trunks and applications (entities spec §1-2). Paths use the canonical ``Account`` casing;
the middleware folds ``account`` onto it and drops trailing slashes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from didstore.api.auth import account_scope
from didstore.api.deps import services
from didstore.api.params import check_offset, check_page
from didstore.api.responses import JSON, no_content
from didstore.domain.errors import InvalidInput
from didstore.domain.ids import new_uuid
from didstore.wire import routing as routing_wire

router = APIRouter(prefix="/api/v1/Account/{auth_id}", tags=["routing"])

JsonObject = Annotated[dict[str, Any] | None, Body()]


def window(
    limit: int | None, offset: int | None, page: int | None, size: int | None
) -> tuple[int, int]:
    """``limit``/``offset`` (default 20, max 100); the old SDK's ``page``/``size`` map on."""
    if limit is None and offset is None and (page is not None or size is not None):
        size = 20 if size is None else size
        if size < 1 or (page is not None and page < 1):
            raise InvalidInput("page and size must be at least 1")
        check_page(page)
        return min(size, 100), ((page or 1) - 1) * min(size, 100)
    limit = 20 if limit is None else limit
    offset = 0 if offset is None else offset
    if limit < 1:
        raise InvalidInput("limit must be at least 1", field="limit")
    if offset < 0:
        raise InvalidInput("offset must be >= 0", field="offset")
    check_offset(offset)
    return min(limit, 100), offset


# -- trunks -----------------------------------------------------------------------------------
@router.get("/trunks", summary="List trunks")
async def list_trunks(
    request: Request,
    auth_id: str,
    limit: int | None = None,
    offset: int | None = None,
    page: int | None = None,
    size: int | None = None,
) -> Response:
    scope = await account_scope(request, auth_id)
    lim, off = window(limit, offset, page, size)
    result = await services(request).trunks.list(scope.account, limit=lim, offset=off)
    return JSON(routing_wire.trunk_list(list(result.items), lim, off, result.total))


@router.post("/trunks", summary="Create a trunk", status_code=201)
async def create_trunk(request: Request, auth_id: str, body: JsonObject = None) -> Response:
    scope = await account_scope(request, auth_id)
    record = await services(request).trunks.create(scope.actor, scope.account, body or {})
    return JSON(routing_wire.trunk(record), 201)


@router.get("/trunks/{trunk_id}", summary="Get a trunk")
async def get_trunk(request: Request, auth_id: str, trunk_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    return JSON(routing_wire.trunk(await services(request).trunks.get(scope.account, trunk_id)))


@router.put("/trunks/{trunk_id}", summary="Update a trunk")
async def update_trunk(
    request: Request, auth_id: str, trunk_id: str, body: JsonObject = None
) -> Response:
    scope = await account_scope(request, auth_id)
    record = await services(request).trunks.update(scope.actor, scope.account, trunk_id, body or {})
    return JSON(routing_wire.trunk(record))


@router.delete("/trunks/{trunk_id}", summary="Delete a trunk (409 while numbers use it)")
async def delete_trunk(request: Request, auth_id: str, trunk_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    await services(request).trunks.delete(scope.actor, scope.account, trunk_id)
    return no_content()


# -- applications -------------------------------------------------------------------------------
@router.get("/Application", summary="List applications")
async def list_applications(
    request: Request,
    auth_id: str,
    limit: int | None = None,
    offset: int | None = None,
    page: int | None = None,
    size: int | None = None,
) -> Response:
    scope = await account_scope(request, auth_id)
    lim, off = window(limit, offset, page, size)
    result = await services(request).applications.list(scope.account, limit=lim, offset=off)
    return JSON(routing_wire.application_list(list(result.items), auth_id, lim, off, result.total))


@router.post("/Application", summary="Create an application", status_code=201)
async def create_application(request: Request, auth_id: str, body: JsonObject = None) -> Response:
    scope = await account_scope(request, auth_id)
    record = await services(request).applications.create(scope.actor, scope.account, body or {})
    return JSON({"api_id": new_uuid(), "app_id": record["id"], "message": "created"}, 201)


@router.get("/Application/{app_id}", summary="Get an application")
async def get_application(request: Request, auth_id: str, app_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    return JSON(
        routing_wire.application_detail(
            await services(request).applications.get(scope.account, app_id)
        )
    )


@router.post("/Application/{app_id}", summary="Update an application (partial)")
async def update_application(
    request: Request, auth_id: str, app_id: str, body: JsonObject = None
) -> Response:
    scope = await account_scope(request, auth_id)
    await services(request).applications.update(scope.actor, scope.account, app_id, body or {})
    return JSON({"api_id": new_uuid(), "message": "changed"})


@router.delete("/Application/{app_id}", summary="Delete an application (409 while in use)")
async def delete_application(request: Request, auth_id: str, app_id: str) -> Response:
    scope = await account_scope(request, auth_id)
    await services(request).applications.delete(scope.actor, scope.account, app_id)
    return no_content()
