"""The deletion lock of a number (issue 13 item 6, docs/events.md): while locked, release and
moves answer 409 ``number_locked``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from starlette.responses import Response

from didstore.api.auth import account_scope
from didstore.api.deps import services
from didstore.api.responses import JSON
from didstore.domain.e164 import from_path
from didstore.services.locks import Lock
from didstore.wire.format import ts

router = APIRouter(prefix="/api/v1/Account/{auth_id}/numbers/{e164}/lock", tags=["numbers"])

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"description": "Invalid number, or a number pending release"},
    401: {"description": "Missing or wrong credentials"},
    403: {"description": "Another account, or a lock only the operator may lift"},
    404: {"description": "The account does not hold the number"},
}


def _lock(lock: Lock) -> dict[str, Any]:
    return {
        "e164": lock.e164,
        "locked": lock.locked,
        "locked_at": ts(lock.locked_at),
        "locked_by": lock.locked_by,
    }


@router.get("", summary="Whether the number has a deletion lock", responses=ERRORS)
async def get_lock(request: Request, auth_id: str, e164: str) -> Response:
    scope = await account_scope(request, auth_id)
    return JSON(_lock(await services(request).locks.get(scope.account, from_path(e164))))


@router.post("", summary="Lock the number against release and moves", responses=ERRORS)
async def set_lock(request: Request, auth_id: str, e164: str) -> Response:
    scope = await account_scope(request, auth_id)
    lock = await services(request).locks.set(
        scope.actor, scope.account, from_path(e164), locked=True
    )
    return JSON(_lock(lock))


@router.delete("", summary="Lift the deletion lock", responses=ERRORS)
async def lift_lock(request: Request, auth_id: str, e164: str) -> Response:
    scope = await account_scope(request, auth_id)
    lock = await services(request).locks.set(
        scope.actor, scope.account, from_path(e164), locked=False
    )
    return JSON(_lock(lock))
