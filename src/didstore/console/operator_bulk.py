"""Operator pages for bulk jobs (ADR 0023): every account's jobs, newest first, filtered by
account and state and paged, and one job with its result per number. Read only: the
customer cancels a job (its own page, the API, the SDK or the CLI). The same service calls
as ``GET /api/v1/admin/bulk-jobs`` and ``GET /api/v1/admin/bulk-jobs/{id}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.requests import Request
from starlette.responses import Response

from didstore.console.web import PER_PAGE, ConsoleRoute, page_number, render, svc, viewer
from didstore.domain.bulk import JOB_STATES
from didstore.domain.errors import InvalidInput

router = APIRouter(
    prefix="/console/operator/bulk", route_class=ConsoleRoute, include_in_schema=False
)
OPERATOR = "operator"


@router.get("")
async def jobs(request: Request) -> Response:
    me = await viewer(request, OPERATOR)
    q = request.query_params
    raw = {k: q.get(k, "").strip()[:40] for k in ("account", "status")}
    raw = {k: v for k, v in raw.items() if v}
    ctx: dict[str, Any] = {"title": "Bulk jobs", "raw": raw, "states": JOB_STATES}
    try:
        result = await svc(request).bulk_jobs.list_all(
            account=raw.get("account"),
            status=raw.get("status"),
            page=page_number(request),
            per_page=PER_PAGE,
        )
    except InvalidInput as exc:
        failed = {**ctx, "error": exc.message}
        return render(request, "operator/bulk_jobs.html", failed, 400, session=me.session)
    ctx["result"] = result
    return render(request, "operator/bulk_jobs.html", ctx, session=me.session)


@router.get("/{job_id}")
async def job(request: Request, job_id: str) -> Response:
    me = await viewer(request, OPERATOR)
    found = await svc(request).bulk_jobs.get_any(job_id)
    ctx = {"title": f"Bulk job {found.id[:8]}", "job": found}
    return render(request, "operator/bulk_job.html", ctx, session=me.session)
