"""The Plivo-compatible sub-account routes (ADR 0018): ``Subaccount/`` list and create,
``Subaccount/{id}/`` get, update and delete, over the same sub-accounts as the Vobiz
``/api/v1/accounts/{auth_id}/sub-accounts`` routes (``AccountService``). Sub-accounts are
named by their Plivo alias (``SA…``); only a main account manages them.
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
from didstore.domain.errors import Forbidden, InvalidInput
from didstore.services.models import Account
from didstore.wire import plivo as wire

router = APIRouter(prefix=PREFIX, tags=["plivo"])


async def _main(request: Request, auth_id: str) -> PlivoScope:
    scope = await plivo_scope(request, auth_id)
    if scope.account.kind != "main":
        raise Forbidden("only a main account manages sub-accounts")
    return scope


def _enabled(body: dict[str, Any]) -> bool | None:
    value = body.get("enabled")
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInput("enabled must be true or false", field="enabled")


async def _sub(request: Request, scope: PlivoScope, alias: str) -> Account:
    svc = services(request)
    sub_auth_id = await svc.plivo.sub_auth_id(scope.account, alias)
    return await svc.accounts.get_sub_account(scope.account, sub_auth_id)


@router.get(
    "/Subaccount",
    summary="Plivo: list sub-accounts",
    openapi_extra=query_docs("limit", "offset"),
    responses={**ok(200, "A page of sub-accounts"), **errors()},
)
async def list_subaccounts(request: Request, auth_id: str) -> Response:
    scope = await _main(request, auth_id)
    limit, offset = limit_offset(request.query_params)
    if offset % limit:
        raise InvalidInput("offset must be a multiple of limit", field="offset")
    page = await services(request).accounts.list_sub_accounts(
        scope.account, offset // limit + 1, limit
    )
    return JSON(
        wire.listing(
            [wire.subaccount(s, scope.alias) for s in page.items],
            page,
            f"{wire.base(scope.alias)}Subaccount/",
            offset,
            {},
        )
    )


@router.post(
    "/Subaccount",
    status_code=201,
    summary="Plivo: create a sub-account",
    responses={**ok(201, "Created, with its token (shown once)"), **errors(*WRITE)},
)
async def create_subaccount(request: Request, auth_id: str) -> Response:
    """``enabled`` defaults to false, as on Plivo (the plivo SDK always sends it)."""
    scope = await _main(request, auth_id)
    body = await json_object(request)
    name = optional_text(body, "name", 200)
    if not name:
        raise InvalidInput("name is required", field="name")
    creds = await services(request).accounts.create_sub_account(
        scope.actor, scope.account, name=name, enabled=bool(_enabled(body))
    )
    return JSON(wire.subaccount_created(creds.account.plivo_auth_id, creds.auth_token), 201)


@router.get(
    "/Subaccount/{sub_id}",
    summary="Plivo: one sub-account",
    responses={**ok(200, "The sub-account"), **errors(404)},
)
async def get_subaccount(request: Request, auth_id: str, sub_id: str) -> Response:
    scope = await _main(request, auth_id)
    sub = await _sub(request, scope, sub_id)
    return JSON(wire.detail(wire.subaccount(sub, scope.alias)))


@router.post(
    "/Subaccount/{sub_id}",
    status_code=202,
    summary="Plivo: rename, enable or disable a sub-account",
    responses={**ok(202, "Changed"), **errors(404, *WRITE)},
)
async def update_subaccount(request: Request, auth_id: str, sub_id: str) -> Response:
    scope = await _main(request, auth_id)
    body = await json_object(request)
    changes: dict[str, Any] = {}
    name = optional_text(body, "name", 200)
    if name:
        changes["name"] = name
    enabled = _enabled(body)
    if enabled is not None:
        changes["enabled"] = enabled
    sub = await _sub(request, scope, sub_id)
    await services(request).accounts.update_sub_account(
        scope.actor, scope.account, sub.auth_id, changes
    )
    return JSON(wire.changed(), 202)


@router.delete(
    "/Subaccount/{sub_id}",
    status_code=204,
    summary="Plivo: delete a sub-account (409 while it holds numbers)",
    responses={**ok(204, "Deleted"), **errors(404, *WRITE)},
)
async def delete_subaccount(request: Request, auth_id: str, sub_id: str) -> Response:
    """Plivo's ``cascade`` (move or delete what the sub-account holds) is refused: move its
    numbers back first (``Number/{n}/`` with ``subaccount=""``)."""
    scope = await _main(request, auth_id)
    body = await json_object(request)
    if body.get("cascade") or request.query_params.get("cascade") in ("true", "True", "1"):
        raise InvalidInput("cascade is not supported by didstore", field="cascade")
    sub = await _sub(request, scope, sub_id)
    await services(request).accounts.delete_sub_account(scope.actor, scope.account, sub.auth_id)
    return no_content()
