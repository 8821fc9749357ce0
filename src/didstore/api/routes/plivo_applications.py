"""The Plivo-compatible application routes (issue 10; ADR 0018): the same applications the
Vobiz ``/api/v1/Account/{auth_id}/Application/`` routes see (``ApplicationService``), in
Plivo's shapes. ``subaccount`` must name one of the caller's sub-accounts by its Plivo alias.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from didstore.api.deps import services
from didstore.api.responses import JSON, no_content
from didstore.api.routes.plivo_common import (
    PREFIX,
    WRITE,
    PlivoScope,
    errors,
    json_object,
    limit_offset,
    ok,
    optional_text,
    plivo_scope,
    query_docs,
)
from didstore.domain.errors import InvalidInput
from didstore.wire import plivo as wire

router = APIRouter(prefix=PREFIX, tags=["plivo"])


async def _body(request: Request, scope: PlivoScope) -> dict[str, Any]:
    """The request body for ``ApplicationService``: a ``subaccount`` alias is checked (404
    when it is not a live sub-account of the caller) and kept as the application's label."""
    body = await json_object(request)
    sub = optional_text(body, "subaccount", 20)
    body.pop("subaccount", None)
    body.pop("sub_account", None)
    if sub:
        await services(request).plivo.sub_auth_id(scope.account, sub)
        body["subaccount"] = sub
    return body


@router.get(
    "/Application",
    summary="Plivo: list applications",
    openapi_extra=query_docs("limit", "offset"),
    responses={**ok(200, "A page of applications"), **errors()},
)
async def list_applications(request: Request, auth_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    for name in ("subaccount", "app_name"):  # filters didstore does not offer: never ignored
        if request.query_params.get(name):
            raise InvalidInput(f"the {name} filter is not supported by didstore", field=name)
    limit, offset = limit_offset(request.query_params)
    page = await services(request).applications.list(scope.account, limit=limit, offset=offset)
    return JSON(
        wire.listing(
            [wire.application(a, scope.alias) for a in page.items],
            page,
            f"{wire.base(scope.alias)}Application/",
            offset,
            {},
        )
    )


@router.post(
    "/Application",
    status_code=201,
    summary="Plivo: create an application",
    responses={**ok(201, "Created"), **errors(404, *WRITE)},
)
async def create_application(request: Request, auth_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    body = await _body(request, scope)
    record = await services(request).applications.create(scope.actor, scope.account, body)
    return JSON(wire.app_created(record["id"]), 201)


@router.get(
    "/Application/{app_id}",
    summary="Plivo: one application",
    responses={**ok(200, "The application"), **errors(404)},
)
async def get_application(request: Request, auth_id: str, app_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    record = await services(request).applications.get(scope.account, app_id)
    return JSON(wire.detail(wire.application(record, scope.alias)))


@router.post(
    "/Application/{app_id}",
    status_code=202,
    summary="Plivo: update an application",
    responses={**ok(202, "Changed"), **errors(404, *WRITE)},
)
async def update_application(request: Request, auth_id: str, app_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    body = await _body(request, scope)
    await services(request).applications.update(scope.actor, scope.account, app_id, body)
    return JSON(wire.changed(), 202)


@router.delete(
    "/Application/{app_id}",
    status_code=204,
    summary="Plivo: delete an application (409 while numbers use it)",
    responses={**ok(204, "Deleted"), **errors(404, *WRITE)},
)
async def delete_application(request: Request, auth_id: str, app_id: str) -> Response:
    scope = await plivo_scope(request, auth_id)
    await services(request).applications.delete(scope.actor, scope.account, app_id)
    return no_content()
