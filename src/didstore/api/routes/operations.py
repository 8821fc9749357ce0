"""Operator API for billing operations: run a job by hand, read the audit log and a
number's timeline. ``Authorization: Bearer <operator token>``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict
from starlette.responses import Response

from didstore.api import csv as csv_answer
from didstore.api.auth import require_operator
from didstore.api.deps import services
from didstore.api.params import paging
from didstore.api.responses import JSON
from didstore.domain.e164 import from_path
from didstore.domain.errors import InvalidInput
from didstore.services.audit_query import AuditFilters
from didstore.services.blocks import BlockState
from didstore.wire import csv as wire_csv
from didstore.wire import format as format_wire

router = APIRouter(prefix="/api/v1/admin", tags=["operator"])


class JobBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    now: datetime | None = None


def _time(value: str | None, name: str) -> datetime | None:
    if value is None or value.strip() == "":
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidInput(f"{name} must be an ISO 8601 date or time", field=name) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


@router.post("/jobs/{name}/run", summary="Run a background job now and return its report")
async def run_job_now(request: Request, name: str, body: JobBody | None = None) -> Response:
    """``now`` (optional) runs the job as of an earlier time; a later one is refused unless
    the server runs a test clock (move the clock instead)."""
    principal = await require_operator(request)
    state = services(request)
    report = await state.jobs.run_by(
        principal.actor,
        name,
        body.now if body is not None else None,
        allow_future=state.settings.test_clock,
    )
    return JSON(report.as_dict())


@router.get("/audit", summary="The audit log, newest first")
async def list_audit(
    request: Request,
    e164: str | None = None,
    account_id: str | None = None,
    to: str | None = None,
    page: int | None = None,
    per_page: int | None = None,
    action: str | None = None,
) -> Response:
    """``Accept: text/csv``: every matching row as CSV, streamed (paging ignored)."""
    await require_operator(request)
    params = request.query_params
    p = paging(page, per_page, default=20, maximum=100)
    filters = AuditFilters(
        e164=from_path(e164).value if e164 else None,
        account_id=account_id or None,
        from_at=_time(params.get("from"), "from"),
        to_at=_time(to, "to"),
        action=action or None,
    )
    if csv_answer.wants_csv(request):  # the whole log, newest first (ADR 0024)
        return await csv_answer.streamed(
            wire_csv.AUDIT_COLUMNS,
            csv_answer.mapped(services(request).exports.audit(filters), _entry),
            "didstore-audit.csv",
        )
    result = await services(request).audit.list(filters, p.page, p.per_page)
    return JSON(
        {
            "meta": {
                "page": result.page,
                "per_page": result.per_page,
                "total": result.total,
            },
            "objects": [_entry(o) for o in result.items],
        }
    )


def _entry(o: dict[str, Any]) -> dict[str, Any]:
    return {k: (format_wire.ts(v) if isinstance(v, datetime) else v) for k, v in o.items()}


@router.get("/numbers/{e164}/timeline", summary="A number's ownership, routing and money")
async def number_timeline(request: Request, e164: str) -> Response:
    await require_operator(request)
    data = await services(request).audit.timeline(from_path(e164).value)
    data["events"] = [_entry(e) for e in data["events"]]
    return JSON(data)


class BlockBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    reason: str | None = None


def _block_state(b: BlockState) -> dict[str, Any]:
    return {
        "e164": b.e164,
        "status": b.status,
        "is_blocked": b.status == "blocked",
        "next_billing_date": format_wire.ts(b.next_billing_date),
    }


@router.post("/numbers/{e164}/block", summary="Take an active number out of service")
async def block_number(request: Request, e164: str, body: BlockBody | None = None) -> Response:
    """The owner keeps it; it routes no calls and is not charged until unblocked. 409 when
    the number is not active."""
    principal = await require_operator(request)
    reason = body.reason if body is not None else None
    if reason is not None and len(reason) > 500:
        raise InvalidInput("reason is longer than 500 characters", field="reason")
    state = await services(request).blocks.block(principal.actor, from_path(e164), reason)
    return JSON(_block_state(state))


@router.delete("/numbers/{e164}/block", summary="Put a blocked number back in service")
async def unblock_number(request: Request, e164: str) -> Response:
    """Active again; the periods it spent blocked are not charged. 409 when not blocked."""
    principal = await require_operator(request)
    state = await services(request).blocks.unblock(principal.actor, from_path(e164))
    return JSON(_block_state(state))
