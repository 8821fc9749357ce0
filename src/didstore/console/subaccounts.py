"""Sub-accounts (main accounts only): list and create them, and move a number between the
main account's pool and a sub-account, confirmed on a page that states the cool-off rule
(a number that took a call in the last 15 days cannot come back yet)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import (
    ConsoleRoute,
    Viewer,
    form,
    page_number,
    redirect,
    render,
    svc,
    text,
    viewer,
)
from didstore.domain.e164 import from_path
from didstore.domain.errors import NotFound

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
#: how many sub-accounts a page, and the move form's choice list, show
LISTED = 100


async def _main(request: Request) -> Viewer:
    me = await viewer(request, "customer")
    if me.customer.kind != "main":
        raise NotFound("page not found")
    return me


@router.get("/subaccounts")
async def subaccounts(request: Request) -> Response:
    me = await _main(request)
    result = await svc(request).accounts.list_sub_accounts(
        me.customer, page_number(request), LISTED
    )
    ctx = {"title": "Sub-accounts", "result": result}
    return render(request, "customer/subaccounts.html", ctx, session=me.session)


@router.post("/subaccounts")
async def create_subaccount(request: Request) -> Response:
    me = await _main(request)
    data = await form(request, me.session)
    made = await svc(request).accounts.create_sub_account(
        me.actor, me.customer, name=text(data, "name"), email=text(data, "email") or None
    )
    ctx = {"title": "Sub-account created", "account": made.account, "token": made.auth_token}
    return render(request, "customer/subaccount_created.html", ctx, 201, session=me.session)


@router.get("/numbers/{e164}/move")
async def move_confirm(request: Request, e164: str) -> Response:
    me = await _main(request)
    state = svc(request)
    number = await state.numbers.get_owned(me.customer, from_path(e164))
    target = request.query_params.get("to", "").strip()[:40]
    sub = await state.accounts.get_sub_account(me.customer, target) if target else None
    ctx: dict[str, Any] = {"title": f"Move {number.e164}", "number": number, "sub": sub}
    return render(request, "customer/move.html", ctx, session=me.session)


@router.post("/numbers/{e164}/move")
async def move(request: Request, e164: str) -> Response:
    me = await _main(request)
    data = await form(request, me.session)
    number = from_path(e164)
    moves = svc(request).moves
    target = text(data, "to", 40)
    if target:
        await moves.assign(me.actor, me.customer, number, target)
        message = f"{number.value} now belongs to {target}."
    else:
        await moves.unassign(me.actor, me.customer, number, force=False)
        message = f"{number.value} is back in {me.customer.auth_id}'s pool."
    return redirect(request, f"/console/numbers/{number.value}", message)
