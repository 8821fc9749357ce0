"""Operator endpoints for the routing plane: call activity ingestion and route lookup.

``GET /api/v1/admin/routes/{e164}`` runs once per inbound call: it authenticates the
operator token (an in-memory compare when DIDSTORE_ADMIN_TOKEN is set) and does one indexed
read.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request
from starlette.responses import Response

from didstore.api.auth import require_operator
from didstore.api.deps import services
from didstore.api.responses import JSON
from didstore.domain import fields
from didstore.domain.e164 import E164, from_body, from_path
from didstore.domain.errors import DomainError, InvalidInput
from didstore.services.calls import CallEvent
from didstore.wire import routing as routing_wire
from didstore.wire.format import ts

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])

JsonObject = Annotated[dict[str, Any] | None, Body()]
MAX_BATCH = 10_000
MAX_DURATION = 7 * 24 * 3600


def _started_at(value: object) -> datetime | None:
    """RFC 3339 with a zone (``2026-01-31T10:00:00Z``) or Unix seconds; absent means now."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            raise InvalidInput("started_at is out of range", field="started_at") from None
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    raise InvalidInput(
        "started_at must be RFC 3339 with a time zone (e.g. 2026-01-31T10:00:00Z)",
        field="started_at",
    )


def _event(number: E164, body: dict[str, Any]) -> CallEvent:
    duration = fields.whole(body.get("duration_seconds"), "duration_seconds", maximum=MAX_DURATION)
    answered = fields.flag(body.get("answered"), "answered")
    return CallEvent(
        e164=number,
        started_at=_started_at(body.get("started_at")),
        duration_seconds=duration or 0,
        answered=bool(duration) if answered is None else answered,
    )


@router.post("/numbers/{e164}/calls", summary="Report one call to a number", status_code=201)
async def report_call(request: Request, e164: str, body: JsonObject = None) -> Response:
    principal = await require_operator(request)
    event = _event(from_path(e164), body or {})
    report = await services(request).calls.record(principal.actor, [event], strict=True)
    last = report.last_call_at
    return JSON(
        {
            "e164": event.e164.value,
            "recorded": report.recorded,
            "last_call_at": ts(last),
        },
        201,
    )


@router.post("/calls", summary="Report a batch of calls (CDR ingestion)")
async def report_calls(request: Request, body: JsonObject = None) -> Response:
    """``{"calls": [{"e164", "started_at"?, "duration_seconds"?, "answered"?}, ...]}``.
    Rows that fail validation are returned in ``errors`` by index; the rest are recorded."""
    principal = await require_operator(request)
    calls = (body or {}).get("calls")
    if not isinstance(calls, list) or not calls:
        raise InvalidInput('expected {"calls": [...]} with at least one call')
    if len(calls) > MAX_BATCH:
        raise InvalidInput(f"at most {MAX_BATCH} calls per batch")
    events: list[CallEvent] = []
    errors: list[dict[str, Any]] = []
    for index, item in enumerate(calls):
        try:
            if not isinstance(item, dict):
                raise InvalidInput("each call must be an object")
            events.append(_event(from_body(item.get("e164")), item))
        except DomainError as exc:
            errors.append({"index": index, "error": exc.message})
    report = (
        await services(request).calls.record(principal.actor, events, strict=False)
        if events
        else None
    )
    recorded = report.recorded if report else 0
    # Service errors index into ``events``; map them back to request positions.
    positions = [i for i in range(len(calls)) if i not in {e["index"] for e in errors}]
    for problem in report.errors if report else []:
        errors.append({**problem, "index": positions[problem["index"]]})
    errors.sort(key=lambda e: int(e["index"]))
    return JSON({"recorded": recorded, "rejected": len(errors), "errors": errors})


@router.get("/routes/{e164}", summary="Where an inbound call to this number goes")
async def route_lookup(request: Request, e164: str) -> Response:
    await require_operator(request)
    return JSON(routing_wire.route(await services(request).routing.route(from_path(e164))))
