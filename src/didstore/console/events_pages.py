"""Events and webhooks in the console (issue 13; ADR 0020), for a customer (its own feed and
endpoints, a main account's feed including its sub-accounts') and for the operator (every
event, operator-wide endpoints): the feed paged by its ``after`` cursor and filtered by type;
webhook endpoints listed, added (URL and event types; the secret shown once), deleted,
re-enabled after failures, their secret rotated (the new one shown once); and each
endpoint's delivery log with its attempts' response codes and a "redeliver" button.

Every page calls ``EventFeed`` and ``WebhookService`` as the API does: no rule lives here.
The same handlers serve both roles; the path says which (``/console/…`` for a customer,
``/console/operator/…`` for the operator), and a viewer of another role gets 404."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import (
    PER_PAGE,
    ConsoleRoute,
    Viewer,
    form,
    redirect,
    render,
    svc,
    text,
    viewer,
)
from didstore.services.events import EVENT_TYPES
from didstore.services.models import Account

router = APIRouter(prefix="/console", route_class=ConsoleRoute, include_in_schema=False)
#: how many deliveries an endpoint's page shows (newest first)
DELIVERIES_SHOWN = 50
OPERATOR_AREA = "/console/operator"


async def _scope(request: Request) -> tuple[Viewer, Account | None, str]:
    """The viewer, whose events and endpoints the page shows (None: the operator's), and
    the base of the page's links."""
    if request.url.path.startswith(OPERATOR_AREA + "/"):
        return await viewer(request, "operator"), None, OPERATOR_AREA
    me = await viewer(request, "customer")
    return me, me.customer, "/console"


def _after(request: Request) -> int:
    raw = request.query_params.get("after", "0")
    return int(raw) if raw.isdigit() and len(raw) < 19 else 0


def _subject(data: dict[str, Any]) -> str:
    """What an event is about, in a word: its number, else its account."""
    return str(data.get("e164") or data.get("account_id") or "")


@router.get("/events")
@router.get("/operator/events")
async def events(request: Request) -> Response:
    me, account, base = await _scope(request)
    after = _after(request)
    wanted = request.query_params.get("type", "").strip()[:60]
    page = await svc(request).events.list(
        account, after=after, types=[wanted] if wanted else None, limit=PER_PAGE
    )
    rows = [
        {
            "id": e.id,
            "type": e.type,
            "created_at": e.created_at,
            "account_id": e.account_id,
            "subject": _subject(e.data),
            "data": json.dumps(e.data, indent=2, sort_keys=True, default=str),
        }
        for e in page.events
    ]
    ctx = {
        "title": "Events",
        "base": base,
        "rows": rows,
        "types": EVENT_TYPES,
        "wanted": wanted,
        "after": after,
        "next_after": page.next_after if len(page.events) == PER_PAGE else None,
    }
    return render(request, "events/feed.html", ctx, session=me.session)


@router.get("/webhooks")
@router.get("/operator/webhooks")
async def webhooks(request: Request) -> Response:
    me, account, base = await _scope(request)
    endpoints = await svc(request).webhooks.endpoints(account)
    ctx = {"title": "Webhooks", "base": base, "endpoints": endpoints, "types": EVENT_TYPES}
    return render(request, "events/webhooks.html", ctx, session=me.session)


@router.post("/webhooks")
@router.post("/operator/webhooks")
async def add_webhook(request: Request) -> Response:
    me, account, base = await _scope(request)
    data = await form(request, me.session)
    body = {
        "url": text(data, "url", 2048),
        "event_types": [t for t in data.getlist("event_types") if isinstance(t, str)],
    }
    row = await svc(request).webhooks.create(me.actor, account, body)
    ctx = {"title": "Webhook added", "base": base, "endpoint": row, "rotated": False}
    return render(request, "events/secret.html", ctx, 201, session=me.session)


@router.get("/webhooks/{endpoint_id}")
@router.get("/operator/webhooks/{endpoint_id}")
async def webhook(request: Request, endpoint_id: str) -> Response:
    me, account, base = await _scope(request)
    hooks = svc(request).webhooks
    endpoint = await hooks.get(account, endpoint_id[:36])
    deliveries = await hooks.deliveries(account, endpoint["id"], limit=DELIVERIES_SHOWN)
    ctx = {
        "title": "Webhook",
        "base": base,
        "endpoint": endpoint,
        "deliveries": deliveries,
        "confirm_delete": request.query_params.get("delete") == "1",
    }
    return render(request, "events/webhook.html", ctx, session=me.session)


@router.post("/webhooks/{endpoint_id}/delete")
@router.post("/operator/webhooks/{endpoint_id}/delete")
async def delete_webhook(request: Request, endpoint_id: str) -> Response:
    me, account, base = await _scope(request)
    await form(request, me.session)
    await svc(request).webhooks.delete(me.actor, account, endpoint_id[:36])
    return redirect(request, f"{base}/webhooks", "The webhook endpoint was deleted.")


@router.post("/webhooks/{endpoint_id}/rotate")
@router.post("/operator/webhooks/{endpoint_id}/rotate")
async def rotate_webhook(request: Request, endpoint_id: str) -> Response:
    me, account, base = await _scope(request)
    await form(request, me.session)
    row = await svc(request).webhooks.rotate(me.actor, account, endpoint_id[:36], None)
    ctx = {"title": "New webhook secret", "base": base, "endpoint": row, "rotated": True}
    return render(request, "events/secret.html", ctx, session=me.session)


@router.post("/webhooks/{endpoint_id}/enable")
@router.post("/operator/webhooks/{endpoint_id}/enable")
async def enable_webhook(request: Request, endpoint_id: str) -> Response:
    me, account, base = await _scope(request)
    await form(request, me.session)
    row = await svc(request).webhooks.enable(me.actor, account, endpoint_id[:36])
    return redirect(request, f"{base}/webhooks/{row['id']}", "The endpoint is enabled again.")


@router.post("/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")
@router.post("/operator/webhooks/{endpoint_id}/deliveries/{delivery_id}/redeliver")
async def redeliver(request: Request, endpoint_id: str, delivery_id: str) -> Response:
    me, account, base = await _scope(request)
    await form(request, me.session)
    await svc(request).webhooks.redeliver(me.actor, account, endpoint_id[:36], delivery_id[:36])
    return redirect(
        request,
        f"{base}/webhooks/{endpoint_id[:36]}",
        "The delivery will be sent again at the next run of the webhook job.",
    )
