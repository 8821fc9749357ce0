"""Customer routing pages: trunks and applications (list and create), and pointing a number at
one of them or detaching it. Routing changes cost nothing, so they apply when the form is
sent (with its CSRF token); the number page shows the result in a flash message."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import (
    ConsoleRoute,
    form,
    redirect,
    render,
    svc,
    text,
    viewer,
)
from didstore.domain.e164 import from_path
from didstore.services.models import Account

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
CUSTOMER = "customer"
#: how many trunks or applications a page and a choice list show
LISTED = 100


async def choices(request: Request, account: Account) -> dict[str, Any]:
    """The trunks and applications a number of this account can be pointed at."""
    state = svc(request)
    trunks = await state.trunks.list(account, limit=LISTED, offset=0)
    apps = await state.applications.list(account, limit=LISTED, offset=0)
    return {"trunks": trunks.items, "apps": apps.items}


@router.post("/numbers/{e164}/trunk")
async def assign_trunk(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    data = await form(request, me.session)
    number = from_path(e164)
    routing = svc(request).routing
    if data.get("action") == "remove":
        await routing.unassign_trunk(me.actor, me.customer, number)
        message = f"{number.value} is no longer assigned to a trunk."
    else:
        await routing.assign_trunk(me.actor, me.customer, number, text(data, "trunk_id", 64))
        message = f"Calls to {number.value} now go to the trunk."
    return redirect(request, f"/console/numbers/{number.value}", message)


@router.post("/numbers/{e164}/application")
async def attach_application(request: Request, e164: str) -> Response:
    me = await viewer(request, CUSTOMER)
    data = await form(request, me.session)
    number = from_path(e164)
    routing = svc(request).routing
    if data.get("action") == "remove":
        await routing.detach_application(me.actor, me.customer, number)
        message = f"{number.value} is no longer attached to an application."
    else:
        app_id = text(data, "application_id", 64)
        await routing.attach_application(me.actor, me.customer, number, app_id)
        message = f"{number.value} is now attached to the application."
    return redirect(request, f"/console/numbers/{number.value}", message)


@router.get("/trunks")
async def trunks_page(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    ctx = {"title": "Trunks and applications", **await choices(request, me.customer)}
    return render(request, "customer/routing.html", ctx, session=me.session)


@router.post("/trunks")
async def create_trunk(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    data = await form(request, me.session)
    body = {"name": text(data, "name")}
    destination = text(data, "inbound_destination", 500)
    if destination:
        body["inbound_destination"] = destination
    made = await svc(request).trunks.create(me.actor, me.customer, body)
    return redirect(request, "/console/trunks", f"Trunk {made['name']} created.")


@router.post("/applications")
async def create_application(request: Request) -> Response:
    me = await viewer(request, CUSTOMER)
    data = await form(request, me.session)
    body = {"app_name": text(data, "app_name"), "answer_url": text(data, "answer_url", 2000)}
    made = await svc(request).applications.create(me.actor, me.customer, body)
    return redirect(request, "/console/trunks", f"Application {made['app_name']} created.")
